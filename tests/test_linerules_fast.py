"""The whole-document line rules must give exactly what the per-line rules give.

`LineRules.apply` folds a document once, computes every line key in a few
passes over its text and runs the phrase matcher, and the shape rules (page-number
rows, glued menus), only on the lines that an RE2 scan finds.  The reference here is the straightforward algorithm: for each
line, `line_key` and `RuleSet.match` (with the matcher's memo emptied before
every call).  Documents are generated from the lexicons' own phrases, mixed
languages and scripts, Turkish İ, German ß, no-break and other spaces,
separators, combining marks and numbers such as "²" that `re` and `regex` class
differently.  The Unicode facts the fast path relies on are checked for every
code point.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import re2
import regex
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleaner import Document
from cleaner.lexicon import Alternative, load_rules
from cleaner.linerules import LineRules, is_glued_menu, is_page_row
from cleaner.linescan import matching_lines
from cleaner.phrasegate import _ANY_SPACES, _SKIPPED, Gate, LineScanner
from cleaner.textnorm import fold, fold_lines, folded_keys, line_key

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=100)

RULES = load_rules()
FAST = LineRules(RULES)
REFERENCE_RULES = load_rules()


def reference_apply(doc: Document) -> None:
    """The per-line algorithm `LineRules.apply` replaces."""
    title_key = line_key(doc.title) if doc.title else None
    title_seen = False
    previous_key = None
    keys = [""] * len(doc.lines)
    doc.scratch["keys"] = keys
    for i, line in enumerate(doc.lines):
        stripped = line.strip()
        if not stripped:
            if line:
                doc.remove(i, "whitespace_line")
            continue
        key = keys[i] = line_key(stripped)
        if not key:
            doc.remove(i, "separator_line")
            continue
        REFERENCE_RULES._memo.clear()
        rule = REFERENCE_RULES.match(stripped, key)
        if rule is None and is_page_row(key):  # the shape rules, on every line (the fast
            rule = "navigation"                # path screens the document for candidates)
        if rule is None and is_glued_menu(line):
            rule = "glued_menu"
        if rule is not None:
            doc.remove(i, rule)
            continue
        if title_key is None:
            title_key = key
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


def outcome(doc: Document) -> tuple:
    return doc.scratch["keys"], [(r.line, r.rule, r.text, r.score) if r else None for r in doc.removed]


def check(text: str, title: str | None = None) -> None:
    fast = Document(id="fast", text=text, title=title)
    slow = Document(id="slow", text=text, title=title)
    fast.split_lines()
    slow.split_lines()
    FAST.apply(fast)
    reference_apply(slow)
    assert outcome(fast) == outcome(slow), text


# -- the lexicons' own strings -------------------------------------------------------

def _alternatives():
    for bucket in [*RULES.by_start.values(), RULES.ungated_needs]:
        yield from bucket


PHRASES = sorted({
    *RULES.whole_lines,
    *(p for alt in _alternatives() for p in alt.prefixes or ()),
    *RULES.by_need,
})
WORDS = ["the", "Straße", "STRASSE", "İstanbul", "ISTANBUL", "ılık", "Москва", "日本語", "café", "cafe\u0301",
         "naïve", "Ελλάδα", "σοφός", "ΣΟΦΟΣ", "2024", "²", "½", "①", "x_y", "ǅ", "ﬁ", "Ⓐ", "ⓒ", "\u200d", "ß"]
SPACES = [" ", " ", " ", "  ", "\xa0", "\u2009", "\u3000", "\t", "\x0b", "\x1c", "\x85", "\u2028", "\r", ""]
SEPARATORS = [":", " : ", " - ", " – ", "—", "|", " | ", "»", " › ", ">", "/", " / ", "...", "…", "·", "•",
              "©", "(c)", "-", "_", "*", "#", "«", "‹", "←", "→", "?", "!", ".", ",", "'", "“", "”", "\"",
              "\u0307", "\u0301", "²", "\ufeff", "\x00", "\x7f", "\ud800"]


@st.composite
def casing(draw, text: str) -> str:
    how = draw(st.sampled_from(["keep", "keep", "upper", "title", "lower", "random"]))
    if how == "upper":
        return text.upper()
    if how == "title":
        return text.title()
    if how == "lower":
        return text.lower()
    if how == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.upper() if f else c for c, f in zip(text, flips))
    return text


@st.composite
def spaced(draw, text: str) -> str:
    """`text` with each space replaced by some run of (no-break, ideographic...) spaces."""
    parts = text.split(" ")
    return "".join(p + (draw(st.sampled_from(SPACES[:-1])) if i < len(parts) - 1 else "")
                   for i, p in enumerate(parts))


piece = st.one_of(
    st.sampled_from(PHRASES).flatmap(casing).flatmap(spaced),
    st.sampled_from(PHRASES).flatmap(casing).flatmap(spaced),
    st.sampled_from(WORDS).flatmap(casing),
    st.sampled_from(SEPARATORS),
    st.text(st.sampled_from("aAiIİıßẞ ²_-:|/»©\u0307\xa0"), max_size=4),
)


@st.composite
def line(draw) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(SPACES), piece), max_size=6))
    text = "".join(s + p for s, p in parts) + draw(st.sampled_from(SPACES))
    if draw(st.integers(0, 30)) == 0:
        text = text * (1 + 420 // max(1, len(text)))  # past the phrase rules' length limit
    return text


@st.composite
def document(draw) -> str:
    lines = draw(st.lists(line(), min_size=1, max_size=12))
    if len(lines) > 2 and draw(st.booleans()):  # repeats: titles and duplicate lines
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(lines)))
    return "\n".join(lines)


# -- the whole pipeline stage --------------------------------------------------------

@SETTINGS
@given(document(), st.one_of(st.none(), st.sampled_from(WORDS + PHRASES[:20])))
@example("Lire aussi : la suite\n-²Lire aussi: x\n\u00a0\n---\nLIRE\u00a0 AUSSI — titre", None)
@example("İLGİLİ HABERLER\nStraße\nSTRASSE\n\ud800 cookie\n\n©\u00a02024 x", "strasse")
@example("", None)
def test_fast_line_rules_equal_the_per_line_rules(text, title):
    check(text, title)


# Pieces of page-number rows and glued menus, with what the screens must not
# trip on: years, superscript and Arabic-Indic digits, lone surrogates, code.
SHAPE_PIECES = ["1", "2", "3", "4", "5", "6", "7", "12", "2001", "2002", "²", "٣", " ", " - ", " | ", "\u00a0",
                "Page", "Next »", "HomeNews", "SportWeatherTravel", "ÉtéHiverPrintemps", "a", "Lyssna", "\ud800",
                "getElementById(x)", ".", ";", "\n"]


@SETTINGS
@given(st.lists(st.sampled_from(SHAPE_PIECES), min_size=1, max_size=40).map("".join))
@example("1 - 2 - 3 - 4 - 5 - 6\nHomeNewsSportWeatherTravel Lyssna\nPage 3 | 4 | 5 | 6 | 7 Next »\n1²2 3 4 5 6")
def test_shape_rules_find_what_the_per_line_rules_find(text):
    check(text)


def test_cases_from_the_phrase_files_one_document_each():
    for path in sorted((Path(__file__).parent / "cases").glob("phrases_*.json")):
        lines = [c["line"] for c in json.loads(path.read_text(encoding="utf-8"))["cases"]]
        check("\n".join(lines))


def test_a_pattern_without_literal_start_or_needs_is_tried_on_every_line(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[navigation]\npatterns = ["\\\\d+ zorblax"]\n', encoding="utf-8")
    rules = load_rules([user])
    assert rules.ungated_always
    doc = Document(id="d", text="plain prose here\n42 zorblax\nmore prose")
    doc.split_lines()
    LineRules(rules).apply(doc)
    assert [r.rule for r in doc.removals()] == ["navigation"]


def test_rules_added_after_first_use_are_scanned_for():
    rules = load_rules()
    line = "Zorblax news: the frobnicator"
    doc = Document(id="d", text=line)
    doc.split_lines()
    LineRules(rules).apply(doc)
    assert not doc.removals()
    rules.add(Alternative(0, "related_link", r"[\W_]*(?:zorblax news):.*$", ("zorblax news",)))
    again = Document(id="d", text=line)
    again.split_lines()
    LineRules(rules).apply(again)
    assert [r.rule for r in again.removals()] == ["related_link"]


def test_keys_of_a_document_equal_line_key_of_each_line():
    lines = ["  Lire aussi : x ", "", " \u00a0", "—", "a_b", "Straße İstanbul ²", "x\u0307\ud800y", "\x1cz\r"]
    assert folded_keys(fold_lines(lines)) == [line_key(x) for x in lines]


@FEW
@given(st.lists(st.one_of(line(), st.text()), min_size=1, max_size=8))
def test_folded_keys_equal_line_key(lines):
    lines = [x.replace("\n", " ") for x in lines]
    assert folded_keys(fold_lines(lines)) == [line_key(x) for x in lines]


@FEW
@given(st.lists(line(), min_size=1, max_size=8))
def test_scanner_finds_every_line_the_gate_or_a_need_admits(lines):
    """The scan may find more lines than the gate lets through, never fewer."""
    starting, containing = RULES._line_scanner().lines(fold_lines(lines))
    for i, text in enumerate(lines):
        normal = " ".join(text.split())
        folded, bare = Gate.views(fold(normal))
        if RULES._gated(folded) or (bare and RULES._gated(bare)):
            assert i in starting, text
        if any(need in folded for need in RULES.by_need):
            assert i in containing, text


def test_scanner_without_strings_finds_nothing():
    assert LineScanner([], []).lines(b"a\nb") == (set(), set())


# -- Unicode facts, for every code point -----------------------------------------------

ALL = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_casefold_keeps_line_breaks_and_spaces_apart():
    """fold_lines folds a whole document at once, and the scanner compares the
    raw folded line with the gate's folded, space-normalized one."""
    for c in ALL:
        folded = c.casefold()
        if c.isspace():
            assert folded == c
        else:
            assert not any(f.isspace() for f in folded), hex(ord(c))


def test_a_word_character_for_re_is_one_that_isalnum():
    """folded_keys classes characters with isalnum; line_key with re's [\\W_]."""
    non_word = set(re.findall(r"[\W_]", ALL))
    assert non_word == {c for c in ALL if not c.isalnum() or c == "_"}


def test_scanner_skips_every_character_the_gate_strips():
    """_SKIPPED covers the `regex` module's [\\W_] and every space but '\\n'."""
    stripped = "".join(regex.findall(r"[\W_]", ALL)) + "".join(c for c in ALL if c.isspace())
    stripped = stripped.replace("\n", "")
    assert re2.fullmatch(f"{_SKIPPED}*", stripped) is not None


def test_scanner_space_class_holds_every_space_but_line_feed():
    spaces = "".join(c for c in ALL if c.isspace() and c != "\n")
    assert re2.fullmatch(_ANY_SPACES, spaces) is not None
    assert re2.search(_ANY_SPACES, "\n") is None


@pytest.mark.parametrize("c", ["\n", "a", "_", "\u00e9"])
def test_space_class_is_only_spaces(c):
    assert re2.fullmatch(_ANY_SPACES, c) is None


# `matching_lines` calls RE2 directly and skips to the next line after a hit;
# the reference is the pattern's own finditer, line by line.
_SCAN_PATTERNS = [re2.compile(r"\p{Ll}\p{Ll}\p{Lu}\p{Ll}"), re2.compile(rb"[0-9](?:[^0-9A-Za-z\n]+[0-9]+){2}"),
                  re2.compile(r"(?m)^[^\pL\n]*(?:é|ab)")]


@given(st.lists(st.text(alphabet="abAB1 2-é\u00a0\u4e2d", max_size=30), min_size=1, max_size=12),
       st.sampled_from(_SCAN_PATTERNS))
@FEW
def test_matching_lines_equals_a_search_of_each_line(lines, pattern):
    data = "\n".join(lines).encode()
    expected = [i for i, line in enumerate(data.split(b"\n")) if pattern.search(line)]
    assert matching_lines(pattern, data) == expected
    assert matching_lines(pattern, data.decode()) == expected  # the finditer path, for str


def test_glued_menu_candidates_survive_a_lone_surrogate():
    # RE2 cannot read a lone surrogate (no UTF-8 for it): the `regex` screen takes over
    text = "Intro line\nHomeNewsSportWeatherTravel \ud800\nOutro"
    doc = Document(id="d", text=text)
    doc.split_lines()
    FAST.apply(doc)
    assert doc.removed[1] is not None and doc.removed[1].rule == "glued_menu"
