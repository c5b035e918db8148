"""The counting pass hands its ftfy repairs to the cleaning pass (one ftfy run
per text, not two), and a stale or unwanted repair is never used."""
from __future__ import annotations

import pytest

import cleaner.pipeline as pipeline_module
from cleaner import Document
from cleaner.pipeline import CleanOptions, Pipeline, RepairStep
from cleaner.repair import repair_text

MOJIBAKE = "CafÃ© crÃ¨me, thÃ© et chocolat chaud pour tout le monde ce matin."


def counted_repairs(monkeypatch) -> list[str]:
    calls: list[str] = []

    def counting(text, explain=False):
        calls.append(text)
        return repair_text(text, explain=explain)

    monkeypatch.setattr(pipeline_module, "repair_document", counting)
    return calls


def test_cleaning_pass_reuses_the_counting_pass_repair(monkeypatch):
    calls = counted_repairs(monkeypatch)
    pipeline = Pipeline()
    first = Document(id="a", text=MOJIBAKE, source="s", location="f.jsonl:1")
    pipeline.observe(first)  # pass 1
    again = Document(id="a", text=MOJIBAKE, source="s", location="f.jsonl:1")
    pipeline.prepare(again)  # pass 2: the same record read again
    assert calls == [MOJIBAKE]
    assert again.text == repair_text(MOJIBAKE)[0] and again.repairs == ["ftfy"]
    assert pipeline.repair.stats["documents_repaired"] == 1
    assert not pipeline.repair.repaired  # used once, then forgotten


def test_a_changed_text_is_repaired_again(monkeypatch):
    calls = counted_repairs(monkeypatch)
    pipeline = Pipeline()
    pipeline.observe(Document(id="a", text=MOJIBAKE, source="s", location="f.jsonl:1"))
    changed = MOJIBAKE.replace("matin", "soir")
    doc = Document(id="a", text=changed, source="s", location="f.jsonl:1")
    pipeline.prepare(doc)
    assert calls == [MOJIBAKE, changed] and doc.text == repair_text(changed)[0]


def test_explained_repairs_and_the_budget_are_respected(monkeypatch):
    explained = RepairStep(explain=True)
    explained.remember("x", MOJIBAKE, repair_text(MOJIBAKE))
    assert not explained.repaired  # explain wants ftfy's step names: recomputed
    monkeypatch.setattr(pipeline_module, "REPAIR_CACHE_CHARS", 10)
    small = RepairStep()
    small.remember("x", MOJIBAKE, repair_text(MOJIBAKE))
    assert not small.repaired
    unchanged = RepairStep()
    unchanged.remember("x", "plain text", None)
    assert not unchanged.repaired


@pytest.mark.parametrize("explain", [False, True])
def test_explain_repairs_option_still_names_the_fixes(explain):
    pipeline = Pipeline(CleanOptions(explain_repairs=explain))
    pipeline.observe(Document(id="a", text=MOJIBAKE, source="s", location="f:1"))
    doc = Document(id="a", text=MOJIBAKE, source="s", location="f:1")
    pipeline.prepare(doc)
    assert doc.repairs == repair_text(MOJIBAKE, explain=explain)[1]
