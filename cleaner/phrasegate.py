"""Literal gates for the phrase patterns: skip a regex unless the line could match.

Trying a few hundred phrase regexes on every line costs ~300 µs a line with the
`regex` module, almost all of it spent failing.  Nearly every phrase pattern
starts with literal text ("lire aussi", "(?:share|tweet|...)", "©"), so
`literal_prefixes` extracts the literal strings a match must start with, and
`Gate` tries a pattern only on lines that start (after optional leading
non-word characters) with one of them -- one `str.startswith(tuple)` call.
The gate is a superset test: it never rules out a line the regex would match;
patterns whose start is not literal are returned as ungated and always tried.

`LineScanner` applies the same tests to a whole document at once: RE2 scans of
the folded text find the few lines that could pass a gate or hold a `needs`
string, so the per-line work runs on those only.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import re2
import regex

from .linescan import matching_lines
from .textnorm import fold

# Leading pieces a pattern may use to skip punctuation before its literal start.
_SKIPPER = regex.compile(r"\\b|(?: |\\s)[*?]\??|(?:\[\\W_\]|\[_\\W\]|\\W|\[\^\\w\]|\\s|\[\\s\\W_\]|\[\\W\\s_\])(?:[*+?]|\{\d*,?\d*\})?\??")
_META = set(".^$*+?{}[]()|\\")


def _structure(p: str, i: int = 0):
    """(index, character, group depth after it) for the characters of `p`
    from `i` that shape the pattern, skipping escapes and character classes."""
    depth = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(p, i)
            continue
        depth += (c == "(") - (c == ")")
        yield i, c, depth
        i += 1


def _split_top(p: str) -> list[str]:
    parts, start = [], 0
    for i, c, depth in _structure(p):
        if c == "|" and depth == 0:
            parts.append(p[start:i])
            start = i + 1
    parts.append(p[start:])
    return parts


def _class_end(p: str, i: int) -> int:
    j = i + 1
    if p[j : j + 1] == "^":
        j += 1
    if p[j : j + 1] == "]":
        j += 1
    while j < len(p) and p[j] != "]":
        j += 2 if p[j] == "\\" else 1
    return j + 1


def _group_end(p: str, i: int) -> int:
    """Index just past the group that opens at p[i]."""
    for j, c, depth in _structure(p, i):
        if c == ")" and depth == 0:
            return j + 1
    raise ValueError("unbalanced")


def _optional_follows(p: str, j: int) -> bool:
    return p[j : j + 1] in ("?", "*") or bool(regex.match(r"\{0*,", p[j:]))


def literal_prefixes(p: str) -> list[str] | None:
    """Casefolded strings one of which every match of `p` starts with, or None."""
    try:
        out: list[str] = []
        for alt in _split_top(p):
            got = _alt_prefixes(alt)
            if got is None:
                return None
            out.extend(got)
        return out
    except (ValueError, IndexError):
        return None


def _skip_punctuation(p: str) -> str:
    """Drop leading pieces that can only match non-word characters (the gate
    also tries the line with its leading non-word characters stripped)."""
    while True:
        m = _SKIPPER.match(p)
        if m and m.group():
            p = p[m.end():]
            continue
        if p.startswith("["):
            end = _class_end(p, 0)
            body = p[1 : end - 1]
            if body.startswith("^") or "\\" in body or any(ch.isalnum() or ch == "_" for ch in body):
                return p
            q = regex.match(r"(?:[*+?]|\{\d*,?\d*\})?\??", p[end:])
            p = p[end + q.end():]
            continue
        return p


def _alt_prefixes(p: str) -> list[str] | None:
    p = _skip_punctuation(p)
    while p.startswith(("(?=", "(?!", "(?<=", "(?<!")):  # zero-width: skipping widens
        p = _skip_punctuation(p[_group_end(p, 0):])
    if p.startswith("[") and not p.startswith("[^"):
        end = _class_end(p, 0)
        body = p[1 : end - 1]
        if body and len(body) <= 8 and "\\" not in body and "-" not in body and p[end : end + 1] not in ("?", "*", "{"):
            return [fold(ch) for ch in body]  # "[îi]napoi": starts with î or i
    if p.startswith(("(?:", "(?-i:", "(?i:")):
        end = _group_end(p, 0)
        inner = p[p.index(":") + 1 : end - 1]
        head = literal_prefixes(inner)
        if head is None:
            return None
        if not _optional_follows(p, end):
            return head
        # an optional group: a match starts with it or with what follows it
        q = regex.match(r"(?:[*?]|\{0*,\d*\})\??", p[end:])
        rest = _alt_prefixes(p[end + q.end():])
        return None if rest is None else head + rest
    literal = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            e = p[i + 1 : i + 2]
            if e and not e.isalnum():
                literal.append(e)
                i += 2
                continue
            break
        if c in _META:
            break
        literal.append(c)
        i += 1
    if i < len(p) and p[i] in "?*{" and literal:
        if p[i] != "{" or _optional_follows(p, i):
            literal.pop()  # the last character is optional
    text = "".join(literal)
    if not text.strip():
        return None
    return [fold(text)]


_LAZY_LEAD = regex.compile(r"^(?:\.[*+]\??|\(\?:\\S\+ \)(?:[*+]|\{\d*,?\d*\})\??)")


def required_substrings(p: str) -> list[str] | None:
    """For a pattern that scans ("anything, then X"), the casefolded literal
    strings one of which every match contains; None when unknown."""
    m = _LAZY_LEAD.match(p)
    if not m:
        return None
    return literal_prefixes(p[m.end():])


_NON_WORD_LEAD = regex.compile(r"^[\W_]+")


class Gate:
    """Which gated patterns a line may match: `views(folded)` gives the views of
    the line to test with `str.startswith(prefixes)`."""

    @staticmethod
    def views(folded: str) -> tuple[str, str]:
        """The folded line and the same without its leading non-word characters."""
        if folded[:1].isalnum():  # the common case: nothing to strip
            return folded, folded
        return folded, _NON_WORD_LEAD.sub("", folded)


# Characters a line may have before a literal start: every one `Gate.views`
# strips (the `regex` module's [\W_]) and every space, never '\n'.  Written as
# "not a letter, mark, digit or letter number", a superset a test checks.
_SKIPPED = r"[^\pL\pM\p{Nd}\p{Nl}\n]"
# What a space of a prefix matches in the raw line: any run of spaces (none is
# above U+3000).
_ANY_SPACES = "[" + "".join(re2.escape(chr(c)) for c in range(0x3001) if chr(c).isspace() and c != 10) + "]+"


def _scan_literal(text: str) -> str:
    """RE2 source matching `text` with each space standing for any run of spaces."""
    return _ANY_SPACES.join(re2.escape(part) for part in text.split(" "))


class LineScanner:
    """Finds the lines of a folded document that a phrase pattern could match.

    A line is found when, after leading non-word characters and spaces, it
    starts with one of `prefixes`, or when it contains one of `needs`.  This
    is a superset of what `Gate.views` and the `needs` test admit for the
    line (which look at the line after `normalize_space`): a space in a
    prefix or need matches any run of spaces here.
    """

    def __init__(self, prefixes: Iterable[str], needs: Iterable[str]):
        options = re2.Options()
        # RE2's default 8 MB is too small for the DFA of ~1000 phrases: it would
        # fall back to its slow NFA (and log each time).
        options.max_mem = 64 << 20
        options.log_errors = False
        # A view never holds '\n', so strings with one admit nothing.  Two
        # patterns, not one: a DFA for both at once takes far longer to build.
        starts = sorted({_scan_literal(p) for p in prefixes if "\n" not in p})
        inside = sorted({_scan_literal(n) for n in needs if "\n" not in n})
        self._starts = re2.compile(f"(?m)^{_SKIPPED}*(?:{'|'.join(starts)})", options) if starts else None
        self._inside = re2.compile(rf"(?:{'|'.join(inside)})[^\n]*", options) if inside else None

    def lines(self, folded: bytes) -> tuple[set[int], set[int]]:
        """Indices of the lines of `folded` (UTF-8, lines joined by '\\n') found
        by a prefix, and of those found by a need."""
        return _lines_found(self._starts, folded), _lines_found(self._inside, folded)


@lru_cache(maxsize=8)
def line_scanner(prefixes: frozenset[str], needs: frozenset[str]) -> LineScanner:
    """A LineScanner shared by the rule sets with these strings: building one
    and warming its DFA up costs more than cleaning a short document."""
    return LineScanner(prefixes, needs)


def _lines_found(pattern, folded: bytes) -> set[int]:
    """Indices of the lines of `folded` where `pattern` matches."""
    return set(matching_lines(pattern, folded)) if pattern is not None else set()
