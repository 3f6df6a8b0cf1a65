#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validates JSON documents or JSON Lines files against a JSON Schema.

  validate_json_schema.py SCHEMA [--jsonl] FILE...

Uses Debian's python3-jsonschema (run with /usr/bin/python3); the validator
class follows the schema's $schema (draft-04 for SARIF 2.1.0, draft-07 for
docs/schema/finding.schema.json). Prints how many objects were checked and,
on failure, the first error of each bad object (its path and message; the
object itself is not printed). Exit 0 = all valid, 1 = invalid, 2 = usage."""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[1], encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    jsonl = argv[2] == "--jsonl"
    files = argv[3:] if jsonl else argv[2:]
    checked = bad = 0
    for name in files:
        with open(name, encoding="utf-8") as f:
            docs = [json.loads(l) for l in f if l.strip()] if jsonl else [json.load(f)]
        for i, doc in enumerate(docs, 1):
            checked += 1
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            if errors:
                bad += 1
                e = errors[0]
                print(f"{name}:{i}: /{'/'.join(map(str, e.path))}: {e.message[:300]}")
    print(f"{checked} object(s) checked against {argv[1]}, {bad} invalid")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
