"""Boilerplate removal against gold line labels (../shared/eval/boilerplate/).

Streams every set file through one `cleantext run -` call (so statistics across
the pages of a set stay within the set, as the eval README asks), then runs the
set's own scorer.  Prints the scorer's table, the macro F1 and how each set
compares with the issue's targets (F1 >= 0.90 and recall >= 0.95 per set,
macro F1 >= 0.94, no document emptied).

    python benchmarks/bench_boilerplate.py [--eval-dir ../shared/eval/boilerplate] [-- extra cleantext options]
"""
from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval" / "boilerplate")
    parser.add_argument("--sets", nargs="*", help="set files to run (default: all *.jsonl.gz)")
    parser.add_argument("extra", nargs="*", help="extra options for cleantext run (after --)")
    args = parser.parse_args()
    files = sorted(args.eval_dir.glob("*.jsonl.gz")) if not args.sets else [args.eval_dir / s for s in args.sets]
    if not files:
        print(f"no eval sets in {args.eval_dir}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp) / "pred.jsonl"
        total_bytes, start = 0, time.perf_counter()
        with open(pred, "wb") as out:
            for f in files:
                data = gzip.decompress(f.read_bytes())
                total_bytes += len(data)
                cmd = [sys.executable, "-m", "cleaner.cli", "run", "-", "--dedup", "off", "--quiet", *args.extra]
                result = subprocess.run(cmd, input=data, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)  # this checkout's cleaner
                if result.returncode != 0:
                    print(result.stderr.decode(), file=sys.stderr)
                    return 1
        seconds = time.perf_counter() - start
        score = subprocess.run([sys.executable, str(args.eval_dir / "score.py"), *map(str, files), "--pred", str(pred)],
                               capture_output=True, text=True)
        print(score.stdout, end="")
        if score.returncode != 0:
            print(score.stderr, file=sys.stderr)
            return 1
    print(f"\ncleantext: {total_bytes / 1e6:.1f} MB in {seconds:.1f} s ({total_bytes / 1e6 / seconds:.1f} MB/s, "
          f"including process start per set)")
    macro = re.search(r"macro_f1=([0-9.]+)", score.stdout)
    print(f"target: macro F1 >= 0.94 -> {'PASS' if macro and float(macro.group(1)) >= 0.94 else 'MISS'}"
          f" ({macro.group(1) if macro else '?'}); per set F1 >= 0.90, recall >= 0.95, empty 0%: see the table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
