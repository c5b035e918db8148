"""Stage: the learned line model (see `linemodel`), applied to the lines the
rules kept, with the cross-document repeat counts as one of its signals."""
from __future__ import annotations

from collections import Counter

from .document import Document


class LineModelStep:
    name = "line_model"

    def __init__(self, threshold: float | None = None):
        from .linemodel import LineModel

        self.model = LineModel.load()
        self.threshold = self.model.threshold if threshold is None else threshold
        self.stats: Counter = Counter()

    def apply(self, doc: Document, site_repeats=None) -> None:
        repeats = doc.scratch.get("repeats")
        source_docs = site_repeats.source_docs[doc.source] if site_repeats is not None else 1
        probs = self.model.score(doc.lines, repeats=repeats, source_docs=source_docs)
        for i, p in enumerate(probs):
            if p >= self.threshold and doc.removed[i] is None and doc.lines[i].strip():
                doc.remove(i, "line_model", p)
