#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the synthetic sample mail in this directory (committed; rerun only
to change them). Every identifier is synthetic: checksum-valid numbers made
for tests (no real person). Uses Python's email package so the encodings are
written by an independent implementation."""
import base64
import os
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.header import Header
from email import encoders, policy

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def head(m, subject, mid):
    m["From"] = "Kari Nordmann <kari@example.no>"
    m["To"] = "support@example.com"
    m["Subject"] = subject
    m["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
    m["Message-ID"] = "<%s@example.no>" % mid


# 1. Quoted-printable, UTF-8: a soft line break splits the number.
body = ("Hei,\n\nMitt f\u00f8dselsnummer er 151086" + "=\n" + "95088, kan dere oppdatere kontoen?\n"
        "Ny konto: 8601.11.17947\n\nHilsen Kari\n")
qp = (b"From: Kari Nordmann <kari@example.no>\nTo: support@example.com\n"
      b"Subject: =?utf-8?q?Oppdatering_av_konto?=\nDate: Mon, 23 Nov 2026 10:00:00 +0100\n"
      b"Message-ID: <qp-1@example.no>\nMIME-Version: 1.0\n"
      b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
      b"Hei,\n\nMitt f=C3=B8dselsnummer er 151086=\n95088, kan dere oppdatere kontoen?\n"
      b"Ny konto: 8601.11.17947\n\nHilsen Kari\n")
write("qp-softbreak.eml", qp)

# 2. multipart/alternative: base64 ISO-8859-1 text and QP HTML with tags and entities.
m = MIMEMultipart("alternative", boundary="alt-boundary-2")
head(m, "Fr\u00e5ga om mitt personnummer", "alt-2")
t = MIMEBase("text", "plain", charset="iso-8859-1")
t.set_payload("Hej!\nMitt personnummer \u00e4r 19811218-9876. Tack!\n".encode("latin-1"))
encoders.encode_base64(t)
m.attach(t)
html = ("<html><body><p>Hej!</p><p>Fnr: <b>151086</b>95088<br>"
        "Kort: &#52;&#49;&#49;&#49;&nbsp;1111&nbsp;1111&nbsp;1111</p>"
        "<table><tr><td>Personnummer</td><td>811218-9876</td></tr></table></body></html>\n")
h = MIMEText(html, "html", "utf-8")
del h["Content-Transfer-Encoding"]
h.set_payload(html.encode("utf-8"))
import quopri
h.set_payload(quopri.encodestring(html.encode("utf-8")).decode("ascii"))
h["Content-Transfer-Encoding"] = "quoted-printable"
m.attach(h)
write("alternative-html.eml", m.as_bytes())

# 3. multipart/mixed, CRLF line ends: text, a CSV typed octet-stream, a PDF.
m = MIMEMultipart("mixed", boundary="mixed-boundary-3")
head(m, "Kundeliste", "mixed-3")
m.attach(MIMEText("Se vedlagt liste. IBAN for refusjon: NO93 8601 1117 947\n", "plain", "utf-8"))
csv = "navn;cpr;telefon\nJens Jensen;010180-1234;+45 20 12 34 56\n"
a = MIMEBase("application", "octet-stream")
a.set_payload(csv.encode("utf-8"))
encoders.encode_base64(a)
a.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "kunder-\u00e5r.csv"))
m.attach(a)
pdf = MIMEBase("application", "pdf")
pdf.set_payload(b"%PDF-1.4\n% synthetic\n" + bytes(range(256)))
encoders.encode_base64(pdf)
pdf.add_header("Content-Disposition", "attachment", filename="kvittering.pdf")
m.attach(pdf)
write("mixed-attachments.eml", m.as_bytes(policy=policy.SMTP))

# 4. A forwarded message (message/rfc822) with an RFC 2047 subject holding a CPR.
inner = EmailMessage()
inner["From"] = "Jens Jensen <jens@example.dk>"
inner["To"] = "kari@example.no"
inner["Subject"] = Header("Mit CPR-nr. er 010180-1234 (s\u00e6rligt)", "utf-8").encode()
inner["Message-ID"] = "<inner-4@example.dk>"
inner.set_content("Hej Kari,\nmin kennitala-kollega har 120174-3399.\n")
outer = MIMEMultipart("mixed", boundary="fwd-boundary-4")
head(outer, "Fwd: henvendelse", "fwd-4")
outer.attach(MIMEText("Videresender under.\n", "plain", "utf-8"))
outer.attach(MIMEMessage(inner))
write("forwarded-rfc822.eml", outer.as_bytes())

# 5. Nothing to find: redaction must give the same bytes.
clean = EmailMessage()
head(clean, "M\u00f8tereferat", "clean-5")
clean.set_content("Referat fra m\u00f8tet: ordre 4500012345, faktura 2026-11-23.\nTlf 22 33 44 55.\n",
                  cte="quoted-printable")
write("clean.eml", clean.as_bytes())

# 6. An mbox with three messages; the second quotes a body line ">From ".
msgs = []
for i, text in enumerate(["Hei, fnr 15108695088.\n",
                          "Svar p\u00e5 saka.\n>From the archive: nothing here.\n",
                          "Hetu 131052-308T, kiitos.\n"], 1):
    e = EmailMessage()
    head(e, "Sak %d" % i, "mbox-%d" % i)
    e.set_content(text)
    msgs.append(b"From kari@example.no Mon Nov 23 10:00:0%d 2026\n" % i + e.as_bytes() + b"\n")
write("archive.mbox", b"".join(msgs))

# 7. A Maildir with one message in new/ and one in cur/.
e = EmailMessage()
head(e, "Passord", "maildir-7")
e.set_content("Brukernavn kari, passord: Sommer2026!\n")
write("Maildir/new/1763888400.M1P1.example", e.as_bytes())
write("Maildir/cur/1763888401.M2P1.example:2,S", clean.as_bytes())
os.makedirs(os.path.join(HERE, "Maildir", "tmp"), exist_ok=True)
