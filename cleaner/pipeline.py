"""The pipeline: stages composed over a stream of documents.

    decode -> repair -> line rules -> [site repeats] -> [line model]
           -> trailing fragments -> [duplicates]

Every stage is a small object (like datatrove's steps); the pipeline counts
the lines and characters each rule removed, and stages with counts of their own
keep a `stats` Counter.  `Pipeline.run` chains them as generators so documents
stream through, and the
cross-document stages see a bounded window of documents at a time.
"""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .document import Document
from .linerules import LineRules
from .repair import repair_document
from .siterepeats import UNREADABLE_PAGE, PageLines
from .textnorm import text_hash


# Documents finished together (the line model's numpy calls are per batch).
BATCH = 64
# Text a stream's look-ahead window holds at most, in characters (a waiting
# document takes about nine times its text in memory).
WINDOW_MAX_CHARS = 1 << 26


@dataclass
class CleanOptions:
    """Options of the cleaning stages (the CLI and the TOML config map onto these)."""

    rules: list[str] = field(default_factory=list)  # extra lexicon files
    site_repeats: bool = True
    line_model: bool = True
    model_threshold: float | None = None  # None: the threshold stored with the model
    model_file: str | None = None  # None: the shipped line model
    repeat_min_docs: int = 2  # distinct articles of a site (this one included) a line must appear in
    repeat_table_entries: int = 5_000_000  # site-repeat table size before single-page lines are pruned
    window: int = 1000  # documents of look-ahead on a stream
    explain_repairs: bool = False


# Repaired texts the counting pass keeps for the cleaning pass, in characters:
# ftfy is most of the cost of the texts that need it, and they are few.
REPAIR_CACHE_CHARS = 1 << 26


class RepairStep:
    """Stage 2: ftfy where needed; records which documents were repaired.

    `remember` keeps a repair the counting pass did (by document location
    and a hash of the text, up to REPAIR_CACHE_CHARS), so that the cleaning
    pass does not run ftfy on the same text twice; the result is the same
    either way."""

    name = "repair"

    def __init__(self, explain: bool = False):
        self.explain = explain
        self.stats: Counter = Counter()
        self.repaired: dict[str, tuple[int, str, list[str]]] = {}
        self._cached_chars = 0

    def remember(self, location: str, text: str, repaired: tuple[str, list[str]] | None) -> None:
        if repaired is None or self.explain or self._cached_chars + len(repaired[0]) > REPAIR_CACHE_CHARS:
            return  # unchanged, or explained repairs wanted, or the budget is spent
        self.repaired[location] = (text_hash(text), *repaired)
        self._cached_chars += len(repaired[0])

    def forget(self) -> None:
        """Drop the kept repairs (the documents they were for are cleaned) and
        give the next counting pass the whole budget again."""
        self.repaired.clear()
        self._cached_chars = 0

    def apply(self, doc: Document) -> None:
        cached = self.repaired.pop(doc.location, None)
        if cached is not None and cached[0] == text_hash(doc.text):
            fixed, steps = cached[1], cached[2]
        else:
            fixed, steps = repair_document(doc.text, explain=self.explain)
        if fixed != doc.text:
            if doc.record is None:  # what a rejection would write (a record keeps its own)
                doc.scratch["original"] = doc.text
            self.stats["documents_repaired"] += 1
            doc.repairs = steps
            doc.text = fixed
        doc.split_lines()


class Pipeline:
    """Cleans documents; `run` streams, `clean` does one document.

    >>> Pipeline().clean_text("Budget approved after a long debate\\n\\nBudget approved after a long debate\\n"
    ...                       "The council approved the budget on Tuesday after a long debate.")
    'Budget approved after a long debate\\n\\nThe council approved the budget on Tuesday after a long debate.'
    """

    def __init__(self, options: CleanOptions | None = None):
        self.options = options or CleanOptions()
        self.repair = RepairStep(self.options.explain_repairs)
        self.line_rules = LineRules(extra_rule_files=self.options.rules)
        self.site_repeats = None
        self.line_model = None
        if self.options.site_repeats:
            from .siterepeats import SiteRepeats

            self.site_repeats = SiteRepeats(min_docs=self.options.repeat_min_docs,
                                            max_entries=self.options.repeat_table_entries)
        if self.options.line_model:
            from .linemodel_step import LineModelStep

            self.line_model = LineModelStep(self.options.model_threshold, self.options.model_file)
        self.stats: Counter = Counter()

    # -- single documents -------------------------------------------------
    def prepare(self, doc: Document) -> Document:
        """Repair and split a document and apply the in-document rules."""
        self.repair.apply(doc)
        self.line_rules.apply(doc)
        return doc

    def prepare_contained(self, doc: Document) -> None:
        """`prepare`, where a failure rejects the document instead of ending
        the stream (see `_reject_failed`)."""
        try:
            self.prepare(doc)
        except Exception as exc:  # noqa: BLE001 - a bug of ours, met on one document
            self._reject_failed(doc, "prepare", exc)

    def _reject_failed(self, doc: Document, stage: str, exc: Exception) -> None:
        """A stage raised on this document: a bug of ours that the document
        happened to trigger.  On a stream of billions of documents one such
        document must not end the run, nor vanish: it is rejected like bad
        input (`--on-error fail` stops there, naming it; `skip` writes the
        record to _rejected.jsonl and goes on: see `io.writers.record_as_read`)."""
        doc.error = f"internal error in {stage} ({type(exc).__name__}: {exc}); please report it"

    def finish(self, doc: Document) -> Document:
        """Stages that run once cross-document evidence is in."""
        self.finish_batch([doc])
        return doc

    def finish_batch(self, docs: list[Document], contain: bool = False) -> None:
        """`finish` for several documents at once: the line model scores a
        batch with one set of numpy calls, which is most of its speed.

        `contain`: a document a stage fails on is rejected (`_reject_failed`)
        and the others go on; otherwise the exception propagates."""
        live = [d for d in docs if d.error is None]
        if not contain:
            self._finish(live)
            return
        try:
            self._finish(live)
        except Exception:  # noqa: BLE001 - find the document, one at a time
            for doc in live:
                if doc.error is None and not doc.scratch.get("finished"):
                    try:
                        self._finish([doc])
                    except Exception as exc:  # noqa: BLE001
                        self._reject_failed(doc, "finish", exc)

    def _finish(self, live: list[Document]) -> None:
        # (On a retry after a failure in the batch, stages a document went
        # through whole are not run on it again.)
        if self.site_repeats is not None:
            for doc in live:
                if not doc.scratch.get("site_repeats_done"):
                    self.site_repeats.apply(doc)
                    doc.scratch["site_repeats_done"] = True
        if self.line_model is not None:
            todo = [doc for doc in live if not doc.scratch.get("line_model_done")]
            if todo:
                self.line_model.apply_batch(todo, self.site_repeats)
        for doc in live:
            self.line_rules.remove_trailing_fragments(doc)
            self._count(doc)
            doc.scratch["finished"] = True

    def clean(self, doc: Document) -> Document:
        """Clean one document on its own (no other documents as evidence)."""
        return self.finish(self.prepare(doc))

    def clean_text(self, text: str, title: str | None = None) -> str:
        doc = Document(id="-", text=text, title=title)
        return self.clean(doc).cleaned_text()

    # -- streams ----------------------------------------------------------
    def observe(self, doc: Document) -> None:
        """First pass over a corpus: let the cross-document stages count.

        Only the repair the counting needs (no statistics, no rules): the
        second pass prepares the document for real.  A document the reader
        rejected is not counted (nor numbered: `SiteRepeats.numbered`)."""
        if self.site_repeats is not None and doc.error is None:
            location, source, text = doc.location, doc.source, doc.text
            self.count_observation(location, source, text, *self.contained_observation(doc))

    def contained_observation(self, doc: Document) -> tuple[PageLines, tuple[str, list[str]] | None]:
        """`observation`, where a failure counts the document as a page with no
        lines (UNREADABLE_PAGE): the cleaning pass numbers pages in the same
        order, and rejects the document there."""
        try:
            return self.observation(doc)
        except Exception:  # noqa: BLE001 - see _reject_failed
            return UNREADABLE_PAGE, None

    def forget_counts(self) -> None:
        """Start counting afresh: the documents still to come are of other
        sources than those counted (see `runner.counting_runs`)."""
        if self.site_repeats is not None:
            self.site_repeats.forget()
        self.repair.forget()

    def observation(self, doc: Document) -> tuple[PageLines, tuple[str, list[str]] | None]:
        """What `observe` counts for a document, without counting it (the
        part that can run in another process), and its repair when ftfy
        changed it (for `RepairStep.remember`).  Repairs and splits `doc`."""
        fixed, steps = repair_document(doc.text)
        repaired = (fixed, steps) if fixed != doc.text else None
        doc.text = fixed
        doc.split_lines()
        return self.site_repeats.page_lines(doc), repaired

    def count_observation(self, location: str, source: str, text: str, page_lines: PageLines,
                          repaired: tuple[str, list[str]] | None) -> None:
        """The half of `observe` that stays in this process, in input order:
        count the page, keep its repair for the second pass (`text`: as read)."""
        self.repair.remember(location, text, repaired)
        self.site_repeats.count(source, page_lines)

    def run(self, docs: Iterable[Document], counted: bool = False) -> Iterator[Document]:
        """Clean a stream, in input order (see `run_batches`)."""
        for batch in self.run_batches(docs, counted):
            yield from batch

    def run_batches(self, docs: Iterable[Document], counted: bool = False) -> Iterator[list[Document]]:
        """Clean a stream, in input order, in batches.

        With `counted`, a first pass (`observe`) already saw every document.
        Otherwise each document enters a look-ahead window of `window`
        documents and is counted there, so it is finished with evidence from
        the documents around it while the stream keeps flowing.
        """
        batch_size = max(1, min(BATCH, self.options.window))
        pending: deque[Document] = deque()
        lookahead = 0 if (self.site_repeats is None or counted) else max(1, self.options.window)
        if counted and self.site_repeats is not None:
            docs = self.site_repeats.numbered(docs)
        chars = 0  # text in `pending`
        for doc in docs:
            if doc.error is None:
                self.prepare_contained(doc)
                if lookahead and doc.error is None:
                    try:
                        self.site_repeats.observe(doc)
                    except Exception as exc:  # noqa: BLE001 - see _reject_failed
                        self._reject_failed(doc, "site repeats", exc)
                    # What the site-repeat stage needs of the line keys is cached
                    # now; the keys are a fifth of what a waiting document holds.
                    doc.scratch.pop("keys", None)
            pending.append(doc)
            chars += len(doc.text)
            # The window is `window` documents, and at most WINDOW_MAX_CHARS of
            # text: a stream of very long pages finishes them with less look-ahead
            # rather than holding a thousand of them.
            while len(pending) >= lookahead + batch_size or chars > WINDOW_MAX_CHARS:
                batch = self._finish_oldest(pending, batch_size)
                chars -= sum(len(d.text) for d in batch)
                yield batch
        while pending:
            yield self._finish_oldest(pending, batch_size)

    def _finish_oldest(self, pending: deque, count: int) -> list[Document]:
        batch = [pending.popleft() for _ in range(min(count, len(pending)))]
        self.finish_batch(batch, contain=True)
        return batch

    def _count(self, doc: Document) -> None:
        for removal in doc.removals():
            self.stats[f"lines_removed.{removal.rule}"] += 1
            self.stats[f"chars_removed.{removal.rule}"] += len(removal.text)

    def counters(self) -> dict[str, Counter]:
        """Every statistics Counter (the rules' counts under "pipeline", then the stages'), by name."""
        out = {"pipeline": self.stats, "repair": self.repair.stats}
        if self.site_repeats is not None:
            out["site_repeats"] = self.site_repeats.stats
        if self.line_model is not None:
            out["line_model"] = self.line_model.stats
        return out

    def stage_stats(self) -> dict:
        return {name: dict(counter) for name, counter in self.counters().items() if name != "pipeline"}


def clean_text(text: str, title: str | None = None, options: CleanOptions | None = None) -> str:
    """Clean one text on its own and return the cleaned text (no trailing newline)."""
    return Pipeline(options).clean_text(text, title=title)
