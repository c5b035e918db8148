#!/usr/bin/env python3
"""Single-core throughput of the cleaning pipeline, stage by stage and end to end.

    nice -n 10 python benchmarks/bench_pipeline.py            # builds bench-out/corpus.jsonl if missing
    python benchmarks/bench_pipeline.py --quick               # smaller ftfy sample, fewer repeats
    python benchmarks/bench_pipeline.py --skip-cli            # in-process measurements only

Measures, on one core (the process pins itself and its children to --cpu):

  (a) JSONL parsing alone: orjson over the file, and cleaner's reader (Documents);
  (b) the encoding stage, `repair_text`, on the documents that need no repair
      (needs_repair False; target >= 50 MB/s) and on all documents;
  (c) plain `ftfy.fix_text` with its defaults and with FTFY_CONFIG on a sample of
      the documents, `repair_text` on the same sample, and the speed-up;
  (d) `cleantext run corpus.jsonl -o OUT --quiet` end to end (reading, every
      stage, writing; target >= 15 MB/s) with the default options and with
      --dedup off, --no-line-model, --no-site-repeats and all three off, so the
      cost of each stage shows; a variant that fails (a stage not written yet)
      is reported as n/a;
  (e) an in-process breakdown of the same run (the calls TreeJob makes, timed
      one by one), including the site-repeat first pass.

MB are 10^6 bytes: of the JSONL file for (a) and (d), of the UTF-8 text of the
documents for (b), (c) and (e).  Each in-process number is the best of
--repeat runs; CLI numbers are wall-clock times including interpreter start-up.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Measure this checkout's cleaner, installed or not (children too).
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
DEFAULT_CORPUS = REPO / "bench-out" / "corpus.jsonl"

REPAIR_CLEAN_TARGET = 50.0
END_TO_END_TARGET = 15.0

CLI_VARIANTS = [
    ("default", []),
    ("--dedup off", ["--dedup", "off"]),
    ("--no-line-model", ["--no-line-model"]),
    ("--no-site-repeats", ["--no-site-repeats"]),
    ("all three off", ["--dedup", "off", "--no-line-model", "--no-site-repeats"]),
    ("site repeats only", ["--dedup", "off", "--no-line-model"]),
]


# -- helpers ---------------------------------------------------------------------------------

def pin(cpu: int | None) -> str:
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"pinned to CPU {cpu}"


def best_of(repeat: int, fn) -> float:
    """Best wall time of `repeat` calls of fn()."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def mb(nbytes: int) -> float:
    return nbytes / 1e6


class Table:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, section: str, name: str, nbytes: int | None, seconds: float | None,
            target: float | None = None, note: str = "", na: str | None = None) -> dict:
        row = {"section": section, "name": name, "mb": None if nbytes is None else round(mb(nbytes), 2),
               "seconds": None if seconds is None else round(seconds, 3), "mb_per_s": None,
               "target": target, "result": "", "note": note}
        if na is not None:
            row["result"] = "n/a"
            row["note"] = na
        elif nbytes is not None and seconds:
            row["mb_per_s"] = round(mb(nbytes) / seconds, 2)
            if target is not None:
                row["result"] = "PASS" if row["mb_per_s"] >= target else "MISS"
        self.rows.append(row)
        print(f"  {section} {name}: " + (f"{row['mb_per_s']} MB/s" if row["mb_per_s"] is not None
                                         else row["result"] or "-") + (f"  [{row['note']}]" if row["note"] else ""),
              file=sys.stderr, flush=True)
        return row

    def render(self) -> str:
        head = f"{'':4}{'measurement':<48}{'MB':>8}{'s':>9}{'MB/s':>9}{'target':>9}  {'result':<6} note"
        lines = [head, "-" * len(head)]
        section = None
        for r in self.rows:
            if r["section"] != section and section is not None:
                lines.append("")
            section = r["section"]
            fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
            target = "" if r["target"] is None else f">= {r['target']:g}"
            lines.append(f"{r['section']:<4}{r['name']:<48}{fmt(r['mb'], '8.1f')}{fmt(r['seconds'], '9.2f')}"
                         f"{fmt(r['mb_per_s'], '9.1f')}{target:>9}  {r['result']:<6} {r['note']}")
        return "\n".join(lines)


# -- corpus ----------------------------------------------------------------------------------

def ensure_corpus(path: Path, args) -> None:
    if path.exists() and not args.rebuild:
        return
    cmd = [sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "--out", str(path),
           "--size-mb", str(args.size_mb), "--seed", str(args.seed)]
    if args.eval_dir:
        cmd += ["--eval-dir", str(args.eval_dir)]
    print("bench: building the corpus: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)


def load_texts(path: Path) -> list[str]:
    import orjson

    texts = []
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                texts.append(orjson.loads(line)["text"])
    return texts


# -- (a) parsing -----------------------------------------------------------------------------

def bench_parsing(table: Table, path: Path, repeat: int) -> None:
    import orjson

    from cleaner.io.formats import JSONL
    from cleaner.io.readers import InputFile, ReadOptions, read_file

    size = path.stat().st_size

    def orjson_only():
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)

    def reader():
        for _ in read_file(InputFile(path, Path(path.name), JSONL), ReadOptions()):
            pass

    table.add("(a)", "JSONL parse: file + orjson.loads", size, best_of(repeat, orjson_only))
    table.add("(a)", "JSONL parse: cleaner read_file -> Documents", size, best_of(repeat, reader))


# -- (b) and (c): repair and ftfy ----------------------------------------------------------------

def bench_repair(table: Table, texts: list[str], sizes: list[int], repeat: int) -> dict:
    from cleaner.repair import needs_repair, repair_text

    flags = [needs_repair(t) for t in texts]
    clean = [t for t, f in zip(texts, flags) if not f]
    clean_bytes = sum(s for s, f in zip(sizes, flags) if not f)
    total_bytes = sum(sizes)
    changed = sum(1 for t, f in zip(texts, flags) if f and repair_text(t)[0] != t)
    n_need = sum(flags)

    def run(docs):
        def f():
            for t in docs:
                repair_text(t)
        return f

    share = f"{len(clean):,} of {len(texts):,} docs"
    table.add("(b)", "repair_text, docs with needs_repair False", clean_bytes, best_of(repeat, run(clean)),
              REPAIR_CLEAN_TARGET, share)
    table.add("(b)", "needs_repair alone, same docs", clean_bytes,
              best_of(repeat, lambda: [needs_repair(t) for t in clean]))
    table.add("(b)", "repair_text, all docs", total_bytes, best_of(repeat, run(texts)),
              note=f"{n_need:,} need a look, {changed:,} changed")
    return {"documents": len(texts), "need_repair": n_need, "changed": changed}


def bench_ftfy(table: Table, texts: list[str], sizes: list[int], sample_mb: float, seed: int) -> None:
    import ftfy

    from cleaner.repair import FTFY_CONFIG, repair_text

    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    sample, nbytes = [], 0
    for i in order:
        if nbytes >= sample_mb * 1e6:
            break
        sample.append(texts[i])
        nbytes += sizes[i]
    note = f"random sample: {len(sample):,} docs" if len(sample) < len(texts) else "all docs"

    def run(fn):
        def f():
            for t in sample:
                fn(t)
        return f

    t_default = best_of(1, run(ftfy.fix_text))
    t_config = best_of(1, run(lambda t: ftfy.fix_text(t, FTFY_CONFIG)))
    t_repair = best_of(2, run(repair_text))
    table.add("(c)", "ftfy.fix_text(text) defaults", nbytes, t_default, note=note)
    table.add("(c)", "ftfy.fix_text(text, FTFY_CONFIG)", nbytes, t_config, note=note)
    table.add("(c)", "repair_text, same sample", nbytes, t_repair,
              note=f"{t_config / t_repair:.1f}x ftfy(FTFY_CONFIG), {t_default / t_repair:.1f}x ftfy defaults")


# -- (d) the CLI -----------------------------------------------------------------------------------

def cli_command() -> list[str]:
    # Not the `cleantext` on PATH: it may belong to another checkout.
    return [sys.executable, "-m", "cleaner.cli"]


def bench_cli(table: Table, path: Path, out_root: Path, variants, cpu: int | None, keep: bool,
              repeat: int = 1) -> dict:
    size = path.stat().st_size
    prefix = ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []
    results = {}
    start = time.perf_counter()
    proc = subprocess.run(prefix + cli_command() + ["run", "--help"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    startup = time.perf_counter() - start
    table.add("(d)", "start-up: cleantext run --help", None, startup,
              note="fixed cost inside every run below" if proc.returncode == 0 else f"exit {proc.returncode}")
    for name, flags in variants:
        out = out_root / ("run-" + name.strip("-").replace(" ", "-"))
        stats = out_root / (out.name + ".stats.json")
        shutil.rmtree(out, ignore_errors=True)
        stats.unlink(missing_ok=True)
        cmd = prefix + cli_command() + ["run", str(path), "-o", str(out), "--quiet", "--stats", str(stats)] + flags
        seconds = float("inf")
        for _ in range(max(1, repeat)):  # best of `repeat` runs
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            seconds = min(seconds, time.perf_counter() - start)
            if proc.returncode != 0:
                break
        if proc.returncode != 0:
            err = [line for line in proc.stderr.strip().splitlines() if line.strip()]
            reason = err[-1][:90] if err else f"exit {proc.returncode}"
            table.add("(d)", f"cleantext run {name}", size, None, END_TO_END_TARGET, na=reason)
            results[name] = None
            continue
        note = ""
        if stats.exists():
            s = json.loads(stats.read_text())
            note = f"in-run {s.get('mb_per_second', 0):.1f} MB/s of text"
            dups = sum((s.get("duplicates") or {}).values())
            if dups:
                note += f", {dups:,} dups"
        table.add("(d)", f"cleantext run {name}", size, seconds, END_TO_END_TARGET, note)
        results[name] = seconds
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
    return results


def stage_costs(table: Table, results: dict, size: int) -> None:
    """Each stage's cost: the run with it minus the run without it, from the first
    pair of variants that both succeeded (the ladder all off -> + site repeats ->
    + line model -> + dedup first, then the one-stage-off variants)."""
    pairs = {
        "site repeats (both passes)": [("site repeats only", "all three off"),
                                       ("default", "--no-site-repeats")],
        "line model": [("--dedup off", "site repeats only"), ("default", "--no-line-model")],
        "dedup": [("default", "--dedup off"), ("--no-line-model", "site repeats only")],
    }
    for stage, candidates in pairs.items():
        for with_, without in candidates:
            a, b = results.get(with_), results.get(without)
            if a is not None and b is not None:
                table.add("(d)", f"  cost of {stage}", None, a - b,
                          note=f"'{with_}' minus '{without}' = {(a - b) / a:.0%} of '{with_}'")
                break
        else:
            table.add("(d)", f"  cost of {stage}", None, None,
                      na="needs " + " or ".join(f"'{w}' and '{wo}'" for w, wo in candidates))


# -- (e) in-process breakdown ------------------------------------------------------------------

def bench_breakdown(table: Table, path: Path) -> dict:
    """Replays TreeJob's calls (pass 1: observe; pass 2: clean) with a timer around each."""
    from cleaner.io.formats import JSONL
    from cleaner.io.readers import InputFile, ReadOptions, read_file
    from cleaner.io.writers import dumps, output_record
    from cleaner.pipeline import CleanOptions, Pipeline

    clock = time.perf_counter
    t: dict[str, float] = {}

    def add(key, dt):
        t[key] = t.get(key, 0.0) + dt

    f = InputFile(path, Path(path.name), JSONL)
    opts = ReadOptions()
    notes = {}
    try:
        pipeline = Pipeline(CleanOptions())
    except Exception as exc:  # the line model not available yet
        notes["line_model"] = f"{type(exc).__name__}: {exc}"[:80]
        pipeline = Pipeline(CleanOptions(line_model=False))
    dedup = None
    try:
        from cleaner.dedupview import dedup_view  # what the runner hashes, where it exists
    except ImportError:
        def dedup_view(text: str) -> str:
            return text
    try:
        from cleaner.dedup import DedupConfig, Deduplicator

        from cleaner.runner import verification_threshold

        dedup = Deduplicator(DedupConfig(threshold=verification_threshold(0.8, 128)))  # as `run` does
    except Exception as exc:
        notes["dedup"] = f"{type(exc).__name__}: {exc}"[:80]

    def timed_read(key):
        """The file's documents, timing the reading under `key`."""
        docs = read_file(f, opts)
        while True:
            s = clock()
            doc = next(docs, None)
            add(key, clock() - s)
            if doc is None:
                return
            yield doc

    text_bytes = 0
    # pass 1 (site repeats): read, repair, count
    start = clock()
    for doc in timed_read("pass1.read"):
        if doc.error is None:
            s = clock()
            pipeline.observe(doc)  # repair (no statistics) + count
            add("pass1.observe", clock() - s)
    pass1 = clock() - start
    # pass 2: read, prepare, finish, dedup, serialise -- in batches of BATCH
    # documents, as the runner does (the line model and dedup work per batch)
    from cleaner.pipeline import BATCH

    def finish(batch):
        if pipeline.line_model is not None:
            s = clock()
            pipeline.line_model.apply_batch(batch, pipeline.site_repeats)
            add("line_model", clock() - s)
        s = clock()
        texts = []
        for doc in batch:
            pipeline.line_rules.remove_trailing_fragments(doc)
            texts.append(doc.cleaned_text())
        add("trailing+cleaned_text", clock() - s)
        if dedup is not None:
            s = clock()
            dedup.check_many([(d.id, dedup_view(t), t) for d, t in zip(batch, texts)])
            add("dedup", clock() - s)
        s = clock()
        for doc in batch:
            dumps(output_record(doc, "text"))
        add("write (serialise)", clock() - s)

    start = clock()
    batch = []
    for doc in timed_read("read"):
        if doc.error is not None:
            continue
        text_bytes += len(doc.text.encode("utf-8", "surrogatepass"))
        s = clock()
        pipeline.repair.apply(doc)
        add("repair", clock() - s)
        s = clock()
        pipeline.line_rules.apply(doc)
        add("line_rules", clock() - s)
        s = clock()
        pipeline.site_repeats.apply(doc)
        add("site_repeats.apply", clock() - s)
        batch.append(doc)
        if len(batch) == BATCH:
            finish(batch)
            batch = []
    if batch:
        finish(batch)
    pass2 = clock() - start

    rows = [("pass 1 (site-repeat count): total", pass1, ""),
            ("  pass 1: read JSONL", t.get("pass1.read", 0), ""),
            ("  pass 1: Pipeline.observe (repair + count)", t.get("pass1.observe", 0), ""),
            ("pass 2 (clean): total", pass2, ""),
            ("  read JSONL", t.get("read", 0), ""),
            ("  repair (RepairStep: repair_text + split)", t.get("repair", 0), ""),
            ("  line rules", t.get("line_rules", 0), ""),
            ("  site_repeats.apply", t.get("site_repeats.apply", 0), "")]
    rows.append(("  line model", t["line_model"], "") if "line_model" in t
                else ("  line model", None, notes.get("line_model", "off")))
    rows.append(("  trailing fragments + cleaned_text", t.get("trailing+cleaned_text", 0), ""))
    rows.append(("  dedup.check_many (+ dedup_view)", t["dedup"], "") if "dedup" in t
                else ("  dedup.check", None, notes.get("dedup", "off")))
    rows.append(("  output record + JSON", t.get("write (serialise)", 0), ""))
    rows.append(("both passes (no file write, no start-up)", pass1 + pass2, ""))
    for name, seconds, na in rows:
        if seconds is None:
            table.add("(e)", name, text_bytes, None, na=na)
        else:
            share = f"{seconds / (pass1 + pass2):.0%} of both passes" if "total" not in name else ""
            if name.startswith("both"):
                share = ""
            table.add("(e)", name, text_bytes, seconds, note=share)
    return {"pass1_seconds": pass1, "pass2_seconds": pass2, "text_bytes": text_bytes}


# -- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL corpus (default: %(default)s)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if it exists")
    p.add_argument("--size-mb", type=float, default=80.0, help="corpus size when building it (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="corpus and sample seed (default: %(default)s)")
    p.add_argument("--eval-dir", type=Path, default=None, help="passed to make_corpus.py")
    p.add_argument("--cpu", type=int, default=0, help="CPU to pin to; -1: do not pin (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="in-process runs, best kept (default: %(default)s)")
    p.add_argument("--cli-repeat", type=int, default=1, help="runs of each CLI variant, best kept (default: %(default)s)")
    p.add_argument("--ftfy-mb", type=float, default=10.0, help="MB of text for the ftfy baseline (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="--repeat 1, --ftfy-mb 3, CLI default and all-off only")
    p.add_argument("--skip-cli", action="store_true", help="skip (d)")
    p.add_argument("--skip-breakdown", action="store_true", help="skip (e)")
    p.add_argument("--variants", default="", help="comma-separated CLI variant names to run (default: all)")
    p.add_argument("--keep-output", action="store_true", help="keep the CLI outputs in bench-out/")
    p.add_argument("--json", type=Path, default=None,
                   help="write the results as JSON (default: bench-out/bench-results.json next to the corpus)")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat, args.ftfy_mb = 1, 3.0

    cpu = None if args.cpu < 0 else args.cpu
    pinned = pin(cpu)
    corpus = args.corpus.resolve()
    ensure_corpus(corpus, args)
    out_root = corpus.parent

    texts = load_texts(corpus)
    sizes = [len(t.encode("utf-8", "surrogatepass")) for t in texts]
    print(f"bench: {corpus} ({mb(corpus.stat().st_size):.1f} MB file, {len(texts):,} documents, "
          f"{mb(sum(sizes)):.1f} MB of text); {pinned}; Python {platform.python_version()}", file=sys.stderr)

    table = Table()
    info: dict = {"corpus": str(corpus), "file_bytes": corpus.stat().st_size, "documents": len(texts),
                  "text_bytes": sum(sizes), "pinning": pinned}
    bench_parsing(table, corpus, args.repeat)
    info["repair"] = bench_repair(table, texts, sizes, args.repeat)
    bench_ftfy(table, texts, sizes, args.ftfy_mb, args.seed)
    del texts, sizes
    gc.collect()

    if not args.skip_cli:
        variants = CLI_VARIANTS
        if args.quick and not args.variants:
            variants = [v for v in CLI_VARIANTS if v[0] in ("default", "all three off")]
        if args.variants:
            wanted = {v.strip() for v in args.variants.split(",")}
            variants = [v for v in CLI_VARIANTS if v[0] in wanted]
        results = bench_cli(table, corpus, out_root, variants, cpu, args.keep_output, args.cli_repeat)
        info["cli_seconds"] = results
        stage_costs(table, results, corpus.stat().st_size)
    if not args.skip_breakdown:
        info["breakdown"] = bench_breakdown(table, corpus)

    print()
    print(f"cleantext pipeline benchmark -- {corpus.name}: {mb(info['file_bytes']):.1f} MB, "
          f"{info['documents']:,} documents; {pinned}")
    print("MB: (a), (d) bytes of the JSONL file; (b), (c), (e) UTF-8 bytes of the texts.")
    print()
    print(table.render())
    out_json = args.json or out_root / "bench-results.json"
    info["rows"] = table.rows
    out_json.write_text(json.dumps(info, indent=2))
    print(f"\n(results also in {out_json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
