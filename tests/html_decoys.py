#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Realistic HTML pages whose scripts, JSON state and style sheets are full of
numbers (analytics snippets, epoch seconds and millis, order ids, EANs,
tracking and customer numbers, hashes, UUIDs, CSS colours and sizes) and hold
no identifier: decoys for the HTML reader (html21). With --ids K, every K-th
page also carries a labelled synthetic fødselsnummer in its JSON state.

Usage: html_decoys.py OUTDIR N SEED [--ids K]
Writes OUTDIR/pageNNN.eml (a text/html mail) and pageNNN.html; prints the
number of digit runs of 6 or more digits in script and style text, and the
pages given an id."""
import json
import os
import random
import re
import sys


def fnr(rnd):
    """A valid synthetic Norwegian fødselsnummer (checked by python-stdnum)."""
    from stdnum.no import fodselsnummer
    while True:
        d, m, y = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(40, 99)
        base = "%02d%02d%02d%03d" % (d, m, y, rnd.randint(0, 499))
        w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
        k1 = 11 - sum(int(a) * b for a, b in zip(base, w1)) % 11
        if k1 == 11:
            k1 = 0
        if k1 == 10:
            continue
        w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
        s = base + str(k1)
        k2 = 11 - sum(int(a) * b for a, b in zip(s, w2)) % 11
        if k2 == 11:
            k2 = 0
        if k2 == 10:
            continue
        v = s + str(k2)
        if fodselsnummer.is_valid(v):
            return v


def page(rnd, with_id):
    def hexs(k): return "".join(rnd.choice("0123456789abcdef") for _ in range(k))
    def digits(k): return str(rnd.randint(10 ** (k - 1), 10 ** k - 1))
    ms = rnd.randint(1_600_000_000_000, 1_800_000_000_000)
    state = {"orderId": int(digits(rnd.choice([8, 9, 10, 11, 12]))), "createdAt": ms,
             "updatedAt": ms + rnd.randint(1, 10 ** 7), "epoch": ms // 1000,
             "items": [{"sku": digits(rnd.choice([6, 8, 13])), "price": round(rnd.uniform(1, 9999), 2),
                        "qty": rnd.randint(1, 9), "ean": digits(13)} for _ in range(rnd.randint(2, 8))],
             "session": hexs(32), "uuid": f"{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}",
             "trackingNumber": digits(rnd.choice([10, 11, 12])),
             "build": f"{rnd.randint(1, 9)}.{rnd.randint(0, 99)}.{digits(7)}",
             "customerNumber": digits(rnd.choice([7, 9, 10, 11]))}
    if with_id:
        state["kunde"] = {"navn": "Kari Nordmann", "fødselsnummer": with_id}
    css = "\n".join(f".c{k}{{color:#{hexs(6)};width:{rnd.randint(1, 1200)}px;margin:{rnd.randint(0, 40)}px "
                    f"{rnd.randint(0, 40)}px;line-height:{rnd.uniform(1, 2):.4f};z-index:{digits(rnd.choice([3, 6, 10]))}}}"
                    for k in range(30))
    ga, fb, hj = f"G-{hexs(10).upper()}", digits(15), digits(7)
    ld = {"@context": "https://schema.org", "@type": "Order", "orderNumber": digits(rnd.choice([9, 10, 11])),
          "orderDate": "2026-11-%02d" % rnd.randint(1, 28), "priceCurrency": "NOK", "price": digits(5)}
    return f"""<html><head><meta charset="utf-8"><title>Ordre {digits(8)} – Nettbutikk</title>
<meta name="generator" content="CMS {rnd.randint(1, 9)}.{digits(6)}">
<link rel="stylesheet" href="/static/app.{hexs(20)}.css?v={ms}">
<style>{css}
@media (max-width: {rnd.randint(300, 900)}px) {{ .c1 {{ font-size: {rnd.uniform(8, 20):.3f}px }} }}</style>
<script async src="https://www.googletagmanager.com/gtag/js?id={ga}"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date({ms}));gtag('config','{ga}',{{'page_id':{digits(10)},'cookie_expires':{digits(8)}}});</script>
<script>!function(f,b,e,v,n,t,s){{if(f.fbq)return;n=f.fbq=function(){{}}}}(window,document,'script');fbq('init','{fb}');fbq('track','PageView',{{ts:{ms}}});</script>
<script>(function(h,o,t,j,a,r){{h._hjSettings={{hjid:{hj},hjsv:6}};}})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');</script>
<script type="application/json" id="__NEXT_DATA__">{json.dumps({"props": {"pageProps": state}, "buildId": hexs(21), "ts": ms}, ensure_ascii=False)}</script>
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body><p>Takk for bestillingen.</p>
<script>var t0={ms},r={rnd.random():.16f},id="{digits(rnd.choice([10, 11, 12]))}";console.log(t0+{digits(6)});</script>
</body></html>
"""


def main():
    out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    every = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--ids" else 0
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    runs = ids = 0
    for i in range(n):
        with_id = fnr(rnd) if every and i % every == every - 1 else None
        ids += bool(with_id)
        html = page(rnd, with_id)
        for m in re.finditer(r"<(script|style)[^>]*>(.*?)</\1>", html, re.S):
            runs += len(re.findall(r"\d{6,}", m.group(2)))
        with open(f"{out}/page{i:03d}.html", "w", encoding="utf-8") as f:
            f.write(html)
        with open(f"{out}/page{i:03d}.eml", "w", encoding="utf-8") as f:
            f.write("From: a@example.com\nTo: b@example.com\nSubject: ordre\nMIME-Version: 1.0\n"
                    "Content-Type: text/html; charset=utf-8\n\n" + html)
    print(runs, ids)


if __name__ == "__main__":
    main()
