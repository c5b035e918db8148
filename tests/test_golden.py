"""The seed article: every variant cleans to exactly the expected text, through
the library, the directory runner and the pipe."""
from __future__ import annotations

import subprocess
import sys

import pytest

from cleaner import Pipeline, clean_text, decode_bytes
from cleaner.document import Document

from .conftest import SEED, SEED_VARIANTS, SEEDS


@pytest.mark.parametrize("variant", SEED_VARIANTS)
def test_library_cleans_seed_variants(variant, seed_expected):
    text, _ = decode_bytes((SEEDS / f"{SEED}.{variant}").read_bytes())
    assert clean_text(text) + "\n" == seed_expected


def test_cleaning_is_idempotent(seed_expected):
    assert clean_text(seed_expected) + "\n" == seed_expected


def test_removed_lines_are_named(seed_expected):
    text = (SEEDS / f"{SEED}.txt").read_text(encoding="utf-8")
    doc = Pipeline().clean(Document(id="seed", text=text))
    rules = {r.rule for r in doc.removals()}
    assert {"repeated_title", "related_link", "social_prompt", "navigation", "separator_line",
            "trailing_fragment", "whitespace_line"} <= rules
    removed_text = "\n".join(r.text for r in doc.removals())
    assert "Lire aussi" in removed_text and "je suis" in removed_text


def test_directory_run_matches_expected(tmp_path, seed_expected):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "cleaner.cli", "run", str(SEEDS), "-o", str(out), "--quiet"],
                   check=True)
    for variant in SEED_VARIANTS + ["clean.txt"]:
        assert (out / f"{SEED}.{variant}").read_text(encoding="utf-8") == seed_expected
    # the seed folder holds one article five times: the copies are flagged, not lost
    dups = (out / "_duplicates.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(dups) == 4


@pytest.mark.parametrize("variant", SEED_VARIANTS)
def test_pipe_matches_expected(variant, seed_expected):
    data = (SEEDS / f"{SEED}.{variant}").read_bytes()
    result = subprocess.run([sys.executable, "-m", "cleaner.cli", "run", "-", "--quiet"], input=data,
                            capture_output=True, check=True)
    assert result.stdout.decode("utf-8") == seed_expected
    assert result.stderr == b""
