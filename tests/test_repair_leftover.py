"""The repair stage finishes what ftfy started in a document: lines ftfy's
per-line detector leaves as mojibake are re-decoded when other lines of the
same document were (cases in tests/cases/repair.json)."""
from __future__ import annotations

import json
from pathlib import Path

import ftfy
import pytest

from cleaner import Document, Pipeline
from cleaner.repair import FTFY_CONFIG, repair_document, repair_text

CASES = json.loads((Path(__file__).parent / "cases" / "repair.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_repair_case(case):
    fixed, _ = repair_document(case["input"])
    assert fixed == case["expected"]
    assert repair_document(fixed) == (fixed, [])  # repairing the output again changes nothing
    if case["family"] == "negative":
        assert fixed == ftfy.fix_text(case["input"], FTFY_CONFIG)
    else:
        assert fixed != ftfy.fix_text(case["input"], FTFY_CONFIG)  # ftfy alone leaves some mojibake


def test_leftover_step_is_named_when_explaining():
    text = CASES[0]["input"]
    _, steps = repair_document(text, explain=True)
    assert "leftover_mojibake:sloppy-windows-1252" in steps
    assert repair_document(text)[1] == ["ftfy"]
    # repair_text stays exactly ftfy (the differential tests hold it to that)
    assert repair_text(text)[0] == ftfy.fix_text(text, FTFY_CONFIG)


def test_pipeline_repairs_the_whole_document():
    doc = Pipeline().prepare(Document(id="a", text=CASES[0]["input"]))
    assert doc.lines[1:3] == ["▼ 2012 (46)", "► November 2012 (1)"]
    assert doc.repairs == ["ftfy"]
