"""Parquet, the layout of most published corpora, through the optional pyarrow."""
from __future__ import annotations

from pathlib import Path

INSTALL_HINT = "Parquet needs pyarrow: pip install 'cleantext[parquet]'"


class MissingDependency(RuntimeError):
    pass


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise MissingDependency(INSTALL_HINT) from exc
    return pyarrow, pyarrow.parquet


def iter_parquet_records(path: Path, batch_size: int = 1024):
    _, pq = _pyarrow()
    index = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            yield index, record
            index += 1


class ParquetWriter:
    """Writes records (dicts) in batches; the `cleantext` column holds JSON text."""

    def __init__(self, path: Path, batch_size: int = 1024):
        self.pa, self.pq = _pyarrow()
        self.path = path
        self.batch: list[dict] = []
        self.batch_size = batch_size
        self.writer = None

    def write(self, record: dict) -> None:
        self.batch.append(record)
        if len(self.batch) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        table = self.pa.Table.from_pylist(self.batch)
        if self.writer is None:
            self.writer = self.pq.ParquetWriter(self.path, table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)
        self.batch = []

    def close(self) -> None:
        self._flush()
        if self.writer is None:  # no rows: still leave a valid (empty) file
            self.pq.write_table(self.pa.table({}), self.path)
        else:
            self.writer.close()
