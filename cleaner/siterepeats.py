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
holds a line with the same first or last five words (`NEAR_LINE_WORDS`).  The
test runs both ways: X's own prose lines that D does not hold must add up to
few words too, or a short article in a long template would take every other
article of its site for a copy of itself (they miss only its few lines) and
keep the whole template.  Either way X is still a copy when it holds most of
D's own prose (the prose lines that fewer pages hold than D's template lines
and that no other article holds), as an edit that added or reworded a
paragraph or two does.  A line of D is then repeated when pages that are not
copies of D hold it.

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
are the bulk, and a line seen once is no evidence yet), and when that is not
enough to bring the table down to PRUNE_TO of the bound (a large crawl has
more template lines than the bound), the entries last held longest ago go
too (`_prune`).  The table stays within about max_entries x 200 bytes (5M
entries: ~1 GB), and each pruning is followed by at least a tenth of the
bound in new entries before the next.  (Pruning only the single-page
entries, a table full of template lines was pruned again after every page,
a pass over the whole table each time, and no new site's template could be
counted any more.)  The pages counted per source are kept for at most a
tenth as many sources as the table has entries (`_prune_sources`).  A pruned line
still counts as held by the pages that hold it nearly, and a page knows
itself by the ordinal it was counted under (`observe`, `numbered`), since its
own lines may no longer list it.  Plus 4 bytes per
page for its word count, for the last `MAX_PAGE_WORDS` pages (64 MB).
"""
from __future__ import annotations

from array import array
from collections import Counter
from itertools import chain, islice
from typing import Iterable, Iterator, NamedTuple

from .dedupview import PROSE_MIN_WORDS, is_prose
from .document import Document
from .textnorm import count_words, end_words, fold_lines, folded_keys, has_unspaced_script, text_hash as _hash

# Page X is a copy of page D when D's lines that X does not hold (exactly or
# nearly) add up to fewer words than this: a light edit touches a few lines,
# another article misses all of D's paragraphs.
COPY_MAX_MISSING_WORDS = 60
# ... and fewer than this share of D's words, so that on short pages another
# article (whose own paragraphs are under 60 words) is not taken for a copy.
# Both bounds apply the other way too: X's prose lines that D does not hold.
# And X is a copy anyway when it holds this share of D's own prose (an edit
# that added or reworded paragraphs; see _OwnProse), if it misses fewer than
# COPY_OWN_MAX_MISSING_WORDS of D's words.
COPY_MAX_MISSING_SHARE = 0.3
COPY_MIN_OWN_SHARE = 0.5
COPY_OWN_MAX_MISSING_WORDS = 2 * COPY_MAX_MISSING_WORDS
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
# Pruning brings the table down to this share of its bound (see the module docstring).
PRUNE_TO = 0.9
# Page counts are kept for at most max_entries / ENTRIES_PER_SOURCE sources (and
# at least MIN_SOURCES): ~110 bytes a source (measured), against ~165 an entry.
ENTRIES_PER_SOURCE = 10
MIN_SOURCES = 100_000
# Word counts kept for the copy test's second half: the most recent pages
# (4 bytes each; 64 MB).
MAX_PAGE_WORDS = 1 << 24


# A key of NEAR_LINE_MIN_WORDS words has at least this many characters.
_NEAR_MIN_CHARS = 2 * NEAR_LINE_MIN_WORDS - 1


def _near_hashes(source: str, key: str) -> tuple[int, ...]:
    """Table hashes of a long line's first and last words (one space between
    words in a key: a line of NEAR_LINE_MIN_WORDS words has at least twice
    as many characters, less one; the length is tested first, it is cheaper)."""
    if len(key) < _NEAR_MIN_CHARS or key.count(" ") < NEAR_LINE_MIN_WORDS - 1:
        return ()
    head = key.split(" ", NEAR_LINE_WORDS)[:NEAR_LINE_WORDS]  # (not the whole key split: a line can be 50 MB)
    tail = key.rsplit(" ", NEAR_LINE_WORDS)[-NEAR_LINE_WORDS:]
    return _hash(f"{source}\x01{' '.join(head)}"), _hash(f"{source}\x02{' '.join(tail)}")


def _near_hashes_unspaced(source: str, key: str, words: int) -> tuple[int, ...]:
    """_near_hashes of a line of a document in a script written without
    spaces (Chinese, Japanese, Thai): its words (`words`, as `count_words`
    counts them) and its ends are counted a word every few characters
    (`textnorm.end_words`)."""
    if not has_unspaced_script(key):
        return _near_hashes(source, key)
    if words < NEAR_LINE_MIN_WORDS:
        return ()
    head, tail = end_words(key, NEAR_LINE_WORDS)
    return _hash(f"{source}\x01{head}"), _hash(f"{source}\x02{tail}")


class _OwnProse:
    """A document's own prose, for the copy test's last word.

    Its own lines are its prose lines that fewer pages hold than its most
    widely held lines (the template's), and that no other article holds;
    `others` are the pages that miss much of the document (other articles,
    or heavy edits).  A page X holds the document's own prose when it holds
    at least COPY_MIN_OWN_SHARE of it (in words), counting as own, when X is
    one of `others`, the lines only X among them holds.  An edit that adds or
    rewords a paragraph or two holds the article's own lines; another
    article in the same template holds only the template."""

    def __init__(self, kept_lines: list[tuple[int, int, Iterable[int]]], alone: int, others: set[int]) -> None:
        """`kept_lines`: (pages holding it, prose words, listed holders) of the
        document's kept lines; `alone`: prose words of those no other page holds."""
        top = max((count for count, _, _ in kept_lines), default=0)
        self.own = alone  # words of own prose held by no page of `others`
        self.held: dict[int, int] = {}  # page -> words of those it holds
        self.solo: dict[int, int] = {}  # page of `others` -> words of own lines it alone among them holds
        for count, words, holders in kept_lines:
            if count >= top or not words:
                continue
            among = others.intersection(holders)
            if not among:
                self.own += words
                for page in holders:
                    self.held[page] = self.held.get(page, 0) + words
            elif len(among) == 1:
                page = among.pop()
                self.solo[page] = self.solo.get(page, 0) + words

    def held_by(self, page: int) -> bool:
        solo = self.solo.get(page, 0)
        own = self.own + solo
        return own > 0 and self.held.get(page, 0) + solo >= COPY_MIN_OWN_SHARE * own


class PageLines(NamedTuple):
    """What the table learns of a page: its table hashes, and the words of
    its distinct prose lines (for the second half of the copy test)."""

    hashes: set[int] | None  # None: UNREADABLE_PAGE
    words: int


# What the count takes for a page a stage failed on: no lines, but an ordinal
# (the cleaning pass numbers pages in the same order, and rejects the page).
UNREADABLE_PAGE = PageLines(None, 0)


def _pruned(counts: dict, pages, target: int, drop_order) -> tuple[dict, bool]:
    """The entries of `counts` held by more than one page (`pages(value)`),
    and, while more than `target` remain, without the first in `drop_order`
    (key, value) order (sorting is stable: the oldest first on ties); and
    whether entries of more than one page had to go."""
    kept = {k: v for k, v in counts.items() if pages(v) > 1}
    if len(kept) <= target:
        return kept, False
    for k in sorted(kept, key=lambda k: drop_order(k, kept[k]))[:len(kept) - target]:
        del kept[k]
    return kept, True


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
        self.cleaned_pages = 0  # documents numbered on the second pass (see `numbered`)
        self.page_words = array("I")  # PageLines.words of pages page_base, page_base + 1, ...
        self.page_base = 0
        self.source_docs: Counter = Counter()  # pages counted per source (at most max_sources sources)
        self.max_sources = max(MIN_SOURCES, max_entries // ENTRIES_PER_SOURCE)
        self.stats: Counter = Counter()

    def forget(self) -> None:
        """Drop every count (not the statistics): the pages still to come are
        of other sources (see `runner.counting_runs`), so no count can matter to
        them, and the table starts empty again."""
        self.table = {}
        self.pages = self.cleaned_pages = self.page_base = 0
        self.page_words = array("I")
        self.source_docs = Counter()

    def _line_hashes(self, doc: Document) -> list[int | None]:
        hashes = doc.scratch.get("line_hashes")
        if hashes is None:
            prefix = doc.source + "\x00"
            hashes = [_hash(prefix + k) if k else None for k in line_keys(doc)]
            doc.scratch["line_hashes"] = hashes
        return hashes

    @staticmethod
    def _unspaced(doc: Document) -> bool:
        """has_unspaced_script(doc.text), computed once per document (it scans the text)."""
        unspaced = doc.scratch.get("unspaced")
        if unspaced is None:
            unspaced = doc.scratch["unspaced"] = has_unspaced_script(doc.text)
        return unspaced

    def _line_words(self, doc: Document) -> list[int]:
        """Words of every line (0 for blank ones), computed once per document:
        the words of its key, where a run of Chinese, Japanese or Thai counts
        a word every few characters (`textnorm.count_words`), so that the
        copy test weighs a Chinese paragraph as the paragraph it is."""
        words = doc.scratch.get("line_words")
        if words is None:
            keys = line_keys(doc)
            if self._unspaced(doc):
                words = [count_words(key) for key in keys]
            else:  # (the common case, in one cheap pass: words are what the spaces part)
                words = [key.count(" ") + 1 if key else 0 for key in keys]
            doc.scratch["line_words"] = words
        return words

    def _line_prose_words(self, doc: Document) -> list[int]:
        """For every line, its words when it reads like article prose
        (`dedupview.is_prose`), else 0 (computed once per document): what the
        copy test's second half weighs.  Another article's body is prose;
        the lines a raw copy has and a cleaned copy lost ("Read also" links,
        share prompts, menus) are not."""
        words = doc.scratch.get("prose_words")
        if words is None:
            # (the word count first: most lines are too short to be prose)
            words = doc.scratch["prose_words"] = [
                n if n >= PROSE_MIN_WORDS and is_prose(line, n) else 0
                for n, line in zip(self._line_words(doc), doc.lines)]
        return words

    def _near_line_hashes(self, doc: Document) -> list[tuple[int, ...]]:
        """_near_hashes of every line, computed once per document (a stream
        counts a document, then cleans it)."""
        near = doc.scratch.get("near_hashes")
        if near is None:
            source = doc.source
            if self._unspaced(doc):
                near = [_near_hashes_unspaced(source, key, n) if n else ()
                        for key, n in zip(line_keys(doc), self._line_words(doc))]
            else:  # (the length test inline first: most lines are too short)
                near = [_near_hashes(source, key) if len(key) >= _NEAR_MIN_CHARS else () for key in line_keys(doc)]
            doc.scratch["near_hashes"] = near
        return near

    def observe(self, doc: Document) -> None:
        """Count the document's lines (first pass, or entering the window)."""
        page_lines = self.page_lines(doc)
        doc.scratch["page"] = self.pages
        self.count(doc.source, page_lines)

    def numbered(self, docs: Iterable[Document]) -> Iterator[Document]:
        """The second pass over a counted corpus: each readable document gets
        the ordinal it was counted under (pages are counted, and then cleaned,
        in input order)."""
        for doc in docs:
            if doc.error is None:
                doc.scratch["page"] = self.cleaned_pages
                self.cleaned_pages += 1
            yield doc

    def page_lines(self, doc: Document) -> PageLines:
        """The table hashes of a document (its lines, and the first and last
        words of its long lines) and the words of its distinct prose lines:
        the half of `observe` that reads only the document, so that it can
        run anywhere."""
        held = set()
        words = 0
        for h, prose in zip(self._line_hashes(doc), self._line_prose_words(doc)):
            if h is not None and h not in held:
                held.add(h)
                words += prose
        held.update(chain.from_iterable(self._near_line_hashes(doc)))
        return PageLines(held, words)

    def count(self, source: str, page_lines: PageLines) -> None:
        """Count a page of `source`; pages are numbered in the order they are
        counted."""
        page = self.pages
        self.pages += 1
        self.page_words.append(min(page_lines.words, 0xFFFFFFFF))
        if len(self.page_words) > MAX_PAGE_WORDS:  # forget the older half (a stream has no end)
            del self.page_words[: MAX_PAGE_WORDS // 2]
            self.page_base += MAX_PAGE_WORDS // 2
        self.source_docs[source] += 1
        if len(self.source_docs) > self.max_sources:
            self._prune_sources()
        if page_lines.hashes is None:  # UNREADABLE_PAGE
            self.stats["pages_not_counted"] += 1
            return
        table = self.table
        for h in page_lines.hashes:
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
        """Drop the entries of one page; then, while the table would stay above
        PRUNE_TO of its bound, those whose pages were counted longest ago (a
        site whose pages came long ago is the least likely to come back; the
        one counted now may be halfway through its pages); lines held by more
        than MAX_PAGES pages (whose last page is not listed) go last, fewest
        pages first."""
        before = len(self.table)
        self.table, past_single = _pruned(self.table, lambda e: e[0], int(PRUNE_TO * self.max_entries),
                                          lambda h, e: (0, e[-1], h) if e[0] <= MAX_PAGES else (1, e[0], h))
        self.stats["prunes_past_single_pages"] += past_single
        self.stats["pruned_entries"] += before - len(self.table)

    def _prune_sources(self) -> None:
        """Forget the sources of one page, and, if that is not enough to bring
        them down to PRUNE_TO of the bound, those with the fewest pages (the
        oldest first): a stream of billions of pages comes from more sites
        than memory holds counts for.  A forgotten source counts from zero
        again; a site of one page (the bulk) is treated the same either way."""
        before = len(self.source_docs)
        kept, _ = _pruned(self.source_docs, lambda n: n, int(PRUNE_TO * self.max_sources), lambda s, n: n)
        self.source_docs = Counter(kept)
        self.stats["sources_forgotten"] += before - len(kept)

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
        """The copies of the document, itself among them: the pages that miss
        at most COPY_MAX_MISSING_WORDS words (and COPY_MAX_MISSING_SHARE) of
        it and whose own prose it misses within the same bounds, or that miss
        at most COPY_OWN_MAX_MISSING_WORDS and hold most of its own prose.

        Lines the in-document rules removed already are not counted as
        missing: a copy that lost its "Read also" links or its share buttons
        (or was cleaned already) is still a copy."""
        total = 0
        held: dict[int, int] = {}  # page -> words of the document's kept lines it holds
        shared: dict[int, int] = {}  # page -> prose words of the document's distinct lines it holds
        unlisted = 0  # prose words of distinct lines whose holders are not all listed
        kept_lines: list[tuple[int, int, Iterable[int]]] = []  # for _OwnProse
        alone = 0  # prose words of the kept lines no other page holds
        seen: set[int] = set()
        for words, line_prose, h, entry, removal, near in zip(self._line_words(doc), self._line_prose_words(doc),
                                                              self._line_hashes(doc), entries, doc.removed,
                                                              self._near_line_hashes(doc)):
            if not words:
                continue
            prose = line_prose if h not in seen else 0
            seen.add(h)
            if near:
                holders = self._holders(entry, near)
            elif entry is not None:  # a short line
                holders = None if entry[0] >= len(entry) else entry[1:]
            else:
                holders = []
            if holders is None:  # an unlisted page may hold it: no evidence either way
                unlisted += prose
                continue
            if not holders:  # pruned (held by one page then) and not nearly held by another: this page's own
                if removal is None:
                    total += words
                    alone += line_prose
                continue
            if removal is None:
                total += words
                kept_lines.append((entry[0] if entry is not None else len(holders), line_prose, holders))
                for page in holders:
                    held[page] = held.get(page, 0) + words
            if prose:
                for page in holders:
                    shared[page] = shared.get(page, 0) + prose
        most = min(COPY_MAX_MISSING_WORDS, COPY_MAX_MISSING_SHARE * total)
        page_words, base = self.page_words, self.page_base
        # The document itself, by its ordinal when it has one: its count may
        # not list all of its lines any more (pruned entries, re-created by
        # later pages without it).
        me = doc.scratch.get("page")
        others = {page for page, words in held.items() if total - words > most and page != me}
        copies = set() if me is None else {me}
        own_prose = None
        for page, words in held.items():
            if page == me:
                continue
            if page not in others:
                # The other way: the page's own prose that this document
                # lacks.  (Pages counted too long ago on a stream are judged
                # one way.)
                if page < base:
                    copies.add(page)
                    continue
                own = page_words[page - base]
                if own - shared.get(page, 0) - unlisted <= min(COPY_MAX_MISSING_WORDS, COPY_MAX_MISSING_SHARE * own):
                    copies.add(page)
                    continue
            # Else still a copy if it holds most of this document's own prose
            # (an edit that added or reworded paragraphs), and does not miss
            # too much of it.
            if total - words > COPY_OWN_MAX_MISSING_WORDS:
                continue
            if own_prose is None:
                own_prose = _OwnProse(kept_lines, alone, others)
            if own_prose.held_by(page):
                copies.add(page)
        return copies

    def _holders(self, entry: list[int] | None, near_hashes) -> list[int] | set[int] | None:
        """The pages holding a line exactly or nearly; None when some of them
        are not listed (past MAX_PAGES).  `entry` None: the line's own entry
        was pruned (one page held it then), so only the near holders are known."""
        if entry is None:
            holders: list[int] | set[int] = []
        elif entry[0] >= len(entry):
            return None
        else:
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
        words = {i: n for i, (n, removal) in enumerate(zip(self._line_prose_words(doc), doc.removed))
                 if n and removal is None}  # kept prose line -> its words
        total = sum(words.values())
        if total < PROTECT_MIN_PROSE_WORDS:
            return set()
        repeated_words = sum(w for i, w in words.items() if repeated[i])
        if repeated_words < PROTECT_REPEATED_SHARE * total:
            return set()
        self.stats["documents_protected"] += 1
        return {i for i in words if repeated[i]}
