# SPDX-License-Identifier: Apache-2.0
"""Consecutive pieces of the ticket text corpus for the benchmark generators
(gen_mbox.py, gen_tickets.py): wraps around at the end."""


class TextChunks:
    def __init__(self, path):
        self.text = open(path, "rb").read().decode("utf-8", "replace")
        self.pos = 0

    def __call__(self, n):
        if self.pos + n > len(self.text):
            self.pos = 0
        s = self.text[self.pos:self.pos + n]
        self.pos += n
        return s
