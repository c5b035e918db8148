"""Vectorized, datasketch-compatible MinHash signatures of normalized text.

Normalization (``NORMALIZATION_VERSION`` = 1; any change to the rules below or to
the hash functions must bump it, because saved indexes store it):

1. ``NFKC``, then Unicode ``casefold``, then ``NFKC`` again (casefolding can
   produce unnormalized sequences, e.g. for U+0130), as `normalize` does.
   The fast path gets the same token stream without running it on most
   documents: a per-code-point table maps each character to the value of its
   normalized form when that form is a single word character ("A", "Ａ" ->
   "a"), or to 0 when the character and its normalized form are separators
   (NBSP, "…", quotes); only the whitespace-delimited spans that contain any
   other character (marks, jamo, "ß", ligatures, "™", "½", ...) are passed to
   `normalize` (NFKC and casefolding never act across whitespace).
2. Word characters are Unicode letters, combining marks and numbers
   (``[\\p{L}\\p{M}\\p{N}]``: the ``regex`` module's ``\\w`` without connector
   punctuation such as ``_`` and without the zero-width joiners).  Marks are included so that Indic/Thai words are
   not cut at every vowel sign.  Tokens are maximal runs of word characters;
   everything else (whitespace, punctuation, symbols, ``_``, emoji) only
   separates tokens and is dropped.
3. Digits are kept as they are (NFKC already maps full-width, circled and
   superscript digits to ASCII); they are not mapped to a placeholder, so pages
   that differ only in their numbers still share most of their shingles.
4. Exact-duplicate key: a hash of the token stream (see below).
5. Shingles.  *Word mode*: consecutive ``ngram``-token windows.  *Char mode*,
   chosen when at least ``nospace_share`` of a document's word characters
   belong to scripts written without spaces between words (Han, Hiragana,
   Katakana, Thai, Lao, Khmer, Myanmar): consecutive ``char_ngram``-character
   windows over the document's word characters (whitespace and punctuation
   removed).  A document with fewer units than one shingle has no shingles:
   it gets the empty signature and only takes part in the exact check.

Hashing (all in numpy, uint64 arithmetic wrapping modulo 2^64; both
polynomial sums are computed for a whole batch at once as differences of
prefix sums, scaled back by inverse powers of the odd base):

* character value ``v(c) = fmix64(c + K_CHAR)`` with the lowest bit replaced by
  the no-space-script flag (0 for separators);
* token hash ``t = sum_p v(c_p) * M**p`` over the token's characters
  ``c_0..c_{L-1}`` (M odd); a character of a char-mode document is a unit
  with hash ``v(c)`` (a one-character token);
* shingle hash ``s = (sum_k t_k * R**k) >> 32`` over the ``n`` units of the
  window (R odd, unrelated to M): the top half of a polynomial hash of
  pseudo-random values, a 32-bit value;
* exact key: xxh3-128 of the document's token hashes (little-endian uint64),
  i.e. of the normalized token stream up to 64-bit token-hash collisions;
* the signature is exactly what ``datasketch.MinHash(num_perm, seed,
  hashfunc=<shingle hash>)`` computes for the same shingle hash values: for the
  default ``"affine32"`` scheme of datasketch >= 2.0 the 32-bit value is
  pre-mixed with the MurmurHash3 finalizer (fmix32) and permuted with
  ``a*h + b mod 2**32``; the ``"legacy"`` scheme (datasketch < 2.0) uses
  ``((a*h + b) mod (2**61 - 1)) & 0xFFFFFFFF`` in uint64.  The permutation
  parameters are generated exactly like ``datasketch.MinHash(num_perm, seed,
  scheme)`` generates them (`_permutations`; the tests compare them with
  datasketch's own).  datasketch itself is imported only to build
  LeanMinHash objects: importing it costs about a second (its LSH module
  loads scipy.integrate), which a pipe cleaning one article should not pay.

`tokenize`, `reference_token_hash`, `reference_exact_key` and
`MinHasher.shingle_hashes` compute the same values the slow, obvious way
(pure Python); the tests check the vectorized code against them.

The shingle hash values are computed for many documents at once (one pass of a
few numpy operations over the concatenated texts), and the permutations are
applied as a (num_perm x shingles) matrix reduced per document with
``np.minimum.reduceat``, so no Python code runs per token or per shingle.
"""
from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np
import regex
import xxhash

from .textnorm import pieces_at_spaces

if TYPE_CHECKING:
    from datasketch import LeanMinHash

__all__ = [
    "NORMALIZATION_VERSION",
    "SCHEMES",
    "MinHasher",
    "PreparedBatch",
    "normalize",
    "tokenize",
    "uses_char_shingles",
    "signature",
    "candidate_probability",
    "choose_bands",
]

NORMALIZATION_VERSION = 1

SCHEMES = ("affine32", "legacy")  # datasketch >= 2.0 (a dependency): its default first

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_MAX32 = np.uint32(0xFFFFFFFF)
_MERSENNE = _U64((1 << 61) - 1)

# --- fixed hashing constants (part of NORMALIZATION_VERSION 1) -------------
_K_CHAR = 0x2545F4914F6CDD1D
_POLY_M = 0x9E3779B97F4A7C15  # token polynomial base (odd)
_POLY_R = 0xD6E8FEB86659FD93  # shingle polynomial base (odd, unrelated to M)


@lru_cache(maxsize=None)
def _shingle_constants(n: int) -> np.ndarray:
    """C_k = R**k mod 2**64 (k < n)."""
    return np.array([pow(_POLY_R, k, 1 << 64) for k in range(n)], dtype=_U64)


def _py_fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


_S32 = _U64(32)
_S33 = _U64(33)
_ONE = _U64(1)
_F1 = _U64(0xFF51AFD7ED558CCD)
_F2 = _U64(0xC4CEB9FE1A85EC53)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 64-bit finalizer, in place on a uint64 array."""
    h ^= h >> _S33
    h *= _F1
    h ^= h >> _S33
    h *= _F2
    h ^= h >> _S33
    return h


_S16 = np.uint32(16)
_S13 = np.uint32(13)
_G1 = np.uint32(0x85EBCA6B)
_G2 = np.uint32(0xC2B2AE35)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer (datasketch's affine32 pre-mix), in place."""
    h ^= h >> _S16
    h *= _G1
    h ^= h >> _S13
    h *= _G2
    h ^= h >> _S16
    return h


# --- character tables (built once, lazily: about 0.3 s, 10 MB) ----------------
_WORD_RE = r"[\p{L}\p{M}\p{N}]+"
_NOSPACE_RE = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]+"
_TOKEN_RE = regex.compile(_WORD_RE)
_WORD_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}]")
_NOSPACE_CHAR = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_JAMO = ((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))  # conjoining Hangul jamo
_tables_lock = threading.Lock()
_tables: tuple[np.ndarray, np.ndarray] | None = None


def _char_value(cp: int, word: bool, nospace: bool) -> int:
    """v(c): 0 for separators; for word characters fmix64(c + K_CHAR) with the
    lowest bit replaced by the no-space-script flag (never 0)."""
    if not word:
        return 0
    v = (_py_fmix64((cp + _K_CHAR) & _MASK64) & ~1) | int(nospace)
    return v if v else 2


def _composes(ch: str) -> bool:
    """Whether `ch` may combine with its neighbours under NFKC (marks,
    non-zero combining class, conjoining Hangul jamo)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch)[0] == "M"
        or unicodedata.combining(ch) != 0
        or any(lo <= cp <= hi for lo, hi in _JAMO)
    )


def _fast_fold(ch: str, word: np.ndarray) -> int | None:
    """The code point `ch` folds to when normalizing it alone is all that
    matters for the token stream, or None when documents containing it must be
    normalized with `normalize` (the "slow" characters)."""
    if _composes(ch):
        return None
    n2 = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", ch).casefold())
    if word[ord(ch)]:
        if len(n2) == 1 and word[ord(n2)] and not _composes(n2):
            return ord(n2)  # e.g. "A" -> "a", full-width "Ａ" -> "a"
        return None  # e.g. "ß" -> "ss", "ﬁ" -> "fi", "İ" -> "i̇"
    if any(word[ord(x)] for x in n2):
        return None  # a separator producing word characters, e.g. "™" -> "tm"
    return ord(ch)  # stays a separator: NBSP, "…", quotes, dashes, ...


def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    """(slow, values) indexed by raw code point.

    slow[c]:   documents containing c are normalized with `normalize` first.
    values[c]: v(fold(c)), the value of the normalized character; for a
               document without slow characters, mapping its raw characters
               through `values` gives the same token stream (same word
               characters, same token boundaries) as normalizing it first.
    """
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                # Every code point, surrogates included (decoding is ~10x faster than joining chrs).
                allchars = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
                word = np.zeros(0x110000, dtype=bool)
                for m in regex.finditer(_WORD_RE, allchars):
                    word[m.start() : m.end()] = True
                nospace = np.zeros(0x110000, dtype=bool)
                for m in regex.finditer(_NOSPACE_RE, allchars):
                    nospace[m.start() : m.end()] = True
                vals = np.arange(0x110000, dtype=_U64)
                vals += _U64(_K_CHAR)
                _fmix64(vals)
                vals &= ~_U64(1)
                vals |= (nospace & word).astype(_U64)
                vals[vals == 0] = 2
                vals[~word] = 0
                # Candidates: characters that NFKC or casefolding may change or
                # that may combine with neighbours (regex's Unicode data is at
                # least as new as unicodedata's, and these properties are
                # stable, so this is a superset); the rest map to themselves.
                cand = np.zeros(0x110000, dtype=bool)
                for pat in (r"\P{NFKC_QC=Yes}+", r"\p{Changes_When_Casefolded}+", r"\P{ccc=0}+", r"\p{M}+"):
                    for m in regex.finditer(pat, allchars):
                        cand[m.start() : m.end()] = True
                for lo, hi in _JAMO:
                    cand[lo : hi + 1] = True
                cand[0xD800:0xE000] = False  # lone surrogates: separators
                fold = np.arange(0x110000, dtype=np.uint32)
                slow = np.zeros(0x110000, dtype=bool)
                for cp in cand.nonzero()[0].tolist():
                    f = _fast_fold(chr(cp), word)
                    if f is None:
                        slow[cp] = True
                    else:
                        fold[cp] = f
                _tables = (slow, vals.take(fold))
    return _tables


def _normalize_spans(text: str, cps: np.ndarray | None = None) -> str:
    """`text` with every whitespace-delimited span that contains a slow
    character replaced by its normalization (`cps`: its code points, if known).

    NFKC and casefolding never act across whitespace (whitespace characters are
    starters that compose with nothing), so mapping the result through the
    value table gives the same values as normalizing the whole text."""
    slow_t, _ = _char_tables()
    if cps is None:
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    sp = slow_t.take(cps).nonzero()[0]
    if not len(sp):
        return text
    ws = _space_table().take(cps).nonzero()[0]
    if not len(ws):
        return normalize(text)
    k = np.searchsorted(ws, sp)
    starts = np.where(k > 0, ws.take(k - 1, mode="clip") + 1, 0)
    ends = np.where(k < len(ws), ws.take(k, mode="clip"), len(cps))
    starts, first = np.unique(starts, return_index=True)
    ends = ends[first]
    out = []
    prev = 0
    for a, b in zip(starts.tolist(), ends.tolist()):
        out.append(text[prev:a])
        out.append(normalize(text[a:b]))
        prev = b
    out.append(text[prev:])
    return "".join(out)


_spaces: np.ndarray | None = None


def _space_table() -> np.ndarray:
    """Whether each code point is whitespace (str.isspace)."""
    global _spaces
    if _spaces is None:
        sp = np.zeros(0x110000, dtype=bool)
        sp[[cp for cp in range(0x3100) if chr(cp).isspace()]] = True  # the last one is U+3000
        _spaces = sp
    return _spaces


# --- reference (pure Python) helpers: the definition, used by the tests ------
def normalize(text: str) -> str:
    """NFKC + casefold (+ NFKC), the text every hash is computed on."""
    if text.isascii():
        return text.lower()
    t = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFKC", t)


def tokenize(text: str) -> list[str]:
    """Word tokens of the normalized text."""
    return _TOKEN_RE.findall(normalize(text))


def reference_char_value(ch: str) -> int:
    """v(c) of a normalized character, from its Unicode properties."""
    w = bool(_WORD_CHAR.match(ch))
    return _char_value(ord(ch), w, w and bool(_NOSPACE_CHAR.match(ch)))


def uses_char_shingles(text: str, nospace_share: float = 0.3) -> bool:
    """Whether `text` is shingled by characters (no-space scripts dominate)."""
    chars = "".join(tokenize(text))
    n_ns = sum(1 for ch in chars if _NOSPACE_CHAR.match(ch))
    return bool(chars) and n_ns >= nospace_share * len(chars)


def reference_token_hash(token: str) -> int:
    """Pure-Python token hash: sum_p v(c_p) * M**p mod 2**64."""
    h = 0
    mp = 1
    for ch in token:
        h = (h + reference_char_value(ch) * mp) & _MASK64
        mp = (mp * _POLY_M) & _MASK64
    return h


def reference_exact_key(text: str) -> int:
    """Pure-Python exact key: xxh3-128 of the little-endian uint64 token hashes."""
    data = b"".join(reference_token_hash(t).to_bytes(8, "little") for t in tokenize(text))
    return xxhash.xxh3_128_intdigest(data)


def _permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters of ``datasketch.MinHash(num_perm,
    seed, scheme=scheme)``, generated the way datasketch 2.0 generates them."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        ab = np.array([(gen.randint(1, _MERSENNE, dtype=_U64), gen.randint(0, _MERSENNE, dtype=_U64))
                       for _ in range(num_perm)], dtype=_U64).T
        return ab[0], ab[1]
    # affine32: a odd (a bijection mod 2**32), b any
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


# --- LSH parameter choice ----------------------------------------------------
def candidate_probability(j, bands: int, rows: int):
    """P(two sets with Jaccard j share at least one band) = 1 - (1 - j^r)^b."""
    return 1.0 - (1.0 - np.asarray(j, dtype=float) ** rows) ** bands


def choose_bands(threshold: float, num_perm: int, min_recall: float = 0.99) -> tuple[int, int]:
    """Pick (bands, rows) for candidate generation ahead of exact verification.

    Among all rows r (bands b = num_perm // r) whose S-curve finds a pair at
    Jaccard == threshold with probability >= min_recall, take the largest r:
    it has the fewest false candidates (its S-curve is the steepest/rightmost
    one that still meets the recall target).  Candidates are verified on the
    full signature afterwards, so a low S-curve midpoint only costs a few
    extra comparisons.  For threshold 0.8, 128 permutations: b=21, r=6,
    S-curve midpoint (1/b)^(1/r) = 0.60, P(candidate | J=0.8) = 0.998.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if float(candidate_probability(threshold, b, r)) >= min_recall:
            best = (b, r)
    return best


def lsh_midpoint(bands: int, rows: int) -> float:
    """Jaccard at which the S-curve is steepest, approximately (1/b)^(1/r)."""
    return (1.0 / bands) ** (1.0 / rows)


# --- batched preparation -----------------------------------------------------
@dataclass
class PreparedBatch:
    """Hash material of a batch of documents (rows in input order).

    sigs:   (n, num_perm) uint32 MinHash values (all 0xFFFFFFFF when no shingles)
    exact:  (n, 2) uint64 exact key (xxh3-128 high and low halves)
    near:   (n,) bool, True when the document has at least one shingle
    char_mode: (n,) bool, True when shingled by characters
    n_shingles: (n,) int64 number of shingle positions (with repeats)
    """

    sigs: np.ndarray
    exact: np.ndarray
    near: np.ndarray
    char_mode: np.ndarray
    n_shingles: np.ndarray

    def __len__(self) -> int:
        return len(self.near)

    def slice(self, start: int, stop: int) -> "PreparedBatch":
        s = slice(start, stop)
        return PreparedBatch(self.sigs[s], self.exact[s], self.near[s], self.char_mode[s], self.n_shingles[s])

    @staticmethod
    def concat(parts: Sequence["PreparedBatch"]) -> "PreparedBatch":
        return PreparedBatch(
            np.concatenate([p.sigs for p in parts]),
            np.concatenate([p.exact for p in parts]),
            np.concatenate([p.near for p in parts]),
            np.concatenate([p.char_mode for p in parts]),
            np.concatenate([p.n_shingles for p in parts]),
        )


def _power_table(base: int, size: int) -> np.ndarray:
    p = np.empty(size, dtype=_U64)
    p[0] = 1
    filled = 1
    while filled < size:  # p[f:2f] = p[:f] * base^f
        step = min(filled, size - filled)
        np.multiply(p[:step], _U64(pow(base, filled, 1 << 64)), out=p[filled : filled + step])
        filled += step
    return p


class MinHasher:
    """Computes exact keys, shingle hashes and MinHash signatures.

    ``num_perm``/``seed``/``scheme`` have datasketch's meaning; ``ngram`` is the
    word-shingle size, ``char_ngram`` the character-shingle size for no-space
    scripts and ``nospace_share`` the share of such characters (among word
    characters) from which a document is shingled by characters.
    """

    # Shingles per block of the permutation step: (num_perm x chunk) uint32.
    chunk = 8192
    # Code points per internal sub-batch (bounds temporary memory).
    max_batch_chars = 1 << 17
    # Power tables up to this length stay cached (2 x 8 MB).
    _max_cached_powers = 1 << 20
    # A longer document is hashed a piece of about this many code points at a
    # time (`_prepare_long`): whole, a 50 MB page took 2.2 GB.
    max_text_chars = 1 << 22

    def __init__(
        self,
        num_perm: int = 128,
        seed: int = 1,
        ngram: int = 5,
        char_ngram: int = 5,
        nospace_share: float = 0.3,
        scheme: str = "affine32",
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES} with the installed datasketch, got {scheme!r}")
        if num_perm < 1 or ngram < 1 or char_ngram < 1:
            raise ValueError("num_perm, ngram and char_ngram must be >= 1")
        self.num_perm = int(num_perm)
        self.seed = int(seed)
        self.ngram = int(ngram)
        self.char_ngram = int(char_ngram)
        self.nospace_share = float(nospace_share)
        self.scheme = scheme
        a, b = _permutations(self.num_perm, self.seed, scheme)
        dt = _U64 if scheme == "legacy" else np.uint32
        self._a = np.ascontiguousarray(np.asarray(a, dtype=dt)[:, None])
        self._b = np.ascontiguousarray(np.asarray(b, dtype=dt)[:, None])
        self._pow: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        _char_tables()

    # -- public API -----------------------------------------------------------
    def prepare_many(self, texts: Sequence[str]) -> PreparedBatch:
        """Hash material of many documents at once (the fast path)."""
        n = len(texts)
        if n == 0:
            return self._empty_batch(0)
        if n == 1:
            return self._prepare_one(texts[0])
        parts: list[PreparedBatch] = []
        start, chars = 0, 0
        for i, s in enumerate(texts):
            chars += len(s) + 1
            if chars >= self.max_batch_chars:
                if start < i:  # keep an over-long document on its own
                    parts.append(self._prepare_batch(texts[start:i]))
                    start, chars = i, len(s) + 1
                if chars >= self.max_batch_chars:
                    parts.append(self._prepare_batch(texts[start : i + 1]))
                    start, chars = i + 1, 0
        if start < n:
            parts.append(self._prepare_batch(texts[start:]))
        return parts[0] if len(parts) == 1 else PreparedBatch.concat(parts)

    def prepare(self, text: str) -> PreparedBatch:
        return self.prepare_many([text])

    def hashvalues(self, text: str) -> np.ndarray:
        """The num_perm MinHash values of one document (uint32)."""
        return self.prepare_many([text]).sigs[0].copy()

    def signature(self, text: str) -> LeanMinHash:
        """A datasketch LeanMinHash of the document (usable with MinHashLSH)."""
        return self.to_lean(self.prepare_many([text]).sigs[0])

    def to_lean(self, hashvalues: np.ndarray) -> LeanMinHash:
        from datasketch import LeanMinHash

        dt = _U64 if self.scheme == "legacy" else np.uint32
        hv = np.asarray(hashvalues, dtype=dt)
        return LeanMinHash(seed=self.seed, hashvalues=hv.copy(), scheme=self.scheme)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """The 32-bit shingle hash values of one document in text order (with
        repeats), computed the slow, obvious way from `tokenize` and
        `reference_token_hash`; empty when the document is too short."""
        if uses_char_shingles(text, self.nospace_share):
            units = [reference_char_value(c) for t in tokenize(text) for c in t]
            n = self.char_ngram
        else:
            units = [reference_token_hash(t) for t in tokenize(text)]
            n = self.ngram
        if len(units) < n:
            return np.zeros(0, dtype=np.uint32)
        c = [int(x) for x in _shingle_constants(n)]
        out = []
        for i in range(len(units) - n + 1):
            acc = sum(units[i + k] * c[k] for k in range(n)) & _MASK64
            out.append(acc >> 32)
        return np.array(out, dtype=np.uint32)

    # -- internals ------------------------------------------------------------
    def _empty_batch(self, n: int) -> PreparedBatch:
        return PreparedBatch(
            np.full((n, self.num_perm), _MAX32, dtype=np.uint32),
            np.zeros((n, 2), dtype=_U64),
            np.zeros(n, dtype=bool),
            np.zeros(n, dtype=bool),
            np.zeros(n, dtype=np.int64),
        )

    def _token_hashes(self, v: np.ndarray, starts: np.ndarray, L: int) -> np.ndarray:
        """Token hashes sum_j v_j M^j over [start_k, start_k+1) (separators add
        0), times M^-start_k, from prefix sums of the character values."""
        if not len(starts):
            return np.zeros(0, dtype=_U64)
        pw, ipw = self._powers(L + 1)
        c = np.empty(L + 1, dtype=_U64)
        c[0] = 0
        np.cumsum(v * pw[:L], out=c[1:])
        th = np.diff(c.take(np.append(starts, L)))
        th *= ipw.take(starts)
        return th

    def _powers(self, size: int, base: int = _POLY_M) -> tuple[np.ndarray, np.ndarray]:
        """(base^i, base^-i mod 2^64) for i < size (cached up to _max_cached_powers)."""
        cached = self._pow.get(base)
        if cached is not None and len(cached[0]) >= size:
            return cached
        have = len(cached[0]) if cached is not None else 0
        grow = max(size, min(2 * have, self._max_cached_powers), 1024)
        tables = (_power_table(base, grow), _power_table(pow(base, -1, 1 << 64), grow))
        if grow <= self._max_cached_powers:
            self._pow[base] = tables
        return tables

    def _shingles(self, units: np.ndarray, n: int) -> np.ndarray:
        """32-bit hashes of all windows of n consecutive unit hashes:
        (sum_k units[i+k] R^k) >> 32 = ((Q[i+n] - Q[i]) R^-i) >> 32 with the
        prefix sums Q of units[j] R^j."""
        u = len(units)
        m = u - n + 1
        rp, rip = self._powers(u + 1, _POLY_R)
        q = np.empty(u + 1, dtype=_U64)
        q[0] = 0
        np.cumsum(units * rp[:u], out=q[1:])
        acc = q[n:] - q[:m]
        acc *= rip[:m]
        acc >>= _S32
        return acc.astype(np.uint32)

    def _prepare_one(self, text: str) -> PreparedBatch:
        """Same as _prepare_batch([text]) with fewer numpy calls."""
        if len(text) > self.max_text_chars:
            return self._prepare_long(text)
        v, w = self._piece_values(text)
        th = self._token_hashes(v, (w[1:] & ~w[:-1]).nonzero()[0], len(v))
        d = xxhash.xxh3_128_intdigest(memoryview(th))
        exact = np.array([[d >> 64, d & _MASK64]], dtype=_U64)
        n_ns = np.count_nonzero(v.view(np.uint8)[::8] & np.uint8(1))
        char_mode = bool(n_ns) and n_ns >= self.nospace_share * np.count_nonzero(w)
        units, n = (v[w[1:]], self.char_ngram) if char_mode else (th, self.ngram)
        if len(units) >= n:
            sh = self._shingles(units, n)
            sig = self._minhash_one(sh)[None, :]
            near, nsh = True, len(sh)
        else:
            sig = np.full((1, self.num_perm), _MAX32, dtype=np.uint32)
            near, nsh = False, 0
        return PreparedBatch(sig, exact, np.array([near]), np.array([char_mode]), np.array([nsh], dtype=np.int64))

    def _piece_values(self, piece: str) -> tuple[np.ndarray, np.ndarray]:
        """(character values, word-character flags shifted by one) of a text
        with a "\n" added at its end: values of the normalized characters, 0
        for separators."""
        slow_t, vals_t = _char_tables()
        cps = np.frombuffer((piece + "\n").encode("utf-32-le", "surrogatepass"), dtype="<u4")
        if not piece.isascii() and np.count_nonzero(slow_t.take(cps)):
            cps = np.frombuffer((_normalize_spans(piece, cps[:-1]) + "\n").encode("utf-32-le", "surrogatepass"),
                                dtype="<u4")
        v = vals_t.take(cps)
        w = np.zeros(len(cps) + 1, dtype=bool)
        np.not_equal(v, 0, out=w[1:])
        return v, w

    def _prepare_long(self, text: str) -> PreparedBatch:
        """`_prepare_one` of a text longer than max_text_chars, a piece at a
        time, with the same result: the pieces are cut after a space or a
        newline, which no token spans and across which NFKC and casefolding
        never act; a token's hash does not depend on where the token stands,
        nor a shingle's; shingles that span two pieces are formed from the
        last n - 1 units of the one and the first of the next."""
        th_parts = []
        digest = xxhash.xxh3_128()
        n_ns = n_word = 0
        for piece in pieces_at_spaces(text, self.max_text_chars):
            v, w = self._piece_values(piece)
            th = self._token_hashes(v, (w[1:] & ~w[:-1]).nonzero()[0], len(v))
            digest.update(memoryview(th))
            th_parts.append(th)
            n_ns += np.count_nonzero(v.view(np.uint8)[::8] & np.uint8(1))
            n_word += np.count_nonzero(w)
        d = digest.intdigest()
        exact = np.array([[d >> 64, d & _MASK64]], dtype=_U64)
        char_mode = bool(n_ns) and n_ns >= self.nospace_share * n_word
        if char_mode:  # one-character units, computed again piece by piece (they are 8 bytes a character)
            del th_parts
            pieces = map(self._piece_values, pieces_at_spaces(text, self.max_text_chars))
            units, n = (v[w[1:]] for v, w in pieces), self.char_ngram
        else:
            units, n = iter(th_parts), self.ngram
        sig = np.full(self.num_perm, _MAX32, dtype=np.uint32)
        nsh = 0
        carry = np.zeros(0, dtype=_U64)
        for part in units:
            seg = np.concatenate((carry, part))
            if len(seg) >= n:
                sh = self._shingles(seg, n)
                np.minimum(sig, self._minhash_one(sh), out=sig)
                nsh += len(sh)
            carry = seg[max(0, len(seg) - (n - 1)):]
        return PreparedBatch(sig[None, :], exact, np.array([nsh > 0]), np.array([char_mode]),
                             np.array([nsh], dtype=np.int64))

    def _minhash_one(self, sh: np.ndarray) -> np.ndarray:
        """MinHash values of one set of shingle hash values."""
        legacy = self.scheme == "legacy"
        hv = sh.astype(_U64) if legacy else _fmix32(sh.copy())
        res = None
        for c0 in range(0, len(hv), self.chunk):
            m = np.multiply(self._a, hv[c0 : c0 + self.chunk])
            m += self._b
            if legacy:
                m %= _MERSENNE
                m &= _U64(0xFFFFFFFF)
            mins = m.min(axis=1)
            res = mins if res is None else np.minimum(res, mins)
        return res.astype(np.uint32, copy=False)

    def _prepare_batch(self, texts: Sequence[str]) -> PreparedBatch:
        slow_t, vals_t = _char_tables()
        nd = len(texts)
        out = self._empty_batch(nd)
        # One code-point array for the whole batch; every document is followed
        # by a "\n" so that no token crosses a document boundary.
        cps = np.frombuffer(("\n".join(texts) + "\n").encode("utf-32-le", "surrogatepass"), dtype="<u4")
        if not all(map(str.isascii, texts)):
            slow = slow_t.take(cps)
            if np.count_nonzero(slow):
                # Documents with characters whose normalization may change the
                # token stream beyond the table's per-character folding.
                ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=nd) + 1)
                docs = np.unique(np.searchsorted(ends, slow.nonzero()[0], side="right")).tolist()
                texts = list(texts)
                for d in docs:
                    texts[d] = _normalize_spans(texts[d], cps[ends[d] - len(texts[d]) - 1 : ends[d] - 1])
                cps = np.frombuffer(("\n".join(texts) + "\n").encode("utf-32-le", "surrogatepass"), dtype="<u4")
        norm = texts
        L = len(cps)
        doc_len = np.fromiter(map(len, norm), dtype=np.int64, count=nd)
        doc_len += 1
        doc_end = np.cumsum(doc_len)
        doc_start = doc_end - doc_len
        v = vals_t.take(cps)  # values of the normalized characters, 0 for separators
        w = np.zeros(L + 1, dtype=bool)
        np.not_equal(v, 0, out=w[1:])
        starts = np.flatnonzero(w[1:] & ~w[:-1])  # token start positions
        tok_first = np.searchsorted(starts, doc_start)
        tok_last = np.append(tok_first[1:], len(starts))
        n_tok = tok_last - tok_first

        # Token hashes: sum_j v_j M^j over the token, times M^-start.
        th = self._token_hashes(v, starts, L)

        # Exact keys: xxh3-128 of each document's token-hash stream.
        mv = memoryview(th.view(np.uint8))
        h128 = xxhash.xxh3_128_intdigest
        digests = [h128(mv[b * 8 : e * 8]) for b, e in zip(tok_first.tolist(), tok_last.tolist())]
        out.exact[:, 0] = np.fromiter((d >> 64 for d in digests), dtype=_U64, count=nd)
        out.exact[:, 1] = np.fromiter((d & _MASK64 for d in digests), dtype=_U64, count=nd)

        # Character mode where no-space scripts dominate.
        if np.count_nonzero(v.view(np.uint8)[::8] & np.uint8(1)):  # low bit: no-space script
            ns_pos = np.flatnonzero(v & _ONE)
            n_ns = np.diff(np.searchsorted(ns_pos, np.append(doc_start, L)))
            wcum = np.cumsum(w[1:], dtype=np.int64)
            n_word = wcum[doc_end - 1] - np.append(0, wcum[doc_end[:-1] - 1])
            char_mode = (n_word > 0) & (n_ns >= self.nospace_share * n_word)
        else:
            char_mode = np.zeros(nd, dtype=bool)

        if not char_mode.any():
            if int(n_tok.max()) >= self.ngram:
                self._minhash_group(th, n_tok, np.arange(nd), self.ngram, out)
            return out
        out.char_mode[:] = char_mode
        wm = ~char_mode
        if bool((n_tok[wm] >= self.ngram).any()):
            units = th[np.repeat(wm, n_tok)]
            self._minhash_group(units, n_tok[wm], np.flatnonzero(wm), self.ngram, out)
        if bool((n_word[char_mode] >= self.char_ngram).any()):
            sel = w[1:] & np.repeat(char_mode, doc_len)
            units = v[sel]  # one-character units
            self._minhash_group(units, n_word[char_mode], np.flatnonzero(char_mode), self.char_ngram, out)
        return out

    def _minhash_group(self, units, counts, docs, n, out: PreparedBatch) -> None:
        """Shingle the units of `docs` (counts units each, concatenated) and
        write their signatures into `out`."""
        if len(units) < n:
            return
        sh = self._shingles(units, n)
        # Window i is valid when units i .. i+n-1 belong to the same document.
        unit_doc = np.repeat(np.arange(len(docs)), counts)
        valid = unit_doc[: len(sh)] == unit_doc[n - 1 :]
        sh = sh[valid]
        sh_counts = np.bincount(unit_doc[: len(valid)][valid], minlength=len(docs))
        has = sh_counts > 0
        docs = docs[has]
        sh_counts = sh_counts[has]
        out.near[docs] = True
        out.n_shingles[docs] = sh_counts
        out.sigs[docs] = self._minhash_segments(sh, sh_counts)

    def _minhash_segments(self, sh: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """MinHash of consecutive non-empty segments of shingle hash values."""
        nseg = len(counts)
        res = np.full((nseg, self.num_perm), _MAX32, dtype=np.uint32)
        seg_start = np.zeros(nseg, dtype=np.int64)
        np.cumsum(counts[:-1], out=seg_start[1:])
        total = len(sh)
        legacy = self.scheme == "legacy"
        hv = sh.astype(_U64) if legacy else _fmix32(sh.copy())
        a, b = self._a, self._b
        chunk = self.chunk
        flat = np.empty(self.num_perm * min(chunk, total), dtype=hv.dtype)
        c0 = 0
        while c0 < total:
            c1 = min(total, c0 + chunk)
            # Segments overlapping [c0, c1).
            s0 = int(np.searchsorted(seg_start, c0, side="right")) - 1
            s1 = int(np.searchsorted(seg_start, c1, side="left"))
            local = seg_start[s0:s1] - c0
            local[0] = 0
            m = flat[: self.num_perm * (c1 - c0)].reshape(self.num_perm, c1 - c0)
            np.multiply(a, hv[c0:c1], out=m)
            m += b
            if legacy:
                m %= _MERSENNE
                m &= _U64(0xFFFFFFFF)
            mins = np.minimum.reduceat(m, local, axis=1)
            np.minimum(res[s0:s1], mins.T, out=res[s0:s1])
            c0 = c1
        return res


# --- module-level convenience ------------------------------------------------
@lru_cache(maxsize=8)
def _hasher(num_perm: int, seed: int, ngram: int, char_ngram: int, nospace_share: float, scheme: str) -> MinHasher:
    return MinHasher(num_perm, seed, ngram, char_ngram, nospace_share, scheme)


def signature(
    text: str,
    num_perm: int = 128,
    seed: int = 1,
    ngram: int = 5,
    char_ngram: int = 5,
    nospace_share: float = 0.3,
    scheme: str = "affine32",
) -> LeanMinHash:
    """datasketch LeanMinHash of `text` (see the module docstring)."""
    return _hasher(num_perm, seed, ngram, char_ngram, nospace_share, scheme).signature(text)
