"""Duplicate detection against ground truth (../shared/eval/neardup/).

Runs `cleantext run` with default options on the near-duplicate dev corpus
(raw scraped pages: cleaning and hashing are measured together, as users run
them), then the corpus's own scorer.  Prints the scorer's report and the
issue's targets: pair F1 >= 0.95, recall >= 0.95 for true Jaccard 0.80-0.90,
zero hard-negative false merges, grey-zone-strict F1 >= 0.90; and how many of
the hard-negative merges join pages whose repaired raw text holds the same
set of long lines (a diagnostic: the score is the scorer's).

Then, to say where the missed pairs come from (diagnostics, computed from the
ground truth's origins and templates, not used by the cleaner):

* each missed true pair by what cleaning left of its two pages: a page whose
  cleaned text has over 1.25 times its article's words kept template, one
  under 0.8 times lost article text;
* the article text each rule removed (from the run's --explain file): a line
  counts as article text when a page of the same origin in another template
  has it too, and no page of another origin does.

    python benchmarks/bench_neardup.py [--eval-dir ../shared/eval/neardup] [-- extra cleantext options]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval" / "neardup")
    parser.add_argument("--keep", type=Path, help="keep the cleaned output in this folder")
    parser.add_argument("extra", nargs="*", help="extra options for cleantext run (after --)")
    args = parser.parse_args()
    docs = args.eval_dir / "docs.jsonl.gz"
    if not docs.exists():
        print(f"no corpus at {docs}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = (args.keep or Path(tmp) / "out").resolve()
        start = time.perf_counter()
        explain = Path(tmp) / "removed.jsonl"
        run = subprocess.run([sys.executable, "-m", "cleaner.cli", "run", str(docs), "-o", str(out), "--quiet",
                              "--stats", str(Path(tmp) / "stats.json"), "--explain", str(explain), *args.extra],
                             cwd=ROOT)  # this checkout's cleaner
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            return 1
        report_path = Path(tmp) / "report.json"
        score = subprocess.run([sys.executable, str(args.eval_dir / "score.py"), "--truth",
                                str(args.eval_dir / "truth.jsonl.gz"), "--pred", str(out / "docs.jsonl.gz"),
                                "--json", str(report_path)], capture_output=True, text=True)
        print(score.stdout, end="")
        if score.returncode != 0:
            print(score.stderr, file=sys.stderr)
            return 1
        stats = json.loads((Path(tmp) / "stats.json").read_text())
        report = json.loads(report_path.read_text())
        hard = report.get("hard_negative_false_merges")
        truth = {t["id"]: t for t in _read_jsonl(args.eval_dir / "truth.jsonl.gz")}
        predictions = list(_read_jsonl(out / "docs.jsonl.gz"))
        raw_pages = list(_read_jsonl(docs))
        same = _same_long_lines(truth, predictions, raw_pages) if hard else 0
        _miss_diagnostics(truth, predictions, raw_pages, explain)
    mb = stats["megabytes"]
    print(f"\ncleantext run: {mb:.1f} MB in {seconds:.1f} s ({mb / seconds:.1f} MB/s end to end, one process, "
          f"writing --explain too)")
    bins = report.get("recall_by_bin", {})
    pairs = sum(bins.get(b, {}).get("pairs", 0) for b in ("[0.80,0.85)", "[0.85,0.90)"))
    found = sum(bins.get(b, {}).get("pairs", 0) * bins.get(b, {}).get("recall", 0) for b in ("[0.80,0.85)", "[0.85,0.90)"))
    print("targets:")
    checks = [
        ("pair F1 >= 0.95", report.get("f1"), lambda v: v >= 0.95),
        ("recall at true Jaccard 0.80-0.90 >= 0.95", found / pairs if pairs else None, lambda v: v >= 0.95),
        ("hard-negative false merges = 0", hard, lambda v: v == 0),
        ("F1 with grey-zone merges as errors >= 0.90", report.get("strict_f1"), lambda v: v >= 0.90),
    ]
    for label, value, ok in checks:
        verdict = "?" if value is None else ("PASS" if ok(value) else "MISS")
        shown = "?" if value is None else (f"{value:.4f}" if isinstance(value, float) else value)
        print(f"  {label:<44} {shown:<8} {verdict}")
    if hard:
        print(f"  of the {hard} hard-negative merges, {same} join raw pages that hold the same set of long lines once\n"
              f"  their encoding is repaired (their shared template contains both articles: no text-based\n"
              f"  method can separate them)")
    return 0


def _read_jsonl(path: Path):
    import gzip

    with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as f:
        for line in f:
            yield json.loads(line)


def _cluster_of(predictions: list[dict]) -> dict[str, str]:
    """Each document's cluster: its `cluster` id (the representative's, set on
    every member and on the representative), else its own id."""
    return {d["id"]: (d.get("cleantext") or {}).get("cluster") or d["id"] for d in predictions}


def _miss_diagnostics(truth: dict, predictions: list[dict], raw_pages: list[dict], explain: Path) -> None:
    """Print why true pairs were missed and how much article text each rule
    removed (see the module docstring)."""
    import re
    from collections import Counter, defaultdict

    words = re.compile(r"\w+")
    cleaned = {d["id"]: d["text"] for d in predictions}
    cluster = _cluster_of(predictions)

    def state(doc_id):
        ratio = len(words.findall(cleaned[doc_id])) / max(1, truth[doc_id]["body_words"])
        return "kept template" if ratio > 1.25 else "lost article" if ratio < 0.8 else "about the article"

    states = {doc_id: state(doc_id) for doc_id in truth}
    missed = Counter()
    for a, t in truth.items():
        for b, jaccard in t["same_origin"].items():
            if a < b and jaccard >= 0.8 and cluster[a] != cluster[b]:
                missed[" + ".join(sorted((states[a], states[b])))] += 1
    print(f"\nmissed true pairs ({sum(missed.values())}) by what cleaning left of their two pages "
          f"(cleaned words against the article's: over 1.25x kept template, under 0.8x lost article):")
    for kind, n in missed.most_common():
        print(f"    {kind:<40} {n:5d}")
    pages = Counter(states.values())
    print("  all pages: " + ", ".join(f"{kind} {n}" for kind, n in pages.most_common()))

    # Article lines: held by pages of one origin only, in two templates or more.
    origins, templates = defaultdict(set), defaultdict(set)
    for d in raw_pages:
        t = truth[d["id"]]
        for line in {x.strip() for x in d["text"].split("\n")}:
            origins[line].add(t["origin"])
            templates[line].add(t["template"])
    article = {line for line, o in origins.items() if len(o) == 1 and len(templates[line]) > 1 and line}
    kept = sum(len(words.findall(x)) for text in cleaned.values() for x in text.split("\n") if x.strip() in article)
    removed = Counter()
    for r in _read_jsonl(explain):
        if r["text"].strip() in article:
            removed[r["rule"]] += len(words.findall(r["text"]))
    total = kept + sum(removed.values())
    print(f"article text removed, by rule (of {total:,} words of lines found in two templates of one origin):")
    for rule, n in removed.most_common():
        print(f"    {rule:<20} {n:7,d} words  {n / max(total, 1):.2%}")


def _same_long_lines(truth: dict, predictions: list[dict], raw_pages: list[dict]) -> int:
    """How many hard-negative pairs put in one cluster are raw pages that,
    once repaired, hold the same set of lines of 8+ words."""
    import re

    sys.path.insert(0, str(ROOT))
    from cleaner.repair import repair_document

    clusters: dict[str, list[str]] = {}
    for doc_id, key in _cluster_of(predictions).items():
        clusters.setdefault(key, []).append(doc_id)
    pairs = []
    for members in clusters.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                ta, tb = truth[a], truth[b]
                if ta["origin"] != tb["origin"] and set(ta.get("hn_keys") or ()) & set(tb.get("hn_keys") or ()):
                    pairs.append((a, b))
    wanted = {x for pair in pairs for x in pair}
    raw = {d["id"]: {re.sub(r"\W+", " ", x.lower()).strip()
                     for x in repair_document(d["text"])[0].split("\n") if len(x.split()) >= 8}
           for d in raw_pages if d["id"] in wanted}
    return sum(raw[a] == raw[b] for a, b in pairs)


if __name__ == "__main__":
    sys.exit(main())
