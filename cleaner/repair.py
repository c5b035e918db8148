"""Stage 2: repair text with ftfy, running ftfy only where it can change something.

ftfy fixes mojibake, line breaks and control characters, but it costs about
3 MB/s per core, and most scraped text needs none of it.  `repair_text` gives
exactly what `ftfy.fix_text(text, FTFY_CONFIG)` gives, but first asks cheap
questions that prove a line would come out of ftfy unchanged:

* it holds none of the characters that any enabled fixer acts on (HTML
  entities, ``\\r``, escapes, C0/C1 controls, surrogates, the characters
  ftfy deletes, U+2028/2029/0085);
* it is ASCII, or ftfy's own mojibake detector (`ftfy.badness.is_bad`) finds
  nothing -- the same test ftfy runs before trying to re-decode.  is_bad is
  one large regex that runs at 3 MB/s under `re`; an RE2 copy of it, widened
  to match a superset, scans at ~200 MB/s and is_bad only confirms its hits;
* it is already NFC.

Lines that fail a question go through ftfy's `fix_and_explain` one segment at a
time, with the same segmentation and the same HTML-unescaping state as
`ftfy.fix_text`, so the result is identical (a differential test checks this).

The segments ftfy does run on are memoized: a site whose pages are mojibake
repeats its menus and footers in every page (on the benchmark corpus a third
of the characters ftfy saw were such repeats).

Typography is kept: ftfy's defaults would straighten curly quotes, expand
ligatures and narrow full-width characters, which changes what the author
wrote, so those three fixers are off.

ftfy judges every line alone, and some mojibake looks harmless on its own:
"â–º November 2012" (a Blogger archive arrow, ►) and Swedish "GÃ¥ ner" (Gå)
score zero on its detector.  Once ftfy has re-decoded other lines of the same
document, the document is known to be mojibake, so `repair_document` gives
the lines ftfy left the same re-decoding where it is exact (see
`fix_leftover_mojibake`).  That is the pipeline's repair stage;
`repair_text` alone stays identical to ftfy.
"""
from __future__ import annotations

import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, is_bad
from ftfy.chardata import CONTROL_CHARS, HTML_ENTITY_RE

try:  # RE2 scans a large alternation in linear time, ~60x faster than `re` here
    import re2 as _fast_re
except ImportError:  # pragma: no cover - google-re2 is a dependency; keep working without it
    import re as _fast_re

FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    explain=False,
)
_EXPLAIN_CONFIG = FTFY_CONFIG._replace(explain=True)


def _strip_verbose(pattern: str) -> str:
    """BADNESS_RE is written in re.VERBOSE style, which RE2 lacks: drop the
    layout whitespace and comments outside character classes."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
        elif c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("]")
                i += 1
        elif c == "#":
            newline = pattern.find("\n", i)
            i = len(pattern) if newline < 0 else newline
        elif c.isspace():
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# Python's \s for str patterns is str.isspace(); RE2's is ASCII-only.
_PY_SPACE_CLASS = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"
# A superset of ftfy's mojibake detector: RE2's \w and \s are ASCII-only, so
# \w is widened to "any character" and \s spelled out; whatever BADNESS_RE matches, this does.
_BADNESS_SUPERSET = (
    _strip_verbose(BADNESS_RE.pattern).replace("\\w", "(?s:.)").replace("\\s", _PY_SPACE_CLASS)
)
_deleted = "".join(f"\\x{{{c:x}}}" for c in sorted(CONTROL_CHARS))
# Characters some enabled fixer acts on, apart from mojibake: HTML entities,
# carriage returns and other line breaks, terminal escapes, C0/C1 controls and
# the characters ftfy deletes.
_FIXABLE = (
    HTML_ENTITY_RE.pattern
    + "|[\\r\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\x{2028}\\x{2029}"
    + _deleted
    + "]"
)
_FIXABLE_RE = _fast_re.compile(_FIXABLE)
_MAYBE_BAD_RE = _fast_re.compile(_BADNESS_SUPERSET)


def _segment_is_clean(segment: str) -> bool:
    try:
        if _FIXABLE_RE.search(segment):
            return False
        if segment.isascii():
            return True
        if _MAYBE_BAD_RE.search(segment) and is_bad(segment):
            return False
    except UnicodeEncodeError:  # lone surrogates: ftfy's fix_surrogates applies
        return False
    return unicodedata.is_normalized("NFC", segment)


def needs_repair(text: str) -> bool:
    """False when ftfy would certainly leave `text` unchanged.

    Cheaper than `_segment_is_clean`: a hit of the widened mojibake regex is
    not confirmed here, since `repair_text` confirms it line by line.
    """
    try:
        if _FIXABLE_RE.search(text):
            return True
        if text.isascii():
            return False
        return bool(_MAYBE_BAD_RE.search(text)) or not unicodedata.is_normalized("NFC", text)
    except UnicodeEncodeError:
        return True


# Segments whose repair is remembered, and the longest one remembered.
_MEMO_SEGMENTS = 50_000
_MEMO_MAX_CHARS = 2_000
_memo: dict[tuple, tuple[str, tuple[str, ...]]] = {}


def _fix_segment(segment: str, config) -> tuple[str, tuple[str, ...]]:
    """ftfy.fix_and_explain of one segment (a pure function: memoized), with
    its steps as "action:parameter" names (`config` must explain: the
    document-level step needs to know which segments ftfy re-decoded)."""
    key = (segment, config)
    cached = _memo.get(key)
    if cached is None:
        fixed, plan = ftfy.fix_and_explain(segment, config)
        cached = (fixed, tuple(f"{step.action}:{step.parameter}" for step in plan or ()))
        if len(segment) <= _MEMO_MAX_CHARS:
            if len(_memo) >= _MEMO_SEGMENTS:
                _memo.clear()
            _memo[key] = cached
    return cached


def repair_text(text: str, explain: bool = False) -> tuple[str, list[str]]:
    """Return (ftfy.fix_text(text, FTFY_CONFIG), names of the fixes applied).

    With `explain`, the names are ftfy's steps ("encode:sloppy-windows-1252",
    "decode:utf-8", ...); otherwise the list says "ftfy" when anything changed.
    """
    fixed, steps = _ftfy_where_needed(text)
    return fixed, _step_names(text, fixed, steps, explain)


def _step_names(text: str, fixed: str, steps: list[str], explain: bool) -> list[str]:
    """What a repair says it did: its steps, or "ftfy" when anything changed."""
    if explain:
        return sorted(set(steps))
    return ["ftfy"] if fixed != text else []


def _ftfy_where_needed(text: str) -> tuple[str, list[str]]:
    """`repair_text`, with the steps of every segment ftfy changed, in order."""
    if not needs_repair(text):
        return text, []
    config = _EXPLAIN_CONFIG  # (explaining changes no output, and costs little next to ftfy)
    out: list[str] = []
    steps: list[str] = []
    pos = 0
    end = len(text)
    # Same segmentation as ftfy.fix_text: one line at a time, at most
    # max_decode_length characters, and once a segment holds '<', HTML
    # unescaping stays off for the rest of the text.
    while pos < end:
        textbreak = text.find("\n", pos) + 1 or end
        if textbreak - pos > config.max_decode_length:
            textbreak = pos + config.max_decode_length
        segment = text[pos:textbreak]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        if _segment_is_clean(segment):
            out.append(segment)
        else:
            fixed, plan = _fix_segment(segment, config)
            out.append(fixed)
            if plan:
                steps.extend(plan)
        pos = textbreak
    return "".join(out), steps


def repair_document(text: str, explain: bool = False) -> tuple[str, list[str]]:
    """The repair stage: `repair_text`, then `fix_leftover_mojibake` with the
    encodings ftfy re-decoded the document from.  Same return value as
    `repair_text` (the leftover step is named "leftover_mojibake:<encoding>")."""
    fixed, steps = _ftfy_where_needed(text)
    fixed, leftover = fix_leftover_mojibake(fixed, steps)
    return fixed, _step_names(text, fixed, steps + leftover, explain)


# Characters a re-decoded line must not gain: C0 controls (the sloppy codecs
# map U+FFFD to 0x1A, so a line with replacement characters would gain SUB).
_C0_CONTROLS = frozenset(chr(c) for c in range(32)) - {"\t"}
# The encoding a page was mis-decoded with, from the one ftfy names for a line
# (the narrowest that re-decodes it: latin-1 for "pÃ¥", windows-1252 for "â€™").
_WIDER = {"latin-1": "sloppy-windows-1252", "windows-1252": "sloppy-windows-1252"}


def fix_leftover_mojibake(text: str, steps: list[str]) -> tuple[str, list[str]]:
    """Re-decode the lines ftfy left as they were, once it has re-decoded
    others of the same document (`steps`: ftfy's, as "encode:<encoding>",
    "decode:utf-8", ...).

    A line is re-decoded with an encoding ftfy used when the result is exact:
    the line encodes to bytes in that encoding and the bytes are valid UTF-8
    (text that is not mojibake almost never is: "café" in windows-1252 is
    not UTF-8), and the result gains no control character.  The result then
    goes through `repair_text` like any text.  Returns the text and the steps
    ("leftover_mojibake:<encoding>", once per encoding used)."""
    if "decode:utf-8" not in steps:
        return text, []
    encodings = [step[7:] for step in steps if step.startswith("encode:")]
    encodings = list(dict.fromkeys(encodings + [_WIDER[e] for e in encodings if e in _WIDER]))
    if not encodings:
        return text, []
    lines = text.split("\n")
    used: list[str] = []
    for i, line in enumerate(lines):
        if line.isascii() or "\ufffd" in line:
            continue
        for encoding in encodings:
            try:
                decoded = line.encode(encoding).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if decoded != line and _C0_CONTROLS.isdisjoint(decoded):
                lines[i] = repair_text(decoded)[0]
                used.append(f"leftover_mojibake:{encoding}")
                break
    if not used:
        return text, []
    return "\n".join(lines), sorted(set(used))
