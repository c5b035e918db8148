#!/usr/bin/env python3
"""Benchmark of the duplicate detector (cleaner.minhash / cleaner.dedup).

    nice -n 10 python benchmarks/bench_dedup.py              # full run (1M-document memory test)
    python benchmarks/bench_dedup.py --docs 100000          # quicker memory test
    python benchmarks/bench_dedup.py --corpus /work/shared/eval/neardup/docs.jsonl.gz

Measures, on one CPU (the process pins itself to one core unless --no-pin):

1. signatures/s for ~3 KB English-like documents (synthetic: Zipf-distributed
   pseudo-words, or --corpus texts), batched (prepare_many) and one by one
   (signature()), against plain datasketch (MinHash(num_perm=128) updated per
   word-5-gram shingle with its default SHA1 hash) on the same documents;
2. streaming query-then-insert docs/s: check_prepared() in the batches of 64
   documents `cleantext run` checks at a time (on a pipe too; the target row),
   one document at a time and 1024 at a time (excluding signature time),
   check() end to end, check_many() end to end; all five give the same flags;
3. index memory: --docs signatures inserted in batches of 64 (fresh
   subprocess, peak RSS minus the RSS before the index existed), per indexed
   document, and the streaming rate over the growing index (the second
   streaming target row); plus datasketch MinHashLSH's memory for
   --ds-lsh-docs keys for comparison.

Rates are given both as wall-clock and as CPU time of this process (the
machine may be shared; CPU time is the better per-core figure); throughput
sections report the best of --repeats runs.
"""
from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cleaner.dedup import DedupConfig, Deduplicator  # noqa: E402
from cleaner.pipeline import BATCH as RUNNER_BATCH  # noqa: E402
from cleaner.runner import verification_threshold  # noqa: E402


def default_config() -> DedupConfig:
    """The detector `cleantext run` builds with its default options (--threshold
    0.8 is verified from 0.747, so the LSH has 25 bands of 5 rows)."""
    return DedupConfig(threshold=verification_threshold(0.8, 128))
from cleaner.minhash import PreparedBatch, candidate_probability, lsh_midpoint  # noqa: E402

TARGET_SIG = 15_000
TARGET_STREAM = 20_000
TARGET_MEM = 1024


# --- helpers -------------------------------------------------------------------------
def proc_status(field: str) -> int:
    """A /proc/self/status memory field in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Best:
    """Best (lowest) wall and CPU time over repetitions of a measurement."""

    def __init__(self) -> None:
        self.wall = self.cpu = float("inf")

    def add(self, t: "Timer") -> None:
        self.wall = min(self.wall, t.wall)
        self.cpu = min(self.cpu, t.cpu)

    def rates(self, n: int) -> str:
        return f"{n / self.wall:>10,.0f} docs/s wall | {n / max(self.cpu, 1e-9):>10,.0f} docs/s CPU"


def best_of(repeats: int, fn) -> Best:
    b = Best()
    for _ in range(repeats):
        gc.collect()
        with Timer() as t:
            fn()
        b.add(t)
    return b


class Timer:
    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0

    def rates(self, n: int) -> str:
        return f"{n / self.wall:>10,.0f} docs/s wall | {n / max(self.cpu, 1e-9):>10,.0f} docs/s CPU"


def verdict(value: float, target: float, higher_better: bool = True) -> str:
    ok = value >= target if higher_better else value <= target
    return "MEETS target" if ok else "MISSES target"


# --- synthetic documents -----------------------------------------------------------------
SYLLABLES = ("ka to ri an el mon ter is sa lu pre con ing ed st ar ve or ul que ba di fo ge hi mu ne pa ro wi "
             "th er on en at es ou it al").split()


def make_vocab(rng: np.random.Generator, size: int = 20_000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        n = rng.integers(1, 5, size=4096)
        sy = rng.integers(0, len(SYLLABLES), size=(4096, 4))
        for k, row in zip(n, sy):
            words.add("".join(SYLLABLES[s] for s in row[:k]))
    return sorted(words)[:size]


def make_docs(n: int, seed: int = 0, chars: int = 3000, dup_share: float = 0.10, exact_share: float = 0.03):
    """n documents of about `chars` characters; dup_share of them are light
    edits (1.5% of words replaced) and exact_share case-changed copies of
    earlier ones.  Returns texts."""
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng)
    ranks = np.arange(1, len(vocab) + 1, dtype=float)
    p = ranks ** -1.07
    p /= p.sum()
    n_words = int(chars / 5.5) + 40
    idx = rng.choice(len(vocab), size=(n, n_words), p=p)
    seps = np.where(rng.random((n, n_words)) < 0.07, ". ", np.where(rng.random((n, n_words)) < 0.08, ", ", " "))
    texts: list[str] = []
    kinds = rng.random(n)
    for i in range(n):
        if i > 10 and kinds[i] < dup_share:
            src = texts[int(rng.integers(0, i))].split(" ")
            for j in rng.integers(0, len(src), size=max(1, len(src) * 3 // 200)):
                src[j] = vocab[int(rng.integers(0, len(vocab)))]
            texts.append(" ".join(src))
            continue
        if i > 10 and kinds[i] < dup_share + exact_share:
            texts.append(texts[int(rng.integers(0, i))].upper())
            continue
        parts = []
        for w, s in zip(idx[i], seps[i]):
            parts.append(vocab[w])
            parts.append(s)
        t = "".join(parts)
        cut = t.rfind(" ", 0, chars)
        texts.append(t[:1].upper() + t[1:cut] + ".")
    return texts


def load_corpus(path: str, limit: int) -> list[str]:
    import gzip

    import orjson

    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rb") as f:
        for line in f:
            out.append(orjson.loads(line)["text"])
            if len(out) >= limit:
                break
    return out


# --- sections ------------------------------------------------------------------------------
def section_lsh(cfg: DedupConfig) -> None:
    from datasketch.lsh import _optimal_param

    dd = Deduplicator(cfg)
    b, r = dd.bands, dd.rows
    print("== LSH parameters")
    print(f"threshold={cfg.threshold} num_perm={cfg.num_perm} ngram={cfg.ngram} char_ngram={cfg.char_ngram} seed={cfg.seed} scheme={cfg.scheme}")
    print(f"chosen: bands b={b}, rows r={r} (b*r={b * r}), S-curve midpoint (1/b)^(1/r) = {lsh_midpoint(b, r):.3f}; "
          f"every candidate verified on the full signature (estimated J >= {cfg.threshold})")
    db, dr = _optimal_param(cfg.threshold, cfg.num_perm, 0.5, 0.5)
    print(f"datasketch MinHashLSH default for threshold {cfg.threshold}: b={db}, r={dr}, midpoint {lsh_midpoint(db, dr):.3f}")
    print(f"{'J':>6} {'P(candidate) ours':>18} {'datasketch':>11}")
    for j in (0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0):
        print(f"{j:>6.2f} {float(candidate_probability(j, b, r)):>18.4f} {float(candidate_probability(j, db, dr)):>11.4f}")
    print()


def section_signatures(texts: list[str], cfg: DedupConfig, ds_docs: int, label: str, repeats: int) -> PreparedBatch:
    from datasketch import MinHash

    from cleaner.minhash import tokenize

    dd = Deduplicator(cfg)
    n = len(texts)
    avg = sum(map(len, texts)) / n
    print(f"== 1. Signatures ({label}: {n:,} documents, mean {avg:,.0f} characters; best of {repeats} runs)")
    dd.prepare_many(texts[:64])  # warm-up
    out: list[PreparedBatch] = []

    def batched():
        out[:] = [dd.prepare_many(texts[s : s + 1024]) for s in range(0, n, 1024)]

    t = best_of(repeats, batched)
    pb = PreparedBatch.concat(out)
    sig_rate = n / t.cpu
    print(f"ours, batched (prepare_many, 1024/batch): {t.rates(n)}  ({n * avg / t.cpu / 1e6:.1f} MB/s CPU)")
    k = min(n, 3000)
    t1 = best_of(repeats, lambda: [dd.signature(s) for s in texts[:k]])
    print(f"ours, one at a time (signature())        : {t1.rates(k)}")
    k = min(n, ds_docs)
    shingle_lists = []
    for s in texts[:k]:
        tok = tokenize(s)
        shingle_lists.append([" ".join(tok[i : i + 5]).encode("utf-8") for i in range(len(tok) - 4)])

    def ds_update():
        for sh in shingle_lists:
            m = MinHash(num_perm=cfg.num_perm)
            for x in sh:
                m.update(x)

    t2 = best_of(1, ds_update)
    ds_rate = k / t2.cpu
    print(f"datasketch MinHash(128) per-shingle SHA1 : {t2.rates(k)}  (one run, shingling excluded, {k:,} docs)")
    t3 = best_of(1, lambda: [MinHash(num_perm=cfg.num_perm).update_batch(sh) for sh in shingle_lists])
    print(f"datasketch MinHash(128).update_batch     : {t3.rates(k)}  (one run)")
    print(f"speed-up vs datasketch per-shingle update: {sig_rate / ds_rate:,.0f}x (CPU), vs update_batch: {sig_rate / (k / t3.cpu):,.0f}x")
    print(f"target >= {TARGET_SIG:,} docs/s: {verdict(sig_rate, TARGET_SIG)} (batched, CPU time)")
    print()
    return pb


def section_streaming(texts: list[str], pb: PreparedBatch, cfg: DedupConfig, repeats: int) -> None:
    n = len(texts)
    ids = [f"doc-{i:07d}" for i in range(n)]
    print(f"== 2. Streaming query-then-insert ({n:,} documents, each run on a fresh index; best of {repeats} runs)")
    rows = [pb.slice(i, i + 1) for i in range(n)]
    res: dict[str, list] = {}
    dds: dict[str, Deduplicator] = {}

    def single():
        dd = dds["single"] = Deduplicator(cfg)
        res["single"] = [dd.check_prepared([ids[i]], rows[i])[0] for i in range(n)]

    def batches(size: int):
        def run():
            dd = Deduplicator(cfg)
            out = []
            for s in range(0, n, size):
                out += dd.check_prepared(ids[s : s + size], pb.slice(s, min(n, s + size)))
            res[f"batch{size}"] = out
        return run

    k = min(n, 10_000)

    def e2e():
        dd = Deduplicator(cfg)
        res["e2e"] = [dd.check(ids[i], texts[i]) for i in range(k)]

    def many():
        res["many"] = Deduplicator(cfg).check_many(list(zip(ids, texts)))

    t = best_of(repeats, single)
    print(f"check, one document at a time, signatures precomputed: {t.rates(n)}")
    t = best_of(repeats, batches(RUNNER_BATCH))
    rate = n / t.cpu
    print(f"check, {RUNNER_BATCH}/batch (as cleantext run), signatures precomputed: {t.rates(n)}")
    t = best_of(repeats, batches(1024))
    print(f"check, 1024/batch, signatures precomputed           : {t.rates(n)}")
    t = best_of(1, e2e)
    print(f"check() end to end incl. signature ({k:,} docs, 1 run): {t.rates(k)}")
    t = best_of(repeats, many)
    print(f"check_many() end to end incl. signatures            : {t.rates(n)}")
    assert res["single"] == res[f"batch{RUNNER_BATCH}"] == res["batch1024"] == res["many"] and res["e2e"] == res["single"][:k], \
        "modes differ"
    st = dds["single"].stats
    print(f"results identical across the five modes; stats: documents={st['documents']:,} unique={st['unique']:,} "
          f"exact={st['exact']:,} near={st['near']:,} candidates_checked={st['candidates_checked']:,} "
          f"candidates_rejected={st['candidates_rejected']:,}")
    print(f"target >= {TARGET_STREAM:,} docs/s: {verdict(rate, TARGET_STREAM)} (in the batches of {RUNNER_BATCH} documents "
          f"cleantext run checks, on a pipe too; excl. signatures, CPU time)")
    print()


def memory_child(n_docs: int, save_load: bool) -> None:
    """Run in a fresh process: insert n_docs synthetic signatures, report peak RSS."""
    cfg = default_config()
    dd = Deduplicator(cfg)
    hasher = dd.hasher
    rng = np.random.default_rng(42)
    chunk = 8192
    shingles_per_doc = 150
    # warm up every code path, then measure the baseline
    hasher._minhash_segments(rng.integers(1, 2**32, 300, dtype=np.uint32), np.array([150, 150]))
    gc.collect()
    base = proc_status("VmRSS")
    peak_reset = reset_peak_rss()
    t_gen = t_ins = c_gen = c_ins = 0.0
    for s in range(0, n_docs, chunk):
        m = min(chunk, n_docs - s)
        w0, c0 = time.perf_counter(), time.process_time()
        sh = rng.integers(1, 2**32, size=(m, shingles_per_doc), dtype=np.uint32)
        # 5% near-duplicates (10% of the shingles replaced), 1% exact copies, of
        # earlier documents of the same chunk
        kind = rng.random(m)
        src = (rng.random(m) * np.arange(m)).astype(np.int64)
        near = kind < 0.05
        near[0] = False
        sh[near] = sh[src[near]]
        repl = rng.random((int(near.sum()), shingles_per_doc)) < 0.10
        sub = sh[near]
        sub[repl] = rng.integers(1, 2**32, size=int(repl.sum()), dtype=np.uint32)
        sh[near] = sub
        exact = rng.integers(0, 2**63, size=(m, 2), dtype=np.uint64)
        copy = (kind >= 0.05) & (kind < 0.06)
        copy[0] = False
        sh[copy] = sh[src[copy]]
        exact[copy] = exact[src[copy]]
        sigs = hasher._minhash_segments(sh.ravel(), np.full(m, shingles_per_doc))
        pb = PreparedBatch(sigs, exact, np.ones(m, bool), np.zeros(m, bool), np.full(m, shingles_per_doc))
        ids = [f"doc-{i:07d}" for i in range(s, s + m)]
        w1, c1 = time.perf_counter(), time.process_time()
        for b in range(0, m, RUNNER_BATCH):  # as cleantext run checks them
            dd.check_prepared(ids[b : b + RUNNER_BATCH], pb.slice(b, min(m, b + RUNNER_BATCH)))
        w2, c2 = time.perf_counter(), time.process_time()
        t_gen += w1 - w0
        c_gen += c1 - c0
        t_ins += w2 - w1
        c_ins += c2 - c1
        del sh, sigs, pb, ids, exact
    gc.collect()
    peak = proc_status("VmHWM")
    now = proc_status("VmRSS")
    st = dd.stats
    reps = len(dd)  # indexed documents: representatives and members (near duplicates)
    print(f"documents: {n_docs:,} signatures of random 150-element shingle sets (5% near copies with 10% of the "
          f"shingles replaced, 1% exact copies); indexed documents: {reps:,} = {st['representatives']:,} "
          f"representatives + {st['members']:,} members (near={st['near']:,}, exact={st['exact']:,})")
    print(f"signature generation: {t_gen:.1f} s wall; streaming query-then-insert into the growing index "
          f"(check_prepared, {RUNNER_BATCH}/batch): {t_ins:.1f} s wall, {n_docs / t_ins:,.0f} docs/s wall, "
          f"{n_docs / max(c_ins, 1e-9):,.0f} docs/s CPU")
    print(f"target >= {TARGET_STREAM:,} docs/s over the whole {n_docs:,}: "
          f"{verdict(n_docs / max(c_ins, 1e-9), TARGET_STREAM)} (CPU time)")
    print(f"RSS baseline {base / 2**20:,.1f} MiB, now {now / 2**20:,.1f} MiB, peak {peak / 2**20:,.1f} MiB"
          f"{'' if peak_reset else ' (peak could not be reset: includes pre-baseline peak)'}")
    per_rep = (peak - base) / max(reps, 1)
    print(f"peak RSS per indexed document: {per_rep:,.0f} bytes (final RSS: {(now - base) / max(reps, 1):,.0f} bytes; "
          f"index data estimate {dd.index_nbytes() / max(reps, 1):,.0f} bytes)")
    print(f"target <= {TARGET_MEM} bytes/doc: {verdict(per_rep, TARGET_MEM, higher_better=False)}")
    # streaming single-document checks against the big index
    k = 20_000
    sh = rng.integers(1, 2**32, size=(k, shingles_per_doc), dtype=np.uint32)
    sigs = hasher._minhash_segments(sh.ravel(), np.full(k, shingles_per_doc))
    exact = rng.integers(0, 2**63, size=(k, 2), dtype=np.uint64)
    pb = PreparedBatch(sigs, exact, np.ones(k, bool), np.zeros(k, bool), np.full(k, shingles_per_doc))
    rows = [pb.slice(i, i + 1) for i in range(k)]
    with Timer() as t:
        for i in range(k):
            dd.check_prepared([f"late-{i}"], rows[i])
    print(f"one-at-a-time check_prepared against the {reps:,}-document index: {t.rates(k)}")
    if save_load:
        with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(__file__))) as d:
            path = os.path.join(d, "bench.idx")
            with Timer() as t:
                dd.save(path)
            size = os.path.getsize(path)
            print(f"save: {t.wall:.1f} s, file {size / 2**20:,.0f} MiB ({size / len(dd):,.0f} bytes/doc)")
            del dd, rows, pb
            gc.collect()
            with Timer() as t:
                dd2 = Deduplicator.load(path, cfg)
            print(f"load (read, verify checksums, rebuild LSH tables): {t.wall:.1f} s, {len(dd2):,} documents")


def lsh_child(n_docs: int) -> None:
    """Run in a fresh process: datasketch MinHashLSH memory for n_docs keys."""
    from datasketch import LeanMinHash, MinHashLSH

    rng = np.random.default_rng(7)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    gc.collect()
    base = proc_status("VmRSS")
    reset_peak_rss()
    t0 = time.perf_counter()
    for s in range(0, n_docs, 4096):
        m = min(4096, n_docs - s)
        sigs = rng.integers(0, 2**32, size=(m, 128), dtype=np.uint64).astype(np.uint32)
        for i in range(m):
            lsh.insert(f"doc-{s + i:07d}", LeanMinHash(seed=1, hashvalues=sigs[i], scheme="affine32"), check_duplication=False)
    dt = time.perf_counter() - t0
    gc.collect()
    peak, now = proc_status("VmHWM"), proc_status("VmRSS")
    print(f"datasketch MinHashLSH(threshold=0.8, num_perm=128), {n_docs:,} keys (random signatures): "
          f"{(now - base) / n_docs:,.0f} bytes/key resident, {(peak - base) / n_docs:,.0f} bytes/key peak "
          f"(without the signatures, which it does not keep); insert {n_docs / dt:,.0f} keys/s wall")


def run_child(args: list[str]) -> None:
    cmd = [sys.executable, os.path.abspath(__file__)] + args
    sys.stdout.flush()
    subprocess.run(cmd, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000, help="documents in the memory test (default 1,000,000)")
    ap.add_argument("--sig-docs", type=int, default=20_000, help="documents for the signature/streaming tests")
    ap.add_argument("--ds-docs", type=int, default=1_000, help="documents hashed with plain datasketch")
    ap.add_argument("--ds-lsh-docs", type=int, default=100_000, help="keys for the datasketch MinHashLSH memory comparison (0: skip)")
    ap.add_argument("--corpus", help="also measure signatures on the 'text' fields of this JSONL(.gz) file")
    ap.add_argument("--repeats", type=int, default=3, help="repetitions of the throughput measurements (best is reported)")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--no-save-load", action="store_true", help="skip timing save/load of the big index")
    ap.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--lsh-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
    if args.memory_child is not None:
        memory_child(args.memory_child, not args.no_save_load)
        return
    if args.lsh_child is not None:
        lsh_child(args.lsh_child)
        return

    cfg = default_config()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pinned to one CPU: {not args.no_pin}, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()
    section_lsh(cfg)
    t = time.perf_counter()
    texts = make_docs(args.sig_docs)
    print(f"(generated {len(texts):,} synthetic documents in {time.perf_counter() - t:.1f} s: 20,000-word Zipf(1.07) "
          f"vocabulary, ~3,000 characters each, 10% edited copies, 3% case-changed copies)")
    pb = section_signatures(texts, cfg, args.ds_docs, "synthetic", args.repeats)
    if args.corpus:
        section_signatures(load_corpus(args.corpus, args.sig_docs), cfg, args.ds_docs, os.path.basename(args.corpus), args.repeats)
    section_streaming(texts, pb, cfg, args.repeats)
    if not args.skip_memory:
        print(f"== 3. Index memory ({args.docs:,} documents, fresh process)")
        child = ["--memory-child", str(args.docs)] + (["--no-save-load"] if args.no_save_load else [])
        run_child(child + (["--no-pin"] if args.no_pin else []))
        if args.ds_lsh_docs:
            run_child(["--lsh-child", str(args.ds_lsh_docs)] + (["--no-pin"] if args.no_pin else []))


if __name__ == "__main__":
    main()
