"""Normal forms of a line used to compare lines, not to output them.

Two copies of a headline that differ only in case, spacing or punctuation are
the same line to a reader, so rules that look for repeats compare `line_key`s.

`fold_lines` and `folded_keys` give the same values for a whole document in a
few passes over its text: per-line calls cost more than the work itself on
scraped pages, whose lines are short.
"""
from __future__ import annotations

import re

import xxhash

# `re` rather than `regex`: same Unicode \W for str patterns, and faster for
# this one substitution, which runs on every line.
_NON_WORD = re.compile(r"[\W_]+")

# `folded_keys` works on UTF-8 bytes: ASCII non-word characters go to spaces
# with one bytes.translate, the few distinct non-ASCII ones with bytes.replace.
_ASCII = bytes(range(128))
_ASCII_NON_WORD = bytes(c for c in _ASCII if not chr(c).isalnum() and chr(c) != "\n")
_ASCII_TO_SPACE = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))
_SPACE_RUN = re.compile(b"  +")


def fold(text: str) -> str:
    """casefold, except that Turkish İ folds to plain i (not i + combining dot),
    so "İlgili" and "ilgili" compare equal."""
    folded = text.casefold()
    return folded.replace("i\u0307", "i") if "\u0307" in folded else folded


def line_key(line: str) -> str:
    """Casefolded words of `line` joined by single spaces ('' for no words)."""
    return _NON_WORD.sub(" ", fold(line)).strip()


def fold_lines(lines: list[str]) -> bytes:
    """fold of `lines` joined by '\\n', as UTF-8.

    Case folding works character by character and no character folds to or
    from '\\n', so line i of the result is fold(lines[i]) (lines hold no '\\n').
    A lone surrogate, which UTF-8 cannot hold, becomes '?': a non-word
    character either way.
    """
    return fold_text("\n".join(lines))


def fold_text(text: str) -> bytes:
    """`fold_lines` of the lines of `text` (the lines joined by '\n' already)."""
    return fold(text).encode("utf-8", "replace")


def folded_keys(folded: bytes) -> list[str]:
    """line_key of every line of `fold_lines(lines)`.

    line_key maps each run of non-word characters (`[\\W_]`) to one space and
    strips the ends; here each such character becomes a space, then runs of
    spaces shrink to one, keeping the '\\n's that separate the lines.
    """
    text = folded.translate(_ASCII_TO_SPACE)
    # The non-ASCII characters (UTF-8 puts no ASCII byte inside one); for
    # them, as for `re`, a word character is one that isalnum.  Same-length
    # replacements are done in one pass; the runs of spaces go next.
    for char in set(text.translate(None, _ASCII).decode()):
        if not char.isalnum():
            utf8 = char.encode()
            text = text.replace(utf8, b" " * len(utf8))
    return [key.strip() for key in _SPACE_RUN.sub(b" ", text).decode().split("\n")]


# Characters per word in scripts written without spaces: Chinese words average
# under two characters, Japanese ones a little over; Thai, Lao, Khmer and
# Burmese words about four code points (vowel and tone marks included).
CJK_CHARS_PER_WORD = 2
SOUTHEAST_ASIAN_CHARS_PER_WORD = 4
_CJK = "\u3041-\u9fff"  # kana, ideographs
_SOUTHEAST = "\u0e00-\u0eff\u1000-\u107f\u1780-\u17ff"  # Thai, Lao, Burmese, Khmer
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SOUTHEAST_RUN = re.compile(f"[{_SOUTHEAST}]+")
_UNSPACED = re.compile(f"[{_CJK}{_SOUTHEAST}]")


def has_unspaced_script(text: str) -> bool:
    """Whether `text` holds any character of a script written without spaces."""
    return not text.isascii() and _UNSPACED.search(text) is not None


def pieces_at_spaces(text: str, size: int):
    """`text` in consecutive pieces of about `size` characters, each but the
    last ending with a space or a newline (longer where none comes sooner):
    no word spans two pieces."""
    start = 0
    while len(text) - start > size:
        end = max(text.rfind(" ", start, start + size), text.rfind("\n", start, start + size))
        if end < 0:  # no break in the window: the first one after it
            later = [i for i in (text.find(" ", start + size), text.find("\n", start + size)) if i >= 0]
            if not later:
                break
            end = min(later)
        yield text[start:end + 1]
        start = end + 1
    yield text[start:]


# A line is split into words this many characters at a time, at most (a
# 50 MB line split whole made a list of 10 M strings, 600 MB).
_SPLIT_PIECE = 1 << 20


def count_words(line: str) -> int:
    """Words of a line: its space-separated tokens, where a run of a script
    written without spaces (Chinese, Japanese, Thai, ...) counts as a word
    every few characters, so that a Chinese sentence is not "one word"."""
    if not has_unspaced_script(line):
        if len(line) > _SPLIT_PIECE:
            return sum(len(piece.split()) for piece in pieces_at_spaces(line, _SPLIT_PIECE))
        return len(line.split())
    for pattern, per_word in ((_CJK_RUN, CJK_CHARS_PER_WORD), (_SOUTHEAST_RUN, SOUTHEAST_ASIAN_CHARS_PER_WORD)):
        # each run becomes its words, set apart ("AI技术" -> "AI w")
        line = pattern.sub(lambda run: " w" * -(-len(run.group()) // per_word) + " ", line)
    return len(line.split())


# A word of a line for `end_words`: one character of a script written without
# spaces, or a run of anything else but spaces.
_END_UNIT = re.compile(f"[{_CJK}]|[{_SOUTHEAST}]|[^\\s{_CJK}{_SOUTHEAST}]+")


def end_words(line: str, words: int) -> tuple[str, str]:
    """The first and the last `words` words of `line` (a line key), where a
    run of a script written without spaces gives a word every few characters
    as in `count_words`, counted from the end it is taken from: an edit in
    the middle of a Chinese sentence leaves both ends as they were."""
    return _first_words(line, words, 1), _first_words(line, words, -1)


# How much of a line `end_words` reads from each end before it reads the whole line.
_END_CHARS = 256


def _first_words(line: str, words: int, step: int) -> str:
    """The first (`step` 1) or last (-1) `words` words of `line`, as `end_words`
    counts them: read from its first or last _END_CHARS characters when the
    words end there before the last unit read (which the cut may have split)."""
    end = line[:_END_CHARS] if step > 0 else line[-_END_CHARS:]
    for part in (end, line) if len(end) < len(line) else (line,):
        units = _END_UNIT.findall(part)[::step]
        total = 0.0
        for n, unit in enumerate(units, 1):
            total += (1 / CJK_CHARS_PER_WORD if _CJK_RUN.match(unit) else
                      1 / SOUTHEAST_ASIAN_CHARS_PER_WORD if _SOUTHEAST_RUN.match(unit) else 1)
            if total >= words and (part is line or n < len(units)):
                return " ".join(units[:n][::step])
    return " ".join(units[::step])  # fewer words than asked: the whole line


def text_hash(text: str) -> int:
    """64-bit hash of a text (lone surrogates included), for tables keyed by text."""
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
