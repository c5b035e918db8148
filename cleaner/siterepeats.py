"""Cross-document repeated lines: lines that recur across the articles of a site.

A menu, a footer or a "most read" list is printed on every page of a site,
while an article's sentences are printed on its own page (CCNet removed Common
Crawl boilerplate this way).  So a line whose normal form occurs in several
*different articles* of the same source is boilerplate there.

Copies of one article (re-crawls, syndicated copies on the same site, light
edits) must not vote for each other: that would turn the article's own body
into "boilerplate" and hide exactly the duplicates the dedup stage must find.
So each document joins an *article group* when it arrives: its fingerprint is
the bottom-8 hashes of the long lines of its main prose block (its paragraphs,
not the template's), and a document whose fingerprint shares a quarter of its
hashes with an earlier one of the same source is a version of that article.  Lines then count groups, not documents.
When that grouping misses copies anyway (the main block of a page can be a
template paragraph), a page would lose its whole body; so a page whose prose
nearly all repeats keeps its prose lines (`_protected_prose`).

Memory: one table entry per distinct (source, line) pair holding up to
`MAX_GROUPS` group ids, plus 8 fingerprint entries per article group for at
most `max_groups` groups (the older half is forgotten past that: a copy that
arrives two million articles later counts as a new article).  Past
`max_entries` line entries, the entries seen in a single group are dropped
(they are the bulk, and a line seen once is no evidence yet): about
max_entries x 150 bytes at most (5M entries: ~750 MB) for the line table.
"""
from __future__ import annotations

from collections import Counter

import xxhash

from .dedupview import is_prose, main_block
from .document import Document
from .textnorm import line_key

# Lines of at least this many words identify an article (its paragraphs).
LONG_LINE_WORDS = 12
FINGERPRINT_SIZE = 8
# Share of the smaller fingerprint two documents must have in common to be
# versions of one article: a quarter, so an edited copy (some paragraphs
# reworded) still joins its original.
SAME_ARTICLE_SHARE = 0.25
# A document keeps its repeated prose lines when at least this share of its
# prose words repeats (and it has at least this many prose words): see
# SiteRepeats._protected_prose.
PROTECT_REPEATED_SHARE = 0.8
PROTECT_MIN_PROSE_WORDS = 20
# Groups remembered per line: enough to tell "a few" from "many".
MAX_GROUPS = 8


def _hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


def line_keys(doc: Document) -> list[str]:
    """line_key of every line ('' for blank ones), computed once per document."""
    keys = doc.scratch.get("keys")
    if keys is None:
        keys = [line_key(line) if line.strip() else "" for line in doc.lines]
        doc.scratch["keys"] = keys
    return keys


class SiteRepeats:
    """Counts lines per source across distinct articles; removes the repeated ones."""

    name = "site_repeats"

    def __init__(self, min_docs: int = 2, max_entries: int = 5_000_000, max_groups: int = 2_000_000):
        # A line must occur in `min_docs` distinct articles (this one included).
        self.min_docs = max(2, min_docs)
        self.max_entries = max_entries
        self.max_groups = max_groups  # article groups whose fingerprints stay findable
        self.table: dict[int, list[int]] = {}  # hash(source, line) -> group ids
        self.groups: dict[int, tuple[int, ...]] = {}  # group id -> its first fingerprint
        self.next_group = 0
        self.by_fingerprint_hash: dict[int, list[int]] = {}  # hash(source, fp value) -> group ids
        self.source_docs: Counter = Counter()
        self.stats: Counter = Counter()

    def _group_of(self, source: str, lines: list[str], keys: list[str]) -> int:
        # Fingerprint the article body, not the page: long lines inside the
        # main prose block (see dedupview.main_block), so two articles in one
        # long template are not taken for copies through the template's own
        # long lines.
        start, end, _ = main_block(lines)
        body = [k for k in keys[start:end] if k.count(" ") + 1 >= LONG_LINE_WORDS]
        long_hashes = sorted({_hash(k) for k in body})
        if len(long_hashes) >= 2:
            fingerprint = tuple(long_hashes[:FINGERPRINT_SIZE])
        else:  # no body to speak of: only identical documents are copies
            fingerprint = (_hash("\n".join(k for k in keys if k)),)
        index_keys = [_hash(f"{source}\x00{v}") for v in fingerprint]
        candidates: Counter = Counter()
        for k in index_keys:
            for group in self.by_fingerprint_hash.get(k, ()):
                candidates[group] += 1
        for group, shared in sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0])):
            other = self.groups[group]
            if shared >= max(1.0, SAME_ARTICLE_SHARE * min(len(fingerprint), len(other))):
                self.stats["copies_grouped"] += 1
                return group
        group = self.next_group
        self.next_group += 1
        self.groups[group] = fingerprint
        for k in index_keys:
            self.by_fingerprint_hash.setdefault(k, []).append(group)
        if len(self.groups) > self.max_groups:
            self._forget_oldest_groups()
        return group

    def _forget_oldest_groups(self) -> None:
        """Bound the fingerprint index: the older half of the groups can no
        longer be joined by new copies (their line counts stay)."""
        cutoff = self.next_group - self.max_groups // 2
        self.groups = {g: fp for g, fp in self.groups.items() if g >= cutoff}
        self.by_fingerprint_hash = {k: kept for k, v in self.by_fingerprint_hash.items()
                                    if (kept := [g for g in v if g >= cutoff])}
        self.stats["groups_forgotten"] += 1

    def _line_hashes(self, doc: Document) -> list[int | None]:
        hashes = doc.scratch.get("line_hashes")
        if hashes is None:
            prefix = doc.source + "\x00"
            hashes = [_hash(prefix + k) if k else None for k in line_keys(doc)]
            doc.scratch["line_hashes"] = hashes
        return hashes

    def observe(self, doc: Document) -> None:
        """Count the document's lines (first pass, or entering the window)."""
        keys = line_keys(doc)
        group = self._group_of(doc.source, doc.lines, keys)
        self.source_docs[doc.source] += 1
        table = self.table
        for h in {x for x in self._line_hashes(doc) if x is not None}:
            groups = table.get(h)
            if groups is None:
                table[h] = [group]
            elif len(groups) < MAX_GROUPS and group not in groups:
                groups.append(group)
        if len(table) > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        before = len(self.table)
        self.table = {h: g for h, g in self.table.items() if len(g) > 1}
        self.stats["pruned_entries"] += before - len(self.table)

    def repeats(self, doc: Document) -> list[int]:
        """For each line, how many other distinct articles of the source hold it."""
        table = self.table
        out = []
        for h in self._line_hashes(doc):
            groups = table.get(h) if h is not None else None
            out.append(len(groups) - 1 if groups else 0)
        return out

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
        copies of this article that were not recognised as copies (a heavy
        edit, a template line in the fingerprint), not a page without a body.
        A template's prose (a bio, a disclaimer) is a small part of an
        article page's prose, so it is still removed there."""
        prose = [i for i, line in enumerate(doc.lines)
                 if doc.removed[i] is None and is_prose(line, len(line.split()))]
        words = {i: len(doc.lines[i].split()) for i in prose}
        total = sum(words.values())
        if total < PROTECT_MIN_PROSE_WORDS:
            return set()
        repeated_words = sum(w for i, w in words.items() if repeated[i])
        if repeated_words < PROTECT_REPEATED_SHARE * total:
            return set()
        self.stats["documents_protected"] += 1
        return {i for i in prose if repeated[i]}

