# SPDX-License-Identifier: Apache-2.0
"""Synthetic identifier values and validators for the recall evaluation.

Every generator builds a value by the rules of shared/spec/identifiers.md
(our own code, so that we can plant kinds python-stdnum 1.18 does not know:
samordningsnummer, HETU 2023 signs, passports) and `stdnum_check` cross-checks
each value against Debian's python3-stdnum where it has a validator.
Documented disagreements (spec section 11) are listed in STDNUM_DISAGREES.

The `strong_*` validators decide whether a decoy candidate must be thrown
away: a decoy must not be a number that a correct engine is entitled to
redact (a checksum-valid national id, card or IBAN), see README "Recall
evaluation".
"""

import datetime

W_FNR1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W_FNR2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
W_ACCOUNT = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
W_CPR = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
W_KT = (3, 2, 7, 6, 5, 4, 3, 2)
HETU_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
# CPR office's list of dates issued without modulus 11 (spec 4.1): 1 January of
DK_NOMOD11_YEARS = (1960, 1962, 1964, 1965, 1966, 1967, 1969, 1970, 1974, 1975, 1978,
                    1980, 1981, 1982, 1983, 1984, 1985, 1986, 1987, 1988, 1989, 1990,
                    1991, 1992, 1994, 1995)
NO_BANKS = ("1503", "1594", "1607", "1822", "2801", "3000", "3201", "4200", "5080",
            "6063", "7874", "8601", "9710", "1205", "1254", "9365", "1645", "2050")
PASSPORT_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# Kinds python-stdnum 1.18 (Debian 12) rejects although the spec accepts them.
STDNUM_DISAGREES = {
    "se.snr": "spec 11 #11: python-stdnum 1.18 has no day+60 samordningsnummer",
    "fi.hetu-2023": "spec 11 #17: python-stdnum 1.18 predates the 2023 century signs",
}


def _date(rng, y0, y1):
    start = datetime.date(y0, 1, 1).toordinal()
    end = datetime.date(y1, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def _mod11(weights, digits):
    s = sum(w * int(d) for w, d in zip(weights, digits))
    k = 11 - s % 11
    return 0 if k == 11 else k  # 10 = not issued


def luhn_check_digit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(digits):
    return digits.isdigit() and luhn_check_digit(digits[:-1]) == digits[-1]


def iban_check(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return "%02d" % (98 - int(num) % 97)


def iban_ok(s):
    s = s.upper()
    if len(s) < 15 or not s[:2].isalpha():
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


# ---------------------------------------------------------------- generators
# Each returns (canonical written form, groups) where groups are the digit
# groups people separate (the written-variant renderer joins them).

def no_person(rng, kind):
    while True:
        d = _date(rng, 1940, 2024)
        if d.year < 2000:
            ind = rng.randint(0, 499) if rng.random() < 0.8 else rng.randint(900, 999)
        else:
            ind = rng.randint(500, 999)
        day = d.day + (40 if kind == "no.dnr" else 0)
        month = d.month + (40 if kind == "no.hnr" else 0)
        base = "%02d%02d%02d%03d" % (day, month, d.year % 100, ind)
        k1 = _mod11(W_FNR1, base)
        if k1 == 10:
            continue
        k2 = _mod11(W_FNR2, base + str(k1))
        if k2 == 10:
            continue
        v = base + str(k1) + str(k2)
        return v, [v[:6], v[6:]]


def se_person(rng, kind):
    d = _date(rng, 1930, 2024)
    day = d.day + (60 if kind == "se.snr" else 0)
    base = "%02d%02d%02d%03d" % (d.year % 100, d.month, day, rng.randint(1, 999))
    v = base + luhn_check_digit(base)
    return v, [v[:6], v[6:]], str(d.year // 100)


def dk_cpr(rng, nomod11=False):
    while True:
        if nomod11:
            d = datetime.date(rng.choice(DK_NOMOD11_YEARS), 1, 1)
        else:
            d = _date(rng, 1940, 2024)
        if d.year < 2000:
            d7 = rng.randint(0, 3)
        else:
            d7 = rng.choice((4, 9)) if d.year % 100 <= 36 else rng.randint(5, 8)
        base = "%02d%02d%02d%d%02d" % (d.day, d.month, d.year % 100, d7, rng.randint(0, 99))
        s = sum(w * int(c) for w, c in zip(W_CPR, base))
        if nomod11:
            last = rng.randint(0, 9)
            if (s + last) % 11 == 0:
                continue
        else:
            last = (-s) % 11
            if last == 10:
                continue
        v = base + str(last)
        return v, [v[:6], v[6:]]


def fi_hetu(rng, new_signs):
    d = _date(rng, 1935, 2024)
    if d.year < 2000:
        sign = rng.choice("YXWVU") if new_signs else "-"
    else:
        sign = rng.choice("BCDEF") if new_signs else "A"
    z = rng.randint(2, 899)
    head = "%02d%02d%02d" % (d.day, d.month, d.year % 100)
    q = HETU_CHARS[int(head + "%03d" % z) % 31]
    v = head + sign + "%03d" % z + q
    return v, [v]


def kennitala_body(rng):
    while True:
        d = _date(rng, 1940, 2024)
        base = "%02d%02d%02d%02d" % (d.day, d.month, d.year % 100, rng.randint(20, 99))
        k = _mod11(W_KT, base)
        if k == 10:
            continue
        return base + str(k) + ("9" if d.year < 2000 else "0")


def is_kt(rng):
    v = kennitala_body(rng)
    return v, [v[:6], v[6:]]


def no_account(rng):
    while True:
        base = rng.choice(NO_BANKS) + "%02d" % rng.randint(0, 99) + "%04d" % rng.randint(0, 9999)
        k = _mod11(W_ACCOUNT, base)
        if k == 10:
            continue
        v = base + str(k)
        return v, [v[:4], v[4:6], v[6:]]


def iban(rng, cc):
    if cc == "NO":
        bban, _ = no_account(rng)
    elif cc == "SE":
        bban = rng.choice(("500", "600", "800", "300", "120")) + "".join(
            str(rng.randint(0, 9)) for _ in range(17))
    elif cc in ("DK", "FI"):
        bban = "".join(str(rng.randint(0, 9)) for _ in range(14))
        bban = ("1" if cc == "FI" else "3") + bban[1:]
    else:  # IS: bank 4 + ledger 2 + account 6 + kennitala 10
        bban = "%04d" % rng.randint(100, 599) + rng.choice(("26", "15", "05")) + \
            "%06d" % rng.randint(1, 999999) + kennitala_body(rng)
    v = cc + iban_check(cc, bban) + bban
    return v, [v[i:i + 4] for i in range(0, len(v), 4)]


def card(rng):
    brand = rng.choice(("visa", "visa", "mc", "mc2", "amex", "dankort"))
    if brand == "amex":
        head, n = rng.choice(("34", "37")), 15
    elif brand == "mc":
        head, n = "5" + str(rng.randint(1, 5)), 16
    elif brand == "mc2":
        head, n = str(rng.randint(2221, 2720)), 16
    elif brand == "dankort":
        head, n = "4571", 16
    else:
        head, n = "4", 16
    payload = head + "".join(str(rng.randint(0, 9)) for _ in range(n - 1 - len(head)))
    v = payload + luhn_check_digit(payload)
    groups = [v[:4], v[4:10], v[10:]] if n == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
    return v, groups


def passport(rng, country):
    digits = lambda n: str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))
    if country in ("no", "fi"):
        v = rng.choice(PASSPORT_LETTERS) + rng.choice(PASSPORT_LETTERS) + digits(7)
    elif country == "se":
        v = digits(8)
    elif country == "dk":
        v = digits(9)
    else:
        v = "A" + digits(7)
    return v, [v]


PW_WORDS = {
    "nb": ("Fjord", "Sommer", "Vinter", "Brunost", "Kanel", "Hytte", "Trondheim", "Solsikke"),
    "nn": ("Fjell", "Sommar", "Vinter", "Bjørk", "Hausten", "Sjøen"),
    "sv": ("Sommar", "Kanelbulle", "Midsommar", "Fika", "Ekorre", "Göteborg"),
    "da": ("Sommer", "Hygge", "Rugbrød", "Kanelsnegl", "Aarhus", "Vinter"),
    "fi": ("Kesä", "Sauna", "Talvi", "Mökki", "Tampere", "Revontuli"),
    "is": ("Sumar", "Vetur", "Hekla", "Reykjavik", "Lundi", "Eldfjall"),
    "en": ("Summer", "Winter", "Dragon", "Sunshine", "Football", "Monkey"),
}


def password(rng, lang):
    w = rng.choice(PW_WORDS[lang])
    if rng.random() < 0.3:
        w = w.lower()
    v = w + rng.choice(("", "#", "_", ".")) + str(rng.randint(10, 2029)) + rng.choice(("!", "?", "", "%", "*"))
    if rng.random() < 0.2:
        v = "".join(rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
    return v, [v]


# ---------------------------------------------------------------- validators
def _real_date(y, m, d):
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


def strong_no_person(s):
    """2032-rule checksum (superset of 1964) + date in 19YY/20YY, D/H/Tenor offsets."""
    if len(s) != 11 or not s.isdigit():
        return False
    s1 = sum(w * int(c) for w, c in zip(W_FNR1, s[:9])) + int(s[9])
    s2 = sum(w * int(c) for w, c in zip(W_FNR2, s[:10])) + int(s[10])
    if s1 % 11 not in (0, 1, 2, 3) or s2 % 11 != 0:
        return False
    d, m, y = int(s[:2]), int(s[2:4]), int(s[4:6])
    if s[0] in "89":
        return True  # FH-nummer: checksum only
    if d > 40:
        d -= 40
    if m > 80:
        m -= 80
    elif m > 40:
        m -= 40
    return _real_date(1900 + y, m, d) or _real_date(2000 + y, m, d)


def strong_se_person(s):
    if len(s) == 12 and s[:2] in ("18", "19", "20"):
        s = s[2:]
    if len(s) != 10 or not s.isdigit() or not luhn_ok(s):
        return False
    y, m, d = int(s[:2]), int(s[2:4]), int(s[4:6])
    if d > 60:
        d -= 60
        if d == 0 and m == 0:
            return True
    return _real_date(1900 + y, m, d) or _real_date(2000 + y, m, d)


def cpr_date_ok(s):
    if len(s) != 10 or not s.isdigit():
        return False
    d, m, y, d7 = int(s[:2]), int(s[2:4]), int(s[4:6]), int(s[6])
    if d7 <= 3:
        c = 1900
    elif d7 in (4, 9):
        c = 2000 if y <= 36 else 1900
    else:
        c = 2000 if y <= 57 else 1800
    return _real_date(c + y, m, d)


def strong_dk_cpr(s):
    return cpr_date_ok(s) and sum(w * int(c) for w, c in zip(W_CPR, s)) % 11 == 0


def kt_date_ok(s):
    if len(s) != 10 or not s.isdigit() or s[9] not in "890":
        return False
    d, m, y = int(s[:2]), int(s[2:4]), int(s[4:6])
    if d > 40:
        d -= 40
    c = {"8": 1800, "9": 1900, "0": 2000}[s[9]]
    return _real_date(c + y, m, d)


def strong_is_kt(s):
    return kt_date_ok(s) and _mod11(W_KT, s[:8]) == int(s[8])


def strong_card(s):
    return s.isdigit() and 13 <= len(s) <= 19 and luhn_ok(s) and s[0] in "23456"


def strong_any(digits):
    """True if a digit string is one a correct engine may redact without a label."""
    return (strong_no_person(digits) or strong_se_person(digits) or strong_dk_cpr(digits)
            or strong_is_kt(digits) or strong_card(digits))


def weak_any(digits):
    """Date-only CPR / kennitala readings and NO account mod 11 (label-gated types)."""
    acct = len(digits) == 11 and digits.isdigit() and _mod11(W_ACCOUNT, digits[:10]) == int(digits[10])
    return cpr_date_ok(digits) or kt_date_ok(digits) or acct


# ---------------------------------------------------------------- oracle
def stdnum_check(type_, value):
    """python-stdnum verdict for a planted value, or None where it has no validator."""
    from stdnum import iban as s_iban, luhn
    from stdnum.dk import cpr
    from stdnum.fi import hetu
    from stdnum.is_ import kennitala
    from stdnum.no import fodselsnummer, kontonr
    from stdnum.se import personnummer
    if type_ in ("no.fnr", "no.dnr", "no.hnr"):
        return fodselsnummer.is_valid(value)
    if type_ in ("se.pnr", "se.snr"):
        return personnummer.is_valid(value)
    if type_ in ("dk.cpr", "dk.cpr-nomod11"):
        return cpr.is_valid(value)
    if type_ in ("fi.hetu", "fi.hetu-2023"):
        return hetu.is_valid(value)
    if type_ == "is.kt":
        return kennitala.is_valid(value)
    if type_ == "no.account":
        return kontonr.is_valid(value)
    if type_.startswith("iban."):
        return s_iban.is_valid(value)
    if type_ == "card":
        return luhn.is_valid(value)
    return None
