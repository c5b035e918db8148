"""Streaming exact + near-duplicate detection with a compact MinHash LSH index.

Usage (documents in input order)::

    dd = Deduplicator(DedupConfig())            # or Deduplicator.load(path, cfg)
    m = dd.check("doc-1", body, whole)          # None -> unique, now a representative
    ms = dd.check_many([("doc-2", b2, w2), ...])  # same results as check() one by one
    dd.save(path)                               # atomic (temp file + os.replace)

How a document is judged (see `cleaner.minhash` for normalization and hashing):

1. *Exact*: the xxh3-128 key of its normalized token stream equals that of a
   representative -> ``DuplicateMatch(rep_id, 1.0, "exact")``.
2. *Near*: a document has two MinHash signatures: of its body (the text
   compared; `cleaner.dedupview` picks it out of a cleaned page) and of its
   whole text.  Documents with at least one shingle query the LSH index with
   both (b bands of r rows of the body's signature, see
   `cleaner.minhash.choose_bands`: 25 x 5 for the threshold of 0.747 that
   `cleantext run` verifies 0.8 from, P(candidate | J=0.75) = 0.99; and
   `whole_bands` x `whole_rows`, 6 x 6, of the whole text's: P(candidate |
   J=0.8) = 0.84, enough for a second chance).  Why two: on a short page the
   block picked as the body can differ between two copies (another block
   wins by a few words), while their whole texts still agree.
   Every candidate is verified on the full signatures: estimated Jaccard =
   share of equal MinHash values, of the bodies and of the whole texts.  A
   candidate verifies when either estimate is >= threshold, or when the
   bodies' estimate is >= ``containment_min_jaccard`` (0.5) and the
   estimated containment of the smaller document in the larger is >=
   ``containment`` (0.9).  Why containment: text left over around an article
   (a comment thread, a template paragraph the cleaner kept) is added to one
   copy and not to the other, which lowers their Jaccard but not the share
   of the shorter text found in the longer one.  Containment is estimated
   from the Jaccard estimate and the shingle counts: |A n B| = J/(1+J) *
   (|A| + |B|).  The document is flagged against the verified representative
   with the highest estimate (the larger of the two; ties: the earliest) ->
   ``DuplicateMatch(rep_id, round(est, 4), "near")``; `similarity` is always
   a Jaccard estimate, also when containment decided.
   Documents with fewer units than one shingle only take part in step 1.
3. *Through a member*: near duplicates are indexed too, as *members* of
   their representative's cluster.  When no representative verifies but a
   member M does, the document joins M's cluster if its estimated Jaccard to
   the representative itself is at least ``member_floor`` (0.6 by default)
   -> ``DuplicateMatch(rep_id, est_to_rep, "near", via=M)``.  Why: the first
   document of a cluster is whatever came first, often an edited copy; two
   other copies of the same article can each be within the threshold of the
   original and still differ from that first copy by more.  The floor keeps
   chains short and related: A~B, B~C links C to A only when C is still
   close to A, and never through more than one member.
   An exact copy of a member is reported against the member's representative
   the same way (kind "near", its estimate to the representative).
4. Otherwise the document becomes a *representative*.  ``duplicate_of``
   always names a representative.  Exact copies are never indexed.

Index layout (about 0.9 KB of memory per indexed document with the defaults):

* signatures: the low 16 bits of each MinHash value (b-bit minwise hashing,
  Li and Koenig 2010: two different values agree with probability 2**-16, a
  negligible bias), body then whole text, rows of 2 x num_perm uint16 in
  blocks of 16384 rows (no reallocation; untouched block tails cost no
  memory).  The band keys are computed from these 16-bit values, so the
  tables can be rebuilt from what is stored;
* exact keys: two uint64 per document, stored with the signatures, its
  shingle count (uint32) and the row of its representative (uint32; its own
  row for a representative);
* LSH tables: one multimap for the band tables of both signatures plus the
  exact table (25 + 6 + 1 entries per document).  An entry is one uint64 = key32 << 32 | row with
  key32 = table id << 26 | top 26 bits of the key hash.  A truncated hash
  adds false candidates (at a million documents, most band hits), so a hit
  counts only when the stored band values are equal too, checked for all
  the hits of a batch at once (`_same_band_values`).  New entries go to a
  bucketed numpy hash table (the "delta"); when it holds about a quarter of
  the main level it is sorted and merged in place into the main level, a sorted
  array (8 bytes per entry, grown by realloc, old entries moved backwards in
  chunks: no full copy) with a radix directory, so that a lookup is one
  directory gather plus one gather of the bucket (a fixed-size window while
  the table is small enough for the caches);
* ids: UTF-8 bytes in one bytearray plus offsets.

Persistence: one file = 16-byte header (magic, format version), raw arrays
(64-byte aligned), JSON metadata (config, normalization version, shapes,
dtypes, xxh3-64 checksum of every array) and a 32-byte trailer (metadata
offset, length, checksum, end magic).  The LSH tables are rebuilt from the
signatures on load, so threshold/bands/rows may differ between runs; the
fields that change the signatures (num_perm, seed, ngram, char_ngram,
nospace_share, scheme, normalization version) must match.

Not thread-safe; results are deterministic for a given config and input order.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import struct
from array import array
from itertools import islice
from dataclasses import asdict, dataclass, fields
from typing import Iterable, Sequence

import numpy as np
import xxhash

from cleaner.minhash import (
    NORMALIZATION_VERSION,
    SCHEMES,
    MinHasher,
    PreparedBatch,
    candidate_probability,
    choose_bands,
    lsh_midpoint,
)

__all__ = ["DedupConfig", "Deduplicator", "DuplicateMatch", "IndexFileError"]

_U64 = np.uint64


def _operand(value: int, dtype=_U64) -> np.ndarray:
    """A constant operand as a 0-d array.  A ufunc converts a numpy or Python
    scalar operand on every call, which costs about as much as the operation
    itself on the few keys of one document; a 0-d array is used as it is."""
    return np.array(value, dtype=dtype)


_M32 = _operand(0xFFFFFFFF)
_S32 = _operand(32)
_ONE = _operand(1, np.int64)
_ALL_ONES = _U64(0xFFFFFFFFFFFFFFFF)
_NO_HITS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=_U64))


class IndexFileError(Exception):
    """A saved index cannot be used: unreadable, corrupt, truncated, not an
    index, or built with an incompatible configuration."""

    def __init__(self, path, problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"dedup index {self.path!r}: {problem}")


@dataclass(frozen=True)
class DedupConfig:
    """Duplicate detector settings.

    threshold:     estimated Jaccard (of shingle sets) from which a document is a
                   near duplicate.
    num_perm:      MinHash permutations (signature length).
    ngram:         words per shingle.
    char_ngram:    characters per shingle for no-space scripts (CJK, Thai, ...).
    nospace_share: share of no-space-script characters among a document's word
                   characters from which it is shingled by characters.
    seed:          MinHash permutation seed (datasketch's meaning).
    scheme:        datasketch permutation scheme ("affine32", datasketch >= 2.0
                   default, or "legacy").
    bands, rows:   LSH banding; None = chosen by `choose_bands` so that a pair at
                   the threshold becomes a candidate with probability >= min_recall.
    containment, containment_min_jaccard: a candidate whose estimated Jaccard is
                   below `threshold` but at least `containment_min_jaccard`
                   still verifies when the smaller document is estimated to be
                   contained in the larger to at least `containment` (0: off).
    whole_bands, whole_rows: LSH banding of the second signature, the one of
                   the whole text (see the module docstring).
    member_floor:  a document that verifies only against a member (an indexed
                   near duplicate) joins that member's cluster when its
                   estimated Jaccard to the cluster's representative is at least
                   this.  Above `threshold`: members are not indexed and only
                   representatives count (plain star clustering).
    """

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    char_ngram: int = 5
    nospace_share: float = 0.3
    seed: int = 1
    scheme: str = SCHEMES[0]  # "affine32" with datasketch >= 2.0, else "legacy"
    bands: int | None = None
    rows: int | None = None
    min_recall: float = 0.99
    containment: float = 0.9
    containment_min_jaccard: float = 0.5
    member_floor: float = 0.6
    whole_bands: int = 6
    whole_rows: int = 6

    # Fields that change signatures or exact keys: must match a loaded index.
    SIGNATURE_FIELDS = ("num_perm", "seed", "ngram", "char_ngram", "nospace_share", "scheme")

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        for name in ("num_perm", "ngram", "char_ngram"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0.0 <= self.nospace_share <= 1.0:
            raise ValueError("nospace_share must be in [0, 1]")
        if not 0.0 <= self.containment <= 1.0 or not 0.0 <= self.containment_min_jaccard <= 1.0:
            raise ValueError("containment and containment_min_jaccard must be in [0, 1]")
        if self.whole_bands < 1 or self.whole_rows < 1 or self.whole_bands * self.whole_rows > self.num_perm:
            raise ValueError("need whole_bands >= 1, whole_rows >= 1 and whole_bands * whole_rows <= num_perm")
        if not 0.0 <= self.member_floor <= 1.0:
            raise ValueError(f"member_floor must be in [0, 1], got {self.member_floor}")
        if not 0.0 < self.min_recall < 1.0:
            raise ValueError("min_recall must be in (0, 1)")
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {self.scheme!r}")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is not None and (self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm):
            raise ValueError("need bands >= 1, rows >= 1 and bands * rows <= num_perm")

    @property
    def index_members(self) -> bool:
        return self.member_floor <= self.threshold

    def lsh_params(self) -> tuple[int, int]:
        if self.bands is not None:
            return int(self.bands), int(self.rows)
        return choose_bands(self.threshold, self.num_perm, self.min_recall)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DedupConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    duplicate_of: str  # the representative
    similarity: float  # estimated Jaccard to the representative
    kind: str  # "exact" | "near"
    via: str | None = None  # the member it matched, when it joined through one


# ---------------------------------------------------------------------------
class _IdStore:
    """Document ids as UTF-8 in one bytearray plus end offsets (~id length + 8 bytes)."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.offsets = array("Q", [0])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def append(self, doc_id: str) -> None:
        self.blob += doc_id.encode("utf-8", "surrogatepass")
        self.offsets.append(len(self.blob))

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].decode("utf-8", "surrogatepass")

    def nbytes(self) -> int:
        return len(self.blob) + self.offsets.itemsize * len(self.offsets)


class _SortedRun:
    """A sorted uint64 array with its own buffer, merged in place.

    The buffer holds `pad` all-ones sentinels after the `n` entries (so that
    fixed-size windows never run off the end).  It grows with
    ``ndarray.resize`` (realloc: large buffers are remapped, not copied), so
    merging allocates no new full-size array and leaves no holes in the heap."""

    __slots__ = ("buf", "n", "pad")

    def __init__(self, pad: int = 0, data: np.ndarray | None = None) -> None:
        self.pad = pad
        if data is None:
            self.buf = np.full(pad, _ALL_ONES, dtype=_U64)
            self.n = 0
        else:  # take over `data` (must own its memory)
            self.n = len(data)
            data.resize(self.n + pad, refcheck=False)
            data[self.n :] = _ALL_ONES
            self.buf = data

    def view(self) -> np.ndarray:
        return self.buf[: self.n]

    def merge(self, new: np.ndarray, chunk: int) -> None:
        """Merge sorted `new` in: grow the buffer, then move the old entries
        backwards chunk by chunk to their final places and drop `new` into the
        gaps (temporary memory: O(chunk + len(new)))."""
        n, k = self.n, len(new)
        if k == 0:
            return
        if len(self.buf) < n + k + self.pad:
            self.buf.resize(n + k + self.pad, refcheck=False)
        buf = self.buf
        if n:
            pos = np.searchsorted(buf[:n], new, side="right")  # old entries <= new[j]
            end = n
            while end > 0:
                start = max(0, end - chunk)
                j0 = int(np.searchsorted(pos, start, side="left"))
                j1 = int(np.searchsorted(pos, end, side="left"))
                if j1 == 0:  # nothing is inserted before this part: it stays in place
                    break
                seg = buf[start:end].copy()
                # old entry i moves up by the number of new entries placed before it:
                # #{j : pos[j] <= i} = j0 + #{j0 <= j < j1 : pos[j] <= i}
                shift = np.cumsum(np.bincount(pos[j0:j1] - start, minlength=end - start))
                shift += j0 + start
                shift += np.arange(end - start)
                buf[shift] = seg
                end = start
            buf[pos + np.arange(k)] = new
        else:
            buf[:k] = new
        self.n = n + k
        buf[self.n : self.n + self.pad] = _ALL_ONES


class _KeyTable:
    """Multimap key -> row for the b band tables and the exact table.

    Entries are packed into one uint64, ``qs | row`` with ``qs = key32 << 32``
    and key32 = table id << hbits | hash bits.  Two levels:

    * `_main`: sorted entries (8 bytes each, no slack), merged in place, with a
      radix directory over the top `_dbits` bits so that a lookup is one
      directory gather plus one gather of a fixed window of WINDOW entries
      (the directory is made fine enough that no bucket holds more);
    * the delta: a bucketed hash table (per table 2**bits buckets of B slots,
      filled to a quarter at most) receiving new entries; slot overflow goes to
      a small dict.  When it holds `_dmax` entries (about a quarter of main)
      it is sorted and merged into main, so merging costs O(1) amortized per
      entry.
    """

    B = 8
    WINDOW = 32
    MERGE_CHUNK = 1 << 18
    DELTA_BITS = (6, 14)  # per-table bucket count 2**bits: min, max
    _UNUSED = _U64(0xFFFFFFFFFFFFFFFF)

    def __init__(self, ntables: int, hbits: int) -> None:
        self.ntables = ntables
        self.hbits = hbits
        self._set_main(_SortedRun(self.WINDOW))
        self._dir = np.zeros(2, dtype=np.int64)
        self._dshift = _operand(63)
        self._overfull: set[int] = set()
        self._alloc_delta(self.DELTA_BITS[0])

    def _set_main(self, run: _SortedRun) -> None:
        self._main = run
        self._windows = np.lib.stride_tricks.sliding_window_view(run.buf, self.WINDOW)

    # -- delta ---------------------------------------------------------------
    def _alloc_delta(self, bits: int) -> None:
        self._dbits_delta = bits
        nb = self.ntables << bits
        self._slots = np.full((nb, self.B), self._UNUSED, dtype=_U64)
        self._count = np.zeros(nb, dtype=np.int64)  # entries homed in each bucket
        self._stash: dict[int, list[int]] = {}  # bucket -> entries beyond B slots
        self._dn = 0
        self._dmax = nb * self.B // 4  # mean 2 entries per 8-slot bucket: overflow is rare
        self._bshift = _operand(32 + self.hbits - bits)

    def _buckets(self, qs: np.ndarray) -> np.ndarray:
        """Delta bucket of each key: the top bits of key32 (table id, then the
        top `bits` hash bits)."""
        return (qs >> self._bshift).view(np.int64)

    def __len__(self) -> int:
        return self._main.n + self._dn

    def nbytes(self) -> int:
        return 8 * len(self._main.buf) + self._dir.nbytes + self._slots.nbytes + self._count.nbytes + 16 * sum(
            len(v) for v in self._stash.values()
        )

    # -- building -------------------------------------------------------------
    def build(self, packed: np.ndarray) -> None:
        """Replace the content with `packed` entries (sorted in place)."""
        packed.sort()
        self._set_main(_SortedRun(self.WINDOW, packed))
        self._build_dir()
        self._alloc_delta(self._delta_bits_for(self._main.n))

    def _delta_bits_for(self, main_n: int) -> int:
        want = max(main_n // 4, 1) // (self.ntables * self.B // 4)
        bits = max(want, 1).bit_length()
        return min(max(bits, self.DELTA_BITS[0]), self.DELTA_BITS[1])

    def _build_dir(self) -> None:
        """Directory over the top bits of the keys in main: with key32 = table
        id << hbits | hash, p = key32 >> (hbits - e) < ntables << e, and
        dir[p] = index of the first entry whose p is >= p.

        Buckets holding more than WINDOW entries (long runs of one key cannot
        be split by more directory bits) are listed in `_overfull` and looked
        up by binary search instead."""
        main = self._main.view()
        n = len(main)
        e = max(2, (max(n, 1) // (12 * self.ntables)).bit_length())  # ~4-8 entries per bucket
        dtype = np.uint32 if n < (1 << 32) else np.int64
        for attempt in range(3):
            e = min(e, self.hbits)
            shift = _operand(32 + self.hbits - e)
            d = np.zeros((self.ntables << e) + 1, dtype=dtype)
            counts = d[1:]
            for s in range(0, n, 1 << 18):
                top = (main[s : s + (1 << 18)] >> shift).astype(np.intp)
                t0 = int(top[0])
                top -= t0
                c = np.bincount(top)  # main is sorted: the chunk covers buckets t0..
                counts[t0 : t0 + len(c)] += c.astype(dtype)
            n_over = int(np.count_nonzero(counts > self.WINDOW))
            if n_over <= 64 or attempt == 2 or e == self.hbits:
                break
            e += 1
        self._overfull = set((counts > self.WINDOW).nonzero()[0].tolist()) if n_over else set()
        np.cumsum(counts, out=counts)
        self._dir = d
        self._dshift = shift

    def add_one(self, entries: np.ndarray, buckets: np.ndarray) -> None:
        """Insert the entries of one document (one per table, so all buckets differ)."""
        cnt = self._count.take(buckets)
        if max(cnt.tolist()) < self.B:  # cheaper than ndarray.max for a few values
            self._slots[buckets, cnt] = entries
        else:
            ok = cnt < self.B
            self._slots[buckets[ok], cnt[ok]] = entries[ok]
            for b, e in zip(buckets[~ok].tolist(), entries[~ok].tolist()):
                self._stash.setdefault(b, []).append(e)
        cnt += _ONE
        self._count[buckets] = cnt
        self._dn += len(entries)
        if self._dn >= self._dmax:
            self.flush()

    def add_entries(self, packed: np.ndarray) -> None:
        """Insert many entries (any order)."""
        if len(packed) == 0:
            return
        if self._dn + len(packed) >= self._dmax:
            self.flush(extra=packed)
            return
        bk = self._buckets(packed & ~_M32)
        order = np.argsort(bk, kind="stable")
        bk = bk[order]
        e = packed[order]
        first = np.ones(len(bk), dtype=bool)
        first[1:] = bk[1:] != bk[:-1]
        starts = first.nonzero()[0]
        sizes = np.diff(np.append(starts, len(bk)))
        rank = np.arange(len(bk)) - np.repeat(starts, sizes)
        slot = self._count[bk] + rank
        ok = slot < self.B
        self._slots[bk[ok], slot[ok]] = e[ok]
        if np.count_nonzero(ok) != len(ok):
            for b, x in zip(bk[~ok].tolist(), e[~ok].tolist()):
                self._stash.setdefault(b, []).append(x)
        self._count[bk[starts]] += sizes
        self._dn += len(packed)

    def flush(self, extra: np.ndarray | None = None) -> None:
        """Move the delta (and `extra` entries) into main."""
        parts = [self._slots[self._slots != self._UNUSED]]
        if self._stash:
            parts.append(np.array([x for v in self._stash.values() for x in v], dtype=_U64))
        if extra is not None:
            parts.append(extra)
        new = np.concatenate(parts) if len(parts) > 1 else parts[0]
        new.sort()
        self._windows = None  # the buffer may move
        self._main.merge(new, self.MERGE_CHUNK)
        self._set_main(self._main)
        del new, parts
        self._build_dir()
        bits = self._delta_bits_for(self._main.n)
        if bits != self._dbits_delta:
            self._slots = None  # free before allocating the new table
            self._alloc_delta(bits)
        else:
            self._slots.fill(self._UNUSED)
            self._count.fill(0)
            self._stash = {}
            self._dn = 0

    # -- lookup ---------------------------------------------------------------
    QUERY_CHUNK = 4096
    # From this many entries in main (~32 MB) a batch lookup reads each
    # query's bucket exactly instead of a fixed window: a large table is out
    # of the caches, and reading a quarter of the bytes wins (18.5k -> 24k
    # documents/s while the index grows to a million); a small one is cached,
    # and the window's fewer numpy calls win.
    RAGGED_FROM = 1 << 22

    def lookup(self, qs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query position, row) pairs whose key equals that of qs[position],
        plus the delta buckets of the queries (for add_one).

        qs holds keys shifted into the high word (key32 << 32).  A pair may be
        reported twice (callers deduplicate candidates)."""
        if len(qs) <= self.QUERY_CHUNK:
            return self._lookup(qs)
        parts_q, parts_r, parts_b = [], [], []
        for s in range(0, len(qs), self.QUERY_CHUNK):
            q, r, b = self._lookup(qs[s : s + self.QUERY_CHUNK])
            parts_q.append(q + s)
            parts_r.append(r)
            parts_b.append(b)
        return np.concatenate(parts_q), np.concatenate(parts_r), np.concatenate(parts_b)

    def _lookup(self, qs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out_q: list = []
        out_r: list = []
        p = (qs >> self._dshift).view(np.int64)
        ragged = self._main.n >= self.RAGGED_FROM
        if self._main.n and not ragged:
            g = self._windows[self._dir.take(p)]  # WINDOW entries from each bucket start
            g -= qs[:, None]  # wraps to a huge value for smaller entries (and sentinels)
            hit = g <= _M32  # same key; g is then the row
            if np.count_nonzero(hit):
                r, c = hit.nonzero()
                out_q.append(r)
                out_r.append(g[r, c])
        elif self._main.n:
            # Every entry of each query's directory bucket (a handful on
            # average, where a window reads WINDOW), long buckets too.
            start = self._dir.take(p).astype(np.int64)
            length = self._dir.take(p + 1).astype(np.int64)
            length -= start
            owner = np.repeat(np.arange(len(qs)), length)
            if len(owner):
                first = np.cumsum(length)
                first -= length
                g = self._main.buf.take(np.arange(len(owner)) + np.repeat(start - first, length))
                g -= qs.take(owner)  # wraps to a huge value for other keys
                hit = np.flatnonzero(g <= _M32)  # same key; g is then the row
                if len(hit):
                    out_q.append(owner.take(hit))
                    out_r.append(g.take(hit))
        bk = self._buckets(qs)
        if self._dn:
            g = self._slots.take(bk, axis=0)
            g -= qs[:, None]
            hit = g <= _M32
            if np.count_nonzero(hit):
                r, c = hit.nonzero()
                out_q.append(r)
                out_r.append(g[r, c])
        extra = self._fallback_hits(qs, p, bk, windows=not ragged)
        if extra:
            q, r = zip(*extra)
            out_q.append(np.array(q, dtype=np.int64))
            out_r.append(np.array(r, dtype=_U64))
        if not out_q:
            return _NO_HITS[0], _NO_HITS[1], bk
        if len(out_q) == 1:
            return out_q[0], out_r[0], bk
        return np.concatenate(out_q), np.concatenate(out_r), bk

    def lookup_one(self, qs: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        """lookup() for the few keys of one document, as a list of (query
        position, row) pairs, plus the delta buckets.

        For a handful of keys numpy's per-call cost dominates, so main's
        windows and the delta's buckets are gathered side by side and compared
        in one pass, unconditionally: an empty main still has a window of
        sentinels and an empty delta holds unused (all-ones) slots, neither of
        which equals a key."""
        p = qs >> self._dshift  # take() accepts uint64 indices
        bk = self._buckets(qs)
        g = np.concatenate((self._windows[self._dir.take(p)], self._slots.take(bk, axis=0)), axis=1)
        np.subtract(g, qs[:, None], out=g)
        hit = g <= _M32
        hits = []
        if np.count_nonzero(hit):
            r, c = hit.nonzero()
            hits = list(zip(r.tolist(), g[r, c].tolist()))
        if self._overfull or self._stash:
            hits += self._fallback_hits(qs, p, bk)
        return hits, bk

    def _fallback_hits(self, qs: np.ndarray, p: np.ndarray, bk: np.ndarray,
                       windows: bool = True) -> list[tuple[int, int]]:
        """(query position, row) pairs the fixed-size gathers cannot see: main
        buckets longer than the window (binary search; not when the caller
        read whole buckets, `windows` False) and delta entries that
        overflowed into the stash."""
        out: list[tuple[int, int]] = []
        if windows and self._overfull and self._main.n:
            main = self._main.view()
            found = np.isin(p, np.fromiter(self._overfull, dtype=p.dtype, count=len(self._overfull)))
            for i in found.nonzero()[0].tolist():
                q = qs[i]
                lo_i = int(main.searchsorted(q))
                hi_i = int(main.searchsorted(q | _M32, side="right"))
                out += [(i, r) for r in (main[lo_i:hi_i] - q).tolist()]
        stash = self._stash
        if stash:  # a few buckets at most: compare in numpy, loop over the queries that hit one
            found = np.isin(bk, np.fromiter(stash, dtype=bk.dtype, count=len(stash)))
            for i in found.nonzero()[0].tolist():
                q = int(qs[i])
                for x in stash[int(bk[i])]:
                    if 0 <= x - q <= 0xFFFFFFFF:
                        out.append((i, x - q))
        return out


# ---------------------------------------------------------------------------
_BLOCK_SHIFT = 14
_BLOCK = 1 << _BLOCK_SHIFT
_BLOCK_MASK = _BLOCK - 1

_MAGIC = b"CTXDEDUP"
_END_MAGIC = b"CTXDEND\x00"
_FORMAT_VERSION = 2  # 2: members and their representative rows (1: representatives only)
_HEADER = struct.Struct("<8sII")  # magic, format version, reserved
_TRAILER = struct.Struct("<QQQ8s")  # meta offset, meta length, meta xxh3-64, end magic
_ALIGN = 64


class Deduplicator:
    """Query-then-insert duplicate detector (see the module docstring)."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        cfg = config if config is not None else DedupConfig()
        self.config = cfg
        self._hasher = MinHasher(cfg.num_perm, cfg.seed, cfg.ngram, cfg.char_ngram, cfg.nospace_share, cfg.scheme)
        self.bands, self.rows = cfg.lsh_params()
        self.whole_bands, self.whole_rows = int(cfg.whole_bands), int(cfg.whole_rows)
        # Tables: the body's bands, the exact key (column `bands`), the whole text's bands.
        self._T = self.bands + 1 + self.whole_bands
        self._near_cols = np.array([t for t in range(self._T) if t != self.bands])
        self._tbits = self._T.bit_length()
        self._hbits = 32 - self._tbits
        self._need = math.ceil(cfg.threshold * cfg.num_perm - 1e-9)
        self._floor_need = math.ceil(cfg.member_floor * cfg.num_perm - 1e-9)
        # Containment applies from this many equal values (never when off).
        self._cont_need = (math.ceil(cfg.containment_min_jaccard * cfg.num_perm - 1e-9)
                           if cfg.containment > 0 else cfg.num_perm + 1)
        self._index_members = cfg.index_members
        rng = np.random.RandomState(0x5EED ^ cfg.seed)
        mult = rng.randint(0, 1 << 62, size=self.rows, dtype=np.int64).astype(_U64)
        self._band_mult = (mult << _U64(2)) | _U64(1)  # 64-bit odd multipliers
        mult = rng.randint(0, 1 << 62, size=self.whole_rows, dtype=np.int64).astype(_U64)
        self._wband_mult = (mult << _U64(2)) | _U64(1)
        self._table_ids = np.arange(self._T, dtype=_U64) << _U64(self._hbits + 32)
        self._kshift = _operand(64 - self._hbits)
        self._br = self.bands * self.rows
        self._wbr = self.whole_bands * self.whole_rows
        # The stored-signature columns each table's key hashes, padded to one
        # width by repeating a column (the exact table's row is unused).
        width = max(self.rows, self.whole_rows)
        cols = [[t * self.rows + min(k, self.rows - 1) for k in range(width)] for t in range(self.bands)]
        cols.append([0] * width)
        cols += [[cfg.num_perm + j * self.whole_rows + min(k, self.whole_rows - 1) for k in range(width)]
                 for j in range(self.whole_bands)]
        self._band_cols = np.array(cols, dtype=np.intp)
        self._n = 0
        self._sig_blocks: list[np.ndarray] = []  # (rows, 2 * num_perm) uint16: body, then whole text
        self._exact_blocks: list[np.ndarray] = []
        self._near_blocks: list[np.ndarray] = []
        self._rep_blocks: list[np.ndarray] = []  # row of each row's representative
        self._size_blocks: list[np.ndarray] = []  # shingle count of each row (0: unknown)
        self._reps = 0  # rows that are representatives
        self._ids = _IdStore()
        self._table = _KeyTable(self._T, self._hbits)
        self._counts = dict.fromkeys(
            ("documents", "unique", "exact", "near", "via_member", "by_containment", "exact_only", "char_mode", "candidates_checked",
             "candidates_rejected"),
            0,
        )
        self._loaded = self._loaded_reps = 0

    # -- public API -------------------------------------------------------------
    def check(self, doc_id: str, text: str, whole: str | None = None) -> DuplicateMatch | None:
        """Judge one document against the earlier ones, then index it.  `text`
        is what is compared (the article body), `whole` the whole text when it
        differs (its signature is the second one; None: the same as `text`)."""
        return self._check_prepared([doc_id], *self._prepare([text], [whole]))[0]

    def check_many(self, items: Iterable[tuple], batch_size: int = 1024) -> list[DuplicateMatch | None]:
        """check() for many (id, text) or (id, text, whole) tuples, consumed
        `batch_size` at a time; the results are identical to calling check()
        on each in order."""
        out: list[DuplicateMatch | None] = []
        it = iter(items)
        while True:
            part = list(islice(it, max(1, batch_size)))
            if not part:
                return out
            out.extend(self._check_prepared([x[0] for x in part], *self._prepare(
                [x[1] for x in part], [x[2] if len(x) > 2 else None for x in part])))

    def _prepare(self, texts: Sequence[str], wholes: Sequence[str | None]) -> tuple[PreparedBatch, np.ndarray]:
        """The hash material of texts, and the signatures of their whole texts
        (a text's own where its whole text is None or the same)."""
        pb = self._hasher.prepare_many(texts)
        todo = [i for i, (t, w) in enumerate(zip(texts, wholes)) if w is not None and w != t]
        if not todo:
            return pb, pb.sigs
        whole = pb.sigs.copy()
        whole[todo] = self._hasher.prepare_many([wholes[i] for i in todo]).sigs
        return pb, whole

    def prepare_many(self, texts: Sequence[str]) -> PreparedBatch:
        """Signatures and exact keys of texts (the hashing half of check_many)."""
        return self._hasher.prepare_many(texts)

    def check_prepared(self, ids: Sequence[str], prepared: PreparedBatch,
                       whole_sigs: np.ndarray | None = None) -> list[DuplicateMatch | None]:
        """The index half of check_many, on the output of prepare_many (and the
        signatures of the whole texts; None: the same as `prepared`'s)."""
        if len(ids) != len(prepared) or (whole_sigs is not None and len(whole_sigs) != len(prepared)):
            raise ValueError("ids and prepared documents differ in length")
        return self._check_prepared(list(ids), prepared, prepared.sigs if whole_sigs is None else whole_sigs)

    def signature(self, text: str):
        """datasketch LeanMinHash of `text` under this config."""
        return self._hasher.signature(text)

    @property
    def hasher(self) -> MinHasher:
        return self._hasher

    def __len__(self) -> int:
        """Number of documents in the index (representatives and members)."""
        return self._n

    @property
    def stats(self) -> dict:
        s = dict(self._counts)
        s["representatives"] = self._reps
        s["members"] = self._n - self._reps
        s["loaded_representatives"] = self._loaded_reps
        s["loaded_members"] = self._loaded - self._loaded_reps
        s["index_entries"] = len(self._table)
        s["index_bytes"] = self.index_nbytes()
        s["bands"] = self.bands
        s["rows"] = self.rows
        s["threshold"] = self.config.threshold
        return s

    def index_nbytes(self) -> int:
        """Approximate memory of the index data (signatures, keys, tables, ids)."""
        per_row = 4 * self.config.num_perm + 16 + 4 + 4 + 1  # two uint16 signatures
        return per_row * self._n + self._table.nbytes() + self._ids.nbytes()

    def lsh_report(self, points: Iterable[float] = (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)) -> str:
        b, r = self.bands, self.rows
        lines = [f"LSH bands b={b} rows r={r} (b*r={b * r} of {self.config.num_perm}), "
                 f"S-curve midpoint (1/b)^(1/r)={lsh_midpoint(b, r):.3f}, verification: estimated J >= {self.config.threshold}"]
        for j in points:
            lines.append(f"  P(candidate | J={j:.2f}) = {float(candidate_probability(j, b, r)):.4f}")
        return "\n".join(lines)

    # -- core -------------------------------------------------------------------
    def _combine(self, sigs: np.ndarray, whole: np.ndarray) -> np.ndarray:
        """(m, 2 * num_perm) stored form of the two signatures: the low 16 bits
        of every MinHash value (b-bit minwise hashing: two different values
        agree with probability 2**-16, so the estimate moves by less than
        (1 - J) / 65536), which halves the memory per signature."""
        return np.concatenate((sigs, whole), axis=1, dtype=np.uint16, casting="unsafe")  # unsafe = keep the low bits

    def _keys(self, sigs: np.ndarray, exact: np.ndarray, full: np.ndarray | None = None) -> np.ndarray:
        """(m, T) table keys of stored-form signatures, shifted into the high
        word: b band keys of the body, the exact key, the whole text's band
        keys.  key32 = table id << hbits | top hbits of the hash (`full`: the
        `_full_keys`, when already computed)."""
        keys = (self._full_keys(sigs, exact) if full is None else full) >> self._kshift
        keys <<= _S32
        keys |= self._table_ids
        return keys

    def _full_keys(self, sigs: np.ndarray, exact: np.ndarray) -> np.ndarray:
        """(m, T) full 64-bit hashes behind `_keys` (before they are cut to
        the table's bits): two documents share a band when these are equal."""
        m = len(sigs)
        b, r, P = self.bands, self.rows, self.config.num_perm
        full = np.empty((m, self._T), dtype=_U64)
        full[:, :b] = sigs[:, : b * r].reshape(m, b, r) @ self._band_mult
        full[:, b] = exact[:, 1]
        full[:, b + 1 :] = sigs[:, P : P + self._wbr].reshape(m, self.whole_bands, self.whole_rows) @ self._wband_mult
        return full

    def _same_band_values(self, qi: np.ndarray, cand: np.ndarray, sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (query, row) pairs of a lookup whose band values are equal, not
        only their keys' top bits (a table key keeps 26 bits by default: at a
        million documents most band hits are such collisions, and each would
        cost a full comparison).  Exact-table pairs are kept: `_verify_exact`
        compares their whole keys."""
        t = qi % self._T
        band = t != self.bands
        if not band.any():
            return qi, cand
        cols = self._band_cols[t[band]]
        stored = np.take_along_axis(self._gather_rows(self._sig_blocks, cand[band].astype(np.int64)), cols, 1)
        query = np.take_along_axis(sigs[qi[band] // self._T], cols, 1)
        keep = np.ones(len(qi), dtype=bool)
        keep[band] = (stored == query).all(axis=1)
        return qi[keep], cand[keep]

    @staticmethod
    def _gather_rows(blocks: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
        """blocks' values at `rows` (an array, any order)."""
        out = np.empty((len(rows), *blocks[0].shape[1:]), dtype=blocks[0].dtype) if blocks else np.empty(0)
        if len(rows) <= 64:  # the candidates of a batch: a loop costs less than a pass per block
            for i, row in enumerate(rows.tolist()):
                out[i] = blocks[row >> _BLOCK_SHIFT][row & _BLOCK_MASK]
            return out
        hi = rows >> _BLOCK_SHIFT
        for b in np.unique(hi).tolist():
            sel = hi == b
            out[sel] = blocks[b][rows[sel] & _BLOCK_MASK]
        return out

    @staticmethod
    def _gather(blocks: list[np.ndarray], rows: list[int]) -> np.ndarray:
        """The stored rows `rows` (ascending) of a block list, as one array."""
        b0 = rows[0] >> _BLOCK_SHIFT
        if rows[-1] >> _BLOCK_SHIFT == b0:  # take: cheaper than indexing with a list
            return blocks[b0].take([r & _BLOCK_MASK for r in rows], axis=0)
        return np.stack([blocks[r >> _BLOCK_SHIFT][r & _BLOCK_MASK] for r in rows])

    def _new_block(self) -> None:
        self._sig_blocks.append(np.empty((_BLOCK, 2 * self.config.num_perm), dtype=np.uint16))
        self._exact_blocks.append(np.empty((_BLOCK, 2), dtype=_U64))
        self._near_blocks.append(np.empty(_BLOCK, dtype=bool))
        self._rep_blocks.append(np.empty(_BLOCK, dtype=np.uint32))
        self._size_blocks.append(np.empty(_BLOCK, dtype=np.uint32))

    def _append(self, doc_id: str, sig: np.ndarray, exact: np.ndarray, near: bool, size: int, rep: int) -> int:
        """Store a document; `rep` = its representative's row, -1 = it is one."""
        row = self._n
        blk, off = row >> _BLOCK_SHIFT, row & _BLOCK_MASK
        if blk == len(self._sig_blocks):
            self._new_block()
        self._sig_blocks[blk][off] = sig
        self._exact_blocks[blk][off] = exact
        self._near_blocks[blk][off] = near
        if rep < 0:
            rep = row
            self._reps += 1
        self._rep_blocks[blk][off] = rep
        self._size_blocks[blk][off] = min(size, 0xFFFFFFFF)
        self._ids.append(doc_id)
        self._n = row + 1
        return row

    def _store(self, rows: list[int], batch_pos: list[int], reps: list[int], start: int, sigs: np.ndarray,
               pb: PreparedBatch) -> None:
        """Write the batch's new rows `rows[start:]` (consecutive, already
        counted in _n and _ids; documents `batch_pos` of the batch, under
        representatives `reps`) into the blocks: _append for many rows, with
        a few numpy calls per block."""
        sel = batch_pos[start:]
        sigs, exact, near, sizes = sigs[sel], pb.exact[sel], pb.near[sel], np.minimum(pb.n_shingles[sel], 0xFFFFFFFF)
        reps_arr = np.array(reps[start:], dtype=np.uint32)
        first, pos, n = rows[start], 0, len(sel)
        while pos < n:
            row = first + pos
            blk, off = row >> _BLOCK_SHIFT, row & _BLOCK_MASK
            while blk >= len(self._sig_blocks):
                self._new_block()
            k = min(n - pos, _BLOCK - off)
            self._sig_blocks[blk][off : off + k] = sigs[pos : pos + k]
            self._exact_blocks[blk][off : off + k] = exact[pos : pos + k]
            self._near_blocks[blk][off : off + k] = near[pos : pos + k]
            self._rep_blocks[blk][off : off + k] = reps_arr[pos : pos + k]
            self._size_blocks[blk][off : off + k] = sizes[pos : pos + k]
            pos += k

    def _rep_of(self, row: int) -> int:
        return int(self._rep_blocks[row >> _BLOCK_SHIFT][row & _BLOCK_MASK])

    def _contained(self, eq: int, size: int, row: int) -> bool:
        """Whether a document of `size` shingles sharing `eq` MinHash values with
        `row` is, by estimate, contained in it or contains it (see the module
        docstring); False when either size is unknown."""
        other = int(self._size_blocks[row >> _BLOCK_SHIFT][row & _BLOCK_MASK])
        if eq < self._cont_need or not size or not other:
            return False
        j = eq / self.config.num_perm
        return j / (1.0 + j) * (size + other) >= self.config.containment * min(size, other)

    def _verify_exact(self, rows: list[int], exact: np.ndarray) -> int:
        """First of `rows` (ascending, distinct) holding the exact key `exact`,
        or -1.  Representatives have distinct exact keys, so the candidates
        are the one with the same key plus rare truncated-hash collisions: a
        Python loop is cheaper than numpy calls."""
        key = exact.tolist()
        blocks = self._exact_blocks
        for row in rows:
            if blocks[row >> _BLOCK_SHIFT][row & _BLOCK_MASK].tolist() == key:
                return row
        return -1

    def _equal_values(self, rows: list[int], sig: np.ndarray) -> tuple[list[int], list[int]]:
        """Number of MinHash values a stored-form signature shares with each of
        `rows` (ascending): of the bodies, and of the whole texts."""
        eq = (self._gather(self._sig_blocks, rows) == sig).reshape(len(rows), 2, -1).sum(axis=2)
        return eq[:, 0].tolist(), eq[:, 1].tolist()

    def _decide(self, exact_rows: set[int], near_rows: set[int], sig: np.ndarray, exact: np.ndarray,
                near: bool, size: int) -> tuple[DuplicateMatch | None, int | None]:
        """The judgement of one document from its candidate rows: (match,
        row of the representative it is stored under, -1 = stored as a new
        representative, None = not stored).  Counters are updated here."""
        c = self._counts
        P = self.config.num_perm
        if exact_rows:
            row = self._verify_exact(sorted(exact_rows), exact)
            if row >= 0:
                rep = self._rep_of(row)
                if rep == row:
                    c["exact"] += 1
                    return DuplicateMatch(self._ids[row], 1.0, "exact"), None
                c["near"] += 1  # a copy of a member: judged against the member's representative
                c["via_member"] += 1
                body, whole = self._equal_values([rep], sig)
                eq = max(body[0], whole[0])
                return DuplicateMatch(self._ids[rep], round(eq / P, 4), "near", self._ids[row]), None
        if not (near and near_rows):
            return None, -1
        rows = sorted(near_rows)
        body, whole = self._equal_values(rows, sig)
        need = self._need
        # A pair verifies on the body or on the whole text; its estimate is the larger.
        good = [(max(e, w), r) for e, w, r in zip(body, whole, rows)
                if e >= need or w >= need or self._contained(e, size, r)]
        c["candidates_checked"] += len(rows)
        c["candidates_rejected"] += len(rows) - len(good)
        if not good:
            return None, -1
        best = (-1, 0)  # (equal values, row): highest estimate, then the earliest row
        members = []
        for e, r in good:
            if self._rep_of(r) == r:
                if e > best[0]:
                    best = (e, r)
            else:
                members.append((e, r))
        if best[0] >= 0:
            c["near"] += 1
            c["by_containment"] += best[0] < need
            return DuplicateMatch(self._ids[best[1]], round(best[0] / P, 4), "near"), best[1]
        if not self._index_members:
            return None, -1
        # Only members verify: the best representative among theirs, if close enough.
        via: dict[int, tuple[int, int]] = {}  # representative -> (equal values, member), best member first
        for e, r in members:
            rep = self._rep_of(r)
            if rep not in via or e > via[rep][0]:
                via[rep] = (e, r)
        reps = sorted(via)
        body, whole = self._equal_values(reps, sig)
        est, neg_rep, body_eq = max(zip(map(max, body, whole), [-r for r in reps], body))  # highest, then earliest
        rep = -neg_rep
        if est < self._floor_need and not self._contained(body_eq, size, rep):
            return None, -1
        c["near"] += 1
        c["via_member"] += 1
        return DuplicateMatch(self._ids[rep], round(est / P, 4), "near", self._ids[via[rep][1]]), rep

    def _check_prepared(self, ids: list[str], pb: PreparedBatch, whole: np.ndarray) -> list[DuplicateMatch | None]:
        m = len(ids)
        if m == 0:
            return []
        if self._n + m >= (1 << 32):
            raise OverflowError("index is limited to 2**32 documents")
        sigs = self._combine(pb.sigs, whole)
        if m == 1:
            return [self._check_one(ids[0], sigs[0], pb.exact[0], bool(pb.near[0]), bool(pb.char_mode[0]),
                                    int(pb.n_shingles[0]))]
        return self._check_batch(ids, pb, sigs)

    def _keys_one(self, sig: np.ndarray, exact: np.ndarray) -> np.ndarray:
        """_keys() of one document with fewer numpy calls (their fixed cost
        dominates for a few dozen keys): the exact key is placed among the
        band hashes and shifted with them."""
        b, P = self.bands, self.config.num_perm
        keys = np.empty(self._T, dtype=_U64)
        np.matmul(sig[: self._br].reshape(b, self.rows), self._band_mult, out=keys[:b])
        keys[b] = exact[1]
        np.matmul(sig[P : P + self._wbr].reshape(self.whole_bands, self.whole_rows), self._wband_mult,
                  out=keys[b + 1 :])
        keys >>= self._kshift
        keys <<= _S32
        keys |= self._table_ids
        return keys

    def _check_one(self, doc_id: str, sig: np.ndarray, exact: np.ndarray, near: bool, char_mode: bool, size: int):
        """The decision of _check_batch for a single document, on Python
        lists of candidates (numpy's per-call cost dominates at this size)."""
        c = self._counts
        c["documents"] += 1
        if char_mode:
            c["char_mode"] += 1
        if not near:
            c["exact_only"] += 1
        b = self.bands
        keys = self._keys_one(sig, exact)
        hits, buckets = self._table.lookup_one(keys)
        if hits:
            tables, rows = np.array(hits, dtype=np.int64).T
            tables, rows = self._same_band_values(tables, rows, sig[None, :])  # one document: query = table
            hits = list(zip(tables.tolist(), rows.tolist()))
        if hits:
            match, rep = self._decide({r for t, r in hits if t == b}, {r for t, r in hits if t != b},
                                      sig, exact, near, size)
        else:
            match, rep = None, -1
        if rep is not None and (match is None or self._index_members):
            row = self._append(doc_id, sig, exact, near, size, rep)
            keys |= row  # the table entries: key32 << 32 | row
            if near:
                self._table.add_one(keys, buckets)
            else:
                self._table.add_one(keys[b : b + 1], buckets[b : b + 1])
        if match is None:
            c["unique"] += 1
        return match

    def _check_batch(self, ids: list[str], pb: PreparedBatch, sigs: np.ndarray) -> list[DuplicateMatch | None]:
        """Same decisions as _check_one in order: the batch is looked up in the
        index at once, earlier documents of the batch through the runs of
        keys they share with it."""
        m = len(ids)
        T, b = self._T, self.bands
        full = self._full_keys(sigs, pb.exact)
        keys = self._keys(sigs, pb.exact, full)
        qi, cand, _ = self._table.lookup(keys.ravel())
        if len(qi):
            qi = qi.astype(np.int64, copy=False)
            qi, cand = self._same_band_values(qi, cand, sigs)
        if len(qi):
            order = np.argsort(qi, kind="stable")
            qi, cand = qi[order], cand[order]
            bounds = np.searchsorted(qi, np.arange(0, (m + 1) * T, T)).tolist()
            is_exact_key = (qi % T) == b
        else:
            bounds = None
        # Bands shared inside the batch (runs of equal full band hashes in
        # one table): doc -> [(table, run)]
        full = full.ravel()
        table = np.tile(np.arange(T), m)
        order = np.lexsort((full, table))
        sk, st = full[order], table[order]
        same = (sk[1:] == sk[:-1]) & (st[1:] == st[:-1])
        doc_runs: dict[int, list[tuple[int, int]]] = {}
        if np.count_nonzero(same):
            start_of_run = np.ones(len(sk), dtype=bool)
            start_of_run[1:] = ~same
            run_id = np.cumsum(start_of_run) - 1
            member = np.zeros(len(sk), dtype=bool)
            member[1:] |= same
            member[:-1] |= same
            pos = order[member]
            for d, t, r in zip((pos // T).tolist(), (pos % T).tolist(), run_id[member].tolist()):
                doc_runs.setdefault(d, []).append((t, r))
        run_rows: dict[int, list[int]] = {}  # run -> rows stored from this batch
        results: list[DuplicateMatch | None] = [None] * m
        new_rows: list[int] = []
        new_pos: list[int] = []
        new_reps: list[int] = []
        # New rows are written to the blocks together at the end, or before a
        # document with one of them among its candidates (a copy inside the
        # batch): `written` of them are there.
        written = 0
        near_flags = pb.near.tolist()
        index_members = self._index_members
        sizes = pb.n_shingles.tolist()
        ids_store = self._ids
        for i in range(m):
            exact_c: set[int] = set()  # candidate rows from the exact table
            near_c: set[int] = set()  # candidate rows from the band tables
            if bounds is not None and bounds[i] != bounds[i + 1]:
                s, e = bounds[i], bounds[i + 1]
                ek = is_exact_key[s:e]
                exact_c.update(cand[s:e][ek].tolist())
                near_c.update(cand[s:e][~ek].tolist())
            runs = doc_runs.get(i)
            if runs:
                for t, r in runs:
                    stored = run_rows.get(r)
                    if stored:
                        if t == b:
                            exact_c.update(stored)
                        elif near_flags[i]:
                            near_c.update(stored)
            if exact_c or near_c:
                if written < len(new_rows) and max(max(exact_c, default=-1), max(near_c, default=-1)) >= new_rows[written]:
                    self._store(new_rows, new_pos, new_reps, written, sigs, pb)
                    written = len(new_rows)
                match, rep = self._decide(exact_c, near_c, sigs[i], pb.exact[i], near_flags[i], sizes[i])
            else:
                match, rep = None, -1
            results[i] = match
            if rep is not None and (match is None or index_members):
                row = self._n
                self._n = row + 1
                ids_store.append(ids[i])
                if rep < 0:
                    rep = row
                    self._reps += 1
                new_rows.append(row)
                new_pos.append(i)
                new_reps.append(rep)
                if runs:
                    for t, r in runs:
                        if t == b or near_flags[i]:
                            run_rows.setdefault(r, []).append(row)
        if written < len(new_rows):
            self._store(new_rows, new_pos, new_reps, written, sigs, pb)
        if new_rows:  # index the new documents
            pos = np.array(new_pos, dtype=np.int64)
            rows = np.array(new_rows, dtype=_U64)
            k = keys[pos]
            nr = pb.near[pos]
            packed = np.concatenate([(k[nr][:, self._near_cols] | rows[nr, None]).ravel(), k[:, b] | rows])
            self._table.add_entries(packed)
        c = self._counts
        c["documents"] += m
        c["unique"] += results.count(None)
        c["exact_only"] += m - int(np.count_nonzero(pb.near))
        c["char_mode"] += int(np.count_nonzero(pb.char_mode))
        return results

    # -- persistence ------------------------------------------------------------
    def _array_specs(self) -> list[tuple[str, str, list[int], list]]:
        """(name, dtype, shape, list of memoryview chunks) of what is saved."""
        n = self._n
        P = self.config.num_perm
        nblk = (n + _BLOCK - 1) >> _BLOCK_SHIFT

        def chunks(blocks):
            out = []
            for i in range(nblk):
                rows = min(_BLOCK, n - (i << _BLOCK_SHIFT))
                out.append(memoryview(np.ascontiguousarray(blocks[i][:rows])).cast("B"))
            return out

        offsets = np.frombuffer(self._ids.offsets, dtype=np.uint64)
        return [
            ("signatures", "<u2", [n, 2 * P], chunks(self._sig_blocks)),  # body, whole text: low 16 bits
            ("exact", "<u8", [n, 2], chunks(self._exact_blocks)),
            ("near", "|u1", [n], [memoryview(c).cast("B") for c in chunks(self._near_blocks)]),
            ("representative", "<u4", [n], chunks(self._rep_blocks)),
            ("shingles", "<u4", [n], chunks(self._size_blocks)),
            ("id_offsets", "<u8", [n + 1], [memoryview(offsets).cast("B")]),
            ("id_bytes", "|u1", [len(self._ids.blob)], [memoryview(self._ids.blob)]),
        ]

    def save(self, path) -> None:
        """Write the index to `path` atomically (temp file in the same directory,
        fsync, os.replace)."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        # O_EXCL with a random name (like mkstemp) but mode 0666 & ~umask, so
        # the index gets the usual permissions after the rename.
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_HEADER.pack(_MAGIC, _FORMAT_VERSION, 0))
                pos = _HEADER.size
                specs = []
                for name, dtype, shape, parts in self._array_specs():
                    pad = (-pos) % _ALIGN
                    f.write(b"\0" * pad)
                    pos += pad
                    h = xxhash.xxh3_64()
                    nbytes = 0
                    for part in parts:
                        f.write(part)
                        h.update(part)
                        nbytes += len(part)
                    specs.append({"name": name, "dtype": dtype, "shape": shape, "offset": pos,
                                  "nbytes": nbytes, "xxh3_64": h.intdigest()})
                    pos += nbytes
                meta = {
                    "format": "cleantext-dedup-index",
                    "format_version": _FORMAT_VERSION,
                    "normalization_version": NORMALIZATION_VERSION,
                    "config": self.config.to_dict(),
                    "documents": self._n,
                    "representatives": self._reps,
                    "bands": self.bands,
                    "rows": self.rows,
                    "stats": self._counts,
                    "arrays": specs,
                }
                blob = json.dumps(meta, sort_keys=True).encode("utf-8")
                f.write(blob)
                f.write(_TRAILER.pack(pos, len(blob), xxhash.xxh3_64_intdigest(blob), _END_MAGIC))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:  # make the rename durable (best effort)
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass

    @classmethod
    def load(cls, path, config: DedupConfig | None = None) -> "Deduplicator":
        """Open a saved index.  `config` None = the config stored in the file;
        otherwise its signature fields must match the file's (threshold, bands
        and rows may differ: the LSH tables are rebuilt)."""
        path = os.fspath(path)
        try:
            f = open(path, "rb")
        except OSError as exc:
            raise IndexFileError(path, f"cannot open: {exc.strerror or exc}") from None
        try:
            with f:
                return cls._load(f, path, config)
        except IndexFileError:
            raise
        except OSError as exc:
            raise IndexFileError(path, f"read error: {exc.strerror or exc}") from None
        except MemoryError:
            raise IndexFileError(path, "not enough memory to load the index") from None

    @classmethod
    def _load(cls, f, path: str, config: DedupConfig | None) -> "Deduplicator":
        size = os.fstat(f.fileno()).st_size
        head = f.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise IndexFileError(path, f"file too short ({size} bytes) to be a dedup index")
        magic, version, _ = _HEADER.unpack(head)
        if magic != _MAGIC:
            raise IndexFileError(path, "not a cleantext dedup index (bad magic bytes)")
        if version not in (1, _FORMAT_VERSION):
            raise IndexFileError(path, f"unsupported format version {version} (this code reads versions 1 and {_FORMAT_VERSION})")
        if size < _HEADER.size + _TRAILER.size:
            raise IndexFileError(path, "truncated: no trailer")
        f.seek(size - _TRAILER.size)
        meta_off, meta_len, meta_hash, end = _TRAILER.unpack(f.read(_TRAILER.size))
        if end != _END_MAGIC:
            raise IndexFileError(path, "truncated or corrupt: end marker missing")
        if meta_off < _HEADER.size or meta_off + meta_len != size - _TRAILER.size:
            raise IndexFileError(path, "corrupt: metadata location does not match the file size")
        f.seek(meta_off)
        blob = f.read(meta_len)
        if xxhash.xxh3_64_intdigest(blob) != meta_hash:
            raise IndexFileError(path, "corrupt: metadata checksum mismatch")
        try:
            meta = json.loads(blob.decode("utf-8"))
            stored = meta["config"]
            n = int(meta["documents"] if version >= 2 else meta["representatives"])
            specs = {a["name"]: a for a in meta["arrays"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexFileError(path, f"corrupt metadata: {exc!r}") from None
        try:
            stored_cfg = DedupConfig.from_dict(stored)
        except (ValueError, TypeError) as exc:
            raise IndexFileError(path, f"stored configuration {stored!r} is not usable here: {exc}") from None
        if meta.get("normalization_version") != NORMALIZATION_VERSION:
            raise IndexFileError(
                path,
                f"built with normalization version {meta.get('normalization_version')}, "
                f"this code uses version {NORMALIZATION_VERSION}; rebuild the index",
            )
        cfg = config if config is not None else stored_cfg
        diffs = [
            f"{k}={getattr(stored_cfg, k)!r} in the index but {getattr(cfg, k)!r} in the config"
            for k in DedupConfig.SIGNATURE_FIELDS
            if getattr(stored_cfg, k) != getattr(cfg, k)
        ]
        if diffs:
            raise IndexFileError(path, "incompatible configuration: " + "; ".join(diffs))
        dd = cls(cfg)
        P = cfg.num_perm
        expected = {
            "signatures": ("<u2", [n, 2 * P]) if version >= 2 else ("<u4", [n, P]),
            "exact": ("<u8", [n, 2]),
            "near": ("|u1", [n]),
            "id_offsets": ("<u8", [n + 1]),
        }
        if version >= 2:
            expected["representative"] = ("<u4", [n])
            expected["shingles"] = ("<u4", [n])
        for name, (dtype, shape) in expected.items():
            a = specs.get(name)
            if a is None or a.get("dtype") != dtype or list(a.get("shape", [])) != shape:
                raise IndexFileError(path, f"corrupt metadata: array {name!r} missing or of the wrong type/shape")
        if "id_bytes" not in specs:
            raise IndexFileError(path, "corrupt metadata: array 'id_bytes' missing")
        for a in specs.values():
            if not (_HEADER.size <= a["offset"] and a["offset"] + a["nbytes"] <= meta_off):
                raise IndexFileError(path, f"corrupt: array {a['name']!r} lies outside the data area")

        def read_into(spec, targets):
            f.seek(spec["offset"])
            h = xxhash.xxh3_64()
            got = 0
            for t in targets:
                mv = memoryview(t).cast("B")
                k = f.readinto(mv)
                if k != len(mv):
                    raise IndexFileError(path, f"truncated: array {spec['name']!r} is incomplete")
                h.update(mv)
                got += k
            if got != spec["nbytes"]:
                raise IndexFileError(path, f"corrupt: array {spec['name']!r} has {got} bytes, expected {spec['nbytes']}")
            if h.intdigest() != spec["xxh3_64"]:
                raise IndexFileError(path, f"corrupt: checksum mismatch in array {spec['name']!r}")

        nblk = (n + _BLOCK - 1) >> _BLOCK_SHIFT
        sizes = [min(_BLOCK, n - (i << _BLOCK_SHIFT)) for i in range(nblk)]
        sig_blocks = [np.empty((_BLOCK, 2 * P), dtype=np.uint16) for _ in range(nblk)]
        exact_blocks = [np.empty((_BLOCK, 2), dtype=_U64) for _ in range(nblk)]
        near_blocks = [np.empty(_BLOCK, dtype=bool) for _ in range(nblk)]
        rep_blocks = [np.empty(_BLOCK, dtype=np.uint32) for _ in range(nblk)]
        size_blocks = [np.zeros(_BLOCK, dtype=np.uint32) for _ in range(nblk)]  # version 1: unknown (0)
        if version >= 2:
            read_into(specs["signatures"], [blk[:s] for blk, s in zip(sig_blocks, sizes)])
        else:  # one uint32 signature: its low 16 bits, for the body and the whole text
            old_sigs = [np.empty((s, P), dtype=np.uint32) for s in sizes]
            read_into(specs["signatures"], old_sigs)
            for blk, sig32 in zip(sig_blocks, old_sigs):
                blk[: len(sig32)] = dd._combine(sig32, sig32)
        read_into(specs["exact"], [blk[:s] for blk, s in zip(exact_blocks, sizes)])
        read_into(specs["near"], [blk[:s].view(np.uint8) for blk, s in zip(near_blocks, sizes)])
        if version >= 2:
            read_into(specs["representative"], [blk[:s] for blk, s in zip(rep_blocks, sizes)])
            read_into(specs["shingles"], [blk[:s] for blk, s in zip(size_blocks, sizes)])
        else:  # version 1 stored representatives only
            for i, (blk, s) in enumerate(zip(rep_blocks, sizes)):
                blk[:s] = np.arange(i << _BLOCK_SHIFT, (i << _BLOCK_SHIFT) + s, dtype=np.uint32)
        reps = 0
        for i, (blk, s) in enumerate(zip(rep_blocks, sizes)):
            own = np.arange(i << _BLOCK_SHIFT, (i << _BLOCK_SHIFT) + s, dtype=np.uint32)
            r = blk[:s]
            if bool((r > own).any()):
                raise IndexFileError(path, "corrupt: a document's representative comes after it")
            reps += int(np.count_nonzero(r == own))
        for blk, s in zip(rep_blocks, sizes):  # every representative row must be one
            r = blk[:s]
            if bool((Deduplicator._gather_rows(rep_blocks, r) != r).any()):
                raise IndexFileError(path, "corrupt: a document's representative is not a representative")
        offsets = array("Q", bytes(8 * (n + 1)))
        read_into(specs["id_offsets"], [offsets])
        ids_blob = bytearray(specs["id_bytes"]["nbytes"])
        read_into(specs["id_bytes"], [ids_blob])
        off_np = np.frombuffer(offsets, dtype=np.uint64)
        if off_np[0] != 0 or off_np[-1] != len(ids_blob) or (n and bool((np.diff(off_np.astype(np.int64)) < 0).any())):
            raise IndexFileError(path, "corrupt: document id offsets are inconsistent")
        try:
            ids_blob.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise IndexFileError(path, "corrupt: document ids are not valid UTF-8") from None
        for blk, s in zip(near_blocks, sizes):
            if bool((blk[:s].view(np.uint8) > 1).any()):
                raise IndexFileError(path, "corrupt: invalid flag values")
        dd._sig_blocks, dd._exact_blocks, dd._near_blocks = sig_blocks, exact_blocks, near_blocks
        dd._rep_blocks, dd._size_blocks = rep_blocks, size_blocks
        dd._reps = dd._loaded_reps = reps
        dd._ids.blob = ids_blob
        dd._ids.offsets = offsets
        dd._n = dd._loaded = n
        dd._rebuild_table()
        return dd

    def _rebuild_table(self) -> None:
        """Build the LSH/exact tables from the stored signatures and keys."""
        n, b = self._n, self.bands
        sizes = [min(_BLOCK, n - (i << _BLOCK_SHIFT)) for i in range(len(self._sig_blocks))]
        n_near = sum(int(np.count_nonzero(blk[:s])) for blk, s in zip(self._near_blocks, sizes))
        packed = np.empty(n_near * (self._T - 1) + n, dtype=_U64)
        pos = 0
        for i, s in enumerate(sizes):
            rows = np.arange(i << _BLOCK_SHIFT, (i << _BLOCK_SHIFT) + s, dtype=_U64)
            keys = self._keys(self._sig_blocks[i][:s], self._exact_blocks[i][:s])
            nr = self._near_blocks[i][:s]
            part = (keys[nr][:, self._near_cols] | rows[nr, None]).ravel()
            packed[pos : pos + len(part)] = part
            pos += len(part)
            packed[pos : pos + s] = keys[:, b] | rows
            pos += s
        self._table.build(packed)
