"""Show what cleaning did to a document: every removed line marked with its rule."""
from __future__ import annotations

from .document import Document

_RED = "\x1b[31m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def model_reasons(doc: Document, model, index: int, top: int = 3) -> str:
    """The line model's strongest reasons for line `index`, e.g.
    "words=2 +1.3, sentence_end=0 +0.9, repeated=1 +0.8" (+ = towards boilerplate)."""
    contributions = model.explain(doc.lines, index, repeats=doc.scratch.get("repeats"),
                                  source_docs=doc.scratch.get("source_docs", 1), top=top)
    return ", ".join(f"{name} {value:+.1f}" for name, value in contributions[2:])


def render(doc: Document, color: bool = False, model=None) -> str:
    """The document line by line: kept lines as they are, removed lines
    prefixed with `- [rule]` (and the model score when there is one; with
    `model`, the line model's main reasons too)."""
    out = [f"== {doc.id}" + (f" ({doc.location})" if doc.location and doc.location != doc.id else "")]
    if doc.encoding and doc.encoding != "utf-8":
        out.append(f"   encoding: {doc.encoding}")
    if doc.repairs:
        out.append(f"   repaired: {', '.join(doc.repairs)}")
    for line, removal in zip(doc.lines, doc.removed):
        if removal is None:
            out.append(f"  {line}")
            continue
        label = removal.rule + (f" {removal.score:.2f}" if removal.score is not None else "")
        marked = f"- [{label}] {line}"
        if model is not None and removal.rule == "line_model":
            marked += f"   <- {model_reasons(doc, model, removal.line)}"
        out.append(f"{_RED}{marked}{_RESET}" if color else marked)
    if doc.duplicate:
        d = doc.duplicate
        note = f"   duplicate ({d['dup_kind']}) of {d['duplicate_of']}, similarity {d['similarity']}"
        out.append(f"{_DIM}{note}{_RESET}" if color else note)
    return "\n".join(out)
