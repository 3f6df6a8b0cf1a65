# SPDX-License-Identifier: Apache-2.0
# Sourced by tests/milter/postfix_e2e.sh and bench/milter_load.sh: a private
# Postfix instance on loopback (the system configuration is not touched),
# delivering every recipient @pii.test to $LAB/mail/inbox (Maildir).
# Traps it avoids (each makes Postfix fail silently): data_directory owned by
# postfix; maillog_file's directory listed in maillog_file_prefixes; no
# comment at the end of a main.cf line. Postfix's master must start as root.
# Nothing of the system's Postfix configuration is assumed: a fresh Debian
# (the postfix package with debconf "No configuration") has no
# /etc/postfix/main.cf, on which `postconf -h` fails; no /etc/mailname and no
# aliases are needed (myhostname, alias_maps and mydestination are set here).
#
#   lab_start LAB SMTP_PORT MILTER   (MILTER: "inet:127.0.0.1:PORT" or "" for none)
#   lab_stop LAB
lab_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
lab_start() {
  local lab=$1 port=$2 milter=$3
  local c=$lab/conf
  mkdir -p "$c" "$lab/queue" "$lab/data" "$lab/mail"
  chown postfix:postfix "$lab/data"
  chown nobody:nogroup "$lab/mail"
  # Compiled-in defaults (-d): they need no main.cf.
  local sys
  sys=$(postconf -dh config_directory) || return 1
  local m
  for m in "$sys/master.cf.proto" "$sys/master.cf" /usr/share/postfix/master.cf.dist; do
    [ -s "$m" ] && cp "$m" "$c/master.cf" && break
  done
  [ -s "$c/master.cf" ] || { echo "postfix_lab: no master.cf template found" >&2; return 1; }
  cat > "$c/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $lab/queue
data_directory = $lab/data
maillog_file = $lab/maillog
maillog_file_prefixes = /var, /dev/stdout, $lab
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.pii.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_milters = $milter
non_smtpd_milters = \$smtpd_milters
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 30s
milter_content_timeout = 60s
message_size_limit = 52428800
virtual_mailbox_limit = 0
default_process_limit = 100
virtual_mailbox_domains = pii.test
virtual_mailbox_base = $lab/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
EOF
  postconf -c "$c" -M# smtp/inet
  postconf -c "$c" -M "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"
  postconf -c "$c" -F '*/*/chroot = n'
  postfix -c "$c" check && postfix -c "$c" start >/dev/null 2>&1
}
lab_stop() {
  postfix -c "$1/conf" stop >/dev/null 2>&1
}
