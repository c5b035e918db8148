"""Data-driven cases for the phrase lexicons (tests/cases/phrases_<lang>.json).

Each case is a line and the rule `load_rules().match(line)` must return for it:
a rule table name, or null for a line that must be kept (the hard negatives:
prose that starts with or contains the same words as a rule).
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from cleaner.lexicon import PHRASE_RULES, bundled_lexicon_files, compile_all, load_rules

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("phrases_*.json"))
ENTRY_KINDS = {"lines", "lead_phrases", "patterns"}


def _load_cases() -> list[tuple[str, dict]]:
    out = []
    for path in CASE_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        lang = data["language"]
        for i, case in enumerate(data["cases"]):
            out.append((f"{lang}-{i}", case))
    return out


CASES = _load_cases()


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_phrase_case(rules, case):
    assert rules.match(case["line"]) == case["rule"], case.get("why", "")


def test_case_files_are_well_formed():
    assert len(CASE_FILES) >= 12
    for path in CASE_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert path.stem == f"phrases_{data['language']}"
        cases = data["cases"]
        assert cases, path.name
        for case in cases:
            assert set(case) <= {"line", "rule", "why"}, (path.name, case)
            assert case["rule"] is None or case["rule"] in PHRASE_RULES, (path.name, case)
        positives = [c for c in cases if c["rule"] is not None]
        negatives = [c for c in cases if c["rule"] is None]
        assert len(negatives) >= len(positives), f"{path.name}: fewer hard negatives than positives"


def test_every_rule_table_of_a_language_has_positive_cases():
    by_lang = {}
    for path in CASE_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        by_lang[data["language"]] = {c["rule"] for c in data["cases"]}
    for lexicon in bundled_lexicon_files():
        with lexicon.open("rb") as fh:
            data = tomllib.load(fh)
        lang = data.get("language", "und")
        tables = {name for name, table in data.items() if isinstance(table, dict)}
        assert lang in by_lang, f"{lexicon.name}: no tests/cases/phrases_{lang}.json"
        missing = tables - by_lang[lang]
        assert not missing, f"{lexicon.name}: no positive case for {sorted(missing)}"


@pytest.mark.parametrize("lexicon", bundled_lexicon_files(), ids=lambda p: p.name)
def test_bundled_lexicon_parses_and_uses_known_tables(lexicon):
    with lexicon.open("rb") as fh:
        data = tomllib.load(fh)
    tables = {name: table for name, table in data.items() if isinstance(table, dict)}
    assert tables, f"{lexicon.name} defines no rule table"
    for name, table in tables.items():
        assert name in PHRASE_RULES, f"{lexicon.name}: unknown rule table [{name}]"
        assert set(table) <= ENTRY_KINDS, f"{lexicon.name} [{name}]: unknown keys {set(table) - ENTRY_KINDS}"
        for kind in ENTRY_KINDS & set(table):
            assert isinstance(table[kind], list) and table[kind], f"{lexicon.name} [{name}].{kind}"
    # every file compiles on its own, too
    load_rules([])


def test_user_rules_file_adds_a_rule(tmp_path):
    line = "Zorblax the frobnicator: see our other gadgets"
    assert load_rules().match(line) is None
    user = tmp_path / "mine.toml"
    user.write_text(
        'language = "en"\n'
        "[related_link]\n"
        'lead_phrases = ["zorblax the frobnicator"]\n'
        "[social_prompt]\n"
        'lines = ["ping us on the fediverse"]\n',
        encoding="utf-8",
    )
    rules = load_rules([user])
    assert rules.match(line) == "related_link"
    assert rules.match("Ping us on the Fediverse!") == "social_prompt"
    assert rules.match("Zorblax the frobnicator is a fine machine.") is None
    assert "mine.toml" in rules.sources[-1]


def test_user_rules_file_with_unknown_table_is_rejected(tmp_path):
    user = tmp_path / "bad.toml"
    user.write_text('[menus]\nlines = ["home"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown rule table"):
        load_rules([user])


def test_every_bundled_pattern_compiles():
    """Patterns compile lazily at run time; this is where a bad one shows up."""
    compile_all(load_rules())
