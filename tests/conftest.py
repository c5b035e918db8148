from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = "000_3e3781e589c5b1ba"
SEED_VARIANTS = ["txt", "mojibake.txt", "cp1252.txt", "crlf.txt"]


@pytest.fixture
def seed_expected() -> str:
    return (SEEDS / f"{SEED}.clean.txt").read_text(encoding="utf-8")


def write_jsonl(path: Path, records: list) -> Path:
    with open(path, "wb") as fh:
        for r in records:
            fh.write((r if isinstance(r, (bytes, str)) else json.dumps(r, ensure_ascii=False)).encode()
                     if not isinstance(r, bytes) else r)
            fh.write(b"\n")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def shrink_key_table(monkeypatch) -> None:
    """Tiny LSH buckets and windows, so that stash overflow, over-long runs
    and delta flushes happen with a few hundred documents."""
    from cleaner.dedup import _KeyTable

    monkeypatch.setattr(_KeyTable, "B", 2)
    monkeypatch.setattr(_KeyTable, "WINDOW", 4)
    monkeypatch.setattr(_KeyTable, "DELTA_BITS", (2, 4))
