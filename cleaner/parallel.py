"""Both passes over files on several processes, with the output of one.

Counting pass (`observations`): the workers repair the pages and compute the
hashes each one holds; the parent counts them in input order, since the
site-repeat table numbers pages in the order they are counted.

Cleaning pass (`ParallelCleaner`; also a stream without site repeats, which
has no counting): cleaning a document needs the pipeline and the table the
counting pass filled; nothing else crosses documents.  So
these workers are forked after the counting pass and inherit both.  The
parent reads, sends out the batches one process would make, takes them back
in input order and does what must stay in one place: the duplicate checks,
which depend on input order, and the writing.  Stage statistics are counted
in the workers and added up in the parent.

At most `2 * workers` batches are in flight, so memory does not grow with
the input.  Forking needs the "fork" start method (Linux; macOS with care);
where it is missing the caller stays in one process.
"""
from __future__ import annotations

import gc
import multiprocessing
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import Iterable, Iterator

from .document import Document
from .pipeline import BATCH, Pipeline

__all__ = ["ParallelCleaner", "fork_available", "observations"]

_PIPELINE: Pipeline | None = None  # set in the parent before forking; the workers' copy cleans


def _fork_pool(pipeline: Pipeline, workers: int, initializer) -> ProcessPoolExecutor:
    """A pool of workers forked with `pipeline` as theirs.  gc.freeze() first:
    the collector would otherwise write to every object it scans in the
    children, copying the pages they share with the parent (the site-repeat
    table above all).  `_close_pool` unfreezes."""
    global _PIPELINE
    _PIPELINE = pipeline
    gc.freeze()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=initializer)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _in_order(executor: ProcessPoolExecutor, work, batches: Iterable[list], payload, workers: int) -> Iterator[tuple]:
    """(batch, work(payload(batch))) in input order, at most 2 * workers
    batches in flight."""
    pending: deque = deque()
    for batch in batches:
        pending.append((batch, executor.submit(work, payload(batch))))
        if len(pending) >= 2 * workers:
            sent, future = pending.popleft()
            yield sent, future.result()
    while pending:
        sent, future = pending.popleft()
        yield sent, future.result()


def _close_pool(executor: ProcessPoolExecutor, abandon: bool) -> None:
    executor.shutdown(wait=not abandon, cancel_futures=abandon)
    gc.unfreeze()


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle: it stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker() -> None:
    """A fresh worker starts counting from zero (it inherited the parent's
    counts)."""
    _ignore_interrupts()
    for counter in _PIPELINE.counters().values():
        counter.clear()


def _clean(docs: list[Document]) -> tuple[list[Document], dict[str, dict]]:
    """In a worker: what `Pipeline.run_batches(counted=True)` does to one batch,
    and the statistics it counted (then zeroed, for the next batch)."""
    pipeline = _PIPELINE
    for doc in docs:
        if doc.error is None:
            pipeline.prepare_contained(doc)
    pipeline.finish_batch(docs, contain=True)
    for doc in docs:
        cleaned = doc.scratch.get("cleaned")
        doc.scratch = {} if cleaned is None else {"cleaned": cleaned}  # stage-private data stays here
    counts = {}
    for name, counter in pipeline.counters().items():
        counts[name] = dict(counter)
        counter.clear()
    return docs, counts


def _texts_and_sources(docs: list[Document]) -> list[tuple[str, str]]:
    return [(doc.text, doc.source) for doc in docs]  # all a worker needs to count


def _observe(items: list[tuple[str, str]]) -> list[tuple]:
    """In a worker: `Pipeline.contained_observation` of (text, source) pairs."""
    return [_PIPELINE.contained_observation(Document(id="", text=text, source=source)) for text, source in items]


def observations(pipeline: Pipeline, docs: Iterable[Document], workers: int) -> Iterator[tuple]:
    """(document, `PageLines`, repair) of the readable documents, in input
    order, computed by `workers` forked processes: the counting pass without
    the counting, which stays in the caller (pages are numbered in input
    order)."""
    executor = _fork_pool(pipeline, workers, _ignore_interrupts)
    done = False
    try:
        readable = _batches((doc for doc in docs if doc.error is None), BATCH)
        for batch, results in _in_order(executor, _observe, readable, _texts_and_sources, workers):
            for doc, (page_lines, repaired) in zip(batch, results):
                yield doc, page_lines, repaired
        done = True
    finally:
        _close_pool(executor, abandon=not done)


class ParallelCleaner:
    """`clean(docs)` yields cleaned batches in input order, like
    `Pipeline.run_batches(docs, counted=True)`.  Create it after the counting
    pass; `close()` it at the end."""

    def __init__(self, pipeline: Pipeline, workers: int):
        self.pipeline = pipeline
        self.workers = workers
        self.executor = _fork_pool(pipeline, workers, _start_worker)

    def clean(self, docs: Iterable[Document]) -> Iterator[list[Document]]:
        size = max(1, min(BATCH, self.pipeline.options.window))  # as run_batches
        if self.pipeline.site_repeats is not None:  # numbered here, as run_batches does: workers see batches
            docs = self.pipeline.site_repeats.numbered(docs)
        for _, result in _in_order(self.executor, _clean, _batches(docs, size), lambda batch: batch, self.workers):
            yield self._collect(result)

    def _collect(self, result: tuple[list[Document], dict[str, dict]]) -> list[Document]:
        docs, counts = result
        mine = self.pipeline.counters()
        for name, values in counts.items():
            mine[name].update(values)
        return docs

    def close(self, abandon: bool = False) -> None:
        """Stop the workers; `abandon` (an error or an interrupt): without
        waiting for batches nobody will read."""
        _close_pool(self.executor, abandon)
