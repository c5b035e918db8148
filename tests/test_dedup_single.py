"""Differential tests: the single-document path of Deduplicator (check() and
check_prepared() with one row, `_check_one` / `_KeyTable.lookup_one`) against
the batch path (`_check_batch` / `_KeyTable.lookup`) on generated inputs."""
from __future__ import annotations

import random

import numpy as np
import pytest

from cleaner.dedup import DedupConfig, Deduplicator, _KeyTable
from cleaner.minhash import PreparedBatch

from .conftest import shrink_key_table

WORDS = [f"w{i}x{(i * 7919) % 101}" for i in range(3000)]


def _doc(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def _edit(rng: random.Random, text: str, share: float) -> str:
    words = text.split()
    if not words:
        return text
    for _ in range(max(1, int(len(words) * share))):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def _cjk(rng: random.Random, n: int) -> str:
    return "".join(chr(0x4E00 + rng.randrange(400)) for _ in range(n))


def generated_items(seed: int, n: int = 400) -> list[tuple[str, str, str | None]]:
    """(id, text, whole text) of unrelated documents, light and heavy edits of
    earlier ones (near duplicates above and below the threshold), case-changed
    exact copies, copies of duplicates, short (exact-only), empty and CJK
    documents; half of them with a whole text (the text plus other words
    before or after it), half without."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(n):
        r = rng.random()
        if texts and r < 0.25:
            texts.append(_edit(rng, rng.choice(texts), rng.choice((0.01, 0.03, 0.08, 0.3))))
        elif texts and r < 0.35:
            texts.append(rng.choice(texts).upper())
        elif r < 0.42:
            texts.append(_doc(rng, rng.randrange(0, 5)))  # fewer words than one shingle
        elif r < 0.48:
            texts.append(_cjk(rng, rng.randrange(3, 300)))
        else:
            texts.append(_doc(rng, rng.randrange(20, 400)))
    items = []
    for i, t in enumerate(texts):
        r = rng.random()
        whole = None if r < 0.5 else (t + " " + _doc(rng, rng.randrange(1, 200)) if r < 0.75
                                      else _doc(rng, rng.randrange(1, 50)) + " " + t)
        items.append((f"doc-{i}", t, whole))
    return items


# Not index_bytes: the delta's stash and main's buffer size depend on how the
# entries arrived (one by one or in bulk), not only on which entries there are.
STAT_KEYS = ("documents", "unique", "exact", "near", "via_member", "by_containment", "exact_only", "char_mode",
             "candidates_checked", "candidates_rejected", "representatives", "members", "index_entries")


def _stats(dd: Deduplicator) -> dict:
    return {k: dd.stats[k] for k in STAT_KEYS}


@pytest.mark.parametrize("cfg", [DedupConfig(), DedupConfig(threshold=0.5), DedupConfig(num_perm=64, ngram=3, bands=8, rows=4)])
def test_single_document_path_equals_batch_path(cfg, tmp_path):
    items = generated_items(seed=11)
    single = Deduplicator(cfg)
    seq = [single.check(*item) for item in items]
    kinds = {m.kind if m else None for m in seq}
    assert kinds == {None, "exact", "near"}
    for bs in (2, 7, 64, len(items)):
        batch = Deduplicator(cfg)
        assert batch.check_many(items, batch_size=bs) == seq
        assert _stats(batch) == _stats(single)
    # precomputed signatures, one row at a time, and mixed with batches
    pb, whole = single._prepare([t for _, t, _ in items], [w for _, _, w in items])
    ids = [i for i, _, _ in items]
    mixed = Deduplicator(cfg)
    out, s = [], 0
    sizes = iter([1, 5, 1, 1, 30, 1, 64] * 100)
    while s < len(ids):
        size = next(sizes)
        out += mixed.check_prepared(ids[s : s + size], pb.slice(s, min(len(ids), s + size)), whole[s : s + size])
        s += size
    assert out == seq
    assert _stats(mixed) == _stats(single)
    single.save(tmp_path / "single.idx")
    mixed.save(tmp_path / "mixed.idx")
    assert (tmp_path / "single.idx").read_bytes() == (tmp_path / "mixed.idx").read_bytes()


def crafted_batch(seed: int, n: int, num_perm: int = 128) -> PreparedBatch:
    """Signatures (no texts) where many documents share their first band, so
    that same-key runs overflow delta buckets (stash) and main directory
    buckets (binary-search fallback), mixed with near and exact copies."""
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, size=(n, num_perm), dtype=np.uint64).astype(np.uint32)
    exact = rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64)
    shared = rng.integers(0, 2**32, size=6, dtype=np.uint64).astype(np.uint32)
    kind = rng.random(n)
    for i in range(1, n):
        src = int(rng.integers(0, i))
        if kind[i] < 0.5:
            sigs[i, :6] = shared  # same band-0 key as many others
        elif kind[i] < 0.6:  # near copy: 5-25% of the values changed
            sigs[i] = sigs[src]
            k = int(rng.integers(6, 32))
            pos = rng.choice(num_perm, size=k, replace=False)
            sigs[i, pos] = rng.integers(0, 2**32, size=k, dtype=np.uint64).astype(np.uint32)
        elif kind[i] < 0.65:  # exact copy
            sigs[i] = sigs[src]
            exact[i] = exact[src]
    near = rng.random(n) > 0.03
    sigs[~near] = 0xFFFFFFFF
    return PreparedBatch(sigs, exact, near, np.zeros(n, dtype=bool), np.full(n, 100, dtype=np.int64))


@pytest.mark.parametrize("tiny", [False, True])
def test_single_document_path_with_stash_and_long_runs(tiny, monkeypatch):
    if tiny:  # overflow everywhere, frequent flushes
        shrink_key_table(monkeypatch)
    n = 1500
    pb = crafted_batch(3, n)
    ids = [f"r{i}" for i in range(n)]
    single = Deduplicator()
    seen_stash = seen_overfull = False
    seq = []
    for i in range(n):
        seq += single.check_prepared([ids[i]], pb.slice(i, i + 1))
        seen_stash |= bool(single._table._stash)
        seen_overfull |= bool(single._table._overfull)
    assert seen_stash and seen_overfull
    assert {m.kind if m else None for m in seq} == {None, "exact", "near"}
    batch = Deduplicator()
    out = []
    for s in range(0, n, 97):
        out += batch.check_prepared(ids[s : s + 97], pb.slice(s, min(n, s + 97)))
    assert out == seq
    assert _stats(batch) == _stats(single)


def test_lookup_one_equals_lookup(monkeypatch):
    shrink_key_table(monkeypatch)
    T, hbits = 5, 27
    table = _KeyTable(T, hbits)
    rng = np.random.default_rng(9)
    tid = np.arange(T, dtype=np.uint64) << np.uint64(hbits + 32)

    def keys():
        return tid | (rng.integers(0, 30, T).astype(np.uint64) << np.uint64(32))

    for row in range(2000):
        qs = keys()
        q, r, b = table.lookup(qs)
        hits, b1 = table.lookup_one(qs)
        assert sorted(set(hits)) == sorted(set(zip(q.tolist(), r.tolist())))
        assert b1.tolist() == b.tolist()
        table.add_one(qs | np.uint64(row), b1)
