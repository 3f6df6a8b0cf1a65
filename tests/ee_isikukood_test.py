#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A new identifier type with data and one validator file only (issue 13).

The Estonian personal code (isikukood) is added as a pattern file (written
here: the data) and tests/plugins/ee_isikukood.cc (the validator, loaded
with --plugin): no change to nordpii's code. Its findings are compared with
python-stdnum's ee.ik (the oracle) on seeded synthetic values, half built
valid, half random; then masking, redaction and `types` are checked.
Usage: ee_isikukood_test.py NORDPII PLUGIN SOURCE_DIR
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from stdnum.ee import ik

nordpii, plugin, source = sys.argv[1:4]
PATTERN = '''
[[keywords]]
id = "ee.person"
role = "label"
words = ["isikukood", "isikukoodi*"]

[[detector]]
id = "ee.isikukood"
category = "national-id"
validator = "ee_isikukood"
keywords = ["ee.person"]
negative = ["negative", "phone"]
redact = true
priority = 40
  [[detector.shape]]
  digits = 11
  [detector.examples]
  match = ["isikukood 36805280109"]
  no_match = ["isikukood 36805280108"]
'''

rng = random.Random(13)
values = set()
while len(values) < 200:  # built valid: a date, a serial, the oracle's check digit
    body = '%d%02d%02d%02d%03d' % (rng.randint(1, 8), rng.randint(0, 99), rng.randint(1, 12), rng.randint(1, 28),
                                   rng.randint(0, 999))
    values.add(body + ik.calc_check_digit(body + '0'))
while len(values) < 400:  # random: mostly a wrong check digit or date
    values.add(str(rng.randint(1, 8)) + ''.join(rng.choice('0123456789') for _ in range(10)))
values = sorted(values)
expected = {v for v in values if ik.is_valid(v)}
assert 150 <= len(expected) < len(values), len(expected)

tmp = tempfile.mkdtemp(prefix='nordpii-ee-')
env = dict(os.environ, NORDPII_KEY='sample-key', NORDPII_CACHE_DIR='off')
try:
    pats = os.path.join(tmp, 'patterns')
    os.mkdir(pats)
    for f in glob.glob(os.path.join(source, 'patterns', '*.toml')):
        shutil.copy(f, pats)
    with open(os.path.join(pats, 'ee.toml'), 'w') as f:
        f.write(PATTERN)
    text = os.path.join(tmp, 'in.txt')
    with open(text, 'w') as f:
        for v in values:
            f.write('Kliendi isikukood %s.\n' % v)
    common = ['--no-builtin-patterns', '--patterns', pats, '--plugin', plugin]
    r = subprocess.run([nordpii, 'scan', '--reveal', '--format', 'jsonl'] + common + [text], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1, (r.returncode, r.stderr)
    found = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        if d.get('type') == 'ee.isikukood':
            found[d['value']] = d
    missed = sorted(expected - set(found))
    extra = sorted(set(found) - expected)
    assert not missed and not extra, ('differs from stdnum ee.ik', missed[:5], extra[:5])
    one = found[sorted(found)[0]]
    assert one['masked'] == one['value'][:6] + '*****', one['masked']  # masked as a national id
    # Redaction, by the type id and category the data gave it.
    r = subprocess.run([nordpii, 'redact'] + common, input='isikukood 36805280109\n', env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and '36805280109' not in r.stdout, (r.returncode, r.stdout, r.stderr)
    r = subprocess.run([nordpii, 'types'] + common, env=env, capture_output=True, text=True)
    assert 'ee.isikukood' in r.stdout and 'ee_isikukood' in r.stdout, r.stdout
    # Without the validator file, the data alone is refused.
    r = subprocess.run([nordpii, 'scan', '--no-builtin-patterns', '--patterns', pats, text], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "unknown validator 'ee_isikukood'" in r.stderr, r.stderr
    print('ee.isikukood: %d values, %d valid per stdnum, nordpii agrees' % (len(values), len(expected)))
finally:
    shutil.rmtree(tmp)
