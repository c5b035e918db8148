"""`--workers N` cleans files on several processes with the output of one."""
from __future__ import annotations

import json
import os
import random

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.parallel import fork_available

from .conftest import write_jsonl

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs the fork start method")

runner = CliRunner()
WORDS = ("council budget school river bridge music film station village market harvest teacher doctor "
         "storm winter summer museum library election court train festival garden factory").split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(9, 18))).capitalize() + "."


def page(rng: random.Random, site: int) -> str:
    header = [f"Site {site} home", "News", "Sport", "Weather", f"Follow site {site} on Twitter"]
    footer = ["Most read", f"Copyright 2024 Site {site}. All rights reserved.", "Back to top"]
    body = [" ".join(sentence(rng) for _ in range(rng.randrange(1, 4))) for _ in range(rng.randrange(3, 8))]
    return "\n".join(header + body + footer)


def corpus(root):
    """Four sites, 300 pages (several batches per worker), exact and edited
    copies, a malformed record, a text-file folder."""
    rng = random.Random(5)
    records = []
    for i in range(300):
        if records and rng.random() < 0.1:
            src = rng.choice(records)
            lines = src["text"].split("\n")
            if rng.random() < 0.5:  # an edited copy: one word of the body changed
                lines[5] = "Yesterday " + lines[5].split(" ", 1)[1]
            text = "\n".join(lines)
            records.append({"id": f"d{i}", "url": src["url"], "text": text})
        else:
            site = rng.randrange(4)
            records.append({"id": f"d{i}", "url": f"https://site{site}.example/{i}", "text": page(rng, site)})
    lines = [json.dumps(r) for r in records]
    lines.insert(150, '{"id": "broken", "text": ')  # malformed
    (root / "jsonl").mkdir(parents=True)
    write_jsonl(root / "jsonl" / "pages.jsonl", lines)
    (root / "text").mkdir()
    for i in range(20):
        (root / "text" / f"{i:02d}.txt").write_text(page(rng, 9), encoding="utf-8")
    return root


def run(root, out, *extra):
    result = runner.invoke(app, ["run", str(root), "-o", str(out), "-q", "--on-error", "skip",
                                 "--stats", str(out) + ".stats.json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stats = json.loads((out.parent / (out.name + ".stats.json")).read_text())
    for timing in ("seconds", "mb_per_second"):
        stats.pop(timing)
    return stats


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_workers_give_the_output_and_statistics_of_one_process(tmp_path):
    root = corpus(tmp_path / "in")
    one = run(root, tmp_path / "one")
    two = run(root, tmp_path / "two", "--workers", "2")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert one == two
    # The run did real work in the workers: boilerplate, duplicates, the bad record.
    assert one["documents_rejected"] == 1 and one["documents_read"] == 321
    assert one["removed_by_rule"]["site_repeat"]["lines"] > 0
    assert one["stages"]["site_repeats"]["lines_removed"] > 0
    assert one["duplicates"]["exact"] > 0 and one["duplicates"]["near"] > 0


def test_workers_number_the_pages_as_one_process_does(tmp_path, monkeypatch):
    # The copy test knows a page by the ordinal the counting pass gave it (after pruning, its own
    # lines may no longer list it): the workers must clean each page under the same ordinal.
    import cleaner.siterepeats as siterepeats

    apply = siterepeats.SiteRepeats.apply

    def recording_apply(self, doc):
        with open(tmp_path / f"pages-{os.environ['PAGES']}.tsv", "a", encoding="utf-8") as f:
            f.write(f"{doc.id}\t{doc.scratch.get('page')}\n")  # workers too: a line each, appended
        apply(self, doc)

    monkeypatch.setattr(siterepeats.SiteRepeats, "apply", recording_apply)
    root = corpus(tmp_path / "in")
    seen = {}
    for name, extra in (("one", ()), ("two", ("--workers", "2"))):
        monkeypatch.setenv("PAGES", name)
        run(root, tmp_path / name, *extra)
        rows = [line.split("\t") for line in (tmp_path / f"pages-{name}.tsv").read_text().splitlines()]
        seen[name] = {doc_id: int(page) for doc_id, page in rows}
    assert seen["one"] == seen["two"]
    assert sorted(seen["one"].values()) == list(range(len(seen["one"])))  # every readable page, once


def test_workers_must_not_be_negative(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path), "--workers", "-1"])
    assert result.exit_code == 2 and "--workers" in result.output


def test_a_stream_without_site_repeats_is_cleaned_by_workers_too(tmp_path):
    root = corpus(tmp_path / "in")
    data = (root / "jsonl" / "pages.jsonl").read_bytes()
    args = ["run", "-", "-q", "--on-error", "skip", "--side-dir", str(tmp_path / "side"), "--no-site-repeats"]
    one = runner.invoke(app, args, input=data, catch_exceptions=False)
    two = runner.invoke(app, args + ["--workers", "2"], input=data, catch_exceptions=False)
    assert one.exit_code == two.exit_code == 0
    assert one.stdout_bytes == two.stdout_bytes and one.stdout_bytes.count(b"\n") == 300
    # With site repeats the look-ahead window counts in input order: one process, and it says so.
    with_window = runner.invoke(app, ["run", "-", "--workers", "2", "--on-error", "skip", "--side-dir",
                                      str(tmp_path / "side2")], input=data, catch_exceptions=False)
    assert with_window.exit_code == 0 and "one process" in with_window.stderr
    assert with_window.stdout_bytes.count(b"\n") == 300


def _die(docs):
    os._exit(1)  # as if the out-of-memory killer took the worker


def test_a_worker_that_dies_is_a_clear_error_and_leaves_no_output(tmp_path, monkeypatch):
    import cleaner.parallel as parallel

    monkeypatch.setattr(parallel, "_clean", _die)
    root = corpus(tmp_path / "in")
    result = runner.invoke(app, ["run", str(root), "-o", str(tmp_path / "out"), "-q", "--on-error", "skip",
                                 "--workers", "2"])
    assert result.exit_code == 2 and "worker process died" in result.output
    assert not (tmp_path / "out").exists()
