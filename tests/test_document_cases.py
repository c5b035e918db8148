"""Data-driven whole-document cases for the in-document rules (tests/cases/documents.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner import CleanOptions, Document, Pipeline

CASES = json.loads((Path(__file__).parent / "cases" / "documents.json").read_text(encoding="utf-8"))["cases"]
RULES_ONLY = CleanOptions(site_repeats=False, line_model=False)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['family']}:{c['name']}" for c in CASES])
def test_document_case(case):
    doc = Pipeline(RULES_ONLY).clean(Document(id="case", text=case["input"], title=case.get("title")))
    assert doc.cleaned_text() == case["expected"]
    assert [r.rule for r in doc.removals()] == case["removed"]
    # cleaning the output again changes nothing
    again = Pipeline(RULES_ONLY).clean(Document(id="again", text=doc.cleaned_text(), title=case.get("title")))
    assert again.cleaned_text() == case["expected"]


@pytest.mark.parametrize("case", [c for c in CASES if c["family"] == "negative" and not c.get("rules_only")],
                         ids=lambda c: c["name"])
def test_negative_cases_survive_the_full_pipeline(case):
    """The learned and cross-document stages must not eat these either."""
    doc = Pipeline().clean(Document(id="case", text=case["input"], title=case.get("title")))
    assert doc.cleaned_text() == case["expected"]
