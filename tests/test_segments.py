"""A tree of text files is counted and cleaned in runs of sites (folders): the
output of one count of everything, with a site-repeat table that only holds
one run's sites."""
from __future__ import annotations

import json
from pathlib import Path

import cleaner.runner as runner_module
from cleaner.cli import app
from cleaner.runner import RunOptions, TreeJob
from typer.testing import CliRunner

cli = CliRunner()


def invoke(*args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def article(site: int, page: int) -> list[str]:
    topic = f"topic-{site}-{page}"
    return [f"The {topic} story opens with a sentence long enough to be a paragraph about {topic}.",
            f"Readers of the {topic} report then learn what happened next at the {topic} site."]


def make_sites(root: Path, sites: int) -> None:
    """Folders of three pages each, in one template per site; site 0 also has a
    subfolder between its pages (its folder has files on both sides of it)."""
    for s in range(sites):
        menu = [f"Section {k} of the website number {s}" for k in range(12)]
        folder = root / f"site{s:02d}"
        folder.mkdir(parents=True)
        for p in range(3):
            (folder / f"p{p}.txt").write_text("\n".join(menu + article(s, p)) + "\n", encoding="utf-8")
    (root / "site00" / "p1-sub").mkdir()  # sorted between p0.txt and p1.txt
    (root / "site00" / "p1-sub" / "x.txt").write_text("\n".join(article(99, 0)) + "\n", encoding="utf-8")


def run_tree(corpus: Path, out: Path, *options) -> dict:
    stats = out.with_suffix(".stats.json")
    result = invoke("run", corpus, "-o", out, "--quiet", "--stats", stats, *options)
    assert result.exit_code == 0, result.output
    return json.loads(stats.read_text())


def test_runs_of_sites_give_the_output_of_one_count(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_sites(corpus, 8)
    whole = run_tree(corpus, tmp_path / "whole")
    monkeypatch.setattr(runner_module, "SEGMENT_BYTES_PER_ENTRY", 0)  # cut wherever a cut is allowed
    job = TreeJob(RunOptions(), [corpus])
    runs = job.segments()
    assert len(runs) == 8  # one a site: site 0's subfolder sits inside site 0's run
    assert [f.rel.as_posix() for f in runs[0]] == ["site00/p0.txt", "site00/p1-sub/x.txt", "site00/p1.txt",
                                                   "site00/p2.txt"]
    for name, options in (("cut", ()), ("cut-2-workers", ("--workers", 2))):
        cut = run_tree(corpus, tmp_path / name, *options)
        for path in sorted((tmp_path / "whole").rglob("*.txt")):
            assert path.read_bytes() == (tmp_path / name / path.relative_to(tmp_path / "whole")).read_bytes(), path
        assert cut["removed_by_rule"] == whole["removed_by_rule"] and cut["duplicates"] == whole["duplicates"]


def test_a_tree_larger_than_the_table_is_cleaned_as_if_the_table_were_not(tmp_path, monkeypatch):
    # 40 sites of 12 template lines on 3 pages: far more repeated lines than a table of 60
    # entries holds. Counted all at once, pruning forgets sites; counted a site at a time,
    # every site's template goes.
    corpus = tmp_path / "corpus"
    make_sites(corpus, 40)
    monkeypatch.setattr(runner_module, "SEGMENT_BYTES_PER_ENTRY", 0)
    stats = run_tree(corpus, tmp_path / "out", "--repeat-table-entries", 60)
    assert "pruned_entries" not in stats["stages"]["site_repeats"]
    for s in (0, 39):
        assert (tmp_path / "out" / f"site{s:02d}" / "p1.txt").read_text(encoding="utf-8").splitlines() == article(s, 1)


def make_shards(root: Path, sites: int, mixed: bool = False) -> None:
    """JSONL shards of three pages each, one site a shard (or, `mixed`, each
    shard's last page from the next shard's site)."""
    root.mkdir(parents=True)
    for s in range(sites):
        menu = [f"Section {k} of the website number {s}" for k in range(12)]
        records = [{"id": f"{s}-{p}", "url": f"https://www.site{s}.example/{p}",
                    "text": "\n".join(menu + article(s, p))} for p in range(3)]
        if mixed:
            records[-1]["url"] = f"https://www.site{s + 1}.example/x"
        (root / f"shard{s:02d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_jsonl_shards_of_one_site_each_are_counted_a_run_at_a_time(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_shards(corpus, 6)
    whole = run_tree(corpus, tmp_path / "whole")
    monkeypatch.setattr(runner_module, "SEGMENT_BYTES_PER_ENTRY", 0)
    assert len(TreeJob(RunOptions(), [corpus]).segments()) == 6
    cut = run_tree(corpus, tmp_path / "cut")
    for path in sorted((tmp_path / "whole").rglob("*.jsonl")):
        assert path.read_bytes() == (tmp_path / "cut" / path.relative_to(tmp_path / "whole")).read_bytes(), path
    assert cut["removed_by_rule"] == whole["removed_by_rule"]


def test_a_site_with_pages_in_two_files_keeps_them_in_one_run(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_shards(corpus, 4, mixed=True)  # every shard shares a site with the next: no cut anywhere
    monkeypatch.setattr(runner_module, "SEGMENT_BYTES_PER_ENTRY", 0)
    assert len(TreeJob(RunOptions(), [corpus]).segments()) == 1
    sharded = tmp_path / "sharded"
    make_shards(sharded, 4)
    assert len(TreeJob(RunOptions(), [sharded]).segments()) == 4
    monkeypatch.setattr(runner_module, "MAX_SCANNED_SOURCES", 2)  # more sites than the scan keeps: one run
    assert len(TreeJob(RunOptions(), [sharded]).segments()) == 1
    monkeypatch.setattr(runner_module, "MAX_SCANNED_SOURCES", 1_000_000)
    text_tree = tmp_path / "tree"
    make_sites(text_tree, 3)
    (text_tree / "site01" / "more.jsonl").write_text(json.dumps({"id": "j", "text": "x", "url": "https://site00/"}) + "\n")
    runs = TreeJob(RunOptions(), [text_tree]).segments()
    # site00's folder and the record naming site00 (first in site01's folder) share a run
    assert [f.rel.as_posix() for f in runs[0]][-2:] == ["site00/p2.txt", "site01/more.jsonl"]


def test_explain_counts_in_the_same_runs(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_sites(corpus, 6)
    whole = invoke("explain", corpus)
    monkeypatch.setattr(runner_module, "SEGMENT_BYTES_PER_ENTRY", 0)
    cut = invoke("explain", corpus)
    assert whole.exit_code == cut.exit_code == 0
    assert cut.stdout == whole.stdout and "[site_repeat " in cut.stdout
