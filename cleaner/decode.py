"""Stage 1: bytes to text.

Scraped files are mostly UTF-8, but legacy pages still arrive as cp1252,
latin-1, Shift-JIS, GB18030, Big5, EUC-KR, cp1251 or KOI8-R.  Valid UTF-8 is
taken as it is (a BOM is dropped); anything else goes to charset-normalizer,
which is only consulted off the fast path.  Binary content is refused with a
reason instead of being turned into garbage text.
"""
from __future__ import annotations

import codecs
import re

import ftfy.bad_codecs  # noqa: F401  (registers the 'sloppy-windows-1252' codec)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes that do not occur in text: C0 controls other than tab, newlines, form feed, escape.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
# How much of a file the binary and encoding sniffers look at.
_SNIFF = 1 << 16


class DecodeError(ValueError):
    """The bytes are not text; the message says why."""


def looks_binary(data: bytes) -> str | None:
    """Reason why `data` is not text, or None."""
    sample = data[:_SNIFF]
    if b"\x00" in sample:
        return "binary content (NUL bytes)"
    if sample:
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if controls > 0.1 * len(sample):
            return f"binary content ({controls / len(sample):.0%} control bytes)"
    return None


_JAPANESE = ("shift_jis", "shift_jis_2004", "shift_jisx0213", "cp932", "euc_jp", "euc_jis_2004",
             "euc_jisx0213", "iso2022_jp")
# cp1252 first: on a tie (short Western text scores the same in cp1250 and
# cp1252) the far more common encoding wins.
_TIE_ORDER = ("cp1252", "latin_1", "iso8859_1", "iso8859_15", "utf_8")


def _legacy_encoding(data: bytes) -> str:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:_SNIFF]))
    best = matches[0] if matches else None
    if best is not None:
        tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
        for preferred in _TIE_ORDER:
            if any(m.encoding == preferred for m in tied):
                best = next(m for m in tied if m.encoding == preferred)
                break
    name = best.encoding if best is not None else "cp1252"
    if name in _JAPANESE and _mostly_halfwidth_katakana(str(best)):
        # short KOI8-R text decodes to half-width katakana: ask again without Japanese
        others = [m.encoding for m in matches if m.encoding not in _JAPANESE]
        name = _best_cyrillic(data, None) or (others[0] if others else name)
    elif name in _CYRILLIC:
        name = _best_cyrillic(data, name) or name
    if _latin_family(name) and _non_ascii_share(data) <= 0.3:
        # Mostly-ASCII text with a few accents in *some* Latin code page: on
        # the web that is cp1252 far more often than the Hungarian or Baltic
        # page a short sample happens to score best in.
        name = "cp1252"
    # Web pages labelled or detected as latin-1 are in practice cp1252 (WHATWG
    # treats them the same); the sloppy variant keeps the five bytes cp1252
    # leaves undefined instead of failing on them.
    if name in ("latin_1", "iso8859_1", "cp1252", "ascii"):
        return "sloppy-windows-1252"
    return name


# The Cyrillic code pages put the same letters at different bytes; on short
# text charset-normalizer cannot tell them apart (KOI8-R Russian scores as
# cp1251, or as Shift-JIS half-width katakana).  Read in the wrong one, the
# letters come out in the wrong case: KOI8-R and cp1251 swap upper and lower
# case, ISO 8859-5 and cp866 mix cases or symbols inside words.
_CYRILLIC = ("cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic", "cp1125", "cp855",
             "kz1048", "ptcp154")
_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")


def _cyrillic_case_score(text: str) -> int:
    """Cyrillic letters in words cased as words are (all lower, all upper, or
    a capital first), less those in words with a capital after a small letter."""
    score = 0
    for word in _CYRILLIC_WORD.findall(text):
        rest = word[1:]
        score += len(word) if rest.islower() or word.isupper() or len(word) == 1 else -len(word)
    return score


def _best_cyrillic(data: bytes, detected: str | None) -> str | None:
    """The Cyrillic code page in which `data` reads as well-cased Cyrillic
    words, or None when none does (the detector's pick wins ties)."""
    sample = data[:_SNIFF]
    scores = []
    for rank, name in enumerate((detected, *_CYRILLIC) if detected else _CYRILLIC):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        non_ascii = sum(1 for ch in text if ord(ch) > 127)
        cyrillic = sum(map(len, _CYRILLIC_WORD.findall(text)))
        if non_ascii and cyrillic >= 0.9 * non_ascii:
            scores.append((_cyrillic_case_score(text), -rank, name))
    if not scores:
        return None
    score, _, name = max(scores)
    return name if score > 0 else None


_LATIN_PAGES = {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "mac_roman", "mac_latin2",
                "mac_iceland", "cp437", "cp850", "cp852", "cp775", "cp858", "hp_roman8"}


def _latin_family(name: str) -> bool:
    if name.startswith("iso8859_"):
        return name.split("_")[1] not in ("5", "6", "7", "8", "11")
    return name in _LATIN_PAGES


def _non_ascii_share(data: bytes) -> float:
    sample = data[:_SNIFF]
    return len(sample.translate(None, bytes(range(128)))) / max(1, len(sample))


def _mostly_halfwidth_katakana(text: str) -> bool:
    letters = [c for c in text if not c.isspace() and not c.isascii()]
    return bool(letters) and sum("\uff61" <= c <= "\uff9f" for c in letters) > 0.5 * len(letters)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode `data`, returning (text, encoding used).

    Raises DecodeError for binary content.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {name} after a byte-order mark: {exc.reason}") from None
    reason = looks_binary(data)  # NUL bytes are valid UTF-8, but not text
    if reason:
        raise DecodeError(reason)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _legacy_encoding(data)
    return data.decode(encoding, errors="replace"), encoding.replace("sloppy-windows-1252", "cp1252")
