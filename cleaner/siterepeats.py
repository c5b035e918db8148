"""Cross-document repeated lines: lines that recur across the articles of a site.

A menu, a footer or a "most read" list is printed on every page of a site,
while an article's sentences are printed on its own page (CCNet removed Common
Crawl boilerplate this way).  So a line whose normal form occurs in several
*different articles* of the same source is boilerplate there.

Copies of one article (re-crawls, syndicated copies on the same site, light
edits) must not vote for each other: that would turn the article's own body
into "boilerplate" and hide exactly the duplicates the dedup stage must find.
So every line remembers which pages hold it, and when a page D is cleaned,
each page X sharing its lines is judged: X is a *copy* of D when the lines of
D that X does not hold add up to only a few words (`COPY_MAX_MISSING_WORDS`,
and a small share of D; lines the phrase rules removed from D do not count).
The test counts missing words, not a share, on purpose: another article in
the same long template holds the whole template but misses all of D's own
paragraphs, however small a share of the page they are; a copy misses only
the few lines an editor touched.  An edited line still counts as held when X
holds a line with the same first or last five words (`NEAR_LINE_WORDS`).  A
line of D is then repeated when pages that are not copies of D hold it.

Judging at cleaning time, with the counts of the whole pass (or of the
look-ahead window on a stream), means the first page of a site is judged
with the same evidence as the last, and no page is tied to a copy decision
made before the rest of the site was seen.

When the copy test misses anyway (a heavy edit), a page would lose its body;
so a page whose prose nearly all repeats keeps its prose lines
(`_protected_prose`).

Memory: one table entry per distinct (source, line) pair, plus two per line
of `NEAR_LINE_MIN_WORDS` words or more (its first and last words): the number
of pages holding it and the ordinals of the first `MAX_PAGES` of them.  Past
`max_entries` entries, the entries held by a single page are dropped (they
are the bulk, and a line seen once is no evidence yet); the table then stays
within about max_entries x 200 bytes (5M entries: ~1 GB).
"""
from __future__ import annotations

from collections import Counter
from itertools import chain, islice
from typing import Iterable

import xxhash

from .dedupview import PROSE_MIN_WORDS, ends_sentence
from .document import Document
from .textnorm import fold_lines, folded_keys

# Page X is a copy of page D when D's lines that X does not hold (exactly or
# nearly) add up to fewer words than this: a light edit touches a few lines,
# another article misses all of D's paragraphs.
COPY_MAX_MISSING_WORDS = 60
# ... and fewer than this share of D's words, so that on short pages another
# article (whose own paragraphs are under 60 words) is not taken for a copy.
COPY_MAX_MISSING_SHARE = 0.3
# Lines of at least NEAR_LINE_MIN_WORDS words are also indexed by their first
# and by their last NEAR_LINE_WORDS words, so that a line with a word changed
# in the middle, or at one end, is still held by the page that changed it.
NEAR_LINE_MIN_WORDS = 10
NEAR_LINE_WORDS = 5
# Pages listed per line: enough to judge copies; pages past these count as
# other articles unless every listed page is a copy.
MAX_PAGES = 8
# A document keeps its repeated prose lines when at least this share of its
# prose words repeats (and it has at least this many prose words): see
# SiteRepeats._protected_prose.
PROTECT_REPEATED_SHARE = 0.8
PROTECT_MIN_PROSE_WORDS = 20


def _hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


def _near_hashes(source: str, key: str) -> tuple[int, ...]:
    """Table hashes of a long line's first and last words (one space between
    words in a key: a line of NEAR_LINE_MIN_WORDS words has at least twice
    as many characters, less one; the length is tested first, it is cheaper)."""
    if len(key) < 2 * NEAR_LINE_MIN_WORDS - 1 or key.count(" ") < NEAR_LINE_MIN_WORDS - 1:
        return ()
    parts = key.split(" ")
    return (_hash(f"{source}\x01{' '.join(parts[:NEAR_LINE_WORDS])}"),
            _hash(f"{source}\x02{' '.join(parts[-NEAR_LINE_WORDS:])}"))


def line_keys(doc: Document) -> list[str]:
    """line_key of every line ('' for blank ones), computed once per document."""
    keys = doc.scratch.get("keys")
    if keys is None:  # the first pass: no line rules ran
        keys = doc.scratch["keys"] = folded_keys(fold_lines(doc.lines)) if doc.lines else []
    return keys


class SiteRepeats:
    """Counts lines per source across distinct articles; removes the repeated ones."""

    name = "site_repeats"

    def __init__(self, min_docs: int = 2, max_entries: int = 5_000_000):
        # A line must occur in `min_docs` distinct articles (this one included).
        self.min_docs = max(2, min_docs)
        self.max_entries = max_entries
        # table hash -> [pages holding it, ordinals of the first MAX_PAGES of them]
        self.table: dict[int, list[int]] = {}
        self.pages = 0
        self.source_docs: Counter = Counter()
        self.stats: Counter = Counter()

    def _line_hashes(self, doc: Document) -> list[int | None]:
        hashes = doc.scratch.get("line_hashes")
        if hashes is None:
            prefix = doc.source + "\x00"
            hashes = [_hash(prefix + k) if k else None for k in line_keys(doc)]
            doc.scratch["line_hashes"] = hashes
        return hashes

    def _near_line_hashes(self, doc: Document) -> list[tuple[int, ...]]:
        """_near_hashes of every line, computed once per document (a stream
        counts a document, then cleans it)."""
        near = doc.scratch.get("near_hashes")
        if near is None:
            source = doc.source
            near = doc.scratch["near_hashes"] = [_near_hashes(source, key) for key in line_keys(doc)]
        return near

    def observe(self, doc: Document) -> None:
        """Count the document's lines (first pass, or entering the window)."""
        self.count(doc.source, self.held_hashes(doc))

    def held_hashes(self, doc: Document) -> set[int]:
        """The table hashes of a document: its lines, and the first and last
        words of its long lines (the half of `observe` that reads only the
        document, so that it can run anywhere)."""
        held = {h for h in self._line_hashes(doc) if h is not None}
        held.update(chain.from_iterable(self._near_line_hashes(doc)))
        return held

    def count(self, source: str, held: Iterable[int]) -> None:
        """Count a page of `source` holding the table hashes `held`; pages are
        numbered in the order they are counted."""
        page = self.pages
        self.pages += 1
        self.source_docs[source] += 1
        table = self.table
        for h in held:
            entry = table.get(h)
            if entry is None:
                table[h] = [1, page]
            else:
                entry[0] += 1
                if len(entry) <= MAX_PAGES:
                    entry.append(page)
        if len(table) > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        before = len(self.table)
        self.table = {h: e for h, e in self.table.items() if e[0] > 1}
        self.stats["pruned_entries"] += before - len(self.table)

    def repeats(self, doc: Document) -> list[int]:
        """For each line, how many pages of the source that are not copies of
        this document hold it."""
        table = self.table
        entries = [table.get(h) if h is not None else None for h in self._line_hashes(doc)]
        if not any(entry is not None and entry[0] > 1 for entry in entries):
            return [0] * len(entries)  # no line of it is on another page
        is_copy = self._copies(doc, entries).__contains__
        out = []
        for entry in entries:
            if entry is None or entry[0] < 2:
                out.append(0)
                continue
            listed = len(entry) - 1
            others = listed - sum(map(is_copy, islice(entry, 1, None)))
            out.append(others + entry[0] - listed if others else 0)
        return out

    def _copies(self, doc: Document, entries: list[list[int] | None]) -> set[int]:
        """The pages that miss at most COPY_MAX_MISSING_WORDS words (and
        COPY_MAX_MISSING_SHARE) of the document, the document itself among them.

        Lines the in-document rules removed already are not counted: a copy
        that lost its "Read also" links or its share buttons (or was cleaned
        already) is still a copy."""
        total = 0
        held: dict[int, int] = {}
        for key, entry, removal, near in zip(line_keys(doc), entries, doc.removed, self._near_line_hashes(doc)):
            if not key or removal is not None:
                continue
            words = key.count(" ") + 1
            if entry is None:  # pruned or never counted: held by this page only
                total += words
                continue
            if entry[0] >= len(entry):
                continue  # an unlisted page may hold it: no evidence either way
            if near:
                holders = self._holders(entry, near)
                if holders is None:
                    continue
            else:  # a short line
                holders = islice(entry, 1, None)
            total += words
            for page in holders:
                held[page] = held.get(page, 0) + words
        most = min(COPY_MAX_MISSING_WORDS, COPY_MAX_MISSING_SHARE * total)
        return {page for page, words in held.items() if total - words <= most}

    def _holders(self, entry: list[int], near_hashes) -> list[int] | set[int] | None:
        """The pages holding a line exactly or nearly; None when some of them
        are not listed (past MAX_PAGES)."""
        if entry[0] >= len(entry):
            return None
        holders = entry[1:]
        for h in near_hashes:
            near = self.table.get(h)
            if near is not None:
                if near[0] >= len(near):
                    return None
                holders = set(holders)
                holders.update(islice(near, 1, None))
        return holders

    def apply(self, doc: Document) -> None:
        counts = self.repeats(doc)
        doc.scratch["repeats"] = counts
        threshold = self.min_docs - 1
        repeated = [n >= threshold and doc.removed[i] is None for i, n in enumerate(counts)]
        protected = self._protected_prose(doc, repeated)
        for i, is_repeat in enumerate(repeated):
            if is_repeat and i not in protected:
                doc.remove(i, "site_repeat", float(counts[i] + 1))
                self.stats["lines_removed"] += 1

    def _protected_prose(self, doc: Document, repeated: list[bool]) -> set[int]:
        """Prose lines to keep although they repeat: when nearly all of a
        document's prose repeats elsewhere on the site, the likelier story is
        copies of this article that the copy test missed (a heavy edit), not
        a page without a body.  A template's prose (a bio, a disclaimer) is a
        small part of an article page's prose, so it is still removed there."""
        if not any(repeated):
            return set()
        words = {}  # prose line -> its words
        for i, line in enumerate(doc.lines):
            # is_prose, with the cheap test first: most lines do not end a sentence
            if doc.removed[i] is None and ends_sentence(line) and (n := len(line.split())) >= PROSE_MIN_WORDS:
                words[i] = n
        total = sum(words.values())
        if total < PROTECT_MIN_PROSE_WORDS:
            return set()
        repeated_words = sum(w for i, w in words.items() if repeated[i])
        if repeated_words < PROTECT_REPEATED_SHARE * total:
            return set()
        self.stats["documents_protected"] += 1
        return {i for i in words if repeated[i]}
