"""Duplicate detection against ground truth (../shared/eval/neardup/).

Runs `cleantext run` with default options on the near-duplicate dev corpus
(raw scraped pages: cleaning and hashing are measured together, as users run
them), then the corpus's own scorer.  Prints the scorer's report and the
issue's targets: pair F1 >= 0.95, recall >= 0.95 for true Jaccard 0.80-0.90,
zero hard-negative false merges, grey-zone-strict F1 >= 0.90.

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
        run = subprocess.run([sys.executable, "-m", "cleaner.cli", "run", str(docs), "-o", str(out), "--quiet",
                              "--stats", str(Path(tmp) / "stats.json"), *args.extra], cwd=ROOT)  # this checkout's cleaner
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
    mb = stats["megabytes"]
    print(f"\ncleantext run: {mb:.1f} MB in {seconds:.1f} s ({mb / seconds:.1f} MB/s end to end, one process)")
    print("targets:")
    checks = [("pair F1 >= 0.95", _find(report, "f1"), 0.95)]
    for label, key, target in checks:
        value = key
        verdict = "?" if value is None else ("PASS" if value >= target else "MISS")
        print(f"  {label:<40} {value if value is not None else '?'} {verdict}")
    print("  (recall by Jaccard bin, hard-negative merges and grey-zone F1: see the report above)")
    return 0


def _find(report: dict, key: str):
    if key in report and isinstance(report[key], (int, float)):
        return report[key]
    for value in report.values():
        if isinstance(value, dict):
            found = _find(value, key)
            if found is not None:
                return found
    return None


if __name__ == "__main__":
    sys.exit(main())
