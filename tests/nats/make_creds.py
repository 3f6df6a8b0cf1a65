#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Makes a NATS decentralised-auth setup for a test server, without nsc.

    make_creds.py DIR

Writes DIR/resolver.conf (operator JWT, system account, MEMORY resolver with
the account JWTs preloaded), DIR/user.creds (a user of the JetStream-enabled
account) and DIR/other.creds (a user signed by an account the server does not
know). Keys are nkeys (ed25519, base32 with a prefix byte and CRC-16); JWTs are
signed with alg ed25519-nkey, as `nsc` writes them. Only python3-cryptography.
"""
import base64
import hashlib
import json
import os
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

PREFIX = {"seed": 18 << 3, "operator": 14 << 3, "account": 0, "user": 20 << 3}


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def b32(data):
    return base64.b32encode(data).decode().rstrip("=")


class NKey:
    def __init__(self, kind):
        self.kind = kind
        self.priv = Ed25519PrivateKey.generate()
        raw = self.priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        body = bytes([PREFIX[kind]]) + raw
        self.public = b32(body + crc16(body).to_bytes(2, "little"))
        seed = self.priv.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())
        t = PREFIX[kind]
        body = bytes([PREFIX["seed"] | (t >> 5), (t & 31) << 3]) + seed
        self.seed = b32(body + crc16(body).to_bytes(2, "little"))

    def sign(self, data):
        return self.priv.sign(data)


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(issuer, subject, name, nats):
    claims = {"iat": int(time.time()), "iss": issuer.public, "name": name, "sub": subject.public, "nats": nats}
    claims["jti"] = b32(hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest())
    head = b64u(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = b64u(json.dumps(claims).encode())
    return head + "." + body + "." + b64u(issuer.sign((head + "." + body).encode()))


UNLIMITED = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True,
             "conn": -1, "leaf": -1, "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}


def creds(user_jwt, user):
    return ("-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
            "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n" % (user_jwt, user.seed))


def main():
    d = sys.argv[1]
    op, sys_acct, acct, stranger = NKey("operator"), NKey("account"), NKey("account"), NKey("account")
    user, other = NKey("user"), NKey("user")
    op_jwt = jwt(op, op, "nordpii-test", {"type": "operator", "version": 2, "system_account": sys_acct.public})
    sys_jwt = jwt(op, sys_acct, "SYS", {"type": "account", "version": 2,
                                        "limits": {k: v for k, v in UNLIMITED.items()
                                                   if k not in ("mem_storage", "disk_storage", "streams", "consumer")}})
    acct_jwt = jwt(op, acct, "scanners", {"type": "account", "version": 2, "limits": UNLIMITED})
    user_perm = {"type": "user", "version": 2, "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1}
    user_jwt = jwt(acct, user, "worker", user_perm)
    other_jwt = jwt(stranger, other, "stranger", user_perm)
    with open(os.path.join(d, "resolver.conf"), "w") as f:
        f.write("operator: %s\nsystem_account: %s\nresolver: MEMORY\nresolver_preload: {\n  %s: %s\n  %s: %s\n}\n"
                % (op_jwt, sys_acct.public, sys_acct.public, sys_jwt, acct.public, acct_jwt))
    for name, text in (("user.creds", creds(user_jwt, user)), ("other.creds", creds(other_jwt, other))):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)


if __name__ == "__main__":
    main()
