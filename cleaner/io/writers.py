"""Writing results: records, the staged output tree, side files.

Nothing appears at its final name until the run has succeeded: files are
written under a staging folder inside the output folder and moved into place
with os.replace (atomic on one filesystem) at the end; a failed run removes the
staging folder and leaves no partial output.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson

from ..document import Document
from .formats import JSONL, PARQUET, TEXT, open_write

_DUMP = orjson.OPT_APPEND_NEWLINE


def dumps(obj, default=None) -> bytes:
    """One JSON line (`default`: how to write values JSON cannot hold)."""
    try:
        return orjson.dumps(obj, option=_DUMP, default=default)
    except TypeError:  # integers beyond 64 bits, which orjson refuses
        import json

        return json.dumps(obj, ensure_ascii=False, default=default).encode() + b"\n"


def record_as_read(doc: Document) -> bytes:
    """What `_rejected.jsonl` keeps of a rejected document: the bytes the
    reader rejected; else (a stage failed on it) its record as JSON, every
    field as parsed (values JSON cannot hold, such as a Parquet row's bytes
    or decimals, as text), or a text file's text as decoded, before repair."""
    if doc.raw is not None:
        return doc.raw
    if doc.record is not None:
        return dumps(doc.record, default=str)[:-1]
    return doc.scratch.get("original", doc.text).encode("utf-8", "surrogatepass")


def cleantext_info(doc: Document) -> dict:
    """What was done to a document, for the output's `cleantext` object."""
    removed: dict[str, int] = {}
    for r in doc.removals():
        removed[r.rule] = removed.get(r.rule, 0) + 1
    info: dict = {"removed_lines": dict(sorted(removed.items()))}
    if doc.encoding and doc.encoding != "utf-8":
        info["encoding"] = doc.encoding
    if doc.repairs:
        info["repairs"] = doc.repairs
    if doc.duplicate:
        info.update(doc.duplicate)
    return info


def output_record(doc: Document, text_field: str) -> dict:
    """The input record with the cleaned text and a `cleantext` object (fields kept in order)."""
    record = dict(doc.record) if doc.record is not None else {"id": doc.id}
    record[text_field] = doc.cleaned_text()
    record["cleantext"] = cleantext_info(doc)
    return record


class RecordSink:
    """One output file: JSONL (plain/gz/zst), Parquet, or a text document."""

    def __init__(self, path: Path, fmt: str, text_field: str):
        self.path = path
        self.fmt = fmt
        self.text_field = text_field
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == PARQUET:
            from .parquet import ParquetWriter

            self._parquet = ParquetWriter(path)
        else:
            self._fh, self._raw = open_write(path)
        self.ids: list[str] = []

    def write(self, doc: Document) -> None:
        if self.fmt == TEXT:
            text = doc.cleaned_text()
            self._fh.write((text + "\n").encode() if text else b"")
            return
        record = output_record(doc, self.text_field)
        if self.fmt == PARQUET:
            record["cleantext"] = orjson.dumps(record["cleantext"]).decode()
            self._parquet.write(record)
        else:
            self._fh.write(dumps(record))

    def close(self) -> None:
        if self.fmt == PARQUET:
            self._parquet.close()
            return
        self._fh.close()
        if self._raw is not None:
            self._raw.close()


class SideFile:
    """A JSONL side file (_rejected, _duplicates, explain), opened on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def write(self, obj: dict) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "wb")
        self._fh.write(dumps(obj))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class StagedTree:
    """An output folder whose files appear only when `commit` runs."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.stage = out_dir / f".cleantext-staging-{os.getpid()}"
        self.stage.mkdir(parents=True, exist_ok=True)
        self.files: list[Path] = []  # relative paths

    def path(self, rel: Path) -> Path:
        """Staged path for the final `out_dir / rel`."""
        self.files.append(Path(rel))
        target = self.stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def commit(self) -> None:
        for rel in self.files:
            staged = self.stage / rel
            if not staged.exists():
                continue
            final = self.out_dir / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        shutil.rmtree(self.stage, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
        try:
            self.out_dir.rmdir()  # only if we created it and it is empty
        except OSError:
            pass


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


__all__ = ["JSONL", "TEXT", "PARQUET", "RecordSink", "SideFile", "StagedTree", "output_record", "write_atomic"]
