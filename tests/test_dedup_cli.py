"""Duplicate flags as a user sees them in `cleantext run` output."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from cleaner.cli import app

from .conftest import read_jsonl, write_jsonl

runner = CliRunner()

ARTICLE = [
    "The regional council approved a new budget on Tuesday after a long debate about school funding.",
    "Members argued for hours over the cost of repairing old buildings and hiring more teachers.",
    "The final vote was close, with nine members in favour and seven against the proposal.",
    "Officials said the money would be released at the start of the next financial year.",
    "Parents' groups welcomed the decision but warned that more investment would be needed soon.",
]
OTHER = [
    "A small bakery in the old town has won a national prize for its sourdough bread this spring.",
    "The owners started baking in their kitchen ten years ago and now employ twelve people.",
    "Customers queue every morning before the shop opens to buy the loaves while they are warm.",
    "The judges praised the crust, the flavour and the long fermentation used by the bakers.",
]


def text(paragraphs):
    return "\n\n".join(paragraphs)


def corpus(tmp_path, name="c"):
    root = tmp_path / name
    root.mkdir()
    edited = list(ARTICLE)
    edited[2] = "The final vote was close, with nine members in favour and seven against it."
    write_jsonl(root / "docs.jsonl", [
        {"id": "a", "text": text(ARTICLE)},
        {"id": "b", "text": text(OTHER)},
        {"id": "a-copy", "text": text(ARTICLE)},
        {"id": "a-edit", "text": text(edited)},
    ])
    return root


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_flag_marks_copies_and_their_representative(tmp_path):
    assert invoke("run", corpus(tmp_path), "-o", tmp_path / "out", "-q").exit_code == 0
    out = {r["id"]: r["cleantext"] for r in read_jsonl(tmp_path / "out" / "docs.jsonl")}
    assert out["a-copy"]["duplicate_of"] == "a" and out["a-copy"]["dup_kind"] == "exact"
    assert out["a-copy"]["similarity"] == 1.0
    assert out["a-edit"]["duplicate_of"] == "a" and out["a-edit"]["dup_kind"] == "near"
    assert 0.5 < out["a-edit"]["similarity"] < 1.0
    assert out["a"].get("cluster") == "a" and "duplicate_of" not in out["a"]
    assert "cluster" not in out["b"]


def test_drop_keeps_duplicates_in_side_file(tmp_path):
    assert invoke("run", corpus(tmp_path), "-o", tmp_path / "out", "-q", "--dedup", "drop",
                  "--stats", tmp_path / "s.json").exit_code == 0
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "docs.jsonl")] == ["a", "b"]
    dropped = read_jsonl(tmp_path / "out" / "_duplicates.jsonl")
    assert [d["id"] for d in dropped] == ["a-copy", "a-edit"]
    assert dropped[0]["record"]["text"] == text(ARTICLE)  # the whole record, nothing lost
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["documents_read"] == 4 == stats["documents_written"] + stats["documents_removed"]["duplicate"]


def test_off_flags_nothing(tmp_path):
    assert invoke("run", corpus(tmp_path), "-o", tmp_path / "out", "-q", "--dedup", "off").exit_code == 0
    assert all("duplicate_of" not in r["cleantext"] for r in read_jsonl(tmp_path / "out" / "docs.jsonl"))


def test_index_persists_across_runs(tmp_path):
    index = tmp_path / "dedup.idx"
    first = tmp_path / "first"
    first.mkdir()
    write_jsonl(first / "docs.jsonl", [{"id": "old-1", "text": text(ARTICLE)}])
    assert invoke("run", first, "-o", tmp_path / "o1", "-q", "--index", index).exit_code == 0
    assert index.exists()
    second = tmp_path / "second"
    second.mkdir()
    write_jsonl(second / "docs.jsonl", [{"id": "new-1", "text": text(OTHER)}, {"id": "new-2", "text": text(ARTICLE)}])
    assert invoke("run", second, "-o", tmp_path / "o2", "-q", "--index", index).exit_code == 0
    out = {r["id"]: r["cleantext"] for r in read_jsonl(tmp_path / "o2" / "docs.jsonl")}
    assert out["new-2"]["duplicate_of"] == "old-1"
    assert "duplicate_of" not in out["new-1"]


def test_corrupt_index_is_a_clear_error(tmp_path):
    index = tmp_path / "dedup.idx"
    index.write_bytes(b"not an index at all")
    result = invoke("run", corpus(tmp_path), "-o", tmp_path / "out", "--index", index)
    assert result.exit_code == 2
    assert "dedup.idx" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_text_corpus_gets_duplicates_file(tmp_path):
    root = tmp_path / "t"
    root.mkdir()
    (root / "one.txt").write_text(text(ARTICLE), encoding="utf-8")
    (root / "two.txt").write_text(text(ARTICLE), encoding="utf-8")
    assert invoke("run", root, "-o", tmp_path / "out", "-q").exit_code == 0
    [entry] = read_jsonl(tmp_path / "out" / "_duplicates.jsonl")
    assert entry["id"] == "two.txt" and entry["duplicate_of"] == "one.txt"
    assert entry["representative_path"].endswith("one.txt") and entry["similarity"] == 1.0


def _edit(paragraphs, which, tag):
    """Replace the middle word of the paragraphs numbered in `which`."""
    out = []
    for i, p in enumerate(paragraphs):
        words = p.split()
        if i in which:
            words[len(words) // 2] = f"{tag}{i}"
        out.append(" ".join(words))
    return out


def test_a_document_close_to_a_member_joins_its_cluster_through_it(tmp_path):
    """A, then B (an edit of A), then C (an edit of B, further from A): C joins
    A's cluster through B when it is still within --member-floor of A."""
    a = ARTICLE + OTHER
    b = _edit(a, {0, 2, 4}, "x")
    c = _edit(b, {1, 6}, "y")
    root = tmp_path / "chain"
    root.mkdir()
    write_jsonl(root / "docs.jsonl", [{"id": k, "text": text(v)} for k, v in (("a", a), ("b", b), ("c", c))])
    assert invoke("run", root, "-o", tmp_path / "out", "-q").exit_code == 0
    out = {r["id"]: r["cleantext"] for r in read_jsonl(tmp_path / "out" / "docs.jsonl")}
    assert out["b"]["duplicate_of"] == "a" and "via" not in out["b"]
    assert out["c"]["duplicate_of"] == "a" and out["c"]["via"] == "b" and out["c"]["cluster"] == "a"
    assert 0.6 <= out["c"]["similarity"] < 0.75  # its estimate to the representative
    # Joining through members off: C is compared with A only.
    assert invoke("run", root, "-o", tmp_path / "off", "-q", "--member-floor", "1").exit_code == 0
    off = {r["id"]: r["cleantext"] for r in read_jsonl(tmp_path / "off" / "docs.jsonl")}
    assert "duplicate_of" not in off["c"]
