"""Stage: the learned line model (see `linemodel`), with the cross-document
repeat counts as one of its signals.

The model scores every line of the document as it came out of the repair
stage (it was trained on whole pages, so positions and neighbours mean what
they meant in training) and removes, among the lines the rules kept, those
scored at or above the threshold.  It never empties a document the rules left
non-empty: the kept line it finds least boilerplate-like stays.
"""
from __future__ import annotations

from collections import Counter

from .dedupview import main_block
from .document import Document


class LineModelStep:
    name = "line_model"

    def __init__(self, threshold: float | None = None, model_file: str | None = None):
        from .linemodel import LineModel

        try:
            self.model = LineModel.load(model_file)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # JSON errors are ValueErrors
            raise ValueError(f"cannot load line model {model_file}: {exc}") from exc
        self.threshold = self.model.threshold if threshold is None else threshold
        self.stats: Counter = Counter()

    def apply_batch(self, docs: list[Document], site_repeats=None) -> None:
        docs = [d for d in docs if any(line.strip() for line in d.lines)]
        if not docs:
            return
        batch = [(d.lines, d.scratch.get("repeats"),
                  site_repeats.source_docs[d.source] if site_repeats is not None else 1) for d in docs]
        scores, has_language = self.model.score_batch_and_language(batch)
        for doc, (_, _, source_docs), probs, known in zip(docs, batch, scores, has_language):
            doc.scratch["source_docs"] = source_docs  # for `explain`
            self._remove(doc, probs, known)

    def _remove(self, doc: Document, probs: list[float], has_language: bool = True) -> None:
        kept = [i for i, r in enumerate(doc.removed) if r is None and doc.lines[i].strip()]
        doomed = [i for i in kept if probs[i] >= self.threshold]
        if doomed and not has_language:
            # No stop-word list fits the document (Chinese, Japanese, Thai, ...): the
            # model lacks its strongest prose signal and leans on the lines
            # around, so in a site's template a short article's paragraphs
            # look like the template.  Its main block's prose stays.
            body = _body_prose(doc, kept)
            kept_body = [i for i in doomed if i in body]
            if kept_body:
                self.stats["body_prose_kept"] += len(kept_body)
                doomed = [i for i in doomed if i not in body]
        if doomed and len(doomed) == len(kept):
            doomed.remove(min(doomed, key=lambda i: (probs[i], i)))  # never empty a document
            self.stats["documents_saved_from_empty"] += 1
        for i in doomed:
            doc.remove(i, "line_model", probs[i])
        self.stats["lines_removed"] += len(doomed)


def _body_prose(doc: Document, kept: list[int]) -> set[int]:
    """The prose lines of the main block of the kept lines (see dedupview)."""
    lines = [doc.lines[i] for i in kept]
    start, end, prose = main_block(lines)
    return {kept[j] for j in range(start, end) if prose[j]}
