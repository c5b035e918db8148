"""The document model shared by every stage.

A `Document` carries its text line by line so that stages remove lines by
marking them, not by rebuilding strings: what was removed, where and why stays
available for statistics, `explain` and the audit file (like dolma's
attribute spans).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Collection


@dataclass(slots=True)
class Removal:
    """One removed line: its index in the repaired text, the rule, the text,
    the rule's score where it has one, and, for the line model, the score the
    duplicate stage judges the removal by (see `dedupview.dedup_text`)."""

    line: int
    rule: str
    text: str
    score: float | None = None
    dedup_score: float | None = None

    def as_dict(self) -> dict:
        out = {"line": self.line, "rule": self.rule, "text": self.text}
        if self.score is not None:
            out["score"] = round(self.score, 4)
        return out


@dataclass(slots=True)
class Document:
    """A document travelling through the pipeline.

    `lines` is the repaired text split on '\\n'; `removed[i]` is the Removal of
    line i or None while it is kept.  `record` is the original JSON object (or
    None for text files) so writers can keep every other field unchanged.
    """

    id: str
    text: str
    source: str = ""
    title: str | None = None
    record: dict[str, Any] | None = None
    location: str = ""  # "file:line" for messages
    encoding: str | None = None
    repairs: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    removed: list[Removal | None] = field(default_factory=list)
    duplicate: dict[str, Any] | None = None
    error: str | None = None  # why the record was rejected; set by readers
    raw: bytes | None = None  # the rejected record as read, for the side file
    scratch: dict[str, Any] = field(default_factory=dict)  # stage-private data
    # Lines the output keeps that the duplicate stage leaves out (see
    # `dedupview.dedup_text`; set by the line model).
    dedup_dropped: list[int] = field(default_factory=list)

    def split_lines(self) -> None:
        self.lines = self.text.split("\n")
        self.removed = [None] * len(self.lines)
        self.dedup_dropped = []
        self.scratch.pop("cleaned", None)

    def remove(self, index: int, rule: str, score: float | None = None, dedup_score: float | None = None) -> None:
        if self.removed[index] is None:
            self.removed[index] = Removal(index, rule, self.lines[index], score, dedup_score)
            self.scratch.pop("cleaned", None)

    def kept(self, index: int) -> bool:
        return self.removed[index] is None

    def removals(self) -> list[Removal]:
        return [r for r in self.removed if r is not None]

    def cleaned_text(self) -> str:
        """Kept lines with the document's paragraphing.

        Kept lines that were adjacent stay on adjacent lines; kept lines that
        had a blank or whitespace-only line between them (among any removed
        lines) get exactly one blank line.  No trailing spaces, no leading/trailing blank
        lines.  Applying this to its own output changes nothing.  (Memoized
        until the next `remove`.)
        """
        cached = self.scratch.get("cleaned")
        if cached is None:
            cached = self.scratch["cleaned"] = self.text_keeping()
        return cached

    def text_keeping(self, restored: Callable[[Removal], bool] | None = None, dropped: Collection[int] = ()) -> str:
        """`cleaned_text`, where the removed lines for which `restored(removal)`
        is true count as kept (None: none do), and the kept lines whose index
        is in `dropped` as removed."""
        out: list[str] = []
        gap = False
        for i, (line, removal) in enumerate(zip(self.lines, self.removed)):
            if i in dropped:
                continue
            if removal is not None and (restored is None or not restored(removal)):
                # a line of only (no-break) spaces still separated paragraphs
                gap = gap or removal.rule == "whitespace_line"
                continue
            stripped = line.rstrip()
            if not stripped.strip():
                gap = True
                continue
            if out and gap:
                out.append("")
            out.append(stripped)
            gap = False
        return "\n".join(out)
