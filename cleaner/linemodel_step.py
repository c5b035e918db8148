"""Stage: the learned line model (see `linemodel`), with the cross-document
repeat counts as one of its signals.

The model scores every line of the document as it came out of the repair
stage (it was trained on whole pages, so positions and neighbours mean what
they meant in training) and removes, among the lines the rules kept, those
scored at or above the threshold.  It never empties a document the rules left
non-empty: the kept line it finds least boilerplate-like stays.

Some prose lines of the document's main block (`dedupview.main_block`) are
kept whatever their score, where the model is known to lean too hard on the
lines around a short article (see `_protected`).
"""
from __future__ import annotations

from collections import Counter

from .dedupview import DEDUP_RESTORES_SCORES_BELOW, main_block
from .document import Document

# Pages of a site the counter must have seen before a line that no other page
# holds counts as the page's own (at least two others to compare with).
PROTECT_MIN_PAGES = 3


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
        scores, compared, has_language = self.model.score_batch_for_cleaning(batch)
        for k, (doc, (_, repeats, source_docs), probs, known) in enumerate(zip(docs, batch, scores, has_language)):
            doc.scratch["source_docs"] = source_docs  # for `explain`
            self._remove(doc, probs, known, repeats if source_docs >= PROTECT_MIN_PAGES else None,
                         compared[k] if compared is not None else None)
            doc.scratch["line_model_done"] = True

    def _remove(self, doc: Document, probs: list[float], has_language: bool = True,
                repeats: list[int] | None = None, dedup_probs: list[float] | None = None) -> None:
        kept = [i for i, r in enumerate(doc.removed) if r is None and doc.lines[i].strip()]
        doomed = [i for i in kept if probs[i] >= self.threshold]
        protected = None
        if doomed:
            protected = self._protected(doc, kept, has_language, repeats)
            spared = [i for i in doomed if i in protected]
            if spared:
                self.stats["body_prose_kept"] += len(spared)
                doomed = [i for i in doomed if i not in protected]
        if doomed and len(doomed) == len(kept):
            doomed.remove(min(doomed, key=lambda i: (probs[i], i)))  # never empty a document
            self.stats["documents_saved_from_empty"] += 1
        for i in doomed:
            doc.remove(i, "line_model", probs[i], dedup_probs[i] if dedup_probs is not None else None)
        self.stats["lines_removed"] += len(doomed)
        if dedup_probs is not None:
            # The lines kept here that the comparison stage scores as boilerplate
            # leave the duplicate stage's text (see dedupview.dedup_text); the
            # protected prose stays there too, as it would in the output.
            dropped = [i for i in kept if doc.removed[i] is None and dedup_probs[i] >= DEDUP_RESTORES_SCORES_BELOW]
            if dropped:
                if protected is None:
                    protected = self._protected(doc, kept, has_language, repeats)
                dropped = [i for i in dropped if i not in protected]
                if (dropped and len(dropped) == len(kept) - len(doomed)
                        and all(dedup_probs[i] >= DEDUP_RESTORES_SCORES_BELOW for i in doomed)):
                    # Never an empty text to compare: the kept line the comparison
                    # stage finds least boilerplate-like stays, as the logistic
                    # model alone would keep it.
                    dropped.remove(min(dropped, key=lambda i: (dedup_probs[i], i)))
                doc.dedup_dropped = dropped

    @staticmethod
    def _protected(doc: Document, kept: list[int], has_language: bool, repeats: list[int] | None) -> set[int]:
        """Prose lines of the main block that stay whatever the model says.

        Inside a site's template, the last paragraph of a short article sits
        between its first paragraph and the footer, and the model, which
        weighs the lines around, scores it as template: a Finnish, Arabic or
        Korean brief lost its second paragraph, and English was just under
        the threshold.  So:

        * where the site-repeat counts come from at least PROTECT_MIN_PAGES
          pages, the main block's prose lines that no other article holds
          stay: template prose is held by the other pages (and went as a
          site repeat already);
        * where no stop-word list fits the document (Chinese, Japanese,
          Thai, ...), the model lacks its strongest prose signal, and all of
          the main block's prose stays.

        The first rule needs the counts: on a site's only page, template
        prose next to an article cannot be told from the article, and
        keeping it merged different articles in one template as duplicates
        (near-duplicate dev corpus: 12 -> 186 false merges).
        """
        if has_language and repeats is None:
            return set()
        body = _body_prose(doc, kept)
        if not has_language:
            return body
        return {i for i in body if not repeats[i]}


def _body_prose(doc: Document, kept: list[int]) -> set[int]:
    """The prose lines of the main block of the kept lines (see dedupview)."""
    lines = [doc.lines[i] for i in kept]
    start, end, prose = main_block(lines)
    return {kept[j] for j in range(start, end) if prose[j]}
