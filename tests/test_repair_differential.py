"""Differential tests: `repair_text` must give exactly `ftfy.fix_text(text, FTFY_CONFIG)`.

`repair_text` skips ftfy on segments it proves ftfy would leave unchanged; any
mistake in that proof shows up here as a difference from ftfy itself.  Inputs
are generated from arbitrary Unicode, from Unicode biased towards the
characters ftfy's fixers and mojibake detector act on, and from realistic
multilingual text with line breaks, controls, entities, escapes and (double)
mojibake applied to all or some of its lines.
"""
from __future__ import annotations

import unicodedata
from unittest import mock

import ftfy
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cleaner.repair as repair
from cleaner.repair import FTFY_CONFIG, needs_repair, repair_document, repair_text

SETTINGS = settings(max_examples=300, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=150)


def reference(text: str) -> str:
    return ftfy.fix_text(text, FTFY_CONFIG)


def check(text: str) -> None:
    """Every property the fast path promises, for one input."""
    expected = reference(text)
    got, steps = repair_text(text)
    assert got == expected, f"repair_text differs from ftfy on {text!r}"
    assert (steps == []) == (got == text)
    if not needs_repair(text):
        assert expected == text, f"needs_repair(...) is False but ftfy changes {text!r}"
    explained = repair_text(text, explain=True)
    assert explained[0] == got
    # The stage's document repair differs only where ftfy re-decoded a line.
    if "decode:utf-8" not in explained[1]:
        assert repair_document(text)[0] == got


# -- alphabets -----------------------------------------------------------------

# Characters that ftfy's fixers or its mojibake detector (ftfy.badness) look at:
# the building blocks of cp1252/latin-1/MacRoman/cp1251 mojibake, controls, line
# breaks, entity syntax, escapes, combining marks, spaces, deleted characters.
MOJIBAKE_CHARS = (
    "ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
    "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡¢£¤¥¦§¨©ª«¬\xad®¯°±²³´µ¶·¸¹º»¼½¾¿×÷"
    "ăąāćčďđęěēėğģįīķĺľłļŕśşšťźżžґﬁﬂ│┌┐┘├┤┬┼═║╔╗╚╝▀▄█▌▐░▒▓◊�"
    "√∂∆∏∑∞∩∫≈≠≡≤≥№⁄ΑΒΓαβγάέΰ΄΅˝ˇ˘˛ВГРСЂђЃѓЁёабвгдеёжзийклмнопрстуфхцчшщъыьэюяАБ"
    "вЂ‚Ä"
)
CONTROL_AND_BREAKS = (
    "\r\n\u2028\u2029\x85\x0b\x0c\t\x00\x01\x08\x0e\x1b\x1f\x7f\x80\x81\x8d\x8f\x90\x9d\x9f"
    "\u200b\u200e\u200f\u202a\u202e\u2060\u2066\u206a\u206f\ufeff\ufff9\ufffb\U000e0001\U000e0041"
)
SYNTAX = "&#;<>[]mx0123456789abcdefAEIOU ;:-_'\"`\xa0\u2007\u202f\u3000"
COMBINING = "\u0300\u0301\u0302\u0303\u0308\u0327\u0328\u030c\u0323\u0345\u0651\u093c\u3099\u309a\u1161\u11a8"
OTHER = "eéeÉ가각가한国語日本ｶﾞ゙ＡＢＣﬃ“”‘’«»‹›…—–·ǅǆÅΩKµ"

INTERESTING = MOJIBAKE_CHARS + CONTROL_AND_BREAKS + SYNTAX + COMBINING + OTHER

any_char = st.characters()  # no surrogates
any_char_with_surrogates = st.characters(exclude_categories=())
interesting_char = st.sampled_from(INTERESTING)

# -- realistic pieces --------------------------------------------------------------

WORDS = [
    # English
    "the", "house", "Company", "results", "don't", "it's", "naïve", "café", "résumé", "coöperate",
    # French
    "été", "déjà", "Français", "où", "cœur", "Œuvre", "garçon", "à", "très", "hôpital", "l’école",
    # German
    "Straße", "Größe", "über", "Mädchen", "Grüße", "Fußball", "Äpfel", "schön",
    # Russian
    "Москва", "привет", "ещё", "Ёлка", "государство", "съезд", "Щука",
    # CJK / Korean
    "日本語", "東京", "中文", "北京", "한국어", "서울", "ひらがな", "カタカナ",
    # other scripts, symbols
    "Ελλάδα", "Ñandú", "Žluťoučký", "Łódź", "İstanbul", "Dvořák", "€20", "£5", "¥100", "©2024",
    "10°C", "½", "→", "✓", "🙂", "👍🏽", "µg", "№5", "™",
]
TYPOGRAPHY = ["“quoted”", "‘single’", "«guillemets»", "„German“", "it’s", "—", "–", "…", "•",
              "ﬁnal", "ﬂow", "ﬀ", "ＡＢＣ", "ｶﾀｶﾅ", "１２３", "\xa0", "\u202f", "\u2009", "\u3000"]
ENTITIES = ["&amp;", "&eacute;", "&#233;", "&#xe9;", "&lt;", "&gt;", "&nbsp;", "&quot;", "&hellip;",
            "&mdash;", "&copy;", "&EACUTE;", "&ampx;", "&#0;", "&#128;", "&#x1F600;", "&Amp;", "&;",
            "AT&T", "&amp", "&#39;"]
MARKUP = ["<", "<b>", "</p>", "a < b", "<br/>", ">"]
ESCAPES = ["\x1b[31m", "\x1b[0m", "\x1b[1;32m", "\x1b[", "\x1b"]
CONTROLS = list("\x00\x01\x07\x08\x0b\x0c\x0e\x1f\x7f\x80\x85\x8d\x90\x9d\x9f\ufeff\u200b\u2060\ufff9")
SURROGATES = ["\ud83d", "\ude00", "\ud83d\ude00", "\udc80", "\ud800x"]
DECOMPOSED = ["e\u0301", "A\u030a", "n\u0303", "\u1100\u1161\u11a8", "\u0915\u093c", "i\u0307\u0301"]
LINE_BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\n\n", "\r\r\n"]

word = st.sampled_from(WORDS)
piece = st.one_of(
    word, word, word, word,
    st.sampled_from(TYPOGRAPHY),
    st.sampled_from(ENTITIES),
    st.sampled_from(MARKUP),
    st.sampled_from(ESCAPES),
    st.sampled_from(CONTROLS),
    st.sampled_from(DECOMPOSED),
    st.text(interesting_char, max_size=4),
)
plain_piece = st.one_of(word, word, word, st.sampled_from(TYPOGRAPHY), st.sampled_from(DECOMPOSED))


SEPARATORS = st.sampled_from([" ", " ", " ", "", ", ", ". ", "\t", "\xa0"])


def lines_of(pieces, max_lines: int = 8):
    """Lines made of pieces and separators, about half of them from clean pieces
    only, so that texts mix lines the fast path skips with lines ftfy must fix."""
    def line_of(parts):
        return st.lists(st.tuples(parts, SEPARATORS), max_size=10).map(
            lambda drawn: "".join(p + s for p, s in drawn))
    return st.lists(st.one_of(line_of(plain_piece), line_of(pieces)), min_size=1, max_size=max_lines)


@st.composite
def join_lines(draw, lines: list[str]) -> str:
    breaks = draw(st.lists(st.sampled_from(LINE_BREAKS), min_size=len(lines), max_size=len(lines)))
    if draw(st.booleans()):
        breaks[-1] = ""  # no final line break
    return "".join(line + br for line, br in zip(lines, breaks))


@st.composite
def realistic_text(draw) -> str:
    lines = draw(lines_of(piece))
    text = draw(join_lines(lines))
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(["\ufeff", "\x1b[31m", "&amp;", "<"])) + text
    if draw(st.integers(0, 9)) == 0:  # lone surrogates
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.sampled_from(SURROGATES)) + text[pos:]
    return text


# -- mojibake ----------------------------------------------------------------------

WRONG_DECODINGS = ["sloppy-windows-1252", "sloppy-windows-1252", "latin-1", "windows-1252",
                   "sloppy-windows-1251", "macroman"]


def mis_decode(text: str, encoding: str) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if encoding == "windows-1252":
        return data.decode(encoding, errors="replace")  # the five undefined bytes become U+FFFD
    return data.decode(encoding)


@st.composite
def mojibake_text(draw) -> str:
    lines = draw(lines_of(st.one_of(plain_piece, plain_piece, plain_piece, piece)))
    encoding = draw(st.sampled_from(WRONG_DECODINGS))
    times = draw(st.sampled_from([1, 1, 1, 2]))  # sometimes double mojibake
    mode = draw(st.sampled_from(["whole", "some_lines", "some_lines", "one_word"]))
    if mode == "whole":
        for _ in range(times):
            lines = [mis_decode(line, encoding) for line in lines]
    elif mode == "some_lines":
        chosen = draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
        for _ in range(times):
            lines = [mis_decode(line, encoding) if c else line for line, c in zip(lines, chosen)]
    else:  # a single mojibake word inside clean text, as concatenated sources produce
        i = draw(st.integers(0, len(lines) - 1))
        w = draw(word)
        bad = w
        for _ in range(times):
            bad = mis_decode(bad, encoding)
        lines[i] = lines[i] + " " + bad + " " + draw(word)
    if draw(st.integers(0, 4)) == 0:  # a lossy copy: some bytes replaced by '?' or U+FFFD
        i = draw(st.integers(0, len(lines) - 1))
        if lines[i]:
            pos = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:pos] + draw(st.sampled_from(["?", "\ufffd", " "])) + lines[i][pos + 1:]
    return draw(join_lines(lines))


# -- property tests ------------------------------------------------------------------

@SETTINGS
@given(st.text(any_char, max_size=200))
def test_arbitrary_unicode(text):
    check(text)


@FEW
@given(st.text(any_char_with_surrogates, max_size=120))
def test_arbitrary_unicode_with_surrogates(text):
    check(text)


@SETTINGS
@given(st.text(st.one_of(interesting_char, interesting_char, interesting_char, any_char), max_size=120))
@example("œ\n")
@example("Ã\xa0 la")
@example("â€™")
@example("a\u0301\n\u0301")
@example("Ç\xa0È¥")  # mojibake seen only through a non-ASCII \s in BADNESS_RE
@example("È“Ý£")  # ... and only through a non-ASCII \w
def test_interesting_characters(text):
    check(text)


@SETTINGS
@given(realistic_text())
def test_realistic_text(text):
    check(text)


@SETTINGS
@given(mojibake_text())
def test_mojibake_text(text):
    check(text)


@FEW
@given(lines_of(plain_piece, max_lines=12).map("\n".join))
def test_clean_looking_text(text):
    """Multilingual text with typography, no-break spaces and decomposed letters:
    mostly the fast path (needs_repair False), sometimes NFC."""
    check(text)


@FEW
@given(st.one_of(realistic_text(), mojibake_text(), st.text(interesting_char, max_size=60)),
       st.integers(1, 24))
def test_segmentation_by_max_decode_length(text, max_length):
    """Long lines are cut every max_decode_length characters, by ftfy and by
    repair_text alike (shrunk here so that short inputs cross the limit)."""
    fast = FTFY_CONFIG._replace(max_decode_length=max_length)
    with mock.patch.object(repair, "FTFY_CONFIG", fast), \
            mock.patch.object(repair, "_EXPLAIN_CONFIG", fast._replace(explain=True)):
        expected = ftfy.fix_text(text, fast)
        assert repair.repair_text(text)[0] == expected
        assert repair.repair_text(text, explain=True)[0] == expected


@FEW
@given(st.lists(st.one_of(realistic_text(), mojibake_text()), min_size=2, max_size=3))
def test_html_state_carries_across_lines(parts):
    """Once a line holds '<', ftfy stops unescaping entities for the rest of the
    text; the fast path must keep that state while skipping clean lines."""
    text = "\n".join(parts)
    check(text)
    check("&amp; first\n" + text + "\n&eacute; <b>x</b>\n&eacute; &amp;")


# -- explicit cases --------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("“Curly” quotes and ‘single’ ones stay curly.", "“Curly” quotes and ‘single’ ones stay curly."),
    ("The ﬁnal ﬂow", "The ﬁnal ﬂow"),
    ("ＡＢＣ full width", "ＡＢＣ full width"),
    ("ｶﾀｶﾅ half width", "ｶﾀｶﾅ half width"),
    ("CafÃ©", "Café"),
    ("Ã©", "é"),
    ("Itâ€™s â€œquotedâ€\x9d", "It’s “quoted”"),
    ("voilÃ  le travail", "voilà le travail"),
    ("ÃƒÂ©tÃƒÂ©", "été"),  # double mojibake
    ("Москва".encode().decode("sloppy-windows-1252"), "Москва"),
    ("line one\r\nline two\r\n", "line one\nline two\n"),
    ("old mac\rline", "old mac\nline"),
    ("a\u2028b\u2029c", "a\nb\nc"),
    ("\ufeffByte order mark", "Byte order mark"),
    ("e\u0301te\u0301", "été"),
    ("Fish &amp; chips &eacute;t&#233;", "Fish & chips été"),
    ("<p>Fish &amp; chips</p>", "<p>Fish &amp; chips</p>"),
    ("\x1b[31mred\x1b[0m text", "red text"),
    ("nul\x00 bell\x07 del\x7f", "nul bell del"),
    ("\ud83d\ude00 surrogates", "😀 surrogates"),
    ("plain ASCII needs nothing\n", "plain ASCII needs nothing\n"),
    ("Déjà vu, 東京, Москва, 한국어 — clean", "Déjà vu, 東京, Москва, 한국어 — clean"),
    ("", ""),
])
def test_explicit_cases(text, expected):
    assert reference(text) == expected  # the ground truth is ftfy with FTFY_CONFIG
    check(text)
    assert repair_text(text)[0] == expected


def test_nfc_composed():
    text = "Cafe\u0301 cre\u0300me bru\u0302le\u0301e"
    fixed, steps = repair_text(text)
    assert fixed == unicodedata.normalize("NFC", text) == "Café crème brûlée"
    assert steps == ["ftfy"]
    assert repair_text(text, explain=True) == (fixed, ["normalize:NFC"])


def test_clean_text_is_returned_as_is():
    text = "Déjà vu “quoted” ﬁne ＡＢＣ 東京\n" * 50
    assert needs_repair(text) is False
    fixed, steps = repair_text(text)
    assert fixed is text and steps == []


def test_explain_names_the_fixes():
    fixed, steps = repair_text("CafÃ©\r\nok", explain=True)
    assert fixed == "Café\nok"
    assert "encode:sloppy-windows-1252" in steps or "encode:latin-1" in steps
    assert "apply:fix_line_breaks" in steps
