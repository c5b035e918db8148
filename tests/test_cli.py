"""The command as a user runs it: directories, formats, pipes, explain, config."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
import zstandard
from typer.testing import CliRunner

from cleaner.cli import app

from .conftest import read_jsonl, write_jsonl

runner = CliRunner()

ARTICLE = ("Breaking story headline\n\nBreaking story headline\n\nThe council met on Tuesday and agreed "
           "to fund the new library, which will open next spring.\n\nRead also: Another story\n\n"
           "Follow us on Twitter\n")
CLEAN = ("Breaking story headline\n\nThe council met on Tuesday and agreed to fund the new library, "
         "which will open next spring.")


def invoke(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def make_corpus(root):
    (root / "a" / "b").mkdir(parents=True)
    (root / "one.txt").write_text(ARTICLE, encoding="utf-8")
    records = [{"id": "r1", "meta": {"lang": "en", "n": [1, 2.5, None]}, "text": ARTICLE, "url": "https://x.org/1",
                "after": "é ✓"},
               {"id": "r2", "text": "Une phrase complète, avec assez de mots pour être un paragraphe.\n\nLire aussi : autre"}]
    write_jsonl(root / "a" / "docs.jsonl", records)
    with gzip.open(root / "a" / "b" / "docs.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(records[0]) + "\n")
    (root / "a" / "b" / "docs.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress((json.dumps(records[1]) + "\n").encode()))
    (root / "ignored.bin").write_bytes(b"\x00\x01")
    return records


def test_directory_is_mirrored_with_formats_kept(tmp_path):
    corpus = tmp_path / "corpus"
    records = make_corpus(corpus)
    result = invoke("run", corpus, "--dedup", "off")
    assert result.exit_code == 0, result.output
    out = tmp_path / "corpus.clean"
    assert "output written to" in result.stderr and str(out) in result.stderr
    assert (out / "one.txt").read_text(encoding="utf-8") == CLEAN + "\n"
    got = read_jsonl(out / "a" / "docs.jsonl")
    assert [list(r) for r in got] == [list(records[0]) + ["cleantext"], list(records[1]) + ["cleantext"]]
    assert got[0]["meta"] == records[0]["meta"] and got[0]["after"] == "é ✓"
    assert got[0]["text"] == CLEAN
    assert got[0]["cleantext"]["removed_lines"]["related_link"] == 1
    assert "é ✓" in (out / "a" / "docs.jsonl").read_text(encoding="utf-8")  # UTF-8, not \u escapes
    with gzip.open(out / "a" / "b" / "docs.jsonl.gz", "rt", encoding="utf-8") as fh:
        assert json.loads(fh.readline())["text"] == CLEAN
    zst = zstandard.ZstdDecompressor().stream_reader(open(out / "a" / "b" / "docs.jsonl.zst", "rb")).read()
    assert json.loads(zst)["text"].startswith("Une phrase complète")
    assert not (out / "ignored.bin").exists()
    assert not any(p.name.startswith(".cleantext-staging") for p in out.iterdir())


def test_never_writes_into_its_input(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    result = invoke("run", corpus, "-o", corpus / "out")
    assert result.exit_code == 2 and "inside or over the input" in result.stderr
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before


def test_output_is_deterministic(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    outs = []
    for name in ("o1", "o2"):
        assert invoke("run", corpus, "-o", tmp_path / name, "--quiet").exit_code == 0
        outs.append({p.relative_to(tmp_path / name): p.read_bytes()
                     for p in sorted((tmp_path / name).rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]


def test_pipe_jsonl_streams_before_input_ends(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cleaner.cli", "run", "-", "--window", "2", "--quiet"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for i in range(4):
        proc.stdin.write((json.dumps({"id": i, "text": f"Document number {i} has a sentence in it."}) + "\n").encode())
    proc.stdin.flush()
    first = proc.stdout.readline()  # arrives while stdin is still open
    assert json.loads(first)["id"] == 0
    proc.stdin.close()
    rest = proc.stdout.read().splitlines()
    assert proc.wait() == 0
    assert [json.loads(line)["id"] for line in rest] == [1, 2, 3]


def test_pipe_text_document_starting_with_brace():
    text = "{this is not JSON} but a document that starts with a brace, and it goes on for a while.\n"
    result = invoke("run", "-", "--quiet", input=text)
    assert result.exit_code == 0
    assert result.stdout == text


def test_pipe_stdout_carries_only_data():
    result = invoke("run", "-", input=ARTICLE)
    assert result.stdout == CLEAN + "\n"
    assert "documents read" in result.stderr


def test_explain_command_marks_removed_lines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = invoke("explain", path, "--no-color")
    assert result.exit_code == 0
    assert "- [related_link] Read also: Another story" in result.stdout
    assert "- [social_prompt] Follow us on Twitter" in result.stdout
    assert "  The council met on Tuesday" in result.stdout
    colored = invoke("explain", path, "--color")
    assert "\x1b[31m" in colored.stdout


def test_run_explain_and_stats_files(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    result = invoke("run", corpus, "-o", tmp_path / "out", "--explain", tmp_path / "removed.jsonl",
                    "--stats", tmp_path / "stats.json", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    removed = read_jsonl(tmp_path / "removed.jsonl")
    assert {"id", "location", "line", "rule", "text"} <= set(removed[0])
    assert any(r["rule"] == "related_link" and r["text"] == "Read also: Another story" for r in removed)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["documents_read"] == 5
    assert stats["removed_by_rule"]["related_link"]["lines"] == sum(r["rule"] == "related_link" for r in removed)


def test_site_repeat_table_size_is_an_option(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    sizes = {}
    for entries in (5, 5_000_000):
        result = invoke("run", corpus, "-o", tmp_path / f"out{entries}", "--repeat-table-entries", entries,
                        "--stats", tmp_path / f"stats{entries}.json", "--quiet")
        assert result.exit_code == 0
        sizes[entries] = json.loads((tmp_path / f"stats{entries}.json").read_text())["stages"]["site_repeats"]
    assert sizes[5]["pruned_entries"] > 0 and "pruned_entries" not in sizes[5_000_000]
    result = invoke("run", corpus, "-o", tmp_path / "out0", "--repeat-table-entries", 0)
    assert result.exit_code == 2 and "--repeat-table-entries" in result.output


def test_config_file_and_dry_run(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    cfg = tmp_path / "cleantext.toml"
    cfg.write_text('text-field = "body"\ndedup = "off"\nwindow = 7\n')
    result = invoke("run", corpus, "--config", cfg, "--dry-run", "--window", "9")
    assert result.exit_code == 0
    assert "text_field = 'body'" in result.stdout and "dedup = 'off'" in result.stdout
    assert "window = 9" in result.stdout  # the command line wins
    assert str(corpus / "one.txt") in result.stdout
    assert not (tmp_path / "corpus.clean").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("no-such-option = 1\n")
    assert invoke("run", corpus, "--config", bad).exit_code == 2


def test_user_rules_file(tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text('[navigation]\nlines = ["Weiter zum Inhalt"]\n')
    text = "A real sentence that stays in the output.\nWeiter zum Inhalt\n"
    result = invoke("run", "-", "--rules", rules, "--quiet", input=text)
    assert result.stdout == "A real sentence that stays in the output.\n"


def test_parquet_round_trip(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [ARTICLE, "Short but complete sentence here."],
                             "score": [0.5, 0.7]}), corpus / "part.parquet")
    assert invoke("run", corpus, "-o", tmp_path / "out", "--quiet", "--dedup", "off").exit_code == 0
    table = pq.read_table(tmp_path / "out" / "part.parquet").to_pylist()
    assert table[0]["text"] == CLEAN and table[1]["score"] == 0.7
    assert json.loads(table[0]["cleantext"])["removed_lines"]["related_link"] == 1


def test_explain_gives_the_line_models_reasons(tmp_path):
    menu = ["Home", "News", "Sport", "Weather", "Business", "Culture", "Travel", "Login", "Register"]
    body = ["The council met on Tuesday to discuss the new budget for the coming year, and members agreed.",
            "Residents had asked for more money for schools and roads, and the final plan includes both.",
            "The mayor said she was pleased with the outcome and thanked everyone who took part in the debate."]
    page = tmp_path / "page.txt"
    page.write_text("\n".join(menu + body + menu) + "\n", encoding="utf-8")
    out = invoke("explain", page, "--no-color").stdout.splitlines()
    model_lines = [line for line in out if line.startswith("- [line_model")]
    assert any(line.startswith("- [line_model") and " Weather   <- " in line for line in model_lines)
    assert all("<- " in line for line in model_lines)
    assert all(f"  {line}" in out for line in body)  # the article stays


def test_a_retrained_line_model_can_be_given(tmp_path):
    """--model-file: a model the training script wrote (here the shipped one
    with its threshold raised past every score) replaces the shipped one."""
    from importlib import resources

    spec = json.loads(resources.files("cleaner").joinpath("models", "line_model.json").read_text())
    page = "Recipes\nGardens\nWeather\nThe council met on Tuesday and agreed to fund the new library next spring.\n"
    shipped = invoke("run", "-", "--quiet", "--no-site-repeats", input=page).stdout
    assert "Weather" not in shipped
    lenient = tmp_path / "lenient.json"
    lenient.write_text(json.dumps({**spec, "threshold": 1.0}))
    kept = invoke("run", "-", "--quiet", "--no-site-repeats", "--model-file", lenient, input=page).stdout
    assert kept == page
    broken = tmp_path / "broken.json"
    broken.write_text('{"stage1": ')
    result = invoke("run", "-", "--quiet", "--model-file", broken, input=page)
    assert result.exit_code == 2 and "cannot load line model" in result.output


def _explained(stdout: str) -> dict[str, list[tuple[str, str]]]:
    """{doc id: [(rule, line), ...]} from `cleantext explain --no-color` output."""
    marked: dict[str, list[tuple[str, str]]] = {}
    doc = None
    for line in stdout.splitlines():
        if line.startswith("== "):
            doc = marked.setdefault(line[3:].split(" (")[0], [])
        elif line.startswith("- ["):
            label, text = line[3:].split("] ", 1)
            doc.append((label.split(" ")[0], text.split("   <- ")[0]))
    return marked


@pytest.mark.parametrize("folder", [False, True])
@pytest.mark.parametrize("options", [["--no-line-model", "--window", "1", "--repeat-min-docs", "3"], []])
def test_explain_marks_what_run_removes(tmp_path, options, folder):
    """`explain FILE` (or FOLDER) cleans as `run` does (two passes, the same
    options), so it shows exactly the lines run removes."""
    menu = ["Home", "News", "Sport", "Weather", "Contact us"]
    bodies = [f"Article {i}: the council met on day {i} and agreed to fund project number {i} next spring."
              for i in range(6)]
    records = [{"id": f"p{i}", "url": f"https://site.example/{i}", "text": "\n".join(menu + [body] + menu[:2])}
               for i, body in enumerate(bodies)]
    if folder:  # the site's pages in two files of a folder
        corpus = tmp_path / "corpus"
        (corpus / "b").mkdir(parents=True)
        write_jsonl(corpus / "a.jsonl", records[:2])
        write_jsonl(corpus / "b" / "c.jsonl", records[2:])
    else:
        corpus = tmp_path / "site.jsonl"
        write_jsonl(corpus, records)
    assert invoke("run", corpus, "-o", tmp_path / "out", "--quiet", "--explain", tmp_path / "removed.jsonl",
                  *options).exit_code == 0
    ran: dict[str, list[tuple[str, str]]] = {}
    for r in read_jsonl(tmp_path / "removed.jsonl"):
        ran.setdefault(r["id"], []).append((r["rule"], r["text"]))
    result = invoke("explain", corpus, "--no-color", *options)
    assert result.exit_code == 0
    explained = {doc: marks for doc, marks in _explained(result.stdout).items() if marks}
    assert explained == ran
    assert ("site_repeat", "Weather") in explained["p0"]  # the first page too, from the pages after it


def test_explain_takes_the_config_file_and_ignores_run_only_options(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(ARTICLE, encoding="utf-8")
    rules = tmp_path / "mine.toml"
    rules.write_text('[navigation]\nlines = ["The council met on Tuesday and agreed to fund the new library, '
                     'which will open next spring."]\n', encoding="utf-8")
    config = tmp_path / "cleantext.toml"
    config.write_text(f'rules = ["{rules.as_posix()}"]\ndedup = "off"\nworkers = 2\n', encoding="utf-8")
    out = invoke("explain", page, "--no-color", "--config", config).stdout
    assert "- [navigation] The council met on Tuesday" in out
