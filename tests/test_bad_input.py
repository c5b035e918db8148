"""Bad input never crashes and is never silently lost:
read = written + removed + rejected, and --on-error fail leaves no output."""
from __future__ import annotations

import base64
import json

from typer.testing import CliRunner

from cleaner.cli import app

from .conftest import read_jsonl, write_jsonl

runner = CliRunner()
GOOD = {"id": "ok", "text": "A perfectly good sentence that will be kept in the output."}


def invoke(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def bad_corpus(root):
    root.mkdir()
    write_jsonl(root / "docs.jsonl", [
        GOOD,
        "{not json",
        {"id": "no-text", "body": "x"},
        {"id": "number", "text": 42},
        {"id": "list", "text": ["a"]},
        "[1, 2, 3]",
        b'{"id": "latin1", "text": "caf\xe9 cr\xe8me, une phrase enti\xe8re et correcte."}',
        b"\xff\xfe\x00garbage\x00\x01",
    ])
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "invalid-utf8.txt").write_bytes("Un texte réel, écrit en cp1252 « avec des guillemets ».".encode("cp1252"))


def test_fail_mode_stops_with_file_and_line_and_leaves_no_output(tmp_path):
    bad_corpus(tmp_path / "c")
    result = invoke("run", tmp_path / "c", "-o", tmp_path / "out")
    assert result.exit_code == 2
    # files are read in sorted order: binary.txt is the first bad input met
    assert "binary.txt: binary content" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_skip_mode_accounts_for_every_record(tmp_path):
    bad_corpus(tmp_path / "c")
    result = invoke("run", tmp_path / "c", "-o", tmp_path / "out", "--on-error", "skip",
                    "--stats", tmp_path / "stats.json", "--dedup", "off")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    rejected = read_jsonl(tmp_path / "out" / "_rejected.jsonl")
    written = read_jsonl(tmp_path / "out" / "docs.jsonl")
    assert stats["documents_read"] == 11
    assert stats["documents_rejected"] == len(rejected) == 7
    assert stats["documents_written"] == len(written) + 2  # empty.txt and invalid-utf8.txt too
    assert stats["documents_read"] == stats["documents_written"] + stats["documents_rejected"]
    reasons = {r["location"].rsplit("/", 1)[-1]: r["reason"] for r in rejected}
    assert "malformed JSON" in reasons["docs.jsonl:2"]
    assert reasons["docs.jsonl:3"] == "no 'text' field"
    assert "int, not a string" in reasons["docs.jsonl:4"]
    assert "list, not a string" in reasons["docs.jsonl:5"]
    assert "not a JSON object" in reasons["docs.jsonl:6"]
    assert "binary" in reasons["binary.txt"]
    # rejected records are kept verbatim, bytes included
    by_loc = {r["location"].rsplit("/", 1)[-1]: r for r in rejected}
    assert by_loc["docs.jsonl:2"]["record"] == "{not json"
    assert base64.b64decode(by_loc["docs.jsonl:8"]["record_base64"]) == b"\xff\xfe\x00garbage\x00\x01"
    # a record in a legacy encoding is decoded, not rejected
    assert [r["id"] for r in written] == ["ok", "latin1"]
    assert written[1]["text"].startswith("café crème")
    assert (tmp_path / "out" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "out" / "invalid-utf8.txt").read_text(encoding="utf-8").startswith("Un texte réel")
    assert "« avec des guillemets »" in (tmp_path / "out" / "invalid-utf8.txt").read_text(encoding="utf-8")


def test_fail_mode_names_the_jsonl_line(tmp_path):
    (tmp_path / "c").mkdir()
    write_jsonl(tmp_path / "c" / "docs.jsonl", [GOOD, "{not json", GOOD])
    result = invoke("run", tmp_path / "c", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "docs.jsonl:2: malformed JSON" in result.stderr
    assert not (tmp_path / "out").exists()


def test_binary_on_stdin_is_a_clear_error():
    result = invoke("run", "-", input=b"\x00\x01\x02binary\x00")
    assert result.exit_code == 2
    assert "binary content" in result.stderr and "Traceback" not in result.stderr


def test_empty_stdin_is_fine():
    result = invoke("run", "-", "--quiet", input=b"")
    assert result.exit_code == 0 and result.stdout == ""


def test_missing_input_is_a_clear_error(tmp_path):
    result = invoke("run", tmp_path / "nope")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_fifty_megabyte_single_line(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    sentence = "The quick brown fox jumps over the lazy dog near the river bank. "
    (corpus / "huge.txt").write_text(sentence * (50_000_000 // len(sentence)), encoding="utf-8")
    result = invoke("run", corpus, "-o", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.stderr
    out = (tmp_path / "out" / "huge.txt").read_text(encoding="utf-8")
    assert out == (sentence * (50_000_000 // len(sentence))).rstrip() + "\n"


def test_skip_on_a_stream_keeps_rejected_records(tmp_path):
    data = (json.dumps(GOOD) + "\n{broken\n").encode()
    assert invoke("run", "-", "--on-error", "skip", input=data).exit_code == 2  # no place for them
    result = invoke("run", "-", "--on-error", "skip", "--side-dir", tmp_path, "-q", input=data)
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["ok"]
    assert read_jsonl(tmp_path / "_rejected.jsonl")[0]["record"] == "{broken"
