"""Turn files and streams into Documents.

Every record becomes a Document; a record that cannot be read becomes a
Document with `error` set (and the raw bytes kept), so the runner can fail on
it or reject it into a side file: nothing is dropped here.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import orjson

from ..decode import DecodeError, decode_bytes
from ..document import Document
from .formats import JSONL, PARQUET, TEXT, format_of, iter_lines, open_read


@dataclass
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    source_field: str | None = None  # None: "url", then "source"
    title_field: str = "title"


@dataclass(frozen=True)
class InputFile:
    path: Path
    rel: Path  # path relative to the input root, mirrored in the output
    fmt: str


def discover(inputs: list[Path]) -> list[InputFile]:
    """Files to process, sorted for deterministic output."""
    files: list[InputFile] = []
    for root in inputs:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root)
                if any(part.startswith(".") or part.startswith("_") for part in rel.parts):
                    continue  # hidden files and our own side files
                fmt = format_of(path)
                if fmt is not None:
                    files.append(InputFile(path, rel, fmt))
        elif root.is_file():
            files.append(InputFile(root, Path(root.name), format_of(root) or TEXT))
        else:
            raise FileNotFoundError(f"no such file or directory: {root}")
    return files


# Second-level labels under which a country domain registers names (a.co.uk).
_REGISTRY_LABELS = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic"}


def source_of(value: object) -> str:
    """The site of a URL: its registrable domain, so "https://m.a.com/x",
    "www.a.com" and "blog.a.com" share their boilerplate statistics
    ("a.com"; "news.b.co.uk" -> "b.co.uk").  Other values are used as they are."""
    text = str(value)
    if "://" not in text:
        return text
    host = (urlsplit(text).hostname or text).rstrip(".")
    labels = host.split(".")
    if len(labels) <= 2 or host.replace(".", "").isdigit():
        return host
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _REGISTRY_LABELS else 2
    return ".".join(labels[-keep:])


def _loads(line: bytes | str):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        # orjson refuses integers beyond 64 bits, which the standard library reads
        return json.loads(line)


def record_to_document(record, raw: bytes | None, location: str, default_id: str, default_source: str,
                       opts: ReadOptions) -> Document:
    if not isinstance(record, dict):
        return Document(id=default_id, text="", location=location, raw=raw,
                        error="record is not a JSON object")
    text = record.get(opts.text_field)
    doc_id = record.get(opts.id_field)
    doc_id = default_id if doc_id is None else str(doc_id)
    if opts.text_field not in record:
        return Document(id=doc_id, text="", location=location, raw=raw,
                        error=f"no {opts.text_field!r} field")
    if not isinstance(text, str):
        return Document(id=doc_id, text="", location=location, raw=raw,
                        error=f"{opts.text_field!r} is {type(text).__name__}, not a string")
    source = default_source
    fields = (opts.source_field,) if opts.source_field else ("url", "source")
    for name in fields:
        if record.get(name):
            source = source_of(record[name])
            break
    title = record.get(opts.title_field)
    return Document(id=doc_id, text=text, source=source, record=record, location=location,
                    title=title if isinstance(title, str) and title.strip() else None)


def parse_jsonl_line(raw: bytes, location: str, default_id: str, default_source: str,
                     opts: ReadOptions) -> Document:
    try:
        record = _loads(raw)
        encoding = None
    except (ValueError, UnicodeDecodeError) as exc:
        # A line in a legacy encoding is still a record: decode it, then parse.
        try:
            text, encoding = decode_bytes(raw)
            record = _loads(text) if encoding != "utf-8" else None
        except (ValueError, DecodeError):
            record = None
        if record is None:
            reason = str(exc).split(":")[0] if str(exc) else type(exc).__name__
            return Document(id=default_id, text="", location=location, raw=raw,
                            error=f"malformed JSON ({reason})")
    doc = record_to_document(record, raw, location, default_id, default_source, opts)
    doc.encoding = encoding
    return doc


def read_jsonl(stream: BinaryIO, name: str, rel: str, default_source: str,
               opts: ReadOptions, first: bytes = b"") -> Iterator[Document]:
    """Documents of a JSONL stream; `first` is a line already read from it
    (format sniffing), newline included."""
    lineno = 0
    lines = iter_lines(stream)
    if first:
        lines = itertools.chain([first.rstrip(b"\n")], lines)
    for raw in lines:
        lineno += 1
        if not raw.strip():
            continue  # blank lines separate nothing in JSONL
        yield parse_jsonl_line(raw, f"{name}:{lineno}", f"{rel}:{lineno}", default_source, opts)


def text_document(data: bytes, name: str, doc_id: str, source: str) -> Document:
    try:
        text, encoding = decode_bytes(data)
    except DecodeError as exc:
        return Document(id=doc_id, text="", location=name, raw=data, error=str(exc))
    return Document(id=doc_id, text=text, source=source, location=name, encoding=encoding)


def read_parquet(path: Path, rel: str, default_source: str, opts: ReadOptions) -> Iterator[Document]:
    from ..io.parquet import iter_parquet_records

    for index, record in iter_parquet_records(path):
        doc = record_to_document(record, None, f"{path}:row {index + 1}", f"{rel}:{index + 1}",
                                 default_source, opts)
        if doc.error is not None:
            doc.record = record  # written out only when rejected (writers.record_as_read), not every row
        yield doc


def read_file(f: InputFile, opts: ReadOptions) -> Iterator[Document]:
    default_source = str(f.rel.parent) if f.rel.parent != Path(".") else ""
    if f.fmt == TEXT:
        with open_read(f.path) as fh:
            data = fh.read()
        yield text_document(data, str(f.path), str(f.rel), default_source)
    elif f.fmt == JSONL:
        with open_read(f.path) as fh:
            yield from read_jsonl(fh, str(f.path), str(f.rel), default_source, opts)
    elif f.fmt == PARQUET:
        yield from read_parquet(f.path, str(f.rel), default_source, opts)


def sniff_stream_format(first_line: bytes, opts: ReadOptions) -> str:
    """JSONL when the first line is a JSON object holding the text field.

    A text document may well start with '{' (code, a quote): only a line that
    parses as a whole JSON object with the text field counts as JSONL.
    """
    stripped = first_line.strip()
    if not stripped.startswith(b"{"):
        return TEXT
    try:
        record = _loads(stripped)
    except (ValueError, UnicodeDecodeError):
        return TEXT
    return JSONL if isinstance(record, dict) and opts.text_field in record else TEXT
