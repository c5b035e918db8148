#!/usr/bin/env python3
"""Apply the shipped line model to the boilerplate sets and score it with score.py.

    nice -n 10 python scripts/eval_line_model.py [EVAL_DIR] [--sets a b ...] [--no-repeats]
                                                 [--model PATH] [--out pred.jsonl] [--batch 64]

For every set file (one source per file, as the pipeline's counter would see
it), repeats[i] = number of OTHER documents of the set containing the
`textnorm.line_key` of line i; `--no-repeats` scores every document alone
(repeats=None, source_docs=1).  Lines with P >= threshold are removed
(`LineModel.keep_from_scores`, which never empties a document); the cleaned
texts are written as JSONL {id, text} and scored with the official scorer.

Note: the training sets' numbers are IN-SAMPLE for the shipped model (it was
trained on them); only dragnet is held out.  Cross-validated numbers are
printed by scripts/train_line_model.py.

Also reports the model's throughput (MB of text per CPU second) for the
feature extraction + scoring, excluding JSON parsing and the repeat counting.
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleaner.linemodel import LineModel  # noqa: E402
from cleaner.textnorm import line_key  # noqa: E402

ALL_SETS = ["turku-de", "turku-en", "turku-es", "turku-fi", "turku-fr", "turku-sv",
            "cleaneval-dev", "cleaneval-final-a", "dragnet"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_dir", nargs="?", default=str(REPO.parent / "shared" / "eval" / "boilerplate"))
    ap.add_argument("--sets", nargs="*", default=ALL_SETS)
    ap.add_argument("--model", default=None)
    ap.add_argument("--no-repeats", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args(argv)
    eval_dir = Path(args.eval_dir)
    model = LineModel.load(args.model)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="linemodel-eval-")) / "pred.jsonl"
    total_bytes, total_cpu = 0, 0.0
    empty_docs = 0
    with open(out, "w", encoding="utf-8") as fo:
        for name in args.sets:
            with gzip.open(eval_dir / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
                recs = [json.loads(x) for x in f if x.strip()]
            docs = [r["text"].split("\n") for r in recs]
            if args.no_repeats:
                reps = [None] * len(docs)
                src = 1
            else:
                keys = [[line_key(x) for x in d] for d in docs]
                df = Counter()
                for k in keys:
                    df.update({x for x in k if x})
                reps = [[(df[x] - 1) if x else 0 for x in k] for k in keys]
                src = len(docs)
            for lo in range(0, len(docs), args.batch):
                chunk = list(range(lo, min(lo + args.batch, len(docs))))
                t0 = time.process_time()
                probs = model.score_batch([(docs[i], reps[i], src) for i in chunk])
                total_cpu += time.process_time() - t0
                for i, p in zip(chunk, probs):
                    total_bytes += len(recs[i]["text"].encode("utf-8"))
                    keep = model.keep_from_scores(docs[i], p)
                    text = "\n".join(x for x, k in zip(docs[i], keep) if k)
                    if not text.strip() and recs[i]["text"].strip():
                        empty_docs += 1
                    fo.write(json.dumps({"id": recs[i]["id"], "text": text}, ensure_ascii=False) + "\n")
    files = [str(eval_dir / f"{s}.jsonl.gz") for s in args.sets]
    res = subprocess.run([sys.executable, str(eval_dir / "score.py"), *files, "--pred", str(out)],
                         capture_output=True, text=True)
    print(res.stdout + res.stderr)
    print(f"threshold={model.threshold} repeats={'off' if args.no_repeats else 'per set file'} "
          f"emptied_docs={empty_docs} predictions={out}")
    print(f"model throughput: {total_bytes / max(total_cpu, 1e-9) / 1e6:.1f} MB/s per CPU second "
          f"(batches of {args.batch} documents)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
