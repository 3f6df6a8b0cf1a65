#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates a deterministic corpus of ticket-like text for the benchmark.

Mixed Norwegian/Swedish/Danish/Finnish/English support-ticket prose with the
digit-heavy noise real tickets have (dates, times, phone numbers, order and
invoice numbers, amounts, versions, IP addresses) and about one valid
synthetic identifier per 5 KB (fnr, personnummer, CPR, HETU, kennitala,
IBAN, cards, passwords). Usage: gen_corpus.py OUT MEGABYTES [SEED]
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


def main():
    out, mb = sys.argv[1], int(sys.argv[2])
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    typical = len(sys.argv) > 4 and sys.argv[4] == "typical"
    p_noise = 0.15 if typical else 0.45
    # A 4 MiB unique block, written repeatedly with a fresh seed per block
    # until the target size is reached.
    target = mb << 20
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
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
