#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates a deterministic corpus of ticket-like text for the benchmark.

Mixed Norwegian/Swedish/Danish/Finnish/English support-ticket prose with the
digit-heavy noise real tickets have (dates, times, phone numbers, order and
invoice numbers, amounts, versions, IP addresses) and about one valid
synthetic identifier per 5 KB (fnr, personnummer, CPR, HETU, kennitala,
IBAN, cards, passwords). Usage: gen_corpus.py OUT MEGABYTES [SEED] [PROFILE]

Profiles: dense (default: 45 % number lines), typical (prose paragraphs, 15 %
number lines) and mail (a mail/ticket export: messages with Date, Received,
Message-ID, From/To headers, e-mail addresses, signatures with phone
numbers, quoted replies, timestamps, IPs, order/invoice numbers and amounts
in mixed Nordic languages; about 7-8 % digits, one identifier per 5 KB).
"""
import random
import sys

from stdnum import luhn
from stdnum.no import fodselsnummer

SENT = [
    "Hei, jeg har et spørsmål om fakturaen min fra forrige måned.",
    "Kunden ringte inn og ønsket å endre leveringsadresse før sendingen går.",
    "Hej! Jag har problem med inloggningen sedan uppdateringen i går kväll.",
    "Tak for jeres hurtige svar, men problemet er desværre ikke løst endnu.",
    "Hei, tilaukseni ei ole vieläkään saapunut, voisitteko tarkistaa tilanteen?",
    "The customer reports that the export job fails with a timeout after a while.",
    "Vi har videresendt saken til andrelinje og kommer tilbake så snart vi vet mer.",
    "Please find the log excerpt below; the error started after the last release.",
    "Brukeren får feilmelding når hun prøver å laste opp vedlegg større enn 10 MB.",
    "Ärendet är eskalerat till leverantören och vi inväntar deras återkoppling.",
    "Kan dere bekrefte at abonnementet er sagt opp fra og med neste periode?",
    "Pakken er registrert som levert, men kunden har ikke mottatt den.",
    "Mvh Kundeservice", "Med vänlig hälsning, Supporten", "Venlig hilsen", "Ystävällisin terveisin",
]


def noise(r):
    k = r.randrange(10)
    if k == 0: return "Dato: %04d-%02d-%02d kl. %02d:%02d" % (r.randint(2019, 2026), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59))
    if k == 1: return "Ordrenummer %d" % r.randint(10**7, 10**9)
    if k == 2: return "Beløp kr %d %03d,%02d" % (r.randint(1, 99), r.randint(0, 999), r.randint(0, 99))
    if k == 3: return "Tlf %d%d %02d %02d %02d" % (r.choice([4, 9]), r.randint(0, 9), r.randint(0, 99), r.randint(0, 99), r.randint(0, 99))
    if k == 4: return "Faktura %d forfaller %02d.%02d.%04d" % (r.randint(100000, 999999), r.randint(1, 28), r.randint(1, 12), r.randint(2020, 2026))
    if k == 5: return "Versjon %d.%d.%d build %d" % (r.randint(1, 12), r.randint(0, 20), r.randint(0, 99), r.randint(1000, 99999))
    if k == 6: return "IP 10.%d.%d.%d port %d" % (r.randint(0, 255), r.randint(0, 255), r.randint(0, 255), r.randint(1024, 65535))
    if k == 7: return "Sak #%d oppdatert %02d:%02d" % (r.randint(1000, 99999), r.randint(0, 23), r.randint(0, 59))
    if k == 8: return "Sporingsnummer RR%09dNO" % r.randint(0, 10**9 - 1)
    return "Kundenr %d, %d stk à %d,-" % (r.randint(10000, 999999), r.randint(1, 20), r.randint(10, 9999))


def fnr(r):
    while True:
        base = "%02d%02d%02d%03d" % (r.randint(1, 28), r.randint(81, 92), r.randint(0, 99), r.randint(0, 999))  # Tenor +80: never a real person
        try:
            k1 = fodselsnummer.calc_check_digit1(base)
            k2 = fodselsnummer.calc_check_digit2(base + k1)
        except Exception:
            continue
        if len(k1) == 1 and len(k2) == 1:
            return base + k1 + k2


def pnr(r):
    v = "%02d%02d%02d%03d" % (r.randint(0, 99), r.randint(1, 12), r.randint(1, 28), r.randint(0, 999))
    v += luhn.calc_check_digit(v)
    return v[:6] + "-" + v[6:]


def card(r):
    v = "4" + "".join(r.choice("0123456789") for _ in range(14))
    v += luhn.calc_check_digit(v)
    return " ".join(v[i:i + 4] for i in range(0, 16, 4))


def ident(r):
    k = r.randrange(5)
    if k == 0: return "Mitt fødselsnummer er %s." % fnr(r)
    if k == 1: return "Mitt personnummer är %s." % pnr(r)
    if k == 2: return "Kortnummer %s, utløp 12/27." % card(r)
    if k == 3: return "Passord: Vinter%d!" % r.randint(2000, 2030)
    return "Test-fnr %s %s" % (fnr(r)[:6], fnr(r)[6:])


# The "mail" profile: mail and ticket exports as support systems keep them.
MAIL_SENT = SENT[:12] + [
    "Hæ, ég hef ekki fengið pöntunina mína ennþá, getið þið athugað málið?",
    "Takk fyrir skjót svör, en vandamálið er enn til staðar.",
    "Hej, jeg kan ikke logge ind på min konto efter opdateringen i går.",
    "Vi har modtaget din henvendelse og vender tilbage hurtigst muligt.",
    "Tilauksen toimitus viivästyy, pahoittelemme aiheutunutta haittaa.",
    "Laskussa on virhe, summa ei vastaa tilausta.",
    "Jag skickar med skärmdumpen från felet som uppstod i morse.",
    "Kan du sende oss ordrenummeret og datoen for kjøpet?",
]
FIRST = ["kari", "ola", "anna", "erik", "sigrid", "jonas", "maja", "lars", "aino", "mikko", "jon", "gudrun", "mette", "sofie"]
LAST = ["nordmann", "hansen", "johansson", "andersson", "nielsen", "virtanen", "korhonen", "jonsson", "larsen", "berg"]
DOM = ["example.no", "example.se", "example.dk", "example.fi", "example.is", "kunde.example.com", "firma.example.net"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def addr(r):
    return "%s.%s%s@%s" % (r.choice(FIRST), r.choice(LAST), r.choice(["", "", str(r.randint(1, 99))]), r.choice(DOM))


def rfc_date(r):
    return "%s, %02d %s %d %02d:%02d:%02d %s" % (r.choice(DAYS), r.randint(1, 28), r.choice(MONTHS), r.randint(2019, 2026),
                                               r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.choice(["+0100", "+0200", "+0000"]))


def ip(r):
    return "%d.%d.%d.%d" % (r.choice([10, 192, 172, 185, 91]), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def phone(r):
    k = r.randrange(4)
    if k == 0: return "+47 %d%d%d %02d %03d" % (r.choice([4, 9]), r.randint(0, 9), r.randint(0, 9), r.randint(0, 99), r.randint(0, 999))
    if k == 1: return "+46 (0)7%d-%03d %02d %02d" % (r.randint(0, 9), r.randint(0, 999), r.randint(0, 99), r.randint(0, 99))
    if k == 2: return "+45 %02d %02d %02d %02d" % (r.randint(20, 99), r.randint(0, 99), r.randint(0, 99), r.randint(0, 99))
    return "+358 40 %03d %04d" % (r.randint(0, 999), r.randint(0, 9999))


def hetu(r):
    v = "%02d%02d%02d" % (r.randint(1, 28), r.randint(1, 12), r.randint(0, 99))
    z = "%03d" % r.randint(900, 999)  # 900-999: test individual numbers
    return v + r.choice("-A") + z + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(v + z) % 31]


def headers(r):
    frm, to = addr(r), r.choice(["support@firma.example.net", "kundeservice@example.no", "asiakaspalvelu@example.fi"])
    t = r.randint(10**9, 2 * 10**9)
    host = "mx%d.%s" % (r.randint(1, 9), r.choice(DOM))
    return [
        "Received: from %s (%s [%s]) by mail.firma.example.net (Postfix) with ESMTPS id %X; %s" % (host, host, ip(r), r.getrandbits(40), rfc_date(r)),
        "Received: from [%s] (port=%d helo=%s) by %s with esmtpa (Exim 4.96) id 1t%X-000%d; %s" % (ip(r), r.randint(1024, 65535), host, host, r.getrandbits(32), r.randint(100, 999), rfc_date(r)),
        "Date: %s" % rfc_date(r),
        "From: %s %s <%s>" % (r.choice(FIRST).title(), r.choice(LAST).title(), frm),
        "To: %s" % to,
        "Message-ID: <%d.%d.%d@%s>" % (t, r.randint(1000, 99999), r.randint(10**5, 10**7), r.choice(DOM)),
        "Subject: %s %d" % (r.choice(["Re: Ordre", "SV: Ärende", "Vs: Tilaus", "Re: Faktura", "Sv: Pöntun", "Ticket #"]), r.randint(10000, 99999999)),
        "X-Ticket-Id: %d" % r.randint(10**6, 10**8),
        "",
    ]


def mail_noise(r):
    k = r.randrange(12)
    if k == 0: return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ INFO request %d took %d ms from %s" % (
        r.randint(2024, 2026), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
        r.randint(0, 999), r.randint(10**5, 10**7), r.randint(1, 9999), ip(r))
    if k == 1: return "Ordre %d, faktura %d, beløp kr %d %03d,%02d" % (r.randint(10**7, 10**9), r.randint(10**5, 10**6), r.randint(1, 99), r.randint(0, 999), r.randint(0, 99))
    if k == 2: return "Tlf %s, e-post %s" % (phone(r), addr(r))
    if k == 3: return "Den %02d.%02d.%04d kl. %02d:%02d skrev %s:" % (r.randint(1, 28), r.randint(1, 12), r.randint(2020, 2026), r.randint(0, 23), r.randint(0, 59), addr(r))
    if k == 4: return "> Order %d shipped %02d/%02d/%04d, tracking RR%09dSE, %d.%02d EUR" % (r.randint(10**6, 10**8), r.randint(1, 28), r.randint(1, 12), r.randint(2020, 2026), r.randint(0, 10**9 - 1), r.randint(1, 9999), r.randint(0, 99))
    if k == 5: return "Fakturanr %d-%05d förfaller %04d-%02d-%02d, att betala %d %03d,%02d kr" % (r.randint(2020, 2026), r.randint(0, 99999), r.randint(2020, 2026), r.randint(1, 12), r.randint(1, 28), r.randint(1, 99), r.randint(0, 999), r.randint(0, 99))
    if k == 6: return "Client %s:%d -> %s:%d status %d bytes %d" % (ip(r), r.randint(1024, 65535), ip(r), r.choice([443, 25, 587, 993]), r.choice([200, 404, 500, 502]), r.randint(100, 10**6))
    if k == 7: return "Tilausnumero %d, asiakasnumero %d, summa %d,%02d €" % (r.randint(10**6, 10**8), r.randint(10**4, 10**6), r.randint(1, 9999), r.randint(0, 99))
    if k == 8: return "Sag nr. %d opdateret %02d-%02d-%04d %02d:%02d, ref. %d/%d" % (r.randint(1000, 999999), r.randint(1, 28), r.randint(1, 12), r.randint(2020, 2026), r.randint(0, 23), r.randint(0, 59), r.randint(1, 999), r.randint(2020, 2026))
    if k == 9: return "Pöntun %d, upphæð %d.%03d kr., dags. %d.%d.%d" % (r.randint(10**5, 10**7), r.randint(1, 999), r.randint(0, 999), r.randint(1, 28), r.randint(1, 12), r.randint(2020, 2026))
    if k == 10: return "Versjon %d.%d.%d (build %d), serienr %s-%d" % (r.randint(1, 12), r.randint(0, 20), r.randint(0, 99), r.randint(1000, 99999), r.choice(["SN", "AB", "X"]), r.randint(10**5, 10**9))
    return "-- \n%s %s\n%s | %s" % (r.choice(FIRST).title(), r.choice(LAST).title(), phone(r), addr(r))


def mail_ident(r):
    if r.randrange(6) == 0: return "Henkilötunnus %s." % hetu(r)
    return ident(r)


def mail_block(r, target):
    parts, size, since = [], 0, 0
    while size < target:
        msg = headers(r)
        for _ in range(r.randint(6, 20)):
            if since > 5000:
                s = mail_ident(r); since = 0
            elif r.random() < 0.25:
                s = mail_noise(r)
            else:
                s = " ".join(r.choice(MAIL_SENT) for _ in range(r.randint(1, 4)))
            msg.append(s)
            since += len(s) + 1
        msg.append("")
        s = "\n".join(msg)
        parts.append(s)
        size += len(s.encode()) + 1
    return "\n".join(parts) + "\n"


def main():
    out, mb = sys.argv[1], int(sys.argv[2])
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    profile = sys.argv[4] if len(sys.argv) > 4 else "dense"
    if profile not in ("dense", "typical", "mail"):
        sys.exit("gen_corpus.py: unknown profile %r (dense, typical, mail)" % profile)
    typical = profile == "typical"
    p_noise = 0.15 if typical else 0.45
    # A 4 MiB unique block, written repeatedly with a fresh seed per block
    # until the target size is reached.
    target = mb << 20
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            if profile == "mail":
                block = mail_block(r, min(4 << 20, target - written))
                f.write(block)
                written += len(block.encode())
                continue
            parts, size, since = [], 0, 0
            while size < (4 << 20):
                if since > 5000:
                    s = ident(r); since = 0
                elif r.random() < p_noise:
                    s = noise(r)
                elif typical:  # a paragraph of 2-5 sentences on one line
                    s = " ".join(r.choice(SENT[:12]) for _ in range(r.randint(2, 5)))
                else:
                    s = r.choice(SENT)
                parts.append(s)
                size += len(s.encode()) + 1
                since += len(s) + 1
            block = "\n".join(parts) + "\n"
            f.write(block)
            written += len(block.encode())


if __name__ == "__main__":
    main()
