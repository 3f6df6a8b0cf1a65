#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs every example of the README's user guide and checks what it prints.

  readme_guide.py NORDPII_BINARY SOURCE_DIR

The guide is README.md from "## User guide" to the next "## " heading. In
its ```sh blocks, a line "$ CMD" is a command and the lines after it, up to
the next "$" line or the block's end, are its output as shown on a terminal
("..." stands for any number of lines). Each command runs in one scratch
directory (with copies of samples/ and conf/, nordpii first on PATH,
NO_COLOR=1, no $NORDPII_KEY), in order, on a pseudo-terminal (script(1)),
stdout and stderr together, as a user would see them.
Exit 0 when every output is as shown."""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def guide_examples(readme):
    text = open(readme, encoding="utf-8").read()
    start = text.index("\n## User guide\n")
    end = text.index("\n## ", start + 5)
    examples, block, cur, indent = [], False, None, ""
    for line in text[start:end].split("\n"):
        s = line.strip()
        if s.startswith("```"):
            block = s == "```sh"
            indent = line[:len(line) - len(line.lstrip())]  # a block inside a list item is indented
            cur = None
            continue
        if not block:
            continue
        body = line[len(indent):] if line.startswith(indent) else line
        if body.startswith("$ "):
            cur = (body[2:], [])
            examples.append(cur)
        elif cur is not None:
            cur[1].append(body)
    return examples


def matches(expected, actual):
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def main(argv):
    binary, src = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    examples = guide_examples(os.path.join(src, "README.md"))
    if len(examples) < 6:
        print(f"only {len(examples)} examples found in the user guide")
        return 1
    work = tempfile.mkdtemp(prefix="nordpii-guide-")
    try:
        for d in ("samples", "conf"):
            shutil.copytree(os.path.join(src, d), os.path.join(work, d))
        bindir = os.path.join(work, "bin")
        os.mkdir(bindir)
        os.symlink(binary, os.path.join(bindir, "nordpii"))
        env = {k: v for k, v in os.environ.items() if k not in ("NORDPII_KEY", "NORDPII_PATTERNS")}
        env.update(PATH=bindir + ":" + env.get("PATH", "/usr/bin:/bin"), NO_COLOR="1", SHELL="/bin/bash",
                   TERM="dumb", NORDPII_PATTERNS=os.path.join(src, "patterns"))
        failed = 0
        for cmd, expected in examples:
            r = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=work, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            out = r.stdout.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "")
            actual = out.split("\n")
            if actual and actual[-1] == "":
                actual.pop()
            if matches(expected, actual):
                print(f"ok: $ {cmd}")
            else:
                failed += 1
                print(f"DIFFERS: $ {cmd}\n--- shown in README.md\n" + "\n".join(expected) +
                      "\n--- printed (exit %d)\n" % r.returncode + "\n".join(actual))
        print(f"{len(examples)} example(s), {failed} differ")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
