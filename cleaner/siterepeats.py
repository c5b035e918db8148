"""Cross-document repeated lines: lines that recur across the articles of a site.

A menu, a footer or a "most read" list is printed on every page of a site,
while an article's sentences are printed on its own page (CCNet removed Common
Crawl boilerplate this way).  So a line whose normal form occurs in several
*different articles* of the same source is boilerplate there.

Copies of one article (re-crawls, syndicated copies on the same site, light
edits) must not vote for each other: that would turn the article's own body
into "boilerplate" and hide exactly the duplicates the dedup stage must find.
Each document therefore gets an *article fingerprint*, the bottom-k hashes of
its long lines; two documents whose fingerprints share at least half their
hashes are copies of one article and count once.

Memory: one entry per distinct (source, line) pair, holding up to
`MAX_ARTICLES` article ids; past `max_entries` entries, the entries seen in a
single article are pruned (they are the bulk, and a line seen once is no
evidence yet), so the table stays within about max_entries * 120 bytes.
"""
from __future__ import annotations

from collections import Counter

import xxhash

from .document import Document
from .textnorm import line_key

# Lines of at least this many words identify an article (its paragraphs).
LONG_LINE_WORDS = 12
FINGERPRINT_SIZE = 4
# Articles remembered per line: enough to tell "a few" from "many".
MAX_ARTICLES = 8


def _hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


class SiteRepeats:
    """Counts lines per source across distinct articles; removes the repeated ones."""

    name = "site_repeats"

    def __init__(self, min_docs: int = 2, max_entries: int = 5_000_000):
        # A line must occur in `min_docs` distinct articles (this one included).
        self.min_docs = max(2, min_docs)
        self.max_entries = max_entries
        self.table: dict[int, list[int]] = {}  # hash(source, line) -> article ids
        self.fingerprints: list[tuple[int, ...]] = []  # article id -> fingerprint
        self.source_docs: Counter = Counter()
        self.stats: Counter = Counter()

    # -- fingerprints ------------------------------------------------------
    def _article_id(self, keys: list[str]) -> int:
        long_hashes = sorted({_hash(k) for k in keys if k.count(" ") + 1 >= LONG_LINE_WORDS})
        if len(long_hashes) >= 2:
            fingerprint = tuple(long_hashes[:FINGERPRINT_SIZE])
        else:  # no body to speak of: only identical documents are copies
            fingerprint = (_hash("\n".join(keys)),)
        self.fingerprints.append(fingerprint)
        return len(self.fingerprints) - 1

    def _same_article(self, a: int, b: int) -> bool:
        fa, fb = self.fingerprints[a], self.fingerprints[b]
        if fa == fb:
            return True
        shared = len(set(fa) & set(fb))
        return shared * 2 >= max(len(fa), len(fb)) and shared >= 1 and len(fa) > 1 and len(fb) > 1

    def _distinct_articles(self, article_ids: list[int]) -> int:
        groups: list[int] = []
        for art in article_ids:
            if not any(self._same_article(art, g) for g in groups):
                groups.append(art)
        return len(groups)

    # -- passes ------------------------------------------------------------
    def _line_hashes(self, doc: Document) -> list[int | None]:
        source = doc.source
        out: list[int | None] = []
        for line in doc.lines:
            key = line_key(line) if line.strip() else ""
            out.append(_hash(source + "\x00" + key) if key else None)
        return out

    def observe(self, doc: Document) -> None:
        """Count the document's lines (first pass, or entering the window)."""
        keys = [line_key(line) for line in doc.lines if line.strip()]
        article = self._article_id([k for k in keys if k])
        doc.scratch["line_hashes"] = self._line_hashes(doc)
        self.source_docs[doc.source] += 1
        table = self.table
        for h in {x for x in doc.scratch["line_hashes"] if x is not None}:
            arts = table.get(h)
            if arts is None:
                table[h] = [article]
            elif len(arts) < MAX_ARTICLES and arts[-1] != article:
                arts.append(article)
        if len(table) > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        before = len(self.table)
        self.table = {h: a for h, a in self.table.items() if len(a) > 1}
        self.stats["pruned_entries"] += before - len(self.table)

    def repeats(self, doc: Document) -> list[int]:
        """For each line, how many other distinct articles of the source hold it."""
        if "line_hashes" not in doc.scratch:  # second pass: counted already
            doc.scratch["line_hashes"] = self._line_hashes(doc)
        hashes = doc.scratch["line_hashes"]
        out = []
        for h in hashes:
            arts = self.table.get(h) if h is not None else None
            if not arts or len(arts) == 1:
                out.append(0)
            else:
                out.append(self._distinct_articles(arts) - 1)
        return out

    def apply(self, doc: Document) -> None:
        counts = self.repeats(doc)
        doc.scratch["repeats"] = counts
        threshold = self.min_docs - 1
        for i, n in enumerate(counts):
            if n >= threshold and doc.removed[i] is None:
                doc.remove(i, "site_repeat", float(n))
