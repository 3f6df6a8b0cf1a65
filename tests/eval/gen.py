#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Adversarial recall corpus for nordpii (issue 11).

    /usr/bin/python3 tests/eval/gen.py --seed 11 --count 600 --out /tmp/eval

Writes tickets, mails and exports in nb/nn/sv/da/fi/is/en with planted
identifiers (every type nordpii redacts by default, in every written variant,
carrier and label kind) and hard decoys, plus one ground-truth manifest per
corpus file (`<file>.manifest.json`). Deterministic per seed. Standard library
and Debian python3-stdnum only. Scored by score.py; see README "Recall evaluation".

Fairness rules (checked here, a value that breaks them is regenerated):
- every planted value is valid by shared/spec/identifiers.md and cross-checked
  with python-stdnum where it has a validator (ids.STDNUM_DISAGREES lists the
  documented disagreements);
- unlabelled values only for types whose checksum + date evidence the spec
  calls strong enough (UNLABELLED_OK);
- decoys never pass a strong validator (ids.strong_any), so a correct engine
  must keep them;
- every planted value's and decoy's alphanumeric normal form occurs exactly
  once in its document, so the scorer can tell by presence whether it survived.
"""

import argparse
import base64
import html
import json
import os
import random
import sys
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ids  # noqa: E402
from lang import (LABELS, NEUTRAL, GREETING, FILLER, CLOSING, QUOTE_HEAD, SUBJECT,  # noqa: E402
                  DECOY_LABELS, LANGS)

REFERENCE_DATE = "2026-12-01"
WRAP = "\ue000"  # placeholder for a line break inside a value

# type -> (label family, languages it is planted in)
TYPES = {
    "no.fnr": ("no", ("nb", "nn", "en")),
    "no.dnr": ("dnr", ("nb", "nn", "en")),
    "no.hnr": ("hnr", ("nb", "nn", "en")),
    "se.pnr": ("se", ("sv", "en")),
    "se.snr": ("snr", ("sv", "en")),
    "dk.cpr": ("dk", ("da", "en")),
    "dk.cpr-nomod11": ("dk", ("da", "en")),
    "fi.hetu": ("fi", ("fi", "sv", "en")),
    "fi.hetu-2023": ("fi", ("fi", "sv", "en")),
    "is.kt": ("is", ("is", "en")),
    "passport.no": ("pass", ("nb", "nn", "en")),
    "passport.se": ("pass", ("sv", "en")),
    "passport.dk": ("pass", ("da", "en")),
    "passport.fi": ("pass", ("fi", "en")),
    "passport.is": ("pass", ("is", "en")),
    "no.account": ("acct", ("nb", "nn", "en")),
    "iban.no": ("iban", ("nb", "nn", "en")),
    "iban.se": ("iban", ("sv", "en")),
    "iban.dk": ("iban", ("da", "en")),
    "iban.fi": ("iban", ("fi", "en")),
    "iban.is": ("iban", ("is", "en")),
    "card": ("card", LANGS),
    "password": ("pw", LANGS),
    "partial-id": (None, LANGS),  # label family of the language's national id
}
PARTIAL_FAMILY = {"nb": "no", "nn": "no", "en": "no", "sv": "se", "da": "dk", "fi": "fi", "is": "is"}

NO_VARIANTS = ["compact", "hyphen", "space", "grouped", "dots", "nbsp", "thin", "zw", "fullwidth", "ndash",
               "wrap", "quoted", "quoted_wrap"]
DKIS_VARIANTS = ["hyphen", "compact", "space", "nbsp", "ndash", "zw", "fullwidth", "wrap", "quoted", "quoted_wrap"]
VARIANTS = {
    "no.fnr": NO_VARIANTS, "no.dnr": [x for x in NO_VARIANTS if x != "dots"],
    "no.hnr": [x for x in NO_VARIANTS if x != "dots"],  # DD.MM.YY only for real dates
    "se.pnr": ["hyphen", "compact", "space", "century12", "century12c", "nbsp", "ndash", "zw", "fullwidth", "wrap",
               "quoted", "quoted_wrap"],
    "dk.cpr": DKIS_VARIANTS, "dk.cpr-nomod11": DKIS_VARIANTS, "is.kt": DKIS_VARIANTS,
    "fi.hetu": ["standard", "lower", "fullwidth", "zw", "quoted"],
    "no.account": ["compact", "dots", "space", "nbsp", "fullwidth", "wrap", "quoted", "quoted_wrap"],
    "iban": ["compact", "space", "nbsp", "wrap", "quoted", "quoted_wrap"],
    "card": ["compact", "space", "hyphen", "nbsp", "thin", "fullwidth", "wrap", "quoted", "quoted_wrap"],
    "passport": ["standard", "fullwidth", "quoted"],
    "password": ["standard", "quoted"],
}
VARIANTS["partial-id"] = ["stars", "xs"]
VARIANTS["se.snr"] = VARIANTS["se.pnr"]
VARIANTS["fi.hetu-2023"] = VARIANTS["fi.hetu"]

# Without any label, only where the spec's base rates make the value itself
# strong evidence (section 9/10): NO 11 digits with both mod-11 checks and a
# date; SE Luhn + date written with its hyphen or as 12 digits; DK with mod 11
# and IS with its check digit written with the hyphen; HETU (century sign +
# check character); IBAN (country + mod 97); cards written in groups.
UNLABELLED_OK = {
    "no.fnr": set(NO_VARIANTS), "no.dnr": set(NO_VARIANTS), "no.hnr": set(NO_VARIANTS),
    "se.pnr": {"hyphen", "century12", "century12c", "ndash", "fullwidth", "quoted"},
    "se.snr": {"hyphen", "century12", "century12c", "ndash", "fullwidth", "quoted"},
    "dk.cpr": {"hyphen", "ndash", "fullwidth", "quoted"},
    "is.kt": {"hyphen", "ndash", "fullwidth", "quoted"},
    "fi.hetu": set(VARIANTS["fi.hetu"]), "fi.hetu-2023": set(VARIANTS["fi.hetu"]),
    "iban": set(VARIANTS["iban"]),
    "card": {"space", "hyphen", "nbsp", "thin", "fullwidth", "quoted"},
}

# Written variants that an 8-bit charset can carry.
LATIN1_VARIANTS = {"compact", "hyphen", "space", "grouped", "dots", "nbsp", "wrap", "quoted", "quoted_wrap",
                   "century12", "century12c", "standard", "lower"}
CP1252_VARIANTS = LATIN1_VARIANTS | {"ndash"}

CARRIERS = ["text", "mail_plain", "mail_qp", "mail_b64", "mail_html", "mail_cp1252", "mail_latin1",
            "mail_rfc822", "mail_subject", "mail_csv", "ticket_jsonl", "ticket_json", "csv"]


def vclass(t):
    if t.startswith("iban."):
        return "iban"
    if t.startswith("passport."):
        return "passport"
    return t


def fullwidth(s):
    """Full-width forms of ASCII digits, letters and '-' (NFKC maps them back)."""
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if ("0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z" or c == "-")
                   else c for c in s)


def norm(s):
    """The scorer's normal form: NFKC, upper case, ASCII letters and digits only."""
    s = unicodedata.normalize("NFKC", s).upper()
    return "".join(c for c in s if ("0" <= c <= "9") or ("A" <= c <= "Z"))


def masked(t, n):
    if t == "password":
        return "********"
    if t == "partial-id":
        return n[:2] + "*" * (len(n) - 2)
    keep = 2 if t.startswith("passport") else 4 if t == "no.account" else 6
    return n[:keep] + "*" * max(0, len(n) - keep)


# ------------------------------------------------------------ planted values
def make_value(rng, t, lang):
    """Returns (canonical compact value for stdnum, groups, extra)."""
    if t in ("no.fnr", "no.dnr", "no.hnr"):
        v, g = ids.no_person(rng, t)
        return v, g, {}
    if t in ("se.pnr", "se.snr"):
        v, g, century = ids.se_person(rng, t)
        return v, g, {"century": century}
    if t == "dk.cpr":
        v, g = ids.dk_cpr(rng)
        return v, g, {}
    if t == "dk.cpr-nomod11":
        v, g = ids.dk_cpr(rng, nomod11=True)
        return v, g, {}
    if t in ("fi.hetu", "fi.hetu-2023"):
        v, g = ids.fi_hetu(rng, t == "fi.hetu-2023")
        return v, g, {}
    if t == "is.kt":
        v, g = ids.is_kt(rng)
        return v, g, {}
    if t.startswith("passport."):
        v, g = ids.passport(rng, t.split(".")[1])
        return v, g, {}
    if t == "no.account":
        v, g = ids.no_account(rng)
        return v, g, {}
    if t.startswith("iban."):
        v, g = ids.iban(rng, t.split(".")[1].upper())
        return v, g, {}
    if t == "card":
        v, g = ids.card(rng)
        return v, g, {}
    if t == "password":
        v, g = ids.password(rng, lang)
        return v, g, {}
    if t == "partial-id":  # a national id with its individual part masked (spec 1.6)
        fam = PARTIAL_FAMILY[lang]
        d = ids._date(rng, 1940, 2020)
        if fam == "se":
            date = ("%04d" % d.year if rng.random() < 0.5 else "%02d" % (d.year % 100)) + "%02d%02d" % (d.month, d.day)
        else:
            date = "%02d%02d%02d" % (d.day, d.month, d.year % 100)
        n = {"no": 5}.get(fam, 4)
        return date, [date], {"n": n, "sep": rng.choice(("-", "-", " ")) if fam != "fi" else "-"}
    raise ValueError(t)


def written(rng, t, v, groups, extra, variant):
    """The value as written (WRAP marks a line break inside it)."""
    vc = vclass(t)
    if vc == "partial-id":
        return v + extra["sep"] + ("*" if variant == "stars" else rng.choice("Xx")) * extra["n"]
    if vc in ("passport", "password"):
        return fullwidth(v) if variant == "fullwidth" else v
    if vc in ("fi.hetu", "fi.hetu-2023"):
        if variant == "lower":
            return v.lower()
        if variant == "fullwidth":
            return fullwidth(v)
        if variant == "zw":
            return v[:6] + "\u200b" + v[6:]
        return v
    if variant == "century12":
        return extra["century"] + groups[0] + "-" + groups[1]
    if variant == "century12c":
        return extra["century"] + v
    if variant == "grouped":  # 151086 95 088
        return v[:6] + " " + v[6:8] + " " + v[8:]
    if variant == "dots":
        if t == "no.account":
            return ".".join(groups)
        return v[:2] + "." + v[2:4] + "." + v[4:6] + " " + v[6:]
    default = {"no.account": " ", "iban": " ", "card": " "}.get(vc, "-")
    if vc in ("no.fnr", "no.dnr", "no.hnr") and default == "-":
        default = rng.choice(("-", " ", ""))
    sep = {
        "compact": "", "hyphen": "-", "space": " ", "nbsp": "\u00a0", "thin": rng.choice(("\u2009", "\u202f")),
        "zw": "\u200b", "ndash": "\u2013", "fullwidth": default, "quoted": default, "wrap": default,
        "quoted_wrap": default,
    }[variant]
    if vc == "card" and variant == "compact":
        sep = ""
    parts = list(groups)
    out = parts[0]
    mid = len(parts) // 2
    for i, p in enumerate(parts[1:], 1):
        s = sep
        if variant in ("wrap", "quoted_wrap") and i == mid:
            s = WRAP
        elif variant in ("wrap", "quoted_wrap") and vc in ("iban", "card", "no.account"):
            s = " " if vc != "no.account" else "."
        out += s + p
    if variant == "fullwidth":
        out = fullwidth(out)
    return out


def pick_label_kind(rng, t, variant, structural):
    """structural: 'column' / 'json_key' / 'custom_field' / None (free text)."""
    ok_none = variant in UNLABELLED_OK.get(vclass(t) if vclass(t) in ("iban",) else t, ())
    if structural == "custom_field":
        return "none" if ok_none else None
    if structural in ("column", "json_key"):
        return structural
    kinds = ["same_line", "same_line", "prev_line", "phrase", "phrase"]
    if ok_none:
        kinds += ["none", "none"]
    return rng.choice(kinds)


def make_planted(rng, lang, structural=None, carrier=""):
    for _ in range(200):
        candidates = [t for t, (_, langs) in TYPES.items() if lang in langs]
        t = rng.choice(candidates)
        variants = VARIANTS[vclass(t)]
        if structural:  # a field value: no quote prefix
            variants = [x for x in variants if x not in ("quoted", "quoted_wrap")]
        if carrier == "mail_latin1":
            variants = [x for x in variants if x in LATIN1_VARIANTS]
        elif carrier == "mail_cp1252":
            variants = [x for x in variants if x in CP1252_VARIANTS]
        if carrier == "mail_subject" and structural == "subject":
            variants = [x for x in variants if "wrap" not in x and "quoted" not in x]
        if not variants:
            continue
        variant = rng.choice(variants)
        kind = pick_label_kind(rng, t, variant, structural if structural != "subject" else None)
        if kind is None:
            continue
        if structural == "subject" and kind == "prev_line":
            kind = "same_line"
        v, groups, extra = make_value(rng, t, lang)
        oracle = ids.stdnum_check(t, v)
        if oracle is False and t not in ids.STDNUM_DISAGREES:
            raise AssertionError("generated value rejected by python-stdnum: type %s" % t)
        w = written(rng, t, v, groups, extra, variant)
        fam = TYPES[t][0] or PARTIAL_FAMILY[lang]
        labels = LABELS[fam][lang]
        item = {"role": "planted", "type": t, "variant": variant, "label_kind": kind, "lang": lang,
                "norm": norm(w.replace(WRAP, "")), "masked": "", "stdnum": oracle, "written": w}
        if kind == "same_line":
            item["template"] = rng.choice(labels["same"])
        elif kind == "phrase":
            item["template"] = rng.choice(labels["phrase"])
        elif kind == "prev_line":
            item["template"] = rng.choice(labels["prev"]) + "\n{v}"
        elif kind in ("column", "json_key"):
            item["key"] = rng.choice(labels["key"])
            item["template"] = "{v}"
        elif structural == "custom_field":
            item["template"] = "{v}"
        else:
            item["template"] = rng.choice(NEUTRAL[lang])
        if t == "password" and item["template"].endswith("{v}.") :
            item["template"] = item["template"][:-1]
        item["masked"] = masked(t, item["norm"])
        return item
    raise RuntimeError("no plantable type for %s/%s" % (lang, structural))


# ------------------------------------------------------------------- decoys
def _digits(rng, n, first="123456789"):
    return rng.choice(first) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _orgnr_no(rng):
    while True:
        base = rng.choice("89") + "".join(str(rng.randint(0, 9)) for _ in range(7))
        k = ids._mod11((3, 2, 7, 6, 5, 4, 3, 2), base)
        if k != 10:
            v = base + str(k)
            return v[:3] + " " + v[3:6] + " " + v[6:]


def decoy_value(rng, kind, lang):
    if kind == "order":
        return _digits(rng, rng.choice((8, 9, 10, 11, 12)))
    if kind == "invoice":
        return rng.choice(("2026-%06d" % rng.randint(1, 999999), _digits(rng, 10), "F%07d" % rng.randint(1, 9999999)))
    if kind == "kid":
        p = _digits(rng, rng.choice((9, 10, 12, 14)))
        return p + ids.luhn_check_digit(p)
    if kind == "customer":
        return _digits(rng, rng.choice((6, 7, 10, 11)))
    if kind == "timestamp":
        ts = rng.randint(1700000000, 1830000000)
        return rng.choice((str(ts), "2026-%02d-%02d %02d:%02d:%02d" % (rng.randint(1, 12), rng.randint(1, 28),
                                                                         rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
                           "2026%02d%02d%02d%02d%02d" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                                         rng.randint(0, 59), rng.randint(0, 59))))
    if kind == "phone":
        c = {"nb": "no", "nn": "no", "sv": "se", "da": "dk", "fi": "fi", "is": "is"}.get(lang, rng.choice(("no", "se", "dk")))
        if c == "no":
            d = rng.choice("49") + "".join(str(rng.randint(0, 9)) for _ in range(7))
            return rng.choice(("+47 %s %s %s" % (d[:3], d[3:5], d[5:]), "%s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:]), d))
        if c == "se":
            d = "".join(str(rng.randint(0, 9)) for _ in range(7))
            pre = rng.choice(("070", "072", "073", "076", "079"))
            return rng.choice(("%s-%s %s %s" % (pre, d[:3], d[3:5], d[5:]), "+46 (0)%s %s %s %s" % (pre[1:], d[:3], d[3:5], d[5:]),
                               "%s-%s" % (pre, d)))
        if c == "dk":
            d = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
            return rng.choice(("+45 %s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:]), "%s %s" % (d[:4], d[4:])))
        if c == "fi":
            d = "".join(str(rng.randint(0, 9)) for _ in range(7))
            return rng.choice(("04%d %s %s" % (rng.randint(0, 8), d[:3], d[3:]), "+358 4%d %s" % (rng.randint(0, 8), d)))
        d = rng.choice("678") + "".join(str(rng.randint(0, 9)) for _ in range(6))
        return rng.choice(("+354 %s %s" % (d[:3], d[3:]), "%s %s" % (d[:3], d[3:])))
    if kind == "amount":
        a = rng.randint(1000, 9999999)
        cents = rng.randint(0, 99)
        s = "{:,}".format(a)
        return rng.choice(("kr " + s.replace(",", " ") + ",%02d" % cents, s.replace(",", " ") + ",%02d NOK" % cents,
                           s.replace(",", ".") + ",%02d SEK" % cents, "EUR " + s + ".%02d" % cents))
    if kind == "ip":
        return "%d.%d.%d.%d" % (rng.choice((10, 192, 172, 185, 151)), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
    if kind == "oneoff":
        base = rng.choice(("no", "se", "dk", "iban", "card"))
        if base == "no":
            v, _ = ids.no_person(rng, "no.fnr")
        elif base == "se":
            v, _, _ = ids.se_person(rng, "se.pnr")
            v = v[:6] + "-" + v[6:]
        elif base == "dk":
            v, _ = ids.dk_cpr(rng)
            v = v[:6] + "-" + v[6:]
        elif base == "iban":
            v, _ = ids.iban(rng, "NO")
        else:
            v, _ = ids.card(rng)
        pos = [i for i, c in enumerate(v) if c.isdigit() and i >= 2]
        i = rng.choice(pos)
        return v[:i] + str((int(v[i]) + rng.randint(1, 9)) % 10) + v[i + 1:]
    if kind == "longrun":
        v, _ = ids.no_person(rng, "no.fnr") if rng.random() < 0.5 else ids.se_person(rng, "se.pnr")[:2]
        if rng.random() < 0.5:
            return _digits(rng, rng.randint(2, 4)) + v + "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(0, 3)))
        return rng.choice(("SN", "AB", "X", "REF")) + v + rng.choice(("", "NO", "X", "SE"))
    if kind == "tracking":
        return rng.choice("ACELRUV") + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + _digits(rng, 9, "0123456789") + rng.choice(("NO", "SE", "DK", "FI", "IS"))
    if kind == "version":
        return "%d.%d.%d.%d" % (rng.randint(1, 20), rng.randint(0, 9), rng.randint(0, 9), rng.randint(1000, 9999))
    if kind == "date":
        return rng.choice(("%02d.%02d.2026 kl. %02d:%02d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(8, 16), rng.choice((0, 15, 30, 45))),
                           "%02d.%02d.%d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(2020, 2027))))
    if kind == "dob":  # a birth date alone is not an identifier
        d = ids._date(rng, 1940, 2020)
        return rng.choice((d.strftime("%d.%m.%Y"), d.isoformat(), d.strftime("%d.%m.%y")))
    if kind == "giro":  # SE bankgiro / plusgiro: Luhn over the number
        p = _digits(rng, rng.choice((6, 7)))
        v = p + ids.luhn_check_digit(p)
        return v[:-4] + "-" + v[-4:] if len(v) >= 7 else v[:-1] + "-" + v[-1]
    if kind == "orgnr":
        if lang == "sv":
            while True:
                p = "55" + "".join(str(rng.randint(0, 9)) for _ in range(7))
                if int(p[2]) >= 2:
                    v = p + ids.luhn_check_digit(p)
                    return v[:6] + "-" + v[6:]
        if lang == "da":
            while True:
                p = _digits(rng, 7)
                s = sum(w * int(c) for w, c in zip((2, 7, 6, 5, 4, 3, 2), p))
                k = (-s) % 11
                if k < 10:
                    return p + str(k)
        if lang == "fi":
            while True:
                p = _digits(rng, 7)
                r = sum(w * int(c) for w, c in zip((7, 9, 10, 5, 8, 4, 2), p)) % 11
                if r != 1:
                    return p + "-" + str(0 if r == 0 else 11 - r)
        if lang == "is":
            return "%05d" % rng.randint(10000, 99999)
        return _orgnr_no(rng)
    raise ValueError(kind)


DECOY_KINDS = ["order", "invoice", "kid", "customer", "timestamp", "phone", "amount", "ip", "oneoff", "longrun",
               "tracking", "version", "date", "orgnr", "dob", "giro"]


def decoy_fair(kind, value):
    """A decoy must not be a value a correct engine may redact."""
    digits = "".join(c for c in value if c.isdigit())
    if kind == "oneoff":
        # One digit off a valid id: must fail every validator, the date-only ones too.
        if any(c.isalpha() for c in value):
            return not ids.iban_ok(value)
        return not ids.strong_any(digits) and not ids.weak_any(digits) and not ids.luhn_ok(digits)
    if kind == "longrun":
        return not ids.strong_any(digits) and not ids.weak_any(digits)
    if ids.strong_any(digits):
        return False
    # every digit group (a value may be read without its separators) too
    for g in value.replace("-", " ").replace(".", " ").split():
        g = "".join(c for c in g if c.isdigit())
        if g and ids.strong_any(g):
            return False
    return True


def make_decoy(rng, lang, structural=None):
    for _ in range(500):
        kind = rng.choice(DECOY_KINDS)
        if structural and kind in ("oneoff",):
            continue
        v = decoy_value(rng, kind, lang)
        if not decoy_fair(kind, v):
            continue
        n = norm(v)
        if len(n) < 5:
            continue
        item = {"role": "decoy", "type": kind, "variant": "-", "lang": lang, "norm": n, "written": v,
                "label_kind": "column" if structural == "column" else "json_key" if structural == "json_key" else "same_line",
                "masked": n[:4] + "*" * max(0, len(n) - 4)}
        item["template"] = rng.choice(DECOY_LABELS[kind][lang]) .replace("{d}", "{v}") if not structural else "{v}"
        item["key"] = {"order": "ordrenr", "invoice": "fakturanr", "kid": "kid", "customer": "kundenr",
                       "timestamp": "timestamp", "phone": "telefon", "amount": "belop", "ip": "ip",
                       "longrun": "sporingsnr", "tracking": "sendingsnr", "version": "versjon", "date": "dato",
                       "orgnr": "orgnr", "dob": "fodselsdato", "giro": "bankgiro"}.get(kind, kind)
        return item
    raise RuntimeError("no decoy")


# ------------------------------------------------------------- text bodies
def item_lines(item, quote_head):
    """Text lines for one item in free text (WRAP becomes a line break)."""
    text = item["template"].replace("{v}", item["written"]).replace(WRAP, "\n")
    lines = text.split("\n")
    if item.get("variant") in ("quoted", "quoted_wrap"):
        return [quote_head] + ["> " + l for l in lines]
    return lines


def body_lines(rng, lang, items):
    lines = [rng.choice(GREETING[lang]), ""]
    order = list(items)
    rng.shuffle(order)
    for it in order:
        if rng.random() < 0.35:
            lines.append(rng.choice(FILLER[lang]))
        lines += item_lines(it, QUOTE_HEAD[lang])
        lines.append("")
    lines += rng.choice(CLOSING[lang]).split("\n")
    return lines


# ------------------------------------------------------------------ mail
def qp_encode(data, forced_breaks=()):
    """Quoted-printable with soft breaks at the given byte offsets (and at 76)."""
    out, line = [], ""
    forced = set(forced_breaks)
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x0A:
            out.append(line + "\n")
            line = ""
            i += 1
            continue
        nxt = data[i + 1] if i + 1 < len(data) else 0x0A
        if (33 <= b <= 126 and b != 0x3D) or (b in (0x20, 0x09) and nxt != 0x0A):
            tok = chr(b)
        else:
            tok = "=%02X" % b
        if i in forced and line:
            out.append(line + "=\n")
            line = ""
        if len(line) + len(tok) > 75:
            out.append(line + "=\n")
            line = ""
        line += tok
        i += 1
    out.append(line)
    return "".join(out)


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def rfc2047(text, rng):
    raw = text.encode("utf-8")
    if rng.random() < 0.5:
        return "=?utf-8?B?" + base64.b64encode(raw).decode() + "?="
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else "_" if b == 32 else "=%02X" % b for b in raw)
    return "=?utf-8?Q?" + q + "?="


HTML_ENT = {"\u00a0": "&nbsp;", "\u2009": "&thinsp;", "\u202f": "&#8239;", "\u200b": "&#8203;", "\u2013": "&ndash;",
            "ø": "&oslash;", "å": "&aring;", "æ": "&aelig;", "ö": "&ouml;", "ä": "&auml;"}


def html_text(s, rng):
    s = html.escape(s, quote=False)
    for k, v in HTML_ENT.items():
        if k in s and (len(k) == 1 and ord(k) > 0x2000 or k == "\u00a0" or rng.random() < 0.5):
            s = s.replace(k, v)
    return s


def html_body(rng, lang, items):
    parts = ["<html><head><style>td{padding:2px}</style></head><body>", "<p>%s</p>" % html_text(rng.choice(GREETING[lang]), rng)]
    order = list(items)
    rng.shuffle(order)
    table = []
    for it in order:
        lines = item_lines(it, QUOTE_HEAD[lang])
        if it["label_kind"] == "same_line" and ":" in it["template"] and it.get("variant") not in ("quoted", "quoted_wrap") \
                and "\n" not in it["template"] and rng.random() < 0.5:
            label, _, rest = it["template"].partition(":")
            val = rest.replace("{v}", it["written"]).strip().replace(WRAP, "\n")
            cell = "<br>\n".join(html_text(x, rng) for x in val.split("\n"))
            table.append("<tr><td>%s:</td><td>%s</td></tr>" % (html_text(label, rng), cell))
            continue
        if it.get("variant") in ("quoted", "quoted_wrap"):
            parts.append("<blockquote>" + "<br>\n".join(html_text(l, rng) for l in lines) + "</blockquote>")
            continue
        joined = "<br>\n".join(html_text(l, rng) for l in lines)
        if it["role"] == "planted" and rng.random() < 0.3 and it["written"][:6].isdigit():
            head = html_text(it["written"][:6], rng)
            i = joined.find(head)
            if i >= 0:
                joined = joined[:i] + "<span>" + head + "</span>" + joined[i + len(head):]
        parts.append("<p>" + joined + "</p>")
    if table:
        parts.append("<table>" + "\n".join(table) + "</table>")
    parts.append("<p>" + "<br>".join(html_text(x, rng) for x in rng.choice(CLOSING[lang]).split("\n")) + "</p></body></html>")
    return "\n".join(parts) + "\n"


def headers(doc_id, subject, rng, extra=()):
    if not subject.isascii():  # as mail clients send it
        subject = rfc2047(subject, rng)
    h = ["From: Kunde <kunde@example.no>", "To: support@example.com", "Subject: " + subject,
         "Date: Thu, %02d Nov 2026 10:%02d:00 +0100" % (rng.randint(1, 28), rng.randint(0, 59)),
         "Message-ID: <%s@eval.example>" % doc_id, "X-Eval-Doc: " + doc_id, "MIME-Version: 1.0"]
    return "\n".join(list(h) + list(extra)) + "\n"


def mail_message(rng, doc_id, lang, carrier, items, subject_item, text):
    subject = SUBJECT[lang]
    if subject_item is not None:
        subject = rfc2047(SUBJECT[lang] + " - " + subject_item["template"].replace("{v}", subject_item["written"]), rng)
    if carrier in ("mail_plain", "mail_subject"):
        return headers(doc_id, subject, rng, ["Content-Type: text/plain; charset=utf-8",
                                              "Content-Transfer-Encoding: 8bit"]) + "\n" + text
    if carrier == "mail_qp":
        data = text.encode("utf-8")
        forced = []
        for it in items:
            w = it["written"].replace(WRAP, "\n").encode("utf-8")
            pos = data.find(w)
            if pos >= 0 and len(w) > 1:
                k = 1 + (it["_seq"] % (len(w) - 1))
                it["qp_split"] = k
                forced.append(pos + k)
        return headers(doc_id, subject, rng, ["Content-Type: text/plain; charset=utf-8",
                                              "Content-Transfer-Encoding: quoted-printable"]) + "\n" + qp_encode(data, forced)
    if carrier == "mail_b64":
        return headers(doc_id, subject, rng, ["Content-Type: text/plain; charset=utf-8",
                                              "Content-Transfer-Encoding: base64"]) + "\n" + b64_lines(text.encode("utf-8"))
    if carrier == "mail_html":
        body = html_body(rng, lang, items)
        text = body
        if rng.random() < 0.5:
            return headers(doc_id, subject, rng, ["Content-Type: text/html; charset=utf-8",
                                                  "Content-Transfer-Encoding: quoted-printable"]) + "\n" + qp_encode(body.encode("utf-8"))
        b = "b-" + doc_id
        return headers(doc_id, subject, rng, ['Content-Type: multipart/alternative; boundary="%s"' % b]) + "\n" + \
            "--%s\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n--%s--\n" % (b, body, b)
    if carrier in ("mail_cp1252", "mail_latin1"):
        cs = "windows-1252" if carrier == "mail_cp1252" else "iso-8859-1"
        data = text.encode("cp1252" if carrier == "mail_cp1252" else "latin-1")
        if rng.random() < 0.5:
            return (headers(doc_id, subject, rng, ["Content-Type: text/plain; charset=" + cs,
                                                   "Content-Transfer-Encoding: quoted-printable"]) + "\n" + qp_encode(data))
        return headers(doc_id, subject, rng, ["Content-Type: text/plain; charset=" + cs,
                                              "Content-Transfer-Encoding: 8bit"]).encode() + b"\n" + data
    if carrier == "mail_rfc822":
        inner = headers(doc_id + "-inner", subject, rng, ["Content-Type: text/plain; charset=utf-8",
                                                           "Content-Transfer-Encoding: quoted-printable"]) + "\n" + qp_encode(text.encode("utf-8"))
        inner = inner.replace("X-Eval-Doc: %s-inner\n" % doc_id, "")
        b = "fwd-" + doc_id
        fwd = {"nb": "Videresender henvendelsen under.", "nn": "Sender vidare.", "sv": "Vidarebefordrar ärendet.",
               "da": "Videresender henvendelsen.", "fi": "Välitän viestin eteenpäin.", "is": "Áframsendi erindið.",
               "en": "Forwarding the message below."}[lang]
        return headers(doc_id, "Fwd: " + SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + \
            "--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n\n--%s\nContent-Type: message/rfc822\n" \
            "Content-Disposition: attachment; filename=\"henvendelse.eml\"\n\n%s\n--%s--\n" % (b, fwd, b, inner, b)
    raise ValueError(carrier)


def csv_cell(s):
    if any(c in s for c in ',"\n;'):
        return '"' + s.replace('"', '""') + '"'
    return s


def mail_with_csv(rng, doc_id, lang, csv_items, text):
    keys = [it["key"] for it in csv_items]
    rows = [",".join(["navn"] + [csv_cell(k) for k in keys])]
    rows.append(",".join(["Kari Nordmann"] + [csv_cell(it["written"].replace(WRAP, "\n")) for it in csv_items]))
    data = ("\n".join(rows) + "\n").encode("utf-8")
    b = "csv-" + doc_id
    enc = rng.choice(("base64", "8bit", "quoted-printable"))
    payload = b64_lines(data) if enc == "base64" else qp_encode(data) if enc == "quoted-printable" else data.decode()
    return headers(doc_id, SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + \
        "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n--%s\n" \
        "Content-Type: text/csv; charset=utf-8; name=\"eksport.csv\"\nContent-Disposition: attachment; filename=\"eksport.csv\"\n" \
        "Content-Transfer-Encoding: %s\n\n%s\n--%s--\n" % (b, text, b, enc, payload, b)


# ---------------------------------------------------------------- generation
class Corpus:
    def __init__(self, out):
        self.out = out
        self.files = {}  # name -> {"carrier", "docs": [], "chunks": []}

    def add(self, name, carrier, doc, chunk):
        f = self.files.setdefault(name, {"carrier": carrier, "docs": [], "chunks": []})
        f["docs"].append(doc)
        f["chunks"].append(chunk)


def check_unique(doc_text, items):
    n = norm(doc_text)
    return all(n.count(it["norm"]) == 1 for it in items)


def strip_private(it):
    return {k: v for k, v in it.items() if not k.startswith("_") and k != "written"}


def generate(seed, count, out):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    files = {}  # name -> list of (doc manifest, raw bytes chunk)
    csv_groups = {}
    seq = 0
    for n in range(count):
        carrier = CARRIERS[n % len(CARRIERS)]
        lang = LANGS[(n // len(CARRIERS)) % len(LANGS)] if rng.random() < 0.5 else rng.choice(LANGS)
        doc_id = "d%05d" % n
        for attempt in range(50):
            planted, decoys, structured = [], [], []
            n_p, n_d = rng.randint(4, 7), rng.randint(4, 7)
            if carrier == "mail_csv":
                cols = [make_planted(rng, lang, "column") for _ in range(rng.randint(1, 3))] + \
                       [make_decoy(rng, lang, "column") for _ in range(rng.randint(1, 2))]
                rng.shuffle(cols)
                structured = cols
            elif carrier == "ticket_jsonl":
                structured = [make_planted(rng, lang, "custom_field") for _ in range(rng.randint(1, 2))] + \
                    [make_decoy(rng, lang, "custom_field") for _ in range(rng.randint(1, 2))]
            elif carrier == "ticket_json":
                structured = [make_planted(rng, lang, "json_key") for _ in range(rng.randint(1, 3))] + \
                    [make_decoy(rng, lang, "json_key") for _ in range(rng.randint(1, 2))]
            elif carrier == "csv":
                structured = []  # per-file columns, below
            subject_item = make_planted(rng, lang, "subject", carrier) if carrier == "mail_subject" else None
            planted = [make_planted(rng, lang, None, carrier) for _ in range(n_p - len([s for s in structured if s["role"] == "planted"]) - (1 if subject_item else 0))]
            decoys = [make_decoy(rng, lang) for _ in range(n_d)]
            free = planted + decoys
            for it in free + structured + ([subject_item] if subject_item else []):
                it["_seq"] = seq
                seq += 1
            rec = build_doc(rng, doc_id, lang, carrier, free, structured, subject_item, csv_groups)
            all_items = free + structured + ([subject_item] if subject_item else [])
            if check_unique(rec["logical"], all_items):
                break
        else:
            raise RuntimeError("could not make %s unique" % doc_id)
        where = {id(it): "body" for it in free}
        for it in structured:
            where[id(it)] = rec["where"].get(id(it), "field")
        if subject_item:
            where[id(subject_item)] = "subject"
        items = []
        for k, it in enumerate(all_items):
            m = strip_private(it)
            m["id"] = "%s.%d" % (doc_id, k)
            m["carrier"] = carrier
            m["field"] = where[id(it)]
            items.append(m)
        doc = {"doc": doc_id, "lang": lang, "carrier": carrier, "items": items}
        files.setdefault(rec["file"], []).append((doc, rec["raw"]))
    hidden_mail_cases(random.Random(seed * 7919 + 1), files)
    # CSV exports: one file per language group, header from its first row
    write_files(out, files, csv_groups)
    write_issue_cases(out)
    write_input_carriers(out, seed, count // 10)
    write_recall16(out, seed, count // 4)
    write_recall17(out, seed, count // 4)
    write_recall21(out, seed, count // 4)
    return files


def build_doc(rng, doc_id, lang, carrier, free, structured, subject_item, csv_groups):
    where = {}
    if carrier == "text":
        lines = body_lines(rng, lang, free)
        raw = "\n".join(lines) + "\n"
        return {"file": "text.txt", "raw": raw, "logical": raw, "where": where}
    if carrier.startswith("mail_"):
        text = "\n".join(body_lines(rng, lang, free)) + "\n"
        logical = text
        if carrier == "mail_csv":
            raw = mail_with_csv(rng, doc_id, lang, structured, text)
            for it in structured:
                where[id(it)] = "attachment"
            logical += "\n" + " ".join(it["key"] + " " + it["written"] for it in structured)
        else:
            raw = mail_message(rng, doc_id, lang, carrier, free, subject_item, text)
            if subject_item is not None:
                logical += "\n" + SUBJECT[lang] + " - " + subject_item["template"].replace("{v}", subject_item["written"])
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        return {"file": "%s.mbox" % carrier, "raw": raw, "logical": logical.replace(WRAP, "\n"), "where": where}
    if carrier in ("ticket_jsonl", "ticket_json"):
        text_items = list(free)
        rng.shuffle(text_items)
        half = len(text_items) // 2
        desc = "\n".join(body_lines(rng, lang, text_items[:half]))
        comment = "\n".join(body_lines(rng, lang, text_items[half:]))
        created = "2026-11-%02dT10:00:00Z" % rng.randint(1, 28)
        if carrier == "ticket_jsonl":
            # Zendesk shape: custom_fields carry bare values (no label at all).
            rec = {"id": int(doc_id[1:]) + 1000, "subject": SUBJECT[lang], "requester_id": 4242,
                   "via": {"channel": "email"}, "created_at": created,
                   "tags": [rng.choice(("faktura", "vip", "ordre", "kunde", "konto"))],
                   "description": desc, "comments": [{"id": 1, "body": comment}], "custom_fields": []}
            for k, it in enumerate(structured):
                rec["custom_fields"].append({"id": 360000 + k, "value": it["written"].replace(WRAP, "\n")})
                where[id(it)] = "custom_fields"
            tags = " ".join(rec["tags"])
        else:
            # Generic export: the JSON key is the label.
            kunde = {"navn": "Kari Nordmann"}
            for it in structured:
                while it["key"] in kunde:  # one value per key
                    it["key"] += "2"
                kunde[it["key"]] = it["written"].replace(WRAP, "\n")
                where[id(it)] = "json_key"
            rec = {"ticket_id": doc_id, "opprettet": created, "emne": SUBJECT[lang], "kunde": kunde,
                   "meldinger": [{"tekst": desc}, {"tekst": comment}]}
            tags = ""
        raw = json.dumps(rec, ensure_ascii=rng.random() < 0.3)
        logical = desc + "\n" + comment + "\n" + " ".join(
            it.get("key", "") + " " + it["written"] for it in structured) + " " + tags
        name = "tickets.jsonl" if carrier == "ticket_jsonl" else "tickets.json"
        return {"file": name, "raw": raw, "logical": logical.replace(WRAP, "\n"), "where": where}
    if carrier == "csv":
        group = csv_groups.setdefault(lang, None)
        if group is None:
            # columns for this language's export, fixed for the file
            cols = []
            for _ in range(3):
                cols.append(make_planted(rng, lang, "column"))
            cols.append(make_decoy(rng, lang, "column"))
            group = csv_groups[lang] = {"keys": [c["key"] for c in cols], "types": [(c["role"], c["type"]) for c in cols]}
        row_items = []
        for (role, t), key in zip(group["types"], group["keys"]):
            if role == "planted":
                it = make_planted_type(rng, lang, t, key)
            else:
                it = make_decoy_kind(rng, lang, t, key)
            row_items.append(it)
            where[id(it)] = "column"
        structured.extend(row_items)
        for it in structured:
            it["_seq"] = 0
        comment = "\n".join(body_lines(rng, lang, free))
        cells = [doc_id, "2026-11-%02d" % rng.randint(1, 28), SUBJECT[lang], comment] + \
            [it["written"].replace(WRAP, "\n") for it in row_items]
        raw = ",".join(csv_cell(c) for c in cells) + "\n"
        logical = comment + "\n" + " ".join(it["written"] for it in row_items) + " " + " ".join(group["keys"])
        return {"file": "export_%s.csv" % lang, "raw": raw, "logical": logical.replace(WRAP, "\n"), "where": where,
                "header": ["ticket_id", "created", "subject", "comment"] + group["keys"]}
    raise ValueError(carrier)


# ------------------------------------------- mail carriers readers do not show
# Text that is in a message but not in its visible body (hostile review
# 2026-12-03): HTML attribute values, comments, a value split by a hidden
# span, an RFC 2231 file name (continuations / percent-encoded), a multipart
# preamble and epilogue, a multipart with no delimiter line, and an
# application/octet-stream part (text, or text runs inside binary bytes).
HIDDEN_CARRIERS = ["mail_html_attr", "mail_html_comment", "mail_html_hidden", "mail_rfc2231", "mail_preamble",
                   "mail_nodelim", "mail_octet"]
HIDDEN_DOCS_PER_CARRIER = 9


def _hidden_planted(rng, lang, carrier):
    """A planted item that fits the carrier: at least 6 digits (attribute and
    comment text is read when it holds a number); a file name holds the value
    alone, so only values strong enough without a label."""
    for _ in range(500):
        it = make_planted(rng, lang, None, carrier)
        if it["type"] == "password" or sum(c.isdigit() for c in it["norm"]) < 6:
            continue
        if carrier == "mail_rfc2231" and (it["label_kind"] != "none" or it["variant"] in ("quoted", "quoted_wrap")
                                          or "wrap" in it["variant"]):
            continue
        if carrier == "mail_html_hidden" and (it["variant"] in ("quoted", "quoted_wrap") or "wrap" in it["variant"]
                                              or not any(c.isdigit() for c in it["written"][:3])):
            continue
        return it
    raise RuntimeError("no planted value for " + carrier)


def _hidden_doc(rng, doc_id, lang, carrier, items):
    """The raw message (bytes) and its logical text for one document."""
    text = "\n".join(body_lines(rng, lang, items)).replace(WRAP, "\n") + "\n"
    b = "h-" + doc_id
    greet = html.escape(rng.choice(GREETING[lang]))
    if carrier in ("mail_html_attr", "mail_html_comment"):
        parts = ["<html><body><p>%s</p>" % greet]
        for k, it in enumerate(items):
            line = html.escape("\n".join(item_lines(it, QUOTE_HEAD[lang])), quote=True)
            if carrier == "mail_html_comment":
                parts.append("<!-- %s -->" % line.replace("--", "- -"))
            elif k % 4 == 0:
                parts.append('<p><img src="cid:logo" alt="%s"></p>' % line)
            elif k % 4 == 1:
                parts.append('<p><span title="%s">Se vedlegg.</span></p>' % line)
            elif k % 4 == 2:
                parts.append('<div data-note="%s">OK</div>' % line)
            else:
                q = urllib.parse.quote("\n".join(item_lines(it, QUOTE_HEAD[lang])), safe="")
                parts.append('<p><a href="mailto:support@example.com?subject=%s">Svar</a></p>' % q)
        body = "\n".join(parts) + "\n</body></html>\n"
        raw = headers(doc_id, SUBJECT[lang], rng, ["Content-Type: text/html; charset=utf-8",
                                                   "Content-Transfer-Encoding: 8bit"]) + "\n" + body
        return raw.encode("utf-8"), text
    if carrier == "mail_html_hidden":
        parts = ["<html><body><p>%s</p>" % greet]
        for it in items:
            w = it["written"]
            k = 1 + it["_seq"] % max(1, min(len(w) - 1, 8))
            hidden = '<span style="display:none">%s</span>' % rng.choice(("x", "&nbsp;", "0", "-"))
            line = html.escape(it["template"].replace("{v}", "\ue001")).replace(
                "\ue001", html.escape(w[:k]) + hidden + html.escape(w[k:]))
            parts.append("<p>%s</p>" % line.replace("\n", "<br>\n"))
        body = "\n".join(parts) + "\n</body></html>\n"
        raw = headers(doc_id, SUBJECT[lang], rng, ["Content-Type: text/html; charset=utf-8",
                                                   "Content-Transfer-Encoding: 8bit"]) + "\n" + body
        return raw.encode("utf-8"), text
    if carrier == "mail_rfc2231":
        atts = []
        for k, it in enumerate(items):
            name = "kunde-%s.dat" % it["written"]
            cut = len("kunde-") + max(1, len(it["written"]) // 2)
            pct = lambda x: "".join("%%%02X" % c for c in x.encode("utf-8"))  # noqa: E731
            if k % 3 == 0 and name.isascii():  # continuations, quoted
                disp = 'attachment; filename*0="%s";\n filename*1="%s"' % (name[:cut], name[cut:])
            elif k % 3 == 1:  # extended continuations, percent-encoded
                disp = "attachment; filename*0*=UTF-8''%s;\n filename*1*=%s" % (pct(name[:cut]), pct(name[cut:]))
            else:  # one extended value, every byte percent-encoded
                disp = "attachment; filename*=UTF-8''%s" % pct(name)
            atts.append("--%s\nContent-Type: application/octet-stream\nContent-Disposition: %s\n"
                        "Content-Transfer-Encoding: base64\n\n%s\n" % (b, disp, b64_lines(b"\x00\x01\x02\x03")))
        raw = headers(doc_id, SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + \
            "--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n" % (b, greet) + "".join(atts) + "--%s--\n" % b
        return raw.encode("utf-8"), " ".join("kunde-%s.dat" % it["written"] for it in items)
    if carrier == "mail_preamble":
        half = len(items) // 2
        pre = "\n".join(body_lines(rng, lang, items[:half])).replace(WRAP, "\n")
        epi = "\n".join(body_lines(rng, lang, items[half:])).replace(WRAP, "\n")
        raw = headers(doc_id, SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + \
            "%s\n--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n--%s--\n%s\n" % (pre, b, greet, b, epi)
        return raw.encode("utf-8"), pre + "\n" + epi
    if carrier == "mail_nodelim":
        raw = headers(doc_id, SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + text
        return raw.encode("utf-8"), text
    if carrier == "mail_octet":
        data = text.encode("utf-8")
        if int(doc_id[1:]) % 2:  # the text as runs inside binary bytes
            data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00" + b"\x00\x07".join(data.split(b"\n")) + b"\x00\xff\x01"
        raw = headers(doc_id, SUBJECT[lang], rng, ['Content-Type: multipart/mixed; boundary="%s"' % b]) + "\n" + \
            "--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n--%s\nContent-Type: application/octet-stream; " \
            "name=\"data.bin\"\nContent-Disposition: attachment; filename=\"data.bin\"\n" \
            "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n" % (b, greet, b, b64_lines(data), b)
        return raw.encode("utf-8"), text
    raise ValueError(carrier)


def hidden_mail_cases(rng, files):
    """Adds mail_hidden.mbox to `files`: HIDDEN_DOCS_PER_CARRIER documents per
    hidden carrier, 3 planted values each (no decoys: those carriers add no
    new way to keep one)."""
    n = 0
    for carrier in HIDDEN_CARRIERS:
        for _ in range(HIDDEN_DOCS_PER_CARRIER):
            lang = LANGS[n % len(LANGS)]
            doc_id = "d8%04d" % n
            n += 1
            for attempt in range(50):
                items = [_hidden_planted(rng, lang, carrier) for _ in range(3)]
                for k, it in enumerate(items):
                    it["_seq"] = rng.randint(0, 1000)
                raw, logical = _hidden_doc(rng, doc_id, lang, carrier, items)
                if check_unique(logical, items) and check_unique(logical + " " + SUBJECT[lang], items):
                    break
            else:
                raise RuntimeError("could not make %s unique" % doc_id)
            field = {"mail_rfc2231": "filename", "mail_octet": "attachment"}.get(carrier, "body")
            manifest_items = []
            for k, it in enumerate(items):
                m = strip_private(it)
                m.update({"id": "%s.%d" % (doc_id, k), "carrier": carrier, "field": field})
                manifest_items.append(m)
            files.setdefault("mail_hidden.mbox", []).append(
                ({"doc": doc_id, "lang": lang, "carrier": carrier, "items": manifest_items}, raw))


def make_planted_type(rng, lang, t, key):
    for _ in range(500):
        it = make_planted(rng, lang, "column")
        if it["type"] == t:
            it["key"] = key
            return it
    raise RuntimeError(t)


def make_decoy_kind(rng, lang, kind, key):
    for _ in range(2000):
        it = make_decoy(rng, lang, "column")
        if it["type"] == kind:
            it["key"] = key
            return it
    raise RuntimeError(kind)


def write_files(out, files, csv_groups):
    for name in sorted(files):
        entries = files[name]
        path = os.path.join(out, name)
        docs = []
        with open(path, "wb") as f:
            if name.endswith(".mbox"):
                for k, (doc, raw) in enumerate(entries, 1):
                    f.write(b"From eval@example.invalid Thu Nov 12 10:00:00 2026\n")
                    f.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    f.write(b"\n")
                    doc["index"] = k
                    docs.append(doc)
            elif name.endswith(".jsonl"):
                for k, (doc, raw) in enumerate(entries, 1):
                    f.write(raw.encode("utf-8") + b"\n")
                    doc["index"] = k
                    docs.append(doc)
            elif name.endswith(".json"):
                f.write(b"[\n")
                for k, (doc, raw) in enumerate(entries, 1):
                    f.write(raw.encode("utf-8") + (b",\n" if k < len(entries) else b"\n"))
                    doc["index"] = k
                    docs.append(doc)
                f.write(b"]\n")
            elif name.endswith(".csv"):
                lang = name[len("export_"):-len(".csv")]
                keys = csv_groups[lang]["keys"]
                f.write((",".join(csv_cell(c) for c in ["ticket_id", "created", "subject", "comment"] + keys) + "\n").encode())
                for k, (doc, raw) in enumerate(entries, 1):
                    f.write(raw.encode("utf-8"))
                    doc["index"] = k
                    docs.append(doc)
            else:  # text: documents separated by a rule line naming the doc
                line = 1
                for doc, raw in entries:
                    head = "\n===== %s =====\n\n" % doc["doc"]
                    f.write(head.encode())
                    line += head.count("\n")
                    doc["lines"] = [line, line + raw.count("\n") - 1]
                    f.write(raw.encode("utf-8"))
                    line += raw.count("\n")
                    docs.append(doc)
        with open(path + ".manifest.json", "w", encoding="utf-8") as f:
            json.dump({"file": name, "reference_date": REFERENCE_DATE, "docs": docs}, f, ensure_ascii=False, indent=0)


# The reproducible misses quoted in issue 11 (synthetic numbers, valid by the spec),
# always part of the corpus as carrier "issue11": (type, variant, label kind, lang, text or shape).
ISSUE_CASES = [
    ("no.hnr", "compact", "none", "nb", "Fakturaen kom i går.\nDet gjelder {v}.", "12438440052"),
    ("password", "standard", "phrase", "nb", "Passordet mitt er {v}", "Fjord2025!"),
    ("passport.se", "standard", "phrase", "sv", "Mitt passnummer är {v}.", "91234567"),
    ("passport.dk", "standard", "phrase", "da", "Mit pasnummer er {v}.", "204567891"),
    ("se.pnr", "compact", "phrase", "sv", "Personnumret är {v}.", "8803200016"),
    ("no.fnr", "compact", "phrase", "nb", "Fødselsnummeret mitt er {v}.", "15108695088"),
    ("se.pnr", "wrap", "same_line", "sv", "Personnummer: {v}", "760412\n1009"),
    ("no.fnr", "grouped", "same_line", "nb", "Fødselsnummer: {v}", "151086 95 088"),
]


def write_issue_cases(out):
    """issue11.txt / .jsonl / .csv with the issue's own examples, one document each."""
    def item(doc, t, variant, kind, lang, template, w, field):
        n = norm(w)
        return {"role": "planted", "type": t, "variant": variant, "label_kind": kind, "lang": lang, "norm": n,
                "masked": masked(t, n), "stdnum": ids.stdnum_check(t, n), "template": template,
                "id": doc + ".0", "carrier": "issue11", "field": field}
    docs, raw, line = [], "", 1
    for k, (t, variant, kind, lang, template, w) in enumerate(ISSUE_CASES):
        doc = "d9%04d" % k
        head = "\n===== %s =====\n\n" % doc
        body = template.replace("{v}", w) + "\n"
        line += head.count("\n")
        docs.append({"doc": doc, "lang": lang, "carrier": "issue11", "lines": [line, line + body.count("\n") - 1],
                     "items": [item(doc, t, variant, kind, lang, template, w, "body")]})
        raw += head + body
        line += body.count("\n")
    with open(os.path.join(out, "issue11.txt"), "w", encoding="utf-8") as f:
        f.write(raw)
    _manifest(out, "issue11.txt", docs)
    # A HETU in a custom field with no label, next to a negative tag in another field.
    doc = "d90100"
    rec = {"id": 7, "requester_id": 1, "via": {"channel": "web"}, "subject": "Yhteydenotto", "description": "Moi",
           "tags": ["faktura"], "custom_fields": [{"id": 1, "value": "070389-1004"}]}
    with open(os.path.join(out, "issue11.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    _manifest(out, "issue11.jsonl", [{"doc": doc, "lang": "fi", "carrier": "issue11", "index": 1,
                                      "items": [item(doc, "fi.hetu", "standard", "none", "fi", "{v}", "070389-1004", "custom_fields")]}])
    # A Danish CPR issued without modulus 11, in a column headed cpr.
    doc = "d90200"
    with open(os.path.join(out, "issue11.csv"), "w", encoding="utf-8") as f:
        f.write("navn,cpr,by\nMette Hansen,010165-4321,Aarhus\n")
    it = item(doc, "dk.cpr-nomod11", "hyphen", "column", "da", "{v}", "010165-4321", "column")
    it["key"] = "cpr"
    _manifest(out, "issue11.csv", [{"doc": doc, "lang": "da", "carrier": "issue11", "index": 1, "items": [it]}])


# ------------------------------------------- non-mail input carriers (issues 11 and 12)
# JSON numbers (a custom field or a labelled key holding a bare number), values in
# ticket fields outside any export's field map, and UTF-16 text / Excel "Unicode
# text" TSV. Own seed stream, so the documents above do not change.
INPUT_CARRIERS = ["json_number", "ticket_unmapped", "utf16_text", "utf16_tsv"]
NUMBER_TYPES = ["no.fnr", "no.dnr", "no.hnr", "se.pnr", "dk.cpr", "is.kt", "no.account", "card"]


def _number_item(rng, lang, structural):
    """A planted value written as a JSON number (digits, no leading zero), or None."""
    for _ in range(200):
        t = rng.choice([t for t in NUMBER_TYPES if lang in TYPES[t][1]] or NUMBER_TYPES)
        if structural == "custom_field" and "compact" not in UNLABELLED_OK.get(t, ()):
            continue
        v, _, _ = make_value(rng, t, lang)
        if not v.isdigit() or v[0] == "0":
            continue
        fam = TYPES[t][0] or PARTIAL_FAMILY[lang]
        kind = "none" if structural == "custom_field" else "json_key"
        item = {"role": "planted", "type": t, "variant": "json_number", "label_kind": kind, "lang": lang,
                "norm": v, "masked": masked(t, v), "stdnum": ids.stdnum_check(t, v), "written": v, "template": "{v}"}
        if kind == "json_key":
            item["key"] = rng.choice(LABELS[fam][lang]["key"])
        return item
    return None


def _number_decoy(rng, lang):
    for _ in range(200):
        d = make_decoy(rng, lang, "json_key")
        if d["written"].isdigit() and d["written"][0] != "0":
            d["variant"] = "json_number"
            return d
    return None


def input_carrier_doc(rng, doc_id, lang, carrier):
    """(file name, raw record or text, items with their field) for one document."""
    free = [make_planted(rng, lang, None, "text") for _ in range(rng.randint(2, 4))] + \
        [make_decoy(rng, lang) for _ in range(rng.randint(2, 4))]
    if carrier in ("utf16_text", "utf16_tsv"):
        # No line wraps in a TSV cell (Excel quotes them; kept simple here).
        if carrier == "utf16_tsv":
            free = [it for it in free if WRAP not in it["written"] and "\t" not in it["written"]]
        text = "\n".join(body_lines(rng, lang, free)) + "\n"
        if carrier == "utf16_text":
            return "inputs_utf16.txt", text, [(it, "body") for it in free]
        cell = text.rstrip("\n")
        raw = doc_id + "\t" + ('"' + cell.replace('"', '""') + '"' if any(c in cell for c in '"\n\t') else cell) + "\n"
        return "inputs_utf16.tsv", raw, [(it, "column") for it in free]
    if carrier == "json_number":
        nums = [x for x in (_number_item(rng, lang, rng.choice(("custom_field", "json_key"))) for _ in range(rng.randint(1, 3))) if x]
        decs = [x for x in (_number_decoy(rng, lang) for _ in range(rng.randint(1, 2))) if x]
        rec = {"id": int(doc_id[1:]), "requester_id": 4242, "via": {"channel": "web"}, "subject": SUBJECT[lang],
               "description": "\n".join(body_lines(rng, lang, free)), "custom_fields": [], "kunde": {}}
        fields = []
        for k, it in enumerate(nums + decs):
            if it.get("label_kind") == "none" or (it["role"] == "decoy" and rng.random() < 0.5):
                rec["custom_fields"].append({"id": 360000 + k, "value": int(it["written"])})
                fields.append((it, "json_number"))
            else:
                key = it["key"]
                while key in rec["kunde"]:
                    key += "2"
                it["key"] = key
                rec["kunde"][key] = int(it["written"])
                fields.append((it, "json_number"))
        return "inputs_numbers.jsonl", json.dumps(rec, ensure_ascii=False), [(it, "body") for it in free] + fields
    if carrier == "ticket_unmapped":
        # Zendesk-shaped (requester_id, via): the values sit only in fields no
        # export map lists.
        rng.shuffle(free)
        k = len(free) // 2
        rec = {"id": int(doc_id[1:]), "requester_id": 4242, "via": {"channel": "email", "source": {"rel": None}},
               "subject": SUBJECT[lang], "description": rng.choice(GREETING[lang]),
               "metadata": {"note": "\n".join(body_lines(rng, lang, free[:k]))},
               "satisfaction_rating": {"score": "good", "comment": "\n".join(body_lines(rng, lang, free[k:]))}}
        return "inputs_unmapped.jsonl", json.dumps(rec, ensure_ascii=rng.random() < 0.3), [(it, "unmapped") for it in free]
    raise ValueError(carrier)


def write_input_carriers(out, seed, count):
    """The carriers above: count documents (at least 4 of each) in four files."""
    rng = random.Random(seed * 1000003 + 12)
    files = {}
    for n in range(max(count, 4 * len(INPUT_CARRIERS))):
        carrier = INPUT_CARRIERS[n % len(INPUT_CARRIERS)]
        lang = LANGS[(n // len(INPUT_CARRIERS)) % len(LANGS)]
        doc_id = "d8%04d" % n
        for _ in range(50):
            name, raw, placed = input_carrier_doc(rng, doc_id, lang, carrier)
            logical = raw.replace(WRAP, "\n") + " " + " ".join(it.get("key", "") for it, _ in placed)
            if check_unique(logical, [it for it, _ in placed]):
                break
        else:
            raise RuntimeError("could not make %s unique" % doc_id)
        items = []
        for k, (it, field) in enumerate(placed):
            m = strip_private(it)
            m.update({"id": "%s.%d" % (doc_id, k), "carrier": carrier, "field": field})
            items.append(m)
        files.setdefault(name, []).append(({"doc": doc_id, "lang": lang, "carrier": carrier, "items": items}, raw))
    for name, entries in sorted(files.items()):
        docs, chunks, line = [], [], 1
        for k, (doc, raw) in enumerate(entries, 1):
            if name.endswith(".txt"):
                head = "\n===== %s =====\n\n" % doc["doc"]
                line += head.count("\n")
                doc["lines"] = [line, line + raw.count("\n") - 1]
                line += raw.count("\n")
                chunks.append(head + raw)
            else:
                doc["index"] = k
                chunks.append(raw if name.endswith(".tsv") else raw + "\n")
            docs.append(doc)
        data = "".join(chunks)
        path = os.path.join(out, name)
        if name.endswith(".tsv"):
            data = "ticket_id\tnotat\n" + data
        if name.startswith("inputs_utf16"):
            # Excel's "Unicode text": UTF-16LE with a BOM; the text file without one.
            blob = (b"\xff\xfe" if name.endswith(".tsv") else b"") + data.encode("utf-16-le")
        else:
            blob = data.encode("utf-8")
        with open(path, "wb") as f:
            f.write(blob)
        _manifest(out, name, docs)


# ------------------------------------------------- recall16 (2026-12-05): hold-out style cases
# Forms a hold-out written by other people has and the families above do not:
# a label-gated value written again without its label (the repeat rule, within
# 512 input bytes, before or after the labelled copy, in the same or another
# grouping), misspelled / compound / key-style labels, a kennitala whose check
# digit fails (valid since 2026-02-18, reported only with a label), the 5-digit
# personnummer on the line after the birth date, and hard decoys: a label
# followed by a negative keyword nearer to a label-gated number ("CPR-nr.
# mangler. Ordrenummer: ..."), a birth date followed by another 5-digit number.
# Own seed stream and file, so the documents above do not change.
R16_REPEAT = {
    "dk.cpr-nomod11": {"da": (["CPR-nr.: {v}", "Mit CPR-nummer er {v}.", "Cpr.nr. {v}", "CPR-nummeret: {v}"],
                              ["Brev vedr. {v} er sendt.", "Vi har registreret {v} i systemet.", "Bekræftelse for {v} vedlagt."]),
                       "en": (["CPR number: {v}", "Her CPR-nummer is {v}."],
                              ["Letter regarding {v} was sent.", "We registered {v} today."])},
    "is.kt-nocheck": {"is": (["Kennitala: {v}", "Kennitalan mín er {v}.", "Kt. {v}"],
                             ["Greiðsla fyrir {v} móttekin.", "Umsókn {v} er í vinnslu."]),
                      "en": (["Icelandic ID number (kennitala): {v}"], ["Payment for {v} received."])},
    "no.account": {"nb": (["Kontonummer: {v}", "Kontonummeret mitt er {v}.", "Kontonr.: {v}"],
                          ["Utbetalingen går til {v} i morgen.", "Vi har registrert {v} hos oss."]),
                   "nn": (["Kontonummer: {v}", "Kontonummeret mitt er {v}."], ["Utbetalinga går til {v} i morgon."]),
                   "en": (["Bank account: {v}"], ["The refund goes to {v} tomorrow."])},
}
R16_FILLER = {"da": "Tak for din henvendelse, vi vender tilbage hurtigst muligt.",
              "is": "Takk fyrir fyrirspurnina, við svörum eins fljótt og auðið er.",
              "nb": "Takk for henvendelsen, vi svarer så snart vi kan.",
              "nn": "Takk for førespurnaden, vi svarar så snart vi kan.",
              "en": "Thank you for contacting us, we will get back to you shortly."}
R16_LABELS = {  # (label kind, template)
    "dk.cpr-nomod11": {"da": [("misspelled", "Personummer: {v}"), ("split", "Person nr.: {v}"),
                              ("split", "Person-nr.: {v}"), ("inflected", "CPR-nummeret er {v}")],
                       "en": [("abbrev", "SSN: {v}"), ("abbrev", "National ID: {v}")]},
    "is.kt-nocheck": {"is": [("misspelled", "Kenitala: {v}"), ("abbrev", "kennit. {v}"), ("inflected", "Kennitalan mín er {v}"),
                             ("inflected", "með kennitöluna {v}"), ("same_line", "Kennitala: {v}"), ("same_line", "Kt.: {v}")],
                      "en": [("abbrev", "National ID: {v}"), ("abbrev", "SSN: {v}")]},
    "no.account": {"nb": [("compound", "Lønnskonto: {v}"), ("compound", "Utbetalingskonto {v}"),
                          ("compound", "Skattetrekkskonto: {v}"), ("compound", "Sparekonto: {v}"),
                          ("abbrev", "Kto.nr.: {v}"), ("abbrev", "Kto: {v}")],
                   "nn": [("compound", "Lønnskonto: {v}"), ("compound", "Brukskonto: {v}")]},
}
R16_FORM = {"nb": ["Fødselsdato: {d}\nPersonnummer: {p}", "Født {d}. Personnummer (5 siffer): {p}",
                   "Fødselsdato {d}\nPersonnummeret er {p}"],
            "nn": ["Fødd {d}\nPersonnummer: {p}"]}
R16_NEGNEAR = {
    "dk.cpr-nomod11": {"da": ["CPR-nr. mangler. Ordrenummer: {v}", "Kunden har ikke oplyst CPR-nummer, kun telefon {v}",
                              "Ordrenummer: {v} (CPR er ikke oplyst)", "CPR-nummer følger. Pakkenummer {v}"]},
    "is.kt-nocheck": {"is": ["Kennitala vantar, pöntunarnúmer {v}", "Kennitalan kemur síðar. Sími {v}"]},
    "no.account": {"nb": ["Kontonummer kommer senere. Fakturanr. {v}", "Kontonummeret mangler, kundenummer {v}",
                          "Kontonummer: se vedlegg. KID {v}"],
                   "en": ["Account number to follow. Order no. {v}"]},
}
R16_DATE_OTHER = {"nb": ["Fødselsdato: {d}\nKundenummer: {p}", "Fødselsdato: {d}\nPostnummer: {p}",
                         "Født {d}, ordrenummer {p}"]}


def _kt_nocheck(rng):
    """A kennitala (real date, century digit) whose check digit fails: valid since 2026-02-18."""
    while True:
        b = ids.kennitala_body(rng)
        v = b[:8] + str((int(b[8]) + rng.randint(1, 9)) % 10) + b[9]
        if not ids.strong_is_kt(v) and not _r16_strong(v):
            return v


def _r16_strong(v):
    """A value a correct engine may redact without a label (also read as a HETU with '-' and a digit check)."""
    if ids.strong_any(v):
        return True
    return (len(v) == 10 and v.isdigit() and int(v[6:9]) >= 2 and ids.HETU_CHARS[int(v[:9]) % 31] == v[9]
            and ids._real_date(1900 + int(v[4:6]), int(v[2:4]), int(v[:2])))


def _r16_value(rng, t):
    for _ in range(1000):
        if t == "dk.cpr-nomod11":
            v, _ = ids.dk_cpr(rng, True)
        elif t == "is.kt-nocheck":
            v = _kt_nocheck(rng)
        else:
            v, _ = ids.no_account(rng)
        if not _r16_strong(v):
            return v
    raise RuntimeError("no value")


def _r16_written(t, v, rng):
    if t == "no.account":
        return v
    return v[:6] + rng.choice(("-", "-", " ")) + v[6:]


def _r16_item(role, t, variant, kind, lang, template, v, written):
    n = norm(written)
    it = {"role": role, "type": t, "variant": variant, "label_kind": kind, "lang": lang, "norm": n,
          "masked": masked(t, n) if role == "planted" else n[:4] + "*" * max(0, len(n) - 4), "template": template}
    if role == "planted":
        it["stdnum"] = ids.stdnum_check(t, n) if t != "is.kt-nocheck" else None
    return it


def recall16_doc(rng, n):
    """(lang, body, items) of recall16 document n."""
    fam = n % 6
    if fam in (0, 1):  # repeat: unlabelled copy after (0) or before (1) the labelled one
        t = rng.choice(sorted(R16_REPEAT))
        lang = rng.choice(sorted(R16_REPEAT[t]))
        labs, laters = R16_REPEAT[t][lang]
        v = _r16_value(rng, t)
        w = _r16_written(t, v, rng)
        w2 = rng.choice((w, v)) if t != "no.account" else v
        lab, later = rng.choice(labs).format(v=w), rng.choice(laters).format(v=w2)
        gap = "\n".join([R16_FILLER[lang]] * rng.randint(0, 5))
        parts = [lab, gap, later] if fam == 0 else [later, gap, lab]
        body = "\n".join(p for p in parts if p)
        variant = "repeat_after" if fam == 0 else "repeat_before"
        it = _r16_item("planted", t, variant, "repeat", lang, "{v} ... {v}", v, v)
        it["copies"] = 2
        return lang, body, [it]
    if fam == 2:  # misspelled / compound / key-style labels
        t = rng.choice(sorted(R16_LABELS))
        lang = rng.choice(sorted(R16_LABELS[t]))
        kind, tpl = rng.choice(R16_LABELS[t][lang])
        v = _r16_value(rng, t)
        w = _r16_written(t, v, rng)
        return lang, tpl.format(v=w), [_r16_item("planted", t, "hyphen" if "-" in w else "space" if " " in w else "compact",
                                                 kind, lang, tpl, v, w)]
    if fam == 3:  # birth date, then the 5-digit personnummer on the next line / after a parenthesis
        lang = rng.choice(sorted(R16_FORM))
        v, _ = ids.no_person(rng, "no.fnr")
        tpl = rng.choice(R16_FORM[lang])
        d = "%s.%s.%s" % (v[:2], v[2:4], v[4:6])
        return lang, tpl.format(d=d, p=v[6:]), [_r16_item("planted", "no.fnr", "date_rest", "form", lang, tpl, v, v[6:])]
    if fam == 4:  # decoy: a negative keyword nearer to a label-gated number than the label
        t = rng.choice(sorted(R16_NEGNEAR))
        lang = rng.choice(sorted(R16_NEGNEAR[t]))
        tpl = rng.choice(R16_NEGNEAR[t][lang])
        v = _r16_value(rng, t)
        w = _r16_written(t, v, rng)
        return lang, tpl.format(v=w), [_r16_item("decoy", "label_then_negative", "-", "same_line", lang, tpl, v, w)]
    # decoy: a birth date, then a 5-digit number that would complete a fødselsnummer, not labelled as one
    lang = "nb"
    v, _ = ids.no_person(rng, "no.fnr")
    tpl = rng.choice(R16_DATE_OTHER[lang])
    d = "%s.%s.%s" % (v[:2], v[2:4], v[4:6])
    return lang, tpl.format(d=d, p=v[6:]), [_r16_item("decoy", "date_then_other", "-", "same_line", lang, tpl, v, v[6:])]


def write_recall16(out, seed, count):
    """recall16.txt: count documents (at least 20 of each family), one or two values each."""
    rng = random.Random(seed * 1000003 + 16)
    docs, raw, line = [], "", 1
    for n in range(max(count, 120)):
        doc = "d7%04d" % n
        for _ in range(50):
            lang, body, items = recall16_doc(rng, n)
            if all(norm(body).count(it["norm"]) == it.get("copies", 1) for it in items):
                break
        else:
            raise RuntimeError("could not make %s unique" % doc)
        head = "\n===== %s =====\n\n" % doc
        body += "\n"
        line += head.count("\n")
        for k, it in enumerate(items):
            it.update({"id": "%s.%d" % (doc, k), "carrier": "recall16", "field": "body"})
        docs.append({"doc": doc, "lang": lang, "carrier": "recall16", "lines": [line, line + body.count("\n") - 1],
                     "items": items})
        raw += head + body
        line += body.count("\n")
    with open(os.path.join(out, "recall16.txt"), "w", encoding="utf-8") as f:
        f.write(raw)
    _manifest(out, "recall16.txt", docs)


# ------------------------------------------------- recall17 (2026-12-05): label leftovers of the reviews
# A list of labels with number words and "and" before one value ("CPR nr.,
# ordre nr. og telefon: <v>"), a negated negative keyword ("Kontonummer, ikke
# fakturanummer: <v>"), a label after the value past a verb and a possessive
# ("<v> er mit CPR-nummer"), keys written in text ("nationalId=<v>",
# "socialSecurityNumber: <v>"), the passport's "Passets nummer", and hard
# decoys of the same shapes (a clause between the labels, a negated label,
# another word or a phone label after the verb). Label-gated values only
# (CPR without modulus 11, kennitala failing its check digit, kontonummer),
# so a label is what decides. Own seed stream and file.
R17_LIST = {"dk.cpr-nomod11": {"da": ["CPR nr., ordre nr. og telefon: {v}", "CPR nr. og telefon: {v}",
                                      "CPR-nr., ordrenr. og tlf.: {v}", "CPR nummer, ordre nummer og mobil: {v}"]},
            "is.kt-nocheck": {"is": ["Kennitala, pöntunarnúmer og sími: {v}", "Kt., pöntunarnr. og sími: {v}"]},
            "no.account": {"nb": ["Kontonummer, ordre nr. og beløp: {v}", "Kontonr., KID og tlf.: {v}"],
                           "en": ["Account number, order no. and phone: {v}"]}}
R17_NEGATED = {"dk.cpr-nomod11": {"da": ["CPR-nummer, ikke ordrenummer: {v}"]},
               "is.kt-nocheck": {"is": ["Kennitala, ekki pöntunarnúmer: {v}"]},
               "no.account": {"nb": ["Kontonummer, ikke fakturanummer: {v}"], "nn": ["Kontonummer, ikkje fakturanummer: {v}"],
                              "en": ["Account number, not invoice number: {v}"]}}
R17_AFTER = {"dk.cpr-nomod11": {"da": ["{v} er mit CPR-nummer.", "Hej, {v} er også CPR-nummer."],
                                "en": ["{v} is my CPR number."]},
             "is.kt-nocheck": {"is": ["{v} er kennitalan mín.", "{v} er kennitala hans."]},
             "no.account": {"nb": ["{v} er kontonummeret mitt.", "{v} er mitt kontonummer."],
                            "en": ["{v} is my account number."]}}
R17_KEY = {"dk.cpr-nomod11": {"en": ["nationalId={v}", "socialSecurityNumber: {v}", "national_id: {v}",
                                     "nationalIdentityNumber: {v}"]},
           "no.account": {"en": ["bankAccount: {v}", "bank_account={v}"]}}
R17_PASSPORT = {"da": ["Passets nummer er {v}.", "Passets nr.: {v}"], "nb": ["Passets nummer: {v}"],
                "sv": ["Passets nummer är {v}."]}
R17_DECOY = {  # (decoy type, template)
    "dk.cpr-nomod11": {"da": [("list_clause", "CPR nr. mangler, ordre nr. {v}"), ("list_clause", "CPR nr. mangler. Tlf. {v}"),
                              ("negated_label", "Ikke CPR-nummer, men ordrenummer: {v}"),
                              ("negated_label", "{v} er ikke mit CPR-nummer"),
                              ("after_other", "{v} er mit telefonnummer"), ("after_other", "{v} er sendt med CPR-nummer")]},
    "no.account": {"nb": [("after_other", "{v} er ordrenummer, kontonummer mangler"),
                          ("list_clause", "Kontonummer kommer senere. Ref. ordrenr. {v}")]},
}
R17_FILLER = R16_FILLER


def recall17_doc(rng, n):
    """(lang, body, items) of recall17 document n."""
    fam = n % 6
    if fam == 4:  # passport, "Passets nummer"
        lang = rng.choice(sorted(R17_PASSPORT))
        c = {"da": "dk", "nb": "no", "sv": "se"}[lang]
        v, _ = ids.passport(rng, c)
        tpl = rng.choice(R17_PASSPORT[lang])
        return lang, tpl.format(v=v), [_r16_item("planted", "passport." + c, "compact", "inflected", lang, tpl, v, v)]
    if fam == 5:
        t = rng.choice(sorted(R17_DECOY))
        lang = rng.choice(sorted(R17_DECOY[t]))
        kind, tpl = rng.choice(R17_DECOY[t][lang])
        v = _r16_value(rng, t)
        while len(v) == 10 and ids.luhn_ok(v):  # also a samordningsnummer (day + 60): reported without a label
            v = _r16_value(rng, t)
        w = _r16_written(t, v, rng)
        return lang, tpl.format(v=w), [_r16_item("decoy", kind, "-", "same_line", lang, tpl, v, w)]
    table, kind = ((R17_LIST, "list"), (R17_NEGATED, "negated_negative"), (R17_AFTER, "after_phrase"),
                   (R17_KEY, "key"))[fam]
    t = rng.choice(sorted(table))
    lang = rng.choice(sorted(table[t]))
    tpl = rng.choice(table[t][lang])
    v = _r16_value(rng, t)
    w = _r16_written(t, v, rng)
    return lang, tpl.format(v=w), [_r16_item("planted", t, "hyphen" if "-" in w else "space" if " " in w else "compact",
                                             kind, lang, tpl, v, w)]


def write_recall17(out, seed, count):
    """recall17.txt: count documents (at least 20 of each family), one value each, a filler line after."""
    rng = random.Random(seed * 1000003 + 17)
    docs, raw, line = [], "", 1
    for n in range(max(count, 120)):
        doc = "d8%04d" % n
        for _ in range(50):
            lang, body, items = recall17_doc(rng, n)
            if all(norm(body).count(it["norm"]) == 1 for it in items):
                break
        else:
            raise RuntimeError("could not make %s unique" % doc)
        head = "\n===== %s =====\n\n" % doc
        body += "\n" + R17_FILLER.get(lang, R17_FILLER["en"]) + "\n"
        line += head.count("\n")
        for k, it in enumerate(items):
            it.update({"id": "%s.%d" % (doc, k), "carrier": "recall17", "field": "body"})
        docs.append({"doc": doc, "lang": lang, "carrier": "recall17", "lines": [line, line + body.count("\n") - 1],
                     "items": items})
        raw += head + body
        line += body.count("\n")
    with open(os.path.join(out, "recall17.txt"), "w", encoding="utf-8") as f:
        f.write(raw)
    _manifest(out, "recall17.txt", docs)


# ------------------------------------------------- recall21 (2026-12-05): a hold-out probe's forms
# What a probe written as the hold-out's author found (/tmp probe of 416
# values and 195 decoys in five languages): a label after the value with
# another labelled number behind a clause end ("<v> er mit CPR-nummer, ordre
# 12345") or past a genitive ("<v> er min søns CPR-nummer"), keys written in
# text in camelCase ("customerNationalId=<v>", "<refundAccount><v>"), a table
# (an HTML table as text: " | " cells; ';' rows) whose header cell stands
# several columns from the value with other cells' digits between, and hard
# decoys of those shapes: a key about the id ("nationalIdCheck=<n>",
# "cprLookupCount=<n>"), a code key after a label ("CPR: order_id=<n>"), an
# order number under its own column header beside a CPR column, a number in
# a URL after a label ("CPR-opslag: https://.../sag/<n>/log"). Label-gated
# values only, own seed stream and file.
R21_AFTER = {"dk.cpr-nomod11": {"da": ["{v} er mit CPR-nummer, ordre {o}.", "{v} er CPR-nummeret, tlf. {p}",
                                       "{v} er min søns CPR-nummer.", "{v} er min datters cpr-nummer."],
                                "sv": ["{v} är min dotters personnummer."],
                                "en": ["{v} is my CPR number, order {o}."]},
             "is.kt-nocheck": {"is": ["{v} er kennitalan mín, pöntun {o}."]},
             "no.account": {"nb": ["{v} er kontonummeret mitt, ordre {o}.", "{v} er mitt kontonummer, tlf {p}",
                                   "{v} er min mors kontonummer."],
                            "en": ["{v} is my account number. Order {o}."]}}
R21_KEY = {"dk.cpr-nomod11": {"en": ["debug: customerNationalId={v} status=ok", '{{"patientCpr": "{v}", "ok": true}}',
                                     "socialSecurityNo: {v}", "customerSSN={v}"]},
           "is.kt-nocheck": {"en": ['{{"customerKennitala": "{v}"}}']},
           "no.account": {"en": ["<refundAccount>{v}</refundAccount>", '{{"payoutAccount": "{v}"}}']}}
R21_TABLE = {"dk.cpr-nomod11": ("CPR-nr.", "CPR"), "is.kt-nocheck": ("Kennitala", "Kt."),
             "no.account": ("Kontonummer", "Kontonr.")}
R21_DECOY_KEY = ["nationalIdCheck={v}", "nationalIdCheckedAt={v}", "cprLookupCount={v}", "CPR: order_id={v}",
                 "CPR-opslag: customerId={v}", '"nationalIdVerified": true, "verifiedAt": {v}', "kennitala_status: {v}"]
R21_DECOY_URL = ["CPR-opslag: https://crm.example.dk/sag/{v}/log", "Kennitala: sjá https://thjonusta.example.is/mal/{v}",
                 "Kontonummer: se https://nettbank.example.no/sak/{v}"]


def _r21_table(rng, label, value, decoy):
    """Header row and one or two data rows; the value's column header several columns away."""
    sep = rng.choice((" | ", ";"))
    other = [("Navn", "Test Testesen"), ("Postnr.", "%04d" % rng.randint(1000, 9999)),
             ("Telefon", "%08d" % rng.randint(20000000, 99999999)), ("Adresse", "Vej %d" % rng.randint(1, 99))]
    cols = rng.sample(other, rng.randint(2, 3))
    if decoy:  # the value under an order column, the id label over another column
        hdr = [label] + [c[0] for c in cols] + ["Ordrenr."]
        row = ["mangler"] + [c[1] for c in cols] + [value]
    else:
        hdr = [c[0] for c in cols] + [label]
        row = [c[1] for c in cols] + [value]
    lines = [sep.join(hdr), sep.join(row)]
    if rng.random() < 0.5:  # another data row between the header and the value's row
        lines.insert(1, sep.join(["Anne Prøve" if c[0] == "Navn" else c[1] for c in cols] + ["-"] * (len(hdr) - len(cols))))
        if decoy:
            lines[1] = sep.join(["-"] + [c[1] for c in cols] + ["-"])
    return "\n".join(lines)


def recall21_doc(rng, n):
    """(lang, body, items) of recall21 document n."""
    fam = n % 8
    o, p = str(rng.randint(10000, 99999)), "%d %02d %02d %02d" % (rng.randint(20, 99), rng.randint(0, 99),
                                                                   rng.randint(0, 99), rng.randint(0, 99))
    if fam in (0, 1, 2, 3):
        table, kind = ((R21_AFTER, "after_clause"), (R21_KEY, "camel_key"), (None, "table"), (R21_AFTER, "after_clause"))[fam]
        if table is None:
            t = rng.choice(sorted(R21_TABLE))
            v = _r16_value(rng, t)
            w = _r16_written(t, v, rng)
            lang = {"dk.cpr-nomod11": "da", "is.kt-nocheck": "is", "no.account": "nb"}[t]
            body = _r21_table(rng, rng.choice(R21_TABLE[t]), w, False)
            return lang, body, [_r16_item("planted", t, "hyphen" if "-" in w else "space" if " " in w else "compact",
                                          kind, lang, "table", v, w)]
        t = rng.choice(sorted(table))
        lang = rng.choice(sorted(table[t]))
        tpl = rng.choice(table[t][lang])
        v = _r16_value(rng, t)
        w = _r16_written(t, v, rng)
        return lang, tpl.format(v=w, o=o, p=p), [_r16_item("planted", t, "hyphen" if "-" in w else "space" if " " in w
                                                           else "compact", kind, lang, tpl, v, w)]
    t = rng.choice(("dk.cpr-nomod11", "is.kt-nocheck", "no.account"))
    v = _r16_value(rng, t)
    while len(v) == 10 and ids.luhn_ok(v):  # also a samordningsnummer (day + 60): reported without a label
        v = _r16_value(rng, t)
    if fam in (4, 5):
        tpl = rng.choice(R21_DECOY_KEY)
        return "en", tpl.format(v=v), [_r16_item("decoy", "id_key", "-", "key", "en", tpl, v, v)]
    if fam == 6:
        body = _r21_table(rng, rng.choice(("CPR-nr.", "Kennitala", "Kontonummer")), v, True)
        return "da", body, [_r16_item("decoy", "other_column", "-", "table", "da", "table", v, v)]
    tpl = rng.choice(R21_DECOY_URL)
    return "da", tpl.format(v=v), [_r16_item("decoy", "in_url", "-", "same_line", "da", tpl, v, v)]


def write_recall21(out, seed, count):
    """recall21.txt: count documents (at least 20 of each family), one value each, a filler line after."""
    rng = random.Random(seed * 1000003 + 21)
    docs, raw, line = [], "", 1
    for n in range(max(count, 160)):
        doc = "d9%04d" % n
        for _ in range(50):
            lang, body, items = recall21_doc(rng, n)
            if all(norm(body).count(it["norm"]) == 1 for it in items):
                break
        else:
            raise RuntimeError("could not make %s unique" % doc)
        head = "\n===== %s =====\n\n" % doc
        body += "\n\n" + R17_FILLER.get(lang, R17_FILLER["en"]) + "\n"
        line += head.count("\n")
        for k, it in enumerate(items):
            it.update({"id": "%s.%d" % (doc, k), "carrier": "recall21", "field": "body"})
        docs.append({"doc": doc, "lang": lang, "carrier": "recall21", "lines": [line, line + body.count("\n") - 1],
                     "items": items})
        raw += head + body
        line += body.count("\n")
    with open(os.path.join(out, "recall21.txt"), "w", encoding="utf-8") as f:
        f.write(raw)
    _manifest(out, "recall21.txt", docs)


def _manifest(out, name, docs):
    with open(os.path.join(out, name + ".manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"file": name, "reference_date": REFERENCE_DATE, "docs": docs}, f, ensure_ascii=False, indent=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--count", type=int, default=600, help="documents (each 4-7 planted values and 4-7 decoys)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    files = generate(a.seed, a.count, a.out)
    planted = sum(1 for e in files.values() for d, _ in e for it in d["items"] if it["role"] == "planted")
    decoys = sum(1 for e in files.values() for d, _ in e for it in d["items"] if it["role"] == "decoy")
    print("gen: %d documents in %d files, %d planted, %d decoys -> %s" % (a.count, len(files), planted, decoys, a.out))
    verdicts = {}
    for e in files.values():
        for d, _ in e:
            for it in d["items"]:
                if it["role"] == "planted":
                    verdicts.setdefault(it["stdnum"], set()).add(it["type"])
                    verdicts[("n", it["stdnum"])] = verdicts.get(("n", it["stdnum"]), 0) + 1
    print("python-stdnum: %d accepted, %d rejected (documented: %s), %d without a stdnum validator (%s)" % (
        verdicts.get(("n", True), 0), verdicts.get(("n", False), 0), ", ".join(sorted(verdicts.get(False, ()))),
        verdicts.get(("n", None), 0), ", ".join(sorted(verdicts.get(None, ())))))


if __name__ == "__main__":
    main()
