#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes bench/shapes.txt: the identifier shapes nordpii looks for, as plain
regexes for `rg -f` (no checksums, no context), generated from patterns/*.toml
so the baseline searches for the same shapes the engine does:
every [[detector.shape]] (digits, allowed break offsets, separators) becomes
one regex with an optional separator at each break; plus the HETU, IBAN,
international phone and e-mail forms, and the password label form.
Usage: bench/make_shapes.py > bench/shapes.txt
"""
import glob
import tomllib


def sep_class(seps):
    # rg reads line by line: a line break never matches, and a class of only
    # "\n" is refused, so a shape that may break only at a line end gets none.
    if set(seps) <= {'\n'}:
        return ''

    def esc(c):
        return {'\n': '\\n', '\t': '\\t', '-': '\\-', ']': '\\]', '\\': '\\\\', '^': '\\^'}.get(c, c)
    chars = ''.join(esc(c) for c in sorted(set(seps)))
    return '[' + chars + ']'


def shape_regex(digits, breaks, seps, any_breaks):
    if any_breaks:
        cls = sep_class(seps)
        return r'\d(?:%s?\d){%d}' % (cls, digits - 1) if cls else r'\d{%d}' % digits
    out, prev = [], 0
    for b in sorted(breaks) + [digits]:
        out.append(r'\d{%d}' % (b - prev))
        prev = b
    cls = sep_class(seps)
    return (cls + '?' if cls else '').join(out)


def main():
    shapes = []
    for path in sorted(glob.glob('patterns/*.toml')):
        with open(path, 'rb') as f:
            data = tomllib.load(f)
        for d in data.get('detector', []):
            for sh in d.get('shape', []):
                r = shape_regex(sh['digits'], sh.get('breaks', []) if sh.get('breaks') != 'any' else [],
                                sh.get('separators', ' .-/\n\t'), sh.get('breaks') == 'any')
                if r not in shapes:
                    shapes.append(r)
            if d.get('source') == 'regex':
                shapes.append(d['regex'])
    shapes += [
        r'\d{6}[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y]',                      # HETU
        r'(?:NO|SE|DK|FI|IS|AX|FO|GL|no|se|dk|fi|is)\d{2}(?: ?\d{1,4}){3,6}',  # IBAN
        r'(?:\+|00)(?:45|46|47|354|358) ?\d{1,3}(?:[ -]?\d{1,4}){1,4}',  # phone, international
        r'(?i)(?:passord|lösenord|adgangskode|salasana|lykilorð|password|pw)\s{0,3}[:=]\s{0,3}\S{4,64}',
    ]
    for s in shapes:
        print(s)


if __name__ == '__main__':
    main()
