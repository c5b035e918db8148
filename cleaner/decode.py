"""Stage 1: bytes to text.

Scraped files are mostly UTF-8, but legacy pages still arrive as cp1252,
latin-1, Shift-JIS, GB18030, Big5, EUC-KR, cp1251 or KOI8-R.  Valid UTF-8 is
taken as it is (a BOM is dropped); anything else goes to charset-normalizer,
which is only consulted off the fast path.  Binary content is refused with a
reason instead of being turned into garbage text.
"""
from __future__ import annotations

import codecs

import ftfy  # noqa: F401  (registers the 'sloppy-windows-1252' codec)

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


def _legacy_encoding(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SNIFF]).best()
    name = best.encoding if best is not None else "cp1252"
    # Web pages labelled or detected as latin-1 are in practice cp1252 (WHATWG
    # treats them the same); the sloppy variant keeps the five bytes cp1252
    # leaves undefined instead of failing on them.
    if name in ("latin_1", "iso8859_1", "cp1252", "ascii"):
        return "sloppy-windows-1252"
    return name


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
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    reason = looks_binary(data)
    if reason:
        raise DecodeError(reason)
    encoding = _legacy_encoding(data)
    return data.decode(encoding, errors="replace"), encoding.replace("sloppy-windows-1252", "cp1252")
