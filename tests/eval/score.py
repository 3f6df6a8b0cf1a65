#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Score nordpii's recall on the adversarial corpus of gen.py (issue 11).

    /usr/bin/python3 tests/eval/score.py --nordpii build/src/nordpii --seed 11 --count 600
    /usr/bin/python3 tests/eval/score.py --nordpii build/src/nordpii --corpus DIR   # a corpus from gen.py

Runs `nordpii scan --format jsonl --reveal --reference-date D` once over all
corpus files and `nordpii redact FILE -o OUT` (default options) per file, then
prints recall (planted values found) and decoys kept per type, variant,
carrier, field, label kind and language, for both scan and redact, and the
misses with masked values only (never a full id; --reveal output stays in this
process).

How a hit is decided:
- redact: the planted value's normal form (NFKC, upper case, ASCII letters
  and digits only: separators, line breaks, quote prefixes, tags gone) no
  longer occurs in the normal form of the redacted document's decoded text
  (MIME decoded with Python's email package: transfer encodings, charsets,
  RFC 2047 headers, message/rfc822, HTML tags and entities stripped; JSON
  strings; CSV cells). A decoy is kept if its normal form still occurs. The
  generator makes every normal form occur exactly once per document, and the
  scorer checks that on the unredacted corpus first (harness errors are
  reported and fail the run).
- scan: a finding of a category redact acts on by default (national-id,
  financial, credential) in the same document whose revealed value, in normal
  form, contains the planted value (or is contained in it missing at most two
  characters). A decoy is kept if no such finding overlaps it.
Exit 0 if every class with at least --min-count samples meets its gate
(--gate, --decoy-gate, per-class overrides in --gate-file), 1 if not, 2 on
errors (nordpii failed, harness errors).
"""

import argparse
import csv
import email
import email.policy
import html
import json
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
from collections import defaultdict
from email.header import decode_header, make_header

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

REDACT_CATEGORIES = {"national-id", "financial", "credential"}
DIMENSIONS = ("type", "variant", "carrier", "field", "label_kind", "lang")
DECOY_DIMENSIONS = ("type", "carrier", "field", "lang")
TAG = re.compile(r"<[^>]*>")


HIDDEN_SPAN = re.compile(r'(?is)<span style="display:none">[^<]*</span>')
ATTR_VALUE = re.compile(r'(?is)\s(?:alt|title|data-[a-z-]+|value|href)="([^"]*)"')
COMMENT = re.compile(r"(?s)<!--(.*?)-->")


def html_to_text(s):
    # Text a reader does not see but the message carries (gen.hidden_mail_cases):
    # attribute values and comments on lines of their own, hidden spans gone.
    aside = [html.unescape(urllib.parse.unquote(v)) for v in ATTR_VALUE.findall(s)] + \
        [html.unescape(c) for c in COMMENT.findall(s)]
    s = COMMENT.sub(" ", HIDDEN_SPAN.sub("", s))
    s = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", s)
    s = re.sub(r"(?i)<br\s*/?>|</p>|</tr>|</td>", "\n", s)
    return html.unescape(TAG.sub("", s)) + "".join("\n" + x for x in aside)


# ------------------------------------------------------------- decoding
def mail_text(msg):
    out = []
    for part in msg.walk():
        for k in ("Subject", "Content-Description"):
            v = part.get(k)
            if v:
                try:
                    out.append(str(make_header(decode_header(v))))
                except Exception:  # noqa: BLE001 - keep the raw header
                    out.append(str(v))
        for v in (part.get_filename(), part.preamble, part.epilogue):
            if v:  # 8-bit text outside any part comes as surrogate escapes
                out.append(str(v).encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        cs = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(cs, errors="replace")
        except LookupError:
            text = payload.decode("cp1252", errors="replace")
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
        out.append(text)
    return "\n".join(out)


def json_strings(x, out):
    if isinstance(x, dict):
        for k, v in x.items():
            out.append(k)
            json_strings(v, out)
    elif isinstance(x, list):
        for v in x:
            json_strings(v, out)
    elif isinstance(x, str):
        out.append(x)
    elif isinstance(x, int) and not isinstance(x, bool):  # a JSON number is a value too
        out.append(str(x))
    return out


def _encoding(path):
    """utf-16 for a file with a UTF-16 BOM or NULs in every other byte (UTF-16 carriers), else utf-8."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if len(head) >= 8 and head[1::2].count(0) * 10 >= len(head[1::2]) * 9 and head[0::2].count(0) == 0:
        return "utf-16-le"
    return "utf-8"


def decode_docs(path, manifest):
    """doc id -> decoded text of that document in the file at path."""
    name = manifest["file"]
    docs = manifest["docs"]
    texts = {}
    if name.endswith(".mbox"):
        box = mailbox.mbox(path, create=False)
        for k, msg in enumerate(box, 1):
            doc = msg.get("X-Eval-Doc")
            texts[doc or "#%d" % k] = mail_text(msg)
    elif name.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            for k, line in enumerate(f, 1):
                if line.strip():
                    texts[docs[k - 1]["doc"]] = "\n".join(json_strings(json.loads(line), []))
    elif name.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            for k, rec in enumerate(json.load(f), 1):
                texts[docs[k - 1]["doc"]] = "\n".join(json_strings(rec, []))
    elif name.endswith((".csv", ".tsv")):
        with open(path, encoding=_encoding(path), newline="") as f:
            rows = list(csv.reader(f, delimiter="\t" if name.endswith(".tsv") else ","))
        for k, row in enumerate(rows[1:], 1):
            texts[docs[k - 1]["doc"]] = "\n".join(row)
    else:
        cur, buf = None, []
        with open(path, encoding=_encoding(path)) as f:
            for line in f:
                m = re.match(r"^===== (d\d+) =====$", line.rstrip("\n"))
                if m:
                    if cur:
                        texts[cur] = "".join(buf)
                    cur, buf = m.group(1), []
                else:
                    buf.append(line)
        if cur:
            texts[cur] = "".join(buf)
    return texts


# ------------------------------------------------------------- running
def run_scan(binary, files, ref):
    cmd = [binary, "scan", "--format", "jsonl", "--reveal", "--reference-date", ref] + files
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    findings = []
    for line in p.stdout.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        if "event" not in o:
            findings.append(o)
    errors = [] if p.returncode in (0, 1) else ["scan exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[:500])]
    return findings, errors


def run_redact(binary, path, out, ref):
    p = subprocess.run([binary, "redact", "--reference-date", ref, path, "-o", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1) or not os.path.exists(out):
        return "redact %s: exit %d: %s" % (os.path.basename(path), p.returncode, p.stderr.decode(errors="replace")[:300])
    return None


def finding_doc(f, manifest):
    docs = manifest["docs"]
    name = manifest["file"]
    if name.endswith(".mbox"):
        k = f.get("message_index")
    elif name.endswith((".jsonl", ".json", ".csv", ".tsv")):
        k = f.get("record")
    else:
        line = f.get("line", 0)
        for d in docs:
            if d["lines"][0] <= line <= d["lines"][1]:
                return d["doc"]
        return None
    if k is None or not (1 <= k <= len(docs)):
        return None
    return docs[k - 1]["doc"]


def finding_norm(f):
    v = f.get("value", "")
    if "<" in v or "&" in v:
        v = html_to_text(v)
    return gen.norm(v)


def norm_map(text):
    """gen.norm(text) and, per character of it, its index in text."""
    out, pos = [], []
    for i, ch in enumerate(text):
        for c in gen.norm(ch):
            out.append(c)
            pos.append(i)
    return "".join(out), pos


def mask_items(text, norms):
    """text with every planted value and decoy (by normal form) replaced by '#'."""
    ns, pos = norm_map(text)
    chars = list(text)
    for n in norms:
        i = ns.find(n)
        while i >= 0:
            for k in range(pos[i], pos[i + len(n) - 1] + 1):
                if not chars[k].isspace():
                    chars[k] = "#"
            i = ns.find(n, i + 1)
    return "".join(chars)


def context_before(text, masked_text, n, width=70):
    """The text before a value, every value and digit masked, line breaks shown as ⏎ (for miss lists)."""
    ns, pos = norm_map(text)
    i = ns.find(n)
    if i < 0:
        return ""
    start = pos[i]
    ctx = masked_text[max(0, start - width):start]
    ctx = re.sub(r"[0-9\uff10-\uff19]", "#", ctx)
    return ctx.replace("\r", "").replace("\n", "⏎")


def covers(fnorm, pnorm):
    return pnorm in fnorm or (len(fnorm) >= max(4, len(pnorm) - 2) and fnorm in pnorm)


# ------------------------------------------------------------- scoring
def score(binary, corpus, workdir):
    manifests = []
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".manifest.json"):
            with open(os.path.join(corpus, name), encoding="utf-8") as f:
                manifests.append(json.load(f))
    if not manifests:
        raise SystemExit("score: no manifests in %s" % corpus)
    ref = manifests[0]["reference_date"]
    files = [os.path.join(corpus, m["file"]) for m in manifests]
    errors = []
    findings, errs = run_scan(binary, files, ref)
    errors += errs
    by_doc = defaultdict(list)
    business = defaultdict(list)
    mf_by_path = {os.path.join(corpus, m["file"]): m for m in manifests}
    for f in findings:
        m = mf_by_path.get(f["path"])
        if m is None:
            continue
        d = finding_doc(f, m)
        if d is None:
            continue
        if f.get("category") in REDACT_CATEGORIES:
            by_doc[(m["file"], d)].append(finding_norm(f))
        elif f.get("category") == "business":
            business[(m["file"], d)].append(finding_norm(f))
    results = []
    for m in manifests:
        src = os.path.join(corpus, m["file"])
        out = os.path.join(workdir, m["file"])
        err = run_redact(binary, src, out, ref)
        original = decode_docs(src, m)
        redacted = {}
        if err:
            errors.append(err)
        else:
            try:
                redacted = decode_docs(out, m)
            except Exception as e:  # noqa: BLE001 - a redacted file that no longer parses is a finding
                errors.append("redacted %s does not parse: %s" % (m["file"], e))
        for d in m["docs"]:
            on = gen.norm(original.get(d["doc"], ""))
            rn = gen.norm(redacted[d["doc"]]) if d["doc"] in redacted else None
            fn = by_doc.get((m["file"], d["doc"]), [])
            masked_doc = None
            for it in d["items"]:
                r = dict(it)
                # "copies": a value written more than once (recall16's repeat
                # cases): every copy must be found and redacted.
                copies = it.get("copies", 1)
                if on.count(it["norm"]) != copies:
                    errors.append("harness: %s %s occurs %d times in the decoded original" % (it["id"], it["type"], on.count(it["norm"])))
                    continue
                present = rn is not None and it["norm"] in rn
                scanned = sum(1 for x in fn if covers(x, it["norm"]) or (it["role"] == "decoy" and len(x) >= 5 and x in it["norm"])) >= copies
                if it["type"] == "orgnr":  # business ids: reported by scan, kept by redact
                    r["scan_business"] = any(covers(x, it["norm"]) for x in business.get((m["file"], d["doc"]), []))
                if it["role"] == "planted":
                    r["redact_ok"] = rn is not None and not present
                    r["scan_ok"] = scanned
                    if not (r["redact_ok"] and r["scan_ok"]):
                        if masked_doc is None:
                            masked_doc = mask_items(original.get(d["doc"], ""), [x["norm"] for x in d["items"]])
                        r["context"] = context_before(original.get(d["doc"], ""), masked_doc, it["norm"])
                else:
                    r["redact_ok"] = rn is not None and present
                    r["scan_ok"] = not scanned
                results.append(r)
    return results, errors


def rates(results, role, dims):
    table = {}
    sel = [r for r in results if r["role"] == role]
    table[("all", "all")] = sel
    for dim in dims:
        for r in sel:
            table.setdefault((dim, str(r.get(dim))), []).append(r)
    out = {}
    for key, rs in table.items():
        n = len(rs)
        out[key] = {"n": n, "scan": sum(r["scan_ok"] for r in rs) / n, "redact": sum(r["redact_ok"] for r in rs) / n}
    return out


def print_tables(rec, dec, stream):
    def section(title, tab, dims, what):
        stream.write("\n## %s\n" % title)
        for dim in ("all",) + dims:
            keys = sorted(k for k in tab if k[0] == dim)
            stream.write("\n| %s | n | scan %s | redact %s |\n|---|---:|---:|---:|\n" % (dim, what, what))
            for k in keys:
                v = tab[k]
                stream.write("| %s | %d | %.3f | %.3f |\n" % (k[1], v["n"], v["scan"], v["redact"]))
    section("Recall (planted values found / redacted)", rec, DIMENSIONS, "recall")
    section("Decoys kept (not found / not redacted)", dec, DECOY_DIMENSIONS, "kept")


def gate_check(rec, dec, gate, decoy_gate, min_count, overrides):
    failures = []
    for metric, tab, default in (("recall", rec, gate), ("decoys_kept", dec, decoy_gate)):
        for (dim, val), v in sorted(tab.items()):
            if v["n"] < min_count:
                continue
            for mode in ("scan", "redact"):
                key = "%s.%s.%s=%s" % (mode, metric, dim, val)
                thr = overrides.get(key, default)
                if v[mode] + 1e-9 < thr:
                    failures.append((key, v[mode], thr, v["n"]))
    return failures


def write_gate(path, rec, dec, gate, decoy_gate, min_count):
    """Per-class thresholds = today's figures floored to 0.01 where below target."""
    th = {}
    for metric, tab, default in (("recall", rec, gate), ("decoys_kept", dec, decoy_gate)):
        for (dim, val), v in sorted(tab.items()):
            if v["n"] < min_count:
                continue
            for mode in ("scan", "redact"):
                if v[mode] + 1e-9 < default:
                    th["%s.%s.%s=%s" % (mode, metric, dim, val)] = int(v[mode] * 100) / 100.0
    doc = {"target": {"recall": gate, "decoys_kept": decoy_gate}, "min_count": min_count,
           "note": "Per-class thresholds below the target, set to the figures of the engine at the time "
                   "(floored to 0.01). Raise them (delete the entries) as the context model improves; "
                   "the target applies to every class not listed.",
           "thresholds": th}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


def readme_table(rec, dec, stream):
    """The figures block of README "Recall evaluation" (type / carrier tables, one-line summaries)."""
    def col(dim):
        return sorted((k[1], v) for k, v in rec.items() if k[0] == dim)
    types = col("type")
    half = (len(types) + 1) // 2
    left, right, carriers = types[:half], types[half:], col("carrier")
    a, d = rec[("all", "all")], dec[("all", "all")]
    stream.write("Recall **%.2f** overall (scan %.2f), decoys kept **%.2f** (scan %.2f); %d planted, %d decoys.\n\n"
                 % (a["redact"], a["scan"], d["redact"], d["scan"], a["n"], d["n"]))
    stream.write("| type | n | recall | type | n | recall | carrier | n | recall |\n|---|---:|---:|---|---:|---:|---|---:|---:|\n")
    cell = lambda r: "`%s` | %d | %.2f" % (r[0], r[1]["n"], r[1]["redact"]) if r else " | | "
    for i in range(max(len(left), len(right), len(carriers))):
        row = [left[i] if i < len(left) else None, right[i] if i < len(right) else None,
               carriers[i] if i < len(carriers) else None]
        stream.write("| %s |\n" % " | ".join(cell(r) for r in row))
    for dim in ("label_kind", "variant", "field", "lang"):
        stream.write("\nBy %s: %s." % (dim.replace("_", " "), ", ".join("%s %.2f" % (n, v["redact"]) for n, v in col(dim))))
    stream.write("\n")


def round_robin(rows, limit):
    """Up to limit rows, taking one per type in turn (so every type shows its misses)."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["role"], r["type"])].append(r)
    keys = sorted(groups)
    out = []
    while len(out) < limit and any(groups[k] for k in keys):
        for k in keys:
            if groups[k] and len(out) < limit:
                out.append(groups[k].pop(0))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nordpii", required=True, help="path of the nordpii binary")
    ap.add_argument("--corpus", help="a directory written by gen.py (default: generate one with --seed/--count)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--gate", type=float, default=None, help="recall gate per class (default 0.99 or the gate file's target)")
    ap.add_argument("--decoy-gate", type=float, default=None, help="decoys-kept gate per class (default 0.99)")
    ap.add_argument("--min-count", type=int, default=None, help="classes with fewer samples are not gated (default 20)")
    ap.add_argument("--gate-file", help="JSON with per-class thresholds (tests/eval/gate.json)")
    ap.add_argument("--write-gate", help="write today's per-class figures below the target as a gate file")
    ap.add_argument("--misses", type=int, default=40, help="misses listed per mode (masked)")
    ap.add_argument("--json", help="write the figures and masked misses as JSON")
    ap.add_argument("--readme", action="store_true", help="print only the README figures block")
    a = ap.parse_args()

    overrides, gate, decoy_gate, min_count = {}, 0.99, 0.99, 20
    if a.gate_file:
        with open(a.gate_file, encoding="utf-8") as f:
            g = json.load(f)
        overrides = g.get("thresholds", {})
        gate = g.get("target", {}).get("recall", gate)
        decoy_gate = g.get("target", {}).get("decoys_kept", decoy_gate)
        min_count = g.get("min_count", min_count)
    gate = a.gate if a.gate is not None else gate
    decoy_gate = a.decoy_gate if a.decoy_gate is not None else decoy_gate
    min_count = a.min_count if a.min_count is not None else min_count

    with tempfile.TemporaryDirectory(prefix="nordpii-eval-") as tmp:
        corpus = a.corpus
        if not corpus:
            corpus = os.path.join(tmp, "corpus")
            gen.generate(a.seed, a.count, corpus)
        workdir = os.path.join(tmp, "redacted")
        os.makedirs(workdir)
        results, errors = score(os.path.abspath(a.nordpii), corpus, workdir)

    rec = rates(results, "planted", DIMENSIONS)
    dec = rates(results, "decoy", DECOY_DIMENSIONS)
    out = sys.stdout
    if a.readme:
        readme_table(rec, dec, out)
        return 2 if errors else 0
    out.write("# nordpii recall evaluation (seed %s, %s documents): %d planted, %d decoys\n"
              % (a.seed if not a.corpus else "-", a.count if not a.corpus else "-", rec[("all", "all")]["n"], dec[("all", "all")]["n"]))
    print_tables(rec, dec, out)
    biz = [r for r in results if "scan_business" in r]
    if biz:
        out.write("\nBusiness ids (decoys for redact; scan should report them as business): %d of %d found by scan\n"
                  % (sum(r["scan_business"] for r in biz), len(biz)))
    for mode in ("scan", "redact"):
        misses = [r for r in results if r["role"] == "planted" and not r[mode + "_ok"]]
        kept = [r for r in results if r["role"] == "decoy" and not r[mode + "_ok"]]
        out.write("\n## %s: %d misses, %d decoys hit (masked; first %d)\n" % (mode, len(misses), len(kept), a.misses))
        for r in round_robin(misses + kept, a.misses):
            label = (r.get("template") or "").replace("\n", "\\n") if r["label_kind"] not in ("column", "json_key") else "[%s]" % r.get("key", "")
            out.write("- %s %s %s variant=%s carrier=%s field=%s label=%s lang=%s %s%s\n" % (
                r["id"], "MISS" if r["role"] == "planted" else "DECOY-HIT", r["type"], r["variant"], r["carrier"],
                r["field"], r["label_kind"], r["lang"], r["masked"], ("  «" + label + "»" if label else "")
                + ("  after: …%s" % r["context"][-60:] if r.get("context") else "")))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"recall": {"%s=%s" % k: v for k, v in rec.items()},
                       "decoys_kept": {"%s=%s" % k: v for k, v in dec.items()},
                       "misses": [{k: r[k] for k in ("id", "role", "type", "variant", "carrier", "field", "label_kind", "lang", "masked", "template", "key", "scan_ok", "redact_ok", "context") if k in r}
                                  for r in results if not (r["scan_ok"] and r["redact_ok"])]}, f, ensure_ascii=False, indent=1)
    if a.write_gate:
        write_gate(a.write_gate, rec, dec, gate, decoy_gate, min_count)
        out.write("\nwrote %s\n" % a.write_gate)
    for e in errors[:20]:
        out.write("ERROR: %s\n" % e)
    failures = gate_check(rec, dec, gate, decoy_gate, min_count, overrides)
    below_target = gate_check(rec, dec, gate, decoy_gate, min_count, {})
    out.write("\n## gate: target recall %.2f, decoys kept %.2f (classes with n >= %d); %d classes below target\n"
              % (gate, decoy_gate, min_count, len(below_target)))
    for key, val, thr, n in failures:
        out.write("GATE FAIL %s = %.3f < %.2f (n=%d)\n" % (key, val, thr, n))
    if errors:
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
