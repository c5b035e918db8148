"""Normal forms of a line used to compare lines, not to output them.

Two copies of a headline that differ only in case, spacing or punctuation are
the same line to a reader, so rules that look for repeats compare `line_key`s.
"""
from __future__ import annotations

import re

# `re` rather than `regex`: same Unicode \W for str patterns, and faster for
# this one substitution, which runs on every line.
_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """casefold, except that Turkish İ folds to plain i (not i + combining dot),
    so "İlgili" and "ilgili" compare equal."""
    folded = text.casefold()
    return folded.replace("i\u0307", "i") if "\u0307" in folded else folded


def line_key(line: str) -> str:
    """Casefolded words of `line` joined by single spaces ('' for no words)."""
    return _NON_WORD.sub(" ", fold(line)).strip()

