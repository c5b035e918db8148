"""Bad input never crashes and is never silently lost:
read = written + removed + rejected, and --on-error fail leaves no output."""
from __future__ import annotations

import base64
import json

import pytest
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


# -- a bug of ours, met on one document -------------------------------------------
# A stage that raises on one document (simulated here) must not end a long run
# nor lose the document: it is rejected like bad input.

TRIGGER = "TRIGGER"
MENU = ["Home", "News", "Sport", "Weather", "Contact us"]


def site_records(n=6, trigger_at=None):
    records = []
    for i in range(n):
        body = f"Article {i}: the council met on day {i} and agreed to fund project number {i} next spring."
        if i == trigger_at:
            body += f" {TRIGGER}"
        records.append({"id": f"p{i}", "url": f"https://site.example/{i}", "text": "\n".join(MENU + [body])})
    return records


def _raise_on_trigger(method):
    def wrapped(self, doc, *args, **kwargs):
        if any(TRIGGER in line for line in doc.lines):
            raise RuntimeError("simulated bug")
        return method(self, doc, *args, **kwargs)
    return wrapped


def _trigger_in(monkeypatch, stage):
    from cleaner.linerules import LineRules
    from cleaner.siterepeats import SiteRepeats

    if stage == "rules":  # pass 2 and streams (and pass 1's count: page_lines needs the same lines)
        monkeypatch.setattr(LineRules, "apply", _raise_on_trigger(LineRules.apply))
        monkeypatch.setattr(SiteRepeats, "page_lines", _raise_on_trigger(SiteRepeats.page_lines))
    elif stage == "model":  # inside the line model's batch, after other documents of it went through
        from cleaner.linemodel_step import LineModelStep

        monkeypatch.setattr(LineModelStep, "_remove", _raise_on_trigger(LineModelStep._remove))
    else:  # a stage run on a batch of documents
        monkeypatch.setattr(LineRules, "remove_trailing_fragments",
                            _raise_on_trigger(LineRules.remove_trailing_fragments))


def test_an_internal_error_in_fail_mode_names_the_document_and_writes_nothing(tmp_path, monkeypatch):
    _trigger_in(monkeypatch, "rules")
    write_jsonl(tmp_path / "site.jsonl", site_records(trigger_at=3))
    result = invoke("run", tmp_path / "site.jsonl", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "site.jsonl:4: internal error in prepare (RuntimeError: simulated bug)" in result.stderr
    assert not (tmp_path / "out").exists()



@pytest.mark.parametrize("stage", ["rules", "model", "batch"])
@pytest.mark.parametrize("workers", [1, 2])
def test_an_internal_error_in_skip_mode_rejects_that_document_only(tmp_path, monkeypatch, stage, workers):
    write_jsonl(tmp_path / "site.jsonl", site_records(trigger_at=3))
    clean = invoke("run", tmp_path / "site.jsonl", "-o", tmp_path / "plain", "--quiet", "--dedup", "off")
    assert clean.exit_code == 0
    expected = {r["id"]: r["text"] for r in read_jsonl(tmp_path / "plain" / "site.jsonl")}
    _trigger_in(monkeypatch, stage)
    result = invoke("run", tmp_path / "site.jsonl", "-o", tmp_path / "out", "--on-error", "skip", "--dedup", "off",
                    "--workers", workers, "--stats", tmp_path / "stats.json")
    assert result.exit_code == 0, result.stderr
    written = {r["id"]: r["text"] for r in read_jsonl(tmp_path / "out" / "site.jsonl")}
    rejected = read_jsonl(tmp_path / "out" / "_rejected.jsonl")
    assert [json.loads(r["record"])["id"] for r in rejected] == ["p3"]
    assert json.loads(rejected[0]["record"]) == site_records(trigger_at=3)[3]  # the record as read
    assert "internal error" in rejected[0]["reason"] and "simulated bug" in rejected[0]["reason"]
    # the other pages are cleaned exactly as without the failure: page numbers stayed in step
    assert written == {k: v for k, v in expected.items() if k != "p3"}
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["documents_read"] == stats["documents_written"] + stats["documents_rejected"] == 6


@pytest.mark.parametrize("stage", ["count", "model", "batch"])
def test_an_internal_error_on_a_stream_skips_to_the_side_file(tmp_path, monkeypatch, stage):
    if stage == "count":  # the window's count of the page, after the rules went through
        from cleaner.siterepeats import SiteRepeats

        monkeypatch.setattr(SiteRepeats, "page_lines", _raise_on_trigger(SiteRepeats.page_lines))
    else:
        _trigger_in(monkeypatch, stage)
    data = "".join(json.dumps(r) + "\n" for r in site_records(trigger_at=0))
    result = invoke("run", "-", "--on-error", "skip", "--side-dir", tmp_path, "-q", input=data)
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["p1", "p2", "p3", "p4", "p5"]
    assert json.loads(read_jsonl(tmp_path / "_rejected.jsonl")[0]["record"])["id"] == "p0"


def test_a_text_file_an_internal_error_rejects_keeps_its_text(tmp_path, monkeypatch):
    _trigger_in(monkeypatch, "rules")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text(f"caf\u00c3\u00a9 au lait, une phrase {TRIGGER}.\n", encoding="utf-8")
    result = invoke("run", tmp_path / "c", "-o", tmp_path / "out", "--on-error", "skip", "-q")
    assert result.exit_code == 0
    rejected = read_jsonl(tmp_path / "out" / "_rejected.jsonl")
    assert rejected[0]["record"] == f"caf\u00c3\u00a9 au lait, une phrase {TRIGGER}.\n"  # as read, not repaired


@pytest.mark.parametrize("workers", [1, 2])
def test_a_page_the_count_fails_on_is_still_cleaned_and_said(tmp_path, monkeypatch, workers):
    """Only the counting pass fails on the page: it is counted as unreadable
    (the summary says so) and cleaned like the others in the second pass."""
    from cleaner.siterepeats import SiteRepeats

    monkeypatch.setattr(SiteRepeats, "page_lines", _raise_on_trigger(SiteRepeats.page_lines))
    write_jsonl(tmp_path / "site.jsonl", site_records(trigger_at=3))
    result = invoke("run", tmp_path / "site.jsonl", "-o", tmp_path / "out", "--dedup", "off", "--quiet",
                    "--workers", workers, "--stats", tmp_path / "stats.json")
    assert result.exit_code == 0
    written = read_jsonl(tmp_path / "out" / "site.jsonl")
    assert [r["id"] for r in written] == [f"p{i}" for i in range(6)]
    assert "Weather" not in written[3]["text"]  # the other pages' counts still hold the menu
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["stages"]["site_repeats"]["pages_not_counted"] == 1


def test_a_rejected_record_with_values_json_cannot_hold_is_still_written(monkeypatch):
    """Parquet rows can hold bytes, decimals, dates: a rejected one is kept as JSON with them as text."""
    from decimal import Decimal

    from cleaner import Document, Pipeline
    from cleaner.io.writers import record_as_read

    _trigger_in(monkeypatch, "rules")
    record = {"id": "r", "text": f"A sentence long enough to be kept as it is. {TRIGGER}", "blob": b"\x00\x01",
              "price": Decimal("1.50"), "big": 2 ** 70}
    [doc] = Pipeline().run([Document(id="r", text=record["text"], record=record)])
    assert "internal error" in doc.error
    kept = json.loads(record_as_read(doc))  # what the runner writes to _rejected.jsonl
    assert kept["text"] == record["text"] and kept["price"] == "1.50" and kept["big"] == 2 ** 70
