"""Which lines of a document a pattern matches in, found with one RE2 scan.

Several stages screen a whole document with RE2 before doing any per-line
work in Python.  They need line numbers, not matches, and the google-re2
wrapper's `finditer` runs Python for every match (it builds a Match object,
and for a `str` converts byte offsets to character offsets).  `matching_lines`
calls the compiled RE2 object directly on UTF-8 bytes and, once a line has
matched, resumes at the next line: one call per matching line.  (On the
benchmark corpus this took a quarter off the glued-menu screen; the phrase
scanner, with about one match a matching line, gained little.)
"""
from __future__ import annotations

try:
    from re2 import _re2
    _UNANCHORED = _re2.RE2.Anchor.UNANCHORED
except (ImportError, AttributeError):  # pragma: no cover - a google-re2 without this inner API
    _UNANCHORED = None


def matching_lines(pattern, data: bytes | str) -> list[int]:
    """Indices, in order, of the '\\n'-separated lines of `data` in which
    `pattern` (one that never matches across a '\\n') has a match.

    The fast path is for a google-re2 pattern and UTF-8 `data`; any other
    pattern object with `finditer` (and a `str`, for any) goes through it."""
    compiled = getattr(pattern, "_regexp", None)
    if compiled is None or _UNANCHORED is None or not isinstance(data, bytes):
        return _matching_lines_finditer(pattern, data)
    found: list[int] = []
    end = len(data)
    pos = line = 0
    while pos <= end:
        start = compiled.Match(_UNANCHORED, data, pos, end)[0][0]
        if start < 0:
            break
        line += data.count(b"\n", pos, start)
        found.append(line)
        pos = data.find(b"\n", start)
        if pos < 0:
            break
        pos += 1
        line += 1
    return found


def _matching_lines_finditer(pattern, data: bytes | str) -> list[int]:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    found: list[int] = []
    line = pos = 0
    for match in pattern.finditer(data):
        line += data.count(newline, pos, match.start())
        pos = match.start()
        if not found or found[-1] != line:
            found.append(line)
    return found
