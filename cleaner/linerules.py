"""Stage 3: in-document boilerplate rules.

Each rule removes whole lines and names itself in the Removal, so statistics
and `explain` can say why every line went.  The rules here need only the
document itself; rules that need other documents of the same site live in
`siterepeats`, and the learned line model in `linemodel`.
"""
from __future__ import annotations

import re2  # scans a character-class pattern several times faster than `re`
import regex

from .dedupview import SENTENCE_STOPS
from .document import Document
from .lexicon import RuleSet, load_rules
from .linescan import matching_lines
from .textnorm import fold_text, folded_keys, line_key

_SENTENCE_END = regex.compile(f"[{regex.escape(SENTENCE_STOPS + ':;»')}" + r"\"”’)\]]\s*$")

# Dangling fragments after the article: at most this many words, no sentence
# end.  "je suis" is the seed's example; "Tags", "Related" are others.
TRAILING_FRAGMENT_MAX_WORDS = 3
# A paragraph that anchors the end of the article: this many words and a sentence end.
PARAGRAPH_MIN_WORDS = 8
# How much of the end of a stripped line _SENTENCE_END is looked for in (a stop,
# then closing marks or spaces str.strip leaves: never that many).
_END_CHARS = 64
# Page-number rows ("Pages: 1 - 2 - 3 - ... - 904", "« Previous 1 2 3 4 5 Next »",
# a calendar's "1 2 3 ... 31"): a run of at least this many consecutive
# numbers counting up by one, and besides the numbers at most
# PAGE_ROW_OTHER_WORDS words (labels), or PAGE_ROW_OTHER_SHARE of the words.
# Years (four digits) do not count: "2001 2002 2003 2004 2005" heads a table.
PAGE_ROW_MIN_RUN = 5
PAGE_ROW_OTHER_WORDS = 2
PAGE_ROW_OTHER_SHARE = 0.2
# Cheap test over the whole document first (most documents have no run of
# numbers): five numbers apart only by non-alphanumerics on one line, a
# superset of what `is_page_row` accepts, scanned by RE2 at ~400 MB/s.
_NUMBER_RUN = re2.compile(rb"[0-9](?:[^0-9A-Za-z\n]+[0-9]+){%d}" % (PAGE_ROW_MIN_RUN - 1))


# Glued menus: naive text extraction joins the items of a menu without a space
# ("HomeNewsSportWeather", "Lediga jobbLyssnaHitta till oss").  A line is one
# when it has at least GLUED_MIN_JOINS joins (a lower-case letter pair, then
# an upper-case letter starting a word), one word holds at least two of them
# (three items in a row: brand names such as "YouTube" or "PowerPoint" hold
# one), at least half of its words hold one, and it does not end a sentence.
# Lines that look like code ("getElementById(...)", "a.b = c;") are left alone.
GLUED_MIN_JOINS = 3
GLUED_WORD_SHARE = 0.5
_GLUE = re2.compile(r"\p{Ll}\p{Ll}\p{Lu}\p{Ll}")  # RE2 screens the document first
# One match per join, for counting; also the screen of a text RE2 cannot read
# (a lone surrogate: RE2 reads UTF-8), as it matches where _GLUE does.
_GLUE_EXACT = regex.compile(r"\p{Ll}\p{Ll}(?=\p{Lu}\p{Ll})")
_CODE_LIKE = regex.compile(r"[(){}\[\]=;<>]|\w\.\w")


def is_glued_menu(line: str) -> bool:
    """Whether `line` is a menu whose items extraction glued together (see GLUED_MIN_JOINS)."""
    if _CODE_LIKE.search(line) or _SENTENCE_END.search(line):
        return False
    joins = [len(_GLUE_EXACT.findall(word)) for word in line.split()]
    return (sum(joins) >= GLUED_MIN_JOINS and max(joins) >= 2
            and sum(1 for n in joins if n) >= GLUED_WORD_SHARE * len(joins))


def _glued_candidate_lines(text: str) -> list[int]:
    """Indexes of the lines of `text` with a join of glued words (the candidates for `is_glued_menu`)."""
    try:
        return matching_lines(_GLUE, text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8 only
        return matching_lines(_GLUE_EXACT, text)


def _number_run_lines(folded: bytes) -> list[int]:
    """Indexes of the lines of `folded` (`textnorm.fold_lines`) that hold a
    run of five numbers (the candidates for `is_page_row`), in order."""
    return matching_lines(_NUMBER_RUN, folded)


# A page-number row is short: a longer key is not split to look (a line can be 50 MB).
PAGE_ROW_MAX_CHARS = 20_000


def is_page_row(key: str) -> bool:
    """Whether a line key (words joined by single spaces) is a page-number row."""
    if len(key) > PAGE_ROW_MAX_CHARS:
        return False
    words = key.split(" ")
    numbers = [int(w) if len(w) <= 3 and w.isascii() and w.isdigit() else None for w in words]
    others = sum(n is None for n in numbers)
    if others > max(PAGE_ROW_OTHER_WORDS, PAGE_ROW_OTHER_SHARE * len(words)):
        return False
    run = 0
    previous = None
    for n in numbers:
        run = run + 1 if n is not None and previous is not None and n == previous + 1 else (1 if n is not None else 0)
        if run >= PAGE_ROW_MIN_RUN:
            return True
        previous = n
    return False


class LineRules:
    """Whitespace/separator lines, phrase rules, page-number rows, glued menus, repeated titles, dangling tails."""

    name = "line_rules"

    def __init__(self, rules: RuleSet | None = None, extra_rule_files: list[str] = ()):
        self.rules = rules if rules is not None else load_rules(extra_rule_files)

    def apply(self, doc: Document) -> None:
        lines = doc.lines
        if not lines:  # never split: nothing to remove
            doc.scratch["keys"] = []
            return
        # Whole-document passes rather than per-line calls: lines are short.
        text = "\n".join(lines)
        folded = fold_text(text)
        keys = doc.scratch["keys"] = folded_keys(folded)  # kept for the cross-document stages
        phrase_rules = self.rules.match_lines(lines, folded, keys)
        for i in _number_run_lines(folded):
            if i not in phrase_rules and is_page_row(keys[i]):
                phrase_rules[i] = "navigation"
        for i in _glued_candidate_lines(text):
            if i not in phrase_rules and is_glued_menu(lines[i]):
                phrase_rules[i] = "glued_menu"
        title_key = line_key(doc.title) if doc.title else None
        title_seen = False  # a title field's text may stand once in the body too
        previous_key = None
        for i, key in enumerate(keys):
            if not key:
                line = lines[i]
                if line:
                    doc.remove(i, "separator_line" if line.strip() else "whitespace_line")
                continue
            rule = phrase_rules.get(i)
            if rule is not None:
                doc.remove(i, rule)
                continue
            if title_key is None:
                title_key = key  # the first line is the title
                title_seen = True
            elif key == title_key:
                if title_seen:
                    doc.remove(i, "repeated_title")
                    continue
                title_seen = True
            if key == previous_key:
                doc.remove(i, "duplicate_line")
                continue
            previous_key = key

    def remove_trailing_fragments(self, doc: Document) -> None:
        """Drop short unpunctuated lines after the last paragraph.

        Run last, once every other stage has removed what it removes, so the
        last paragraph is the last one a reader would see.
        """
        kept = [i for i, r in enumerate(doc.removed) if r is None and doc.lines[i].strip()]
        for i in reversed(kept):
            line = doc.lines[i].strip()
            # (Words up to the count that decides, and the end of the line only:
            # a line can be 50 MB.)
            words = len(line.split(None, PARAGRAPH_MIN_WORDS))
            ends_sentence = _SENTENCE_END.search(line, max(0, len(line) - _END_CHARS)) is not None
            if words >= PARAGRAPH_MIN_WORDS and ends_sentence:
                break
            if words > TRAILING_FRAGMENT_MAX_WORDS or ends_sentence:
                return  # the tail is not a dangling fragment: leave the document alone
        else:
            return  # no paragraph at all: nothing anchors an "after"
        for j in kept:
            if j > i:
                doc.remove(j, "trailing_fragment")
