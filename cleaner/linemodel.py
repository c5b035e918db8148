"""Line-level boilerplate classifier: cheap features, a logistic first stage, and
boosted trees (or, in older model files, a second logistic regression) on top.

`LineModel.score(lines)` returns, for every line of ONE document, the probability
that the line is boilerplate (navigation, menus, headers/footers, share prompts,
dates and counters, related-link lists, ...).  Blank lines get 0.0.
`LineModel.score_batch(docs)` does the same for many documents at once and is
several times faster (numpy's per-call cost is paid once per batch).

Why this design
---------------
* **Explainable.**  Stage 1 is a logistic regression over named, standardised
  features; stage 2 is a sum of shallow trees over the same features and the
  neighbours' stage-1 scores (`cleaner.trees`), whose per-feature credits add up
  to the score as a linear model's do.  So `explain()` says how much each
  signal pushed a line towards "remove" (positive) or "keep" (negative).
  The model file also keeps a logistic stage 2: the duplicate stage judges
  the model's removals by it (`score_batch_for_cleaning`), and texts of fewer
  than `trees_min_lines` lines are scored by it (see `LineModel.__init__`).
* **Language-independent.**  No feature looks at a particular word except the
  share of stop words, and the stop-word list is chosen per document by
  coverage (the list covering most of the document's words wins), so no `lang`
  field is needed.  Documents in a language without a list (or code, tables,
  CJK) fall back to a neutral stop-word share plus a `no_lang` flag; the model
  is trained with a share of documents in that regime.
* **Context.**  Boilerplate comes in blocks (menus, footers, link lists) and
  content comes in blocks (the article body).  Stage 1 scores every line from
  its own features, its position relative to the main body and its immediate
  neighbours; stage 2 adds the stage-1 scores of the neighbours, so that a
  short line inside a body of paragraphs is kept and a long-ish title inside a
  menu is dropped.
* **Cross-document evidence is optional.**  `repeats[i]` (how many OTHER
  articles of the same site contain the same normalised line) is the strongest
  single signal for templates, but an article cleaned alone has none: the
  model was trained with the repeat features switched off (`rep_known` = 0)
  for half of the documents, so it works in both regimes.
* **Fast.**  Features are computed on the UTF-8 bytes of all the documents of a
  batch at once with numpy (word boundaries, word keys for the stop-word
  lookup, line ends and starts, dates, URLs), never with a Python loop per
  word or per line (only lines with surrounding spaces are looked at in
  Python).

Tokens are approximately the `\\w+` runs that the evaluation metric counts:
ASCII letters, digits and `_`, and every non-ASCII character except the
common punctuation blocks (U+0080-00BF, U+2000-2BFF, U+3000-303F).

The weights live in `cleaner/models/line_model.json` (written by
`scripts/train_line_model.py`); the feature list below must match it.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .dedupview import SENTENCE_STOPS
from .textnorm import CJK_CHARS_PER_WORD, SOUTHEAST_ASIAN_CHARS_PER_WORD
from .trees import BoostedTrees

__all__ = [
    "LineModel",
    "FEATURES",
    "CONTEXT_FEATURES",
    "FEATURE_DOCS",
    "batch_features",
    "detect_language",
]

# ---------------------------------------------------------------------------
# Feature list (column order of the model) and why each feature exists
# ---------------------------------------------------------------------------

FEATURE_DOCS: dict[str, str] = {
    # -- the line itself ------------------------------------------------------
    "log_words": "log(1+words): content lines are long, menu items and labels short",
    "words_le2": "1-2 words: single links, labels, buttons",
    "words_ge15": "15+ words: almost always a sentence or more",
    "log_chars_per_word": "long 'words' = URLs, codes, glued menu items",
    "end_sentence": "ends with . ! ? ; … (possibly before a quote/bracket): prose",
    "end_colon": "ends with ':' (a label, or the lead-in of a list)",
    "end_ellipsis": "ends with ... or […]: teasers of other articles",
    "end_alnum": "ends with a letter/digit: titles, menu items, names",
    "start_lower": "starts lower-case: continuation of a sentence or a paragraph",
    "start_bullet": "starts with a bullet/dash/arrow: list or link-list item",
    "stop_share": "share of stop words of the document's language: prose has many",
    "stop_share_x_long": "stop share on lines of 8+ words (prose vs. long headlines)",
    "no_lang": "no stop list fits the document: stop_share is neutral",
    "foreign_share": "share of words that are stop words of OTHER languages only: a line in another language",
    "title_share": "share of words starting upper-case: headlines, menus, names",
    "upper_share": "share of ALL-CAPS words: menu bars, buttons",
    "digit_share": "share of numeric words: dates, counters, prices, tables",
    "commas_per_word": "commas per word (， 、 ، too): flowing sentences have them",
    "log_sentence_marks": "log(1+'. ' '! ' '? ' or 。！？ inside the line): several sentences = paragraph",
    "log_separators": "log(1+ | » / • > ...): breadcrumbs and 'A | B | C' rows",
    "counter_like": "<=4 words incl. a number, no sentence end: '12 comments', 'Views: 99'",
    "date_short": "a date or time on a line of <=12 words: 'Posted on 3 May 2012'",
    "url": "URL, domain or e-mail/handle in the line",
    "copyright": "copyright sign or word, 'rights reserved': footers",
    "dup_in_doc": "the same line occurs elsewhere in this document",
    "dup_not_first": "a later copy of a line seen earlier in the document",
    "shape_rep": "log(1+other lines of the document with the same first and last word, numbers alike): listing rows",
    "price": "a currency sign or code next to a number: product and hotel listings",
    # -- position and main body --------------------------------------------------
    "rel_pos": "position of the line in the document (0 = first, 1 = last)",
    "tok_before": "share of the document's words above the line (header zone ~0)",
    "tok_after": "share of the document's words below the line (footer zone ~0)",
    "before_body": "above the main body (densest block of long punctuated lines)",
    "after_body": "below the main body",
    "log_dist_body": "log(1+lines to the main body), 0 inside it",
    "doc_prose_share": "share of the document's words in prose lines (doc-level calibration)",
    "doc_log_lines": "log(1+non-blank lines of the document): long pages have more template",
    "rel_log_words": "log_words minus the document's mean: long or short for THIS page",
    # -- neighbours ----------------------------------------------------------------
    "prev_log_words": "log(1+words) of the previous non-blank line (0 at the top)",
    "next_log_words": "log(1+words) of the next non-blank line (0 at the bottom)",
    "prev_end_sentence": "previous line ends a sentence",
    "next_end_sentence": "next line ends a sentence",
    "short_run": "log(1+length of the run of short unpunctuated lines around it): menus",
    "win_prose": "share of prose lines among the 3 lines either side",
    "win_short": "share of short unpunctuated lines among the 3 lines either side",
    "plain_run": "log(1+run of consecutive lines of <=25 words without sentence end): link/headline lists",
    "win_titlelike": "share of title-like lines (no sentence end, mostly capitalised) among the 3 either side",
    # -- cross-document repeats -------------------------------------------------------
    "rep_known": "repeat counts are available for this document",
    "rep_any": "the line occurs in another article of the same site",
    "rep_log": "log(1+other articles with the line), capped at 50",
    "rep_long": "repeated AND 12+ words (disclaimers, bylines): lets long repeats differ",
    "win_rep": "share of the 2 lines either side that are repeated (template blocks)",
}
FEATURES: tuple[str, ...] = tuple(FEATURE_DOCS)

#: Stage-2 extra features: stage-1 logits of the neighbours.
CONTEXT_DOCS: dict[str, str] = {
    "ctx_prev": "stage-1 score of the previous line (boilerplate comes in blocks)",
    "ctx_next": "stage-1 score of the next line",
    "ctx_win3": "mean stage-1 score of the 3 lines either side",
    "ctx_win10": "mean stage-1 score of the 10 lines either side",
}
CONTEXT_FEATURES: tuple[str, ...] = tuple(CONTEXT_DOCS)
_F = {name: i for i, name in enumerate(FEATURES)}

# ---------------------------------------------------------------------------
# Byte classes
# ---------------------------------------------------------------------------


def _lut(chars: str | Iterable[int]) -> np.ndarray:
    t = np.zeros(256, dtype=bool)
    for c in chars:
        t[ord(c) if isinstance(c, str) else c] = True
    return t


_ASCII_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LUT_LOWER = _lut("abcdefghijklmnopqrstuvwxyz")
_LUT_ALNUM = _lut(_ASCII_ALNUM)


def _code(s: str) -> int:
    """A character as the big-endian integer of its UTF-8 bytes (how lines' ends are read)."""
    return int.from_bytes(s.encode("utf-8"), "big")


_SENT_CODES = np.array(sorted(_code(c) for c in SENTENCE_STOPS + ";"), dtype=np.int64)
_CLOSER_CODES = np.array(sorted(_code(c) for c in "\"')]”’»）」"), dtype=np.int64)
_BULLET_CODES = np.array(sorted(_code(c) for c in "-*+>•·–—►▪●◦»▸"), dtype=np.int64)
_SEP_CODES_2 = (0xC2BB, 0xC2AB, 0xC2B7)  # » « ·
_SEP_CODES_3 = (0xE280A2, 0xE280BA, 0xE280B9, 0xE296AA, 0xE296BA, 0xE296B8, 0xE297A6, 0xE2978F)
_ELLIPSIS_CODE = _code("…")
_COLON_CODE = ord(":")
_WIDE_COMMA_CODES = np.array(sorted(_code(c) for c in "，、،"), dtype=np.int64)
_WIDE_MARK_CODES = np.array(sorted(_code(c) for c in "。！？"), dtype=np.int64)


def _codes_of(a: np.ndarray, pos: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The offsets among `pos` (candidate lead bytes, found first: they are
    rare) where a character of `codes` starts (see `_code`; 2 or 3 UTF-8 bytes)."""
    n = a.shape[0]
    pos = pos[pos + 1 < n]
    if pos.size == 0:
        return pos
    x = a[pos].astype(np.int64)
    two = (x << 8) | a[pos + 1]
    three = (two << 8) | a[np.minimum(pos + 2, n - 1)]  # (a 3-byte character has its 3 bytes)
    return pos[np.where(x < 0xE0, np.isin(two, codes), np.isin(three, codes))]


# ---------------------------------------------------------------------------
# Word keys and the stop-word table
# ---------------------------------------------------------------------------

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def _windows(buf: bytes) -> np.ndarray:
    """Overlapping little-endian uint64 windows: w[i] = bytes i..i+7 of buf (padded)."""
    padded = buf + b"\0" * 8
    return np.ndarray(shape=(len(buf),), dtype="<u8", buffer=padded, strides=(1,))


def _word_keys(win: np.ndarray, S: np.ndarray, E: np.ndarray) -> np.ndarray:
    """64-bit key of each word [S, E): exact for <= 8 bytes, hash of first+last 8 otherwise."""
    L = E - S
    k = win[S] & _MASKS[np.minimum(L, 8)]
    long = np.flatnonzero(L > 8)
    if long.size:
        t = win[E[long] - 8]
        t = ((t << np.uint64(29)) | (t >> np.uint64(35))) * _GOLD
        k[long] ^= t + L[long].astype(np.uint64)
    return k


_TABLE_BITS = 18
_GOLD2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _slots(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shift = np.uint64(64 - _TABLE_BITS)
    return ((keys * _GOLD) >> shift).astype(np.intp), ((keys * _GOLD2) >> shift).astype(np.intp)


@lru_cache(maxsize=1)
def _stopwords():
    """Languages, and a cuckoo hash table: word key -> bit mask of the stop lists having it.

    Returns (langs, table) where table[t, slot] = (key, mask) for the two
    hash functions t = 0, 1: a lookup is two gathers, with no probing loop.
    """
    folder = resources.files("cleaner").joinpath("lexicons").joinpath("stopwords")
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".txt")), key=lambda p: p.name)[:63]
    langs = tuple(p.name[:-4] for p in files)
    masks: dict[str, int] = {}
    for bit, path in enumerate(files):
        for w in path.read_text(encoding="utf-8").split():
            masks[w] = masks.get(w, 0) | (1 << bit)
    words = list(masks)
    blob = "\n".join(words).encode("utf-8")
    a = np.frombuffer(blob, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    S = np.concatenate(([0], nl + 1)).astype(np.int64)
    E = np.concatenate((nl, [len(a)])).astype(np.int64)
    keys = _word_keys(_windows(blob), S, E)
    # Words whose keys collide (long words share first and last 8 bytes) merge masks.
    word_masks = np.array([masks[w] for w in words], dtype=np.uint64)
    unique_keys, which = np.unique(keys, return_inverse=True)
    unique_masks = np.zeros(len(unique_keys), dtype=np.uint64)
    np.bitwise_or.at(unique_masks, which, word_masks)
    size = 1 << _TABLE_BITS
    slots = _slots(unique_keys)
    # Each table slot holds the index of a unique key (-1: empty).  Most keys
    # have their first slot to themselves, and most of the others their second
    # (the tables are about a third full): place those with numpy, then the few
    # left over by cuckoo insertion, one at a time.
    held = [np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)]
    left = np.arange(len(unique_keys))
    for t in (0, 1):
        wanted = slots[t][left]
        _, first = np.unique(wanted, return_index=True)
        held[t][wanted[first]] = left[first]
        left = np.delete(left, first)
    for i in left.tolist():
        t = 0
        for _ in range(500):
            slot = slots[t][i]
            i, held[t][slot] = int(held[t][slot]), i
            if i < 0:
                break
            t ^= 1
        else:  # pragma: no cover - cannot happen at this load factor
            raise RuntimeError("stop-word table: cuckoo insertion failed")
    table = tuple((np.where(h >= 0, unique_keys[h], np.uint64(0)), np.where(h >= 0, unique_masks[h], np.uint64(0)))
                  for h in held)
    return langs, table


def _lookup(keys: np.ndarray) -> np.ndarray:
    """Language bit masks of word keys (0 for words in no stop list)."""
    (k1, v1), (k2, v2) = _stopwords()[1]
    s1, s2 = _slots(keys)
    out = np.where(k1.take(s1) == keys, v1.take(s1), np.uint64(0))
    hit2 = k2.take(s2) == keys
    out[hit2] = v2.take(s2[hit2])
    return out


#: Least share of a document's words that must be stop words of one list for
#: that list to be used; below it the document is in the `no_lang` regime.
MIN_STOP_COVERAGE = 0.08
#: Stop-word share given to every line of a `no_lang` document.
NEUTRAL_STOP_SHARE = 0.3
#: At most about this many stop-word tokens per document are used to pick its language.
_LANG_SAMPLE = 50


def _languages(masks: np.ndarray, wdoc: np.ndarray, n_docs: int):
    """Best stop list per document (bit index, -1 for none) and its coverage."""
    nwords = np.bincount(wdoc, minlength=n_docs)
    nz = np.flatnonzero(masks)
    if nz.size == 0:
        return np.full(n_docs, -1), np.zeros(n_docs)
    dz = wdoc[nz]
    ndz = np.bincount(dz, minlength=n_docs)
    # Subsample long documents: the language of 50 stop words is clear.
    step = np.maximum(ndz // _LANG_SAMPLE, 1)
    if (step > 1).any():
        first = np.concatenate(([0], np.cumsum(ndz)[:-1]))
        keep = (np.arange(nz.size) - first[dz]) % step[dz] == 0
        nz, dz = nz[keep], dz[keep]
    bits = np.unpackbits(masks[nz].view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    rows, cols = np.nonzero(bits)
    counts = np.bincount(dz[rows] * 64 + cols, minlength=n_docs * 64).reshape(n_docs, 64)
    best = counts.argmax(axis=1)
    cov = counts[np.arange(n_docs), best] * step / np.maximum(nwords, 1)
    best = np.where(ndz > 0, best, -1)
    return best, cov


def detect_language(text_or_lines: str | Sequence[str]) -> tuple[str | None, float]:
    """Stop-list language of a text and its coverage; (None, cov) below MIN_STOP_COVERAGE."""
    text = text_or_lines if isinstance(text_or_lines, str) else "\n".join(text_or_lines)
    langs = _stopwords()[0]
    a0 = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    a = _lower_bytes(a0, text.isascii())
    S, E = _word_bounds(a, text.isascii())
    masks = _lookup(_word_keys(_windows(a.tobytes()), S, E))
    best, cov = _languages(masks, np.zeros(S.size, dtype=np.int64), 1)
    if best[0] < 0 or cov[0] < MIN_STOP_COVERAGE:
        return None, float(cov[0])
    return langs[int(best[0])], float(cov[0])


def _word_bounds(a: np.ndarray, ascii_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Start and end byte offsets of the words of a UTF-8 buffer."""
    isw = (a >= 0x80) | ((a | 0x20) - np.uint8(97) < 26) | (a - np.uint8(48) < 10) | (a == 95)
    if not ascii_only:
        n = a.shape[0]
        # Latin-1 punctuation (U+0080-00BF: nbsp « » © ·), general punctuation
        # and symbols (U+2000-2BFF: dashes, quotes, bullets, arrows), CJK
        # punctuation (U+3000-303F) and full-width punctuation are not word
        # characters.
        hi = np.flatnonzero(a >= 0xC2)
        lead = a[hi]
        nxt = a[np.minimum(hi + 1, n - 1)]
        p2 = hi[lead == 0xC2]
        p3 = hi[(lead == 0xE2) | ((lead == 0xE3) & (nxt == 0x80))]
        isw[p2] = False
        isw[np.minimum(p2 + 1, n - 1)] = False
        # Full-width punctuation (U+FF01-FF0F, FF1A-FF20, FF3B-FF40, FF5B-FF65:
        # "，" "：" "（"), not the full-width letters and digits.
        ef = hi[(lead == 0xEF) & ((nxt == 0xBC) | (nxt == 0xBD))]
        ef = ef[ef + 2 < n]
        code = 0xFF00 | ((a[ef + 1].astype(np.int64) & 1) << 6) | (a[ef + 2].astype(np.int64) & 0x3F)
        ef = ef[((code >= 0xFF01) & (code <= 0xFF0F)) | ((code >= 0xFF1A) & (code <= 0xFF20))
                | ((code >= 0xFF3B) & (code <= 0xFF40)) | ((code >= 0xFF5B) & (code <= 0xFF65))]
        p3 = np.concatenate((p3, ef))
        isw[p3] = False
        isw[np.minimum(p3 + 1, n - 1)] = False
        isw[np.minimum(p3 + 2, n - 1)] = False
    d = np.diff(isw.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    S, E = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    if not ascii_only:
        cuts = _unspaced_word_cuts(a, isw, hi[(lead >= 0xE0) & (lead <= 0xE9)])
        if cuts.size:  # a cut ends one word and starts the next
            S = np.sort(np.concatenate((S, cuts)))
            E = np.sort(np.concatenate((E, cuts)))
    return S, E


def _unspaced_word_cuts(a: np.ndarray, isw: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Offsets inside runs of word bytes where text of a script written
    without spaces is cut into words.

    Chinese, Japanese, Thai, Lao, Khmer and Burmese are written without
    spaces, so a whole sentence is one run of word characters: as "words" it
    would look like a one-word menu item, and the model would remove the
    article.  A run of such characters (all three bytes long in UTF-8) is cut
    every few characters, and where it meets other word characters ("AI技术").
    Korean has spaces and is not cut.  `lead`: the offsets of the lead bytes
    E0-E9 (rare outside these scripts); their second byte tells the script.
    """
    n = a.shape[0]
    lead = lead[lead + 2 < n]
    if lead.size == 0:
        return lead
    first, second = a[lead], a[lead + 1]
    cjk = ((first == 0xE3) & (second >= 0x81)) | (first >= 0xE4)  # U+3041-9FFF: kana, ideographs
    southeast = (((first == 0xE0) & (second >= 0xB8) & (second <= 0xBB))  # U+0E00-0EFF: Thai, Lao
                 | ((first == 0xE1) & ((second == 0x9E) | (second == 0x9F) | (second <= 0x81))))  # Khmer, Burmese
    cut = np.concatenate((_run_cuts(lead[cjk], CJK_CHARS_PER_WORD, n),
                          _run_cuts(lead[southeast], SOUTHEAST_ASIAN_CHARS_PER_WORD, n)))
    cut = cut[(cut > 0) & (cut < n)]
    return np.unique(cut[isw[cut] & isw[cut - 1]])


def _run_cuts(lead: np.ndarray, per_word: int, n: int) -> np.ndarray:
    """Every `per_word`-th of the 3-byte characters starting at `lead`, counted
    from the start of each run of adjacent ones, and the byte after each run."""
    lead = lead[lead + 2 < n]
    if lead.size == 0:
        return lead
    new_run = np.ones(lead.size, dtype=bool)
    new_run[1:] = lead[1:] != lead[:-1] + 3
    run_first = np.maximum.accumulate(np.where(new_run, np.arange(lead.size), 0))
    rank = np.arange(lead.size) - run_first
    after = lead[np.append(new_run[1:], True)] + 3
    return np.concatenate((lead[rank % per_word == 0], after))


def _lower_bytes(a: np.ndarray, ascii_only: bool) -> np.ndarray:
    """Lower-cased copy of UTF-8 bytes, same length.

    ASCII, Latin-1 (À-Þ), Latin Extended-A (Polish, Czech, Baltic, ...),
    basic Cyrillic and Greek capitals are lowered; other scripts are left as
    they are.  Much faster than str.lower() on non-ASCII text, and it never
    changes byte offsets.
    """
    al = a + ((a - np.uint8(65) < 26).view(np.uint8) << np.uint8(5))
    if ascii_only:
        return al
    n = a.shape[0]
    p = np.flatnonzero((a >= 0xC3) & (a <= 0xD0))
    p = p[p + 1 < n]
    if p.size == 0:
        return al
    lead = a[p]
    b = a[p + 1].astype(np.int16)
    add2 = np.zeros(p.size, dtype=np.int16)  # added to the second byte
    add1 = np.zeros(p.size, dtype=np.int16)  # added to the lead byte
    # Latin-1 capitals U+00C0-00DE except U+00D7 (x sign): +0x20
    m = (lead == 0xC3) & (b >= 0x80) & (b <= 0x9E) & (b != 0x97)
    add2[m] = 0x20
    # Latin Extended-A: pairs (capital, small) at even/odd code points
    even = (b & 1) == 0
    m = ((lead == 0xC4) & (b <= 0xB7) & even) | ((lead == 0xC5) & (b >= 0x8A) & (b <= 0xB7) & even)
    m |= ((lead == 0xC4) & (b >= 0xB9) & (b <= 0xBE) & ~even) | ((lead == 0xC5) & (b >= 0x81) & (b <= 0x88) & ~even)
    m |= (lead == 0xC5) & (b >= 0xB9) & (b <= 0xBE) & ~even
    add2[m] = 1
    # Greek capitals: Α-Ο +0x20, Π-Ω -> CF 80-89
    m = (lead == 0xCE) & (b >= 0x91) & (b <= 0x9F)
    add2[m] = 0x20
    m = (lead == 0xCE) & (b >= 0xA0) & (b <= 0xA9)
    add1[m] = 1
    add2[m] = -0x20
    # Cyrillic capitals: А-П +0x20, Р-Я -> D1 80-8F, Ѐ-Џ -> D1 90-9F
    m = (lead == 0xD0) & (b >= 0x90) & (b <= 0x9F)
    add2[m] = 0x20
    m = (lead == 0xD0) & (b >= 0xA0) & (b <= 0xAF)
    add1[m] = 1
    add2[m] = -0x20
    m = (lead == 0xD0) & (b >= 0x80) & (b <= 0x8F)
    add1[m] = 1
    add2[m] = 0x10
    ch = np.flatnonzero(add2 != 0)
    if ch.size:
        pc = p[ch]
        al[pc] = (lead[ch].astype(np.int16) + add1[ch]).astype(np.uint8)
        al[pc + 1] = (b[ch] + add2[ch]).astype(np.uint8)
    return al


# ---------------------------------------------------------------------------
# Segment helpers (many documents in one array)
# ---------------------------------------------------------------------------


class _Segs:
    """Document segmentation of the compact (non-blank) lines of a batch."""

    __slots__ = ("doc", "start", "end", "idx", "first", "last", "n")

    def __init__(self, doc: np.ndarray, n_docs: int):
        self.doc = doc
        self.n = doc.shape[0]
        counts = np.bincount(doc, minlength=n_docs)
        ends = np.cumsum(counts)
        starts = ends - counts
        self.start = starts[doc]  # first compact line of the line's doc
        self.end = ends[doc]  # one past the last
        self.idx = np.arange(self.n)
        self.first = self.idx == self.start
        self.last = self.idx == self.end - 1

    def prev(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        out = np.empty_like(x)
        out[1:] = x[:-1]
        if self.n:
            out[0] = fill
        out[self.first] = fill
        return out

    def next(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        out = np.empty_like(x)
        out[:-1] = x[1:]
        if self.n:
            out[-1] = fill
        out[self.last] = fill
        return out

    def window_mean(self, x: np.ndarray, k: int) -> np.ndarray:
        """Mean of x over the k lines on each side within the document, self excluded."""
        c = np.concatenate(([0.0], np.cumsum(x, dtype=np.float64)))
        lo = np.maximum(self.idx - k, self.start)
        hi = np.minimum(self.idx + k + 1, self.end)
        cnt = hi - lo - 1
        return np.where(cnt > 0, (c[hi] - c[lo] - x) / np.maximum(cnt, 1), 0.0)


def _run_lengths(flag: np.ndarray, segs: _Segs) -> np.ndarray:
    """Length of the run of equal `flag` values (within a document) each line is in."""
    n = flag.shape[0]
    if n == 0:
        return np.zeros(0)
    brk = np.ones(n, dtype=bool)
    brk[1:] = (flag[1:] != flag[:-1]) | segs.first[1:]
    starts = np.flatnonzero(brk)
    lens = np.diff(np.concatenate((starts, [n])))
    return np.repeat(lens, lens).astype(np.float64)


def _main_body(gain: np.ndarray, segs: _Segs, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Per document, the [lo, hi] compact-line span with the largest sum of `gain`.

    Kadane's maximum-sum segment, vectorised over documents: with prefix sums
    P, the best segment ending at line j starts after argmin P[start..j-1].
    Returns lo, hi per document (hi < lo when no positive segment exists).
    """
    n = gain.shape[0]
    lo = np.zeros(n_docs, dtype=np.int64)
    hi = np.full(n_docs, -1, dtype=np.int64)
    if n == 0:
        return lo, hi
    P = np.cumsum(gain)
    Pprev = P - gain
    base = Pprev[segs.start]
    Pprev_loc = Pprev - base  # prefix sum before line j, 0 at the doc's first line
    # Segmented running minimum: shift documents apart so that the running
    # minimum restarts at each document (later documents lie far below).
    span = float(np.abs(gain).sum()) * 2.0 + 1.0
    shift = segs.doc * span
    shifted = Pprev_loc - shift
    rm_shifted = np.minimum.accumulate(shifted)
    runmin = rm_shifted + shift
    val = (P - base) - runmin
    starts = np.flatnonzero(segs.first)
    best = np.maximum.reduceat(val, starts)
    cand = np.flatnonzero(val == best[segs.doc] if n_docs == starts.size else val == _scatter(best, segs, starts, n_docs))
    docs_c = segs.doc[cand]
    _, firsts = np.unique(docs_c, return_index=True)
    j = cand[firsts]
    good = val[j] > 0
    j = j[good]
    d = segs.doc[j]
    hi[d] = j
    # segment start: the (latest) index where the running minimum at j was attained
    at_min = np.where(shifted == rm_shifted, segs.idx, -1)
    argmin_pos = np.maximum.accumulate(at_min)
    lo[d] = argmin_pos[j]
    return lo, hi


def _scatter(best: np.ndarray, segs: _Segs, starts: np.ndarray, n_docs: int) -> np.ndarray:
    """Per-line value of a per-non-empty-document array."""
    full = np.zeros(n_docs)
    full[segs.doc[starts]] = best
    return full[segs.doc]


# ---------------------------------------------------------------------------
# Batch feature extraction
# ---------------------------------------------------------------------------


# A line longer than this is scored on its two ends (MAX_LINE_CHARS in all):
# every feature has saturated long before (thousands of words, and the line
# starts and ends as it does), while the byte-level arrays below take about 30
# bytes for each byte of the batch: a 50 MB line took 1.5 GB and 10 s.
MAX_LINE_CHARS = 50_000


def _line_ends(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    half = MAX_LINE_CHARS // 2
    return f"{line[:half]} {line[-half:]}"


def batch_features(
    docs: Sequence[tuple[Sequence[str], Sequence[int] | None, int]],
    no_lang: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of the non-blank lines of many documents.

    docs: (lines, repeats or None, source_docs) per document.
    no_lang: per document, force the language-neutral regime (training).
    Returns (doc index per row, line index within its document per row,
    matrix [rows, len(FEATURES)]).
    """
    n_docs = len(docs)
    line_counts = np.fromiter((len(d[0]) for d in docs), dtype=np.int64, count=n_docs)
    all_lines: list[str] = []
    for d in docs:
        all_lines.extend(d[0])
    M = len(all_lines)
    F = len(FEATURES)
    if M == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, F))
    big = "\n".join(all_lines)
    if big.count("\n") != M - 1:  # a "line" contained a newline: flatten it
        all_lines = [x.replace("\n", " ") for x in all_lines]
        big = "\n".join(all_lines)
    if len(big) > MAX_LINE_CHARS and max(map(len, all_lines)) > MAX_LINE_CHARS:
        all_lines = [_line_ends(x) for x in all_lines]
        big = "\n".join(all_lines)
    line_doc = np.repeat(np.arange(n_docs), line_counts)
    ascii_only = big.isascii()
    b = big.encode("utf-8")
    a = np.frombuffer(b, dtype=np.uint8)
    n = a.shape[0]
    al = _lower_bytes(a, ascii_only)
    bl = al.tobytes()
    up = a != al

    # -- lines ------------------------------------------------------------------------
    nl = np.flatnonzero(a == 10)
    LS = np.concatenate(([0], nl + 1))
    LE = np.concatenate((nl, [n]))
    # First and last non-space byte of each line.  Most lines have no
    # surrounding space, so only the others are looked at in Python.
    first = LS.copy()
    last = LE - 1
    empty = LE <= LS
    ls_c = np.minimum(LS, n - 1)
    le_c = np.clip(LE - 1, 0, n - 1)
    odd = np.flatnonzero(empty | (a[ls_c] <= 32) | (a[le_c] <= 32) | (a[ls_c] == 0xC2) | (a[le_c] == 0xA0))
    nonblank = ~empty
    for i in odd.tolist():
        line = all_lines[i]
        st = line.strip()
        if not st:
            nonblank[i] = False
            continue
        nonblank[i] = True
        lead = len(line[: len(line) - len(line.lstrip())].encode("utf-8"))
        trail = len(line[len(line.rstrip()):].encode("utf-8"))
        first[i] = LS[i] + lead
        last[i] = LE[i] - 1 - trail
    first = np.minimum(first, max(n - 1, 0))
    last = np.clip(last, 0, max(n - 1, 0))

    # -- words --------------------------------------------------------------------------
    S, E = _word_bounds(a, ascii_only)
    wcum = np.searchsorted(S, nl)  # words before each newline
    nw_int = np.diff(np.concatenate(([0], wcum, [S.shape[0]])))
    wl = np.repeat(np.arange(M), nw_int)  # line of each word
    wcum_start = np.concatenate(([0], wcum))  # index of the first word of each line
    wdoc = line_doc[wl]
    keys = _word_keys(_windows(bl), S, E)
    masks = _lookup(keys)
    best, cov = _languages(masks, wdoc, n_docs)
    lang_ok = (best >= 0) & (cov >= MIN_STOP_COVERAGE)
    if no_lang is not None:
        lang_ok &= ~np.asarray(no_lang, dtype=bool)
    upx = np.concatenate((up, [False]))
    title = upx[S] | ((a[S] >= 0xC0) & upx[S + 1])
    L = E - S
    allcaps = (L >= 2) & up[S] & up[E - 1]
    digit = (a[S] - np.uint8(48) < 10) & (a[E - 1] - np.uint8(48) < 10)
    wbit = np.where(lang_ok, best, 0)[wdoc].astype(np.uint64)
    stop = ((masks >> wbit) & np.uint64(1)).astype(bool) & lang_ok[wdoc]
    nw = nw_int.astype(np.float64)
    n_title = np.bincount(wl, weights=title & ~digit, minlength=M)
    n_upper = np.bincount(wl, weights=allcaps, minlength=M)
    n_digit = np.bincount(wl, weights=digit, minlength=M)
    n_stop = np.bincount(wl, weights=stop, minlength=M)
    n_any = np.bincount(wl, weights=masks != 0, minlength=M)

    # -- sparse characters --------------------------------------------------------------
    def per_line(pos: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(nl, pos), minlength=M).astype(np.float64)

    sp_next = np.concatenate((a[1:] == 32, [False]))
    commas = [np.flatnonzero(a == 44)]
    marks = [np.flatnonzero(((a == 46) | (a == 33) | (a == 63)) & sp_next)]
    if not ascii_only:
        # The commas and sentence marks of scripts that write their own: "，"
        # "、" "،" and "。" "！" "？" inside a line (they take no space after).
        wide = np.flatnonzero(np.isin(a, (0xD8, 0xE3, 0xEF)))  # the lead bytes of all six
        commas.append(_codes_of(a, wide, _WIDE_COMMA_CODES))
        inside = _codes_of(a, wide, _WIDE_MARK_CODES)
        marks.append(inside[(inside + 3 < n) & (a[np.minimum(inside + 3, n - 1)] != 10)])
    n_comma = per_line(np.concatenate(commas))
    n_marks = per_line(np.concatenate(marks))
    sep = (a == 124) | (a == 62) | (a == 47) | (a == 92)  # | > / \\
    dash = np.flatnonzero(a == 45)  # " - " as a separator
    if dash.size:
        dash = dash[(dash > 0) & (dash < n - 1)]
        dash = dash[(a[dash - 1] == 32) & (a[dash + 1] == 32)]
    sep_pos = [np.flatnonzero(sep), dash]
    if not ascii_only:
        c2 = np.flatnonzero(a[:-1] == 0xC2)
        c2 = c2[np.isin(0xC200 | a[c2 + 1].astype(np.int64), _SEP_CODES_2)]
        e2 = np.flatnonzero(a[:-2] == 0xE2)
        code3 = 0xE20000 | (a[e2 + 1].astype(np.int64) << 8) | a[e2 + 2]
        e2d = e2[((code3 == 0xE28093) | (code3 == 0xE28094)) & (a[np.maximum(e2 - 1, 0)] == 32)]
        e2 = e2[np.isin(code3, _SEP_CODES_3)]
        sep_pos += [c2, e2, e2d]
    n_sep = per_line(np.concatenate(sep_pos))

    # -- dates, URLs, copyright: byte patterns, no regex -------------------------------
    # nchar: characters of the line (bytes minus UTF-8 continuation bytes)
    nchar = (LE - LS).astype(np.float64)
    if not ascii_only:
        nchar -= per_line(np.flatnonzero((a & 0xC0) == 0x80))
    a_pad = np.concatenate((np.zeros(3, np.uint8), a, np.zeros(3, np.uint8)))

    def ap(i):  # bytes around given offsets as int64 (0 outside the buffer)
        return a_pad[i + 3].astype(np.int64)

    def isdig(v):
        return (v >= 48) & (v <= 57)

    # time "9:30", numeric dates "12/05/2012" "2012-05-12" "3.5.12"
    col = np.flatnonzero(a == 58)
    col = col[isdig(ap(col - 1)) & isdig(ap(col + 1)) & isdig(ap(col + 2))]
    dsep = np.flatnonzero((a == 47) | (a == 46) | (a == 45))
    dsep = dsep[isdig(ap(dsep - 1)) & isdig(ap(dsep + 1))]
    n_dsep = per_line(dsep)
    # a 4-digit year 1900-2099 as a word
    s1 = ap(S + 1)
    year = (L == 4) & digit & (((a[S] == 49) & (s1 == 57)) | ((a[S] == 50) & (s1 == 48)))
    n_year = np.bincount(wl, weights=year, minlength=M)
    date = (per_line(col) > 0) | (n_dsep >= 2) | (n_year > 0)

    def at_lines(pos: np.ndarray) -> np.ndarray:
        hit = np.zeros(M, dtype=bool)
        if pos.size:
            hit[np.searchsorted(nl, pos)] = True
        return hit

    def find_all(needle: bytes) -> list[int]:
        out, j = [], b.find(needle)
        while j >= 0:
            out.append(j)
            j = b.find(needle, j + 1)
        return out

    at = np.flatnonzero(a == 64)  # e-mail, @handle
    cs = np.flatnonzero(a == 58)
    cs = cs[(ap(cs + 1) == 47) & (ap(cs + 2) == 47)]  # ://
    ws = np.flatnonzero(a == 119)
    ws = ws[(ap(ws + 1) == 119) & (ap(ws + 2) == 119) & (ap(ws + 3) == 46)]  # www.
    dc = np.flatnonzero(a == 46)
    dc = dc[(ap(dc + 1) == 99) & (ap(dc + 2) == 111) & (ap(dc + 3) == 109)]  # .com
    url = at_lines(np.concatenate((at, cs, ws, dc)))
    cpos = find_all(b"opyright") + find_all(b"ights reserved") + find_all(b"OPYRIGHT")
    if not ascii_only:
        cpos += find_all("©".encode("utf-8"))
    copy = at_lines(np.array(cpos, dtype=np.int64))
    # prices: $ or a currency code/sign within two bytes of a digit
    cur = [(np.flatnonzero(a == 36), 1)]
    for code in (b"EUR", b"USD", b"GBP"):
        cur.append((np.array(find_all(code), dtype=np.int64), 3))
    if not ascii_only:
        for sign in ("€", "£"):
            cur.append((np.array(find_all(sign.encode("utf-8")), dtype=np.int64), len(sign.encode("utf-8"))))
    hits = []
    for pos, ln in cur:
        near = isdig(ap(pos - 1)) | isdig(ap(pos - 2)) | isdig(ap(pos + ln)) | isdig(ap(pos + ln + 1))
        hits.append(pos[near])
    price = at_lines(np.concatenate(hits).astype(np.int64))

    # -- line starts and ends -----------------------------------------------------------
    def char_code_ending_at(p):  # p = index (into a) of a char's last byte
        c0, c1, c2_ = ap(p), ap(p - 1), ap(p - 2)
        two = c1 >= 0xC0
        three = (c1 < 0xC0) & (c2_ >= 0xE0)
        code = np.where(c0 < 0x80, c0, np.where(two, (c1 << 8) | c0, np.where(three, (c2_ << 16) | (c1 << 8) | c0, 0xF0)))
        clen = np.where(c0 < 0x80, 1, np.where(two, 2, np.where(three, 3, 4)))
        return code, clen

    end_code, end_len = char_code_ending_at(last)
    closer = np.isin(end_code, _CLOSER_CODES) & (last - end_len >= first)
    code2, _ = char_code_ending_at(np.maximum(last - end_len, 0))
    endc = np.where(closer, code2, end_code)
    endp = np.where(closer, last - end_len, last)  # last byte of the deciding char
    end_sent = np.isin(endc, _SENT_CODES)
    end_colon = endc == _COLON_CODE
    end_alnum = np.where(endc < 0x80, _LUT_ALNUM[np.minimum(endc, 255)], (endc >= 0xC380) & (endc < 0xE20000))
    end_ell = (endc == _ELLIPSIS_CODE) | ((endc == 46) & (ap(endp - 1) == 46) & (ap(endp - 2) == 46))
    f0, f1, f2 = ap(first), ap(first + 1), ap(first + 2)
    fcode = np.where(f0 < 0x80, f0, np.where(f0 < 0xE0, (f0 << 8) | f1, (f0 << 16) | (f1 << 8) | f2))
    start_bullet = np.isin(fcode, _BULLET_CODES)
    start_lower = _LUT_LOWER[np.minimum(f0, 255)]
    if not ascii_only:
        for i in np.flatnonzero(nonblank & (f0 >= 0xC0)).tolist():
            start_lower[i] = all_lines[i].lstrip()[:1].islower()

    # -- compact to non-blank lines ----------------------------------------------------
    sel = np.flatnonzero(nonblank)
    doc = line_doc[sel]
    segs = _Segs(doc, n_docs)
    C = len(sel)

    def c(x):
        return x[sel]

    nw_c = c(nw)
    nwd = np.maximum(nw_c, 1.0)
    n_alpha = np.maximum(nw_c - c(n_digit), 1.0)
    lok = lang_ok[doc]
    stop_share = np.where(lok, c(n_stop) / nwd, NEUTRAL_STOP_SHARE)
    es = c(end_sent)
    log_words = np.log1p(nw_c)

    # duplicates inside a document: equal word sequences (case-insensitive).
    # A line's key is a float sum of its word keys weighted by position:
    # equal lines give equal sums; different lines collide only by accident.
    hkeys = keys * _GOLD  # mixed: short words differ in the high bits too
    wkey = (hkeys >> np.uint64(11)).astype(np.float64) * (1.0 + 1e-3 * (np.arange(S.shape[0]) - wcum_start[wl]))
    lkey = np.bincount(wl, weights=wkey, minlength=M)[sel]
    dup = np.zeros(C, dtype=bool)
    dup_later = np.zeros(C, dtype=bool)
    if C > 1:
        order = np.lexsort((lkey, doc))
        ks, ds = lkey[order], doc[order]
        same = (ks[1:] == ks[:-1]) & (ds[1:] == ds[:-1])
        if same.any():
            dup[order[1:][same]] = True
            dup[order[:-1][same]] = True
            dup_later[order[1:][same]] = True  # lexsort is stable: later copies come later
    has_words = nw_c > 0
    dup &= has_words
    dup_later &= has_words

    # listing rows: lines of 2+ words sharing their first and last word with
    # other lines of the document (numbers count as one word): "from € 72.10",
    # "512 reviews", "Posted on X ... Replies (0)".  Exact copies excluded.
    shape_rep = np.zeros(C)
    if C > 1 and S.shape[0]:
        wk = np.where(digit, np.uint64(0x5EED), hkeys)
        nwl = nw_int[sel]
        fw = wcum_start[sel]
        many = nwl >= 2
        kf = wk[np.minimum(fw, S.shape[0] - 1)]
        kl = wk[np.minimum(fw + np.maximum(nwl, 1) - 1, S.shape[0] - 1)]
        skey = ((kf >> np.uint64(12)).astype(np.float64) * 3.0 + (kl >> np.uint64(12)).astype(np.float64))
        skey = np.where(many, skey, -1.0 - np.arange(C))  # shorter lines match nothing
        order = np.lexsort((skey, doc))
        ks, ds = skey[order], doc[order]
        brk = np.ones(C, dtype=bool)
        brk[1:] = (ks[1:] != ks[:-1]) | (ds[1:] != ds[:-1])
        gstart = np.flatnonzero(brk)
        glen = np.diff(np.concatenate((gstart, [C])))
        cnt = np.empty(C)
        cnt[order] = np.repeat(glen, glen) - 1
        shape_rep = np.where(many & ~dup, np.log1p(np.minimum(cnt, 50.0)), 0.0)

    # prose lines and the main body
    prose = (nw_c >= 10) & es & (stop_share >= 0.15)
    short = (nw_c <= 6) & ~es
    gain = np.where(prose, nw_c, -(2.0 + 0.5 * nw_c))
    lo, hi = _main_body(gain, segs, n_docs)
    lo_l, hi_l = lo[doc], hi[doc]
    has_body = hi_l >= lo_l
    before = has_body & (segs.idx < lo_l)
    after = has_body & (segs.idx > hi_l)
    dist = np.where(before, lo_l - segs.idx, np.where(after, segs.idx - hi_l, 0))
    csum = np.cumsum(nw_c)
    doc_tok = np.bincount(doc, weights=nw_c, minlength=n_docs)
    doc_prose = np.bincount(doc, weights=nw_c * prose, minlength=n_docs)
    base = np.concatenate(([0.0], csum))[segs.start]
    total = np.maximum(doc_tok[doc], 1.0)
    tok_before = (csum - nw_c - base) / total
    tok_after = 1.0 - (csum - base) / total
    rel_pos = (segs.idx - segs.start) / np.maximum(segs.end - segs.start - 1, 1)

    run = _run_lengths(short, segs)
    plain = ~es & (nw_c <= 25)
    plain_run = _run_lengths(plain, segs)
    titlelike = ~es & (nw_c <= 25) & (c(n_title) / n_alpha >= 0.5)

    # repeats
    rep_known = np.zeros(C)
    rep = np.zeros(M)
    known_docs = np.zeros(n_docs, dtype=bool)
    off = 0
    for di, (lines_, reps, src) in enumerate(docs):
        k = len(lines_)
        if reps is not None and src > 1 and k:
            if len(reps) != k:
                raise ValueError("repeats must have one entry per line")
            rep[off:off + k] = reps
            known_docs[di] = True
        off += k
    rep_c = np.minimum(c(rep), 50.0) * has_words
    rep_known = known_docs[doc].astype(np.float64)
    rep_any = rep_c >= 1

    cols: list = [None] * F
    cols[_F["log_words"]] = log_words
    cols[_F["words_le2"]] = nw_c <= 2
    cols[_F["words_ge15"]] = nw_c >= 15
    cols[_F["log_chars_per_word"]] = np.log1p(np.minimum(c(nchar) / nwd, 40.0))
    cols[_F["end_sentence"]] = es
    cols[_F["end_colon"]] = c(end_colon)
    cols[_F["end_ellipsis"]] = c(end_ell)
    cols[_F["end_alnum"]] = c(end_alnum)
    cols[_F["start_lower"]] = c(start_lower)
    cols[_F["start_bullet"]] = c(start_bullet)
    cols[_F["stop_share"]] = stop_share
    cols[_F["stop_share_x_long"]] = stop_share * (nw_c >= 8)
    cols[_F["no_lang"]] = ~lok
    cols[_F["foreign_share"]] = np.where(lok, np.maximum(c(n_any) / nwd - stop_share, 0.0), 0.0)
    cols[_F["title_share"]] = c(n_title) / n_alpha
    cols[_F["upper_share"]] = c(n_upper) / n_alpha
    cols[_F["digit_share"]] = c(n_digit) / nwd
    cols[_F["commas_per_word"]] = np.minimum(c(n_comma) / nwd, 1.0)
    cols[_F["log_sentence_marks"]] = np.log1p(c(n_marks))
    cols[_F["log_separators"]] = np.log1p(c(n_sep))
    cols[_F["counter_like"]] = (c(n_digit) > 0) & (nw_c <= 4) & ~es
    cols[_F["date_short"]] = c(date) & (nw_c <= 12)
    cols[_F["url"]] = c(url)
    cols[_F["copyright"]] = c(copy)
    cols[_F["dup_in_doc"]] = dup
    cols[_F["dup_not_first"]] = dup_later
    cols[_F["shape_rep"]] = shape_rep
    cols[_F["price"]] = c(price)
    cols[_F["rel_pos"]] = rel_pos
    cols[_F["tok_before"]] = tok_before
    cols[_F["tok_after"]] = tok_after
    cols[_F["before_body"]] = before
    cols[_F["after_body"]] = after
    cols[_F["log_dist_body"]] = np.log1p(dist)
    cols[_F["doc_prose_share"]] = (doc_prose / np.maximum(doc_tok, 1.0))[doc]
    doc_lines = np.bincount(doc, minlength=n_docs).astype(np.float64)
    cols[_F["doc_log_lines"]] = np.log1p(doc_lines)[doc]
    mean_lw = np.bincount(doc, weights=log_words, minlength=n_docs) / np.maximum(doc_lines, 1.0)
    cols[_F["rel_log_words"]] = log_words - mean_lw[doc]
    cols[_F["prev_log_words"]] = segs.prev(log_words)
    cols[_F["next_log_words"]] = segs.next(log_words)
    cols[_F["prev_end_sentence"]] = segs.prev(es.astype(np.float64))
    cols[_F["next_end_sentence"]] = segs.next(es.astype(np.float64))
    cols[_F["short_run"]] = np.where(short, np.log1p(run), 0.0)
    cols[_F["win_prose"]] = segs.window_mean(prose.astype(np.float64), 3)
    cols[_F["win_short"]] = segs.window_mean(short.astype(np.float64), 3)
    cols[_F["plain_run"]] = np.where(plain, np.log1p(plain_run), 0.0)
    cols[_F["win_titlelike"]] = segs.window_mean(titlelike.astype(np.float64), 3)
    cols[_F["rep_known"]] = rep_known
    cols[_F["rep_any"]] = rep_any
    cols[_F["rep_log"]] = np.log1p(rep_c)
    cols[_F["rep_long"]] = rep_any & (nw_c >= 12)
    cols[_F["win_rep"]] = segs.window_mean(rep_any.astype(np.float64), 2) * rep_known
    # Features as rows of a float32 array (returned transposed): filling rows
    # is cheap and `np.einsum` over it is much faster than a BLAS gemv here.
    Xt = np.empty((F, C), dtype=np.float32)
    for j, col in enumerate(cols):
        Xt[j] = col
    X = Xt.T
    line_in_doc = sel - np.concatenate(([0], np.cumsum(line_counts)[:-1]))[doc]
    return doc, line_in_doc, X



def context_features(z1: np.ndarray, doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Stage-2 columns from the stage-1 logits of the (non-blank) lines."""
    segs = _Segs(doc, n_docs)
    if z1.shape[0] == 0:
        return np.zeros((0, len(CONTEXT_FEATURES)))
    return np.stack(
        [segs.prev(z1, 0.0), segs.next(z1, 0.0), segs.window_mean(z1, 3), segs.window_mean(z1, 10)],
        axis=1,
    )


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1.0 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


class _Linear:
    """Standardised linear scorer: z = b + sum_j w_j (x_j - mean_j) / scale_j."""

    def __init__(self, spec: dict, names: Sequence[str]):
        if list(spec["features"]) != list(names):
            raise ValueError("model file does not match the feature list of this code")
        self.names = tuple(names)
        self.w = np.asarray(spec["weights"], dtype=np.float64)
        self.mean = np.asarray(spec["means"], dtype=np.float64)
        self.scale = np.asarray(spec["scales"], dtype=np.float64)
        self.b = float(spec["bias"])
        # Folded form for speed: z = X @ wf + bf.
        self.wf = self.w / self.scale
        self.bf = self.b - float(self.mean @ self.wf)
        self.wf32 = self.wf.astype(np.float32)

    def logits(self, X: np.ndarray, cols: slice = slice(None)) -> np.ndarray:
        """z for rows of X (X[:, j] = feature j; uses the weights of `cols` only, no bias if partial)."""
        w = self.wf32[cols]
        z = np.einsum("jc,j->c", np.asarray(X, dtype=np.float32).T, w).astype(np.float64)
        return z + self.bf if cols == slice(None) else z

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return self.w * (x - self.mean) / self.scale


def _default_path():
    return resources.files("cleaner").joinpath("models").joinpath("line_model.json")


Doc = tuple  # (lines, repeats | None, source_docs)


class LineModel:
    """Two-stage line classifier (logistic, then trees); see the module docstring."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.stage1 = _Linear(spec["stage1"], FEATURES)
        # Stage 2: boosted trees when the model has them (see `cleaner.trees`),
        # else the logistic regression of earlier model files.
        if "stage2_trees" in spec:
            self.stage2 = BoostedTrees(spec["stage2_trees"], FEATURES + CONTEXT_FEATURES)
        else:
            self.stage2 = _Linear(spec["stage2"], FEATURES + CONTEXT_FEATURES)
        # A model with trees keeps its logistic second stage too, as the scores
        # the duplicate stage judges removals by (`score_batch_for_cleaning`).
        self.comparison: _Linear | None = (
            _Linear(spec["stage2"], FEATURES + CONTEXT_FEATURES)
            if "stage2_trees" in spec and "stage2" in spec else None)
        # Texts of fewer non-blank lines than this are scored by the logistic
        # stage, its logit moved by `short_text_shift` so that its own threshold
        # falls on the model's: the trees learnt from whole scraped pages, and
        # on an article pasted alone, a poem or a two-paragraph note their
        # page-level splits (share of prose, page length) have nothing to stand
        # on: they removed paragraphs the logistic stage keeps.
        self.trees_min_lines = int(spec.get("trees_min_lines", 0)) if self.comparison is not None else 0
        self.short_text_shift = (_logit(float(spec["threshold"])) - _logit(float(spec["logistic_threshold"]))
                                 if self.trees_min_lines else 0.0)
        #: P(boilerplate) >= threshold -> remove the line.
        self.threshold: float = float(spec["threshold"])
        # CCNet-style prior: a line found in >= min_repeats OTHER articles of
        # the same source gets `logit` added.  The training sets have no site
        # structure (a set file is only a weak stand-in for a site), so the
        # learnt repeat weights understate what a site-level repeat means.
        prior = spec.get("rep_prior") or {"min_repeats": 2, "logit": 0.0}
        self.rep_prior_min = float(prior["min_repeats"])
        self.rep_prior_logit = float(prior["logit"])

    def _rep_prior(self, X: np.ndarray) -> np.ndarray:
        if self.rep_prior_logit == 0.0 or X.shape[0] == 0:
            return np.zeros(X.shape[0])
        j = _F["rep_log"]
        hit = (X[:, j] >= np.log1p(self.rep_prior_min) - 1e-4) & (X[:, _F["rep_known"]] > 0.5)
        return hit * self.rep_prior_logit

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> "LineModel":
        """The bundled model (cached), or the model in `path`."""
        return _load_cached(str(path) if path is not None else None)

    @classmethod
    def from_file(cls, path: str | Path) -> "LineModel":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    # -- inference ---------------------------------------------------------------------
    def forward(self, docs: Sequence[Doc], no_lang=None):
        """(doc per row, line per row, features, context features, logits) for a batch."""
        return self._forward(docs, no_lang)[:5]

    def _forward(self, docs: Sequence[Doc], no_lang=None, comparison: bool = False):
        """`forward`, plus the comparison stage's logits when `comparison` is
        asked for (None otherwise).  The logistic logits are computed once,
        for the short texts and the comparison alike, and the trees only when
        some document of the batch is long enough for them."""
        doc, line, X = batch_features(docs, no_lang)
        z1 = self.stage1.logits(X)
        ctx = context_features(z1, doc, len(docs))
        if not isinstance(self.stage2, BoostedTrees):
            return doc, line, X, ctx, self._linear_logits(self.stage2, X, ctx), None
        short = self._short_rows(doc, len(docs))
        z_lin = self._linear_logits(self.comparison, X, ctx) if comparison or short.any() else None
        if z_lin is not None and short.all():  # (one article through a pipe: no tree to evaluate)
            z2 = z_lin + self.short_text_shift
        else:
            z2 = self.stage2.logits(np.vstack([X.T.astype(np.float64), ctx.T])) + self._rep_prior(X)
            if short.any():
                z2 = np.where(short, z_lin + self.short_text_shift, z2)
        return doc, line, X, ctx, z2, z_lin

    def _short_rows(self, doc: np.ndarray, n_docs: int) -> np.ndarray:
        """Rows of the documents with fewer than `trees_min_lines` non-blank lines."""
        if not self.trees_min_lines:
            return np.zeros(doc.shape[0], dtype=bool)
        return (np.bincount(doc, minlength=n_docs) < self.trees_min_lines)[doc]

    def _linear_logits(self, stage2: _Linear, X: np.ndarray, ctx: np.ndarray) -> np.ndarray:
        nf = len(FEATURES)
        return (stage2.logits(X, slice(0, nf)) + stage2.logits(ctx, slice(nf, None))
                + stage2.bf + self._rep_prior(X))

    def score_batch(self, docs: Sequence[Doc]) -> list[list[float]]:
        """P(boilerplate) per line for each (lines, repeats | None, source_docs) document."""
        return self.score_batch_and_language(docs)[0]

    def score_batch_and_language(self, docs: Sequence[Doc]) -> tuple[list[list[float]], list[bool]]:
        """`score_batch`, and for each document whether a stop-word list fit
        it (False: the model scored it without its strongest prose signal).

        Scoring takes 2-3 KB a line while it runs, so documents are scored
        at most MAX_BATCH_LINES lines at a time: consecutive documents
        together up to that many lines (the scores do not depend on which
        documents share a call), and a document longer than that in pieces
        of that many lines, each scored as a page of its own."""
        probs, _, has_language = self._score_all(docs, comparison=False)
        return probs, has_language

    def score_batch_for_cleaning(
        self, docs: Sequence[Doc]
    ) -> tuple[list[list[float]], list[list[float]] | None, list[bool]]:
        """`score_batch_and_language`, plus the scores of the logistic second
        stage for a model whose second stage is trees (None otherwise): the
        duplicate stage judges the model's removals by those (see
        `dedupview.dedup_text`)."""
        return self._score_all(docs, comparison=self.comparison is not None)

    def _score_all(self, docs: Sequence[Doc], comparison: bool):
        out: list[list[float]] = []
        compared: list[list[float]] | None = [] if comparison else None
        has_language: list[bool] = []
        for group, pieces in _score_groups(docs):
            if pieces is None:
                probs, second, known = self._score_group(group, comparison)
                out.extend(probs)
                has_language.extend(known)
                if compared is not None:
                    compared.extend(second)
            else:  # the pieces of one long document, one at a time
                scored = [self._score_group([piece], comparison) for piece in group]
                out.append([p for probs, _, _ in scored for p in probs[0]])
                has_language.append(any(known[0] for _, _, known in scored))
                if compared is not None:
                    compared.append([p for _, second, _ in scored for p in second[0]])
        return out, compared, has_language

    def _score_group(self, docs: Sequence[Doc], comparison: bool = False):
        """(P per line per document, the comparison stage's too or None,
        whether a stop-word list fit each document)."""
        if not any(line.strip() for d in docs for line in d[0]):  # (a long document's last piece can be blank)
            blank = [[0.0] * len(d[0]) for d in docs]
            return blank, ([[0.0] * len(d[0]) for d in docs] if comparison else None), [True] * len(docs)
        doc, line, X, _, z, z_lin = self._forward(docs, comparison=comparison)
        has_language = [True] * len(docs)
        for d in np.unique(doc[X[:, _F["no_lang"]] > 0.5]).tolist():
            has_language[d] = False
        out = self._per_document(docs, doc, line, _sigmoid(z))
        second = self._per_document(docs, doc, line, _sigmoid(z_lin)) if comparison else None
        return out, second, has_language

    @staticmethod
    def _per_document(docs: Sequence[Doc], doc: np.ndarray, line: np.ndarray, p: np.ndarray) -> list[list[float]]:
        """Scores of the non-blank lines spread into a list per document (0.0 for blank lines)."""
        out = [[0.0] * len(d[0]) for d in docs]
        if p.shape[0] == sum(len(o) for o in out):  # no blank lines: fast path
            pl = p.tolist()
            k = 0
            for o in out:
                o[:] = pl[k:k + len(o)]
                k += len(o)
            return out
        for d, i, v in zip(doc.tolist(), line.tolist(), p.tolist()):
            out[d][i] = v
        return out

    def score(
        self,
        lines: Sequence[str],
        repeats: Sequence[int] | None = None,
        source_docs: int = 1,
    ) -> list[float]:
        """P(boilerplate) for each line of one document (0.0 for blank lines).

        repeats[i]: in how many OTHER distinct articles of the same source line
        i's `textnorm.line_key` occurs (None when unknown); source_docs: how
        many documents of the source the counter has seen (1 = no evidence).
        """
        if repeats is not None and len(repeats) != len(lines):
            raise ValueError("repeats must have one entry per line")
        return self.score_batch([(lines, repeats, source_docs)])[0]

    def keep_from_scores(self, lines: Sequence[str], probs: Sequence[float],
                         threshold: float | None = None) -> list[bool]:
        """Lines to keep (P < threshold), never emptying a document that has text.

        If every non-blank line would be removed, the line(s) least likely to be
        boilerplate are kept: a document reduced to nothing is lost data, and
        the caller may still drop it by its own rules.
        """
        t = self.threshold if threshold is None else threshold
        keep = [p < t for p in probs]
        nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
        if nonblank and not any(keep[i] for i in nonblank):
            best = min(probs[i] for i in nonblank)
            for i in nonblank:
                if probs[i] <= best + 1e-9:
                    keep[i] = True
        return keep

    def keep_mask(self, lines: Sequence[str], repeats: Sequence[int] | None = None,
                  source_docs: int = 1, threshold: float | None = None) -> list[bool]:
        """`keep_from_scores` applied to `score(lines, repeats, source_docs)`."""
        return self.keep_from_scores(lines, self.score(lines, repeats, source_docs), threshold)

    def explain(
        self,
        lines: Sequence[str],
        i: int,
        repeats: Sequence[int] | None = None,
        source_docs: int = 1,
        top: int = 10,
    ) -> list[tuple[str, float]]:
        """Top feature contributions (logit units, + = towards boilerplate) for line i.

        The list starts with ("p_boilerplate", P) and ("bias", b), followed by
        the `top` features with the largest |contribution|, each as
        ("name=value", contribution).  P = sigmoid(bias + all contributions).
        A document longer than MAX_BATCH_LINES is explained from the piece the
        line is in, as `score_batch` scored it.
        """
        if len(lines) > MAX_BATCH_LINES:
            start = i - i % MAX_BATCH_LINES
            lines = lines[start:start + MAX_BATCH_LINES]
            repeats = None if repeats is None else repeats[start:start + MAX_BATCH_LINES]
            i -= start
        doc, line, X, ctx, z = self.forward([(lines, repeats, source_docs)])
        rows = np.flatnonzero(line == i)
        if rows.size == 0:
            return [("p_boilerplate", 0.0), ("blank line", 0.0)]
        row = int(rows[0])
        x = np.concatenate([X[row], ctx[row]]).astype(np.float64)
        stage2 = self.stage2
        extra_names, extra = ["rep_prior"], [self._rep_prior(X[row:row + 1])[0]]
        if isinstance(stage2, BoostedTrees) and self._short_rows(doc, 1)[row]:
            stage2 = self.comparison  # a short text: the logistic stage scored it
            extra_names.append("short_text")
            extra.append(self.short_text_shift)
        names = list(stage2.names) + extra_names
        contrib = np.append(stage2.contributions(x), extra)
        x = np.append(x, [float(v != 0.0) for v in extra])
        order = np.argsort(-np.abs(contrib), kind="stable")[:top]
        out: list[tuple[str, float]] = [
            ("p_boilerplate", float(_sigmoid(z[row:row + 1])[0])),
            ("bias", stage2.bias if isinstance(stage2, BoostedTrees) else stage2.b),
        ]
        for j in order.tolist():
            out.append((f"{names[j]}={x[j]:.3g}", float(contrib[j])))
        return out


# Lines scored in one call at most (see LineModel.score_batch_and_language).
MAX_BATCH_LINES = 50_000


def _score_groups(docs: Sequence[Doc]):
    """(documents, None) for runs of consecutive documents of at most
    MAX_BATCH_LINES lines together, and (pieces, True) for a longer document
    cut into pieces of MAX_BATCH_LINES lines."""
    group: list = []
    lines = 0
    for d in docs:
        n = len(d[0])
        if n > MAX_BATCH_LINES:
            if group:
                yield group, None
                group, lines = [], 0
            k = MAX_BATCH_LINES
            yield [(d[0][i:i + k], None if d[1] is None else d[1][i:i + k], d[2]) for i in range(0, n, k)], True
            continue
        if group and lines + n > MAX_BATCH_LINES:
            yield group, None
            group, lines = [], 0
        group.append(d)
        lines += n
    if group:
        yield group, None


@lru_cache(maxsize=4)
def _load_cached(path: str | None) -> LineModel:
    if path is None:
        with _default_path().open("r", encoding="utf-8") as f:
            return LineModel(json.load(f))
    return LineModel.from_file(path)
