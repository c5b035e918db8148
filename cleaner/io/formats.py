"""File formats by name: what a path holds and how to open it."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

TEXT = "text"
JSONL = "jsonl"
PARQUET = "parquet"

_JSONL_SUFFIXES = {".jsonl", ".json", ".ndjson"}
_COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def compression_of(path: Path) -> str | None:
    return _COMPRESSIONS.get(path.suffix.lower())


def format_of(path: Path) -> str | None:
    """TEXT, JSONL, PARQUET, or None for files the tool does not read."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    last = suffixes[-1]
    if last in _JSONL_SUFFIXES:
        return JSONL
    if last == ".parquet":
        return PARQUET
    if last == ".txt":
        return TEXT
    return None


def open_read(path: Path):
    """Binary file object, decompressed."""
    comp = compression_of(path)
    if comp == "gzip":
        return gzip.open(path, "rb")
    if comp == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")


def open_write(path: Path):
    """Binary file object that compresses like the name says (deterministic: no mtime)."""
    comp = compression_of(path)
    raw = open(path, "wb")
    if comp == "gzip":
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6), raw
    if comp == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False), raw
    return raw, None


def iter_lines(fh, chunk: int = 1 << 20):
    """Lines (bytes, with the '\\n' removed) of a binary stream, read in chunks."""
    reader = io.BufferedReader(fh, buffer_size=chunk) if not isinstance(fh, io.BufferedReader) else fh
    for line in reader:
        yield line[:-1] if line.endswith(b"\n") else line
