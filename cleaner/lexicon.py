"""Phrase lexicons: the data behind the phrase rules, one TOML file per language.

Rules live in `cleaner/lexicons/<lang>.toml` (and in user files given with
`--rules`), never in code, so that adding a language is a data change.  Each
table of a file names a rule (`related_link`, `navigation`, `social_prompt`,
`cookie_notice`, `copyright`) and may hold three kinds of entries:

``lines``
    whole lines, compared after `textnorm.line_key` (case, spacing and
    punctuation ignored): "Back to top", "Share on Facebook".
``lead_phrases``
    phrases that open a line and are followed by the end of the line or by a
    separator (``:`` ``-`` ``|`` ``»`` ...) and a title: "Lire aussi : ...".
    "See also the report" (no separator) is not matched, which keeps prose.
``patterns``
    regular expressions (the `regex` module, case-insensitive) that must match
    the whole stripped line.

All languages are loaded together: a French page quoting an English share
button is still a page with a share button.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import regex

from .textnorm import line_key

PHRASE_RULES = ("related_link", "navigation", "social_prompt", "cookie_notice", "copyright")

# What may follow a lead phrase: nothing, or a separator and then anything.
_LEAD_TAIL = r"\s*(?:$|[:：\-–—|»>›…»]+.*$|\.{3}.*$)"
# Longest line the phrase rules look at: boilerplate lines are short, and the
# limit keeps the regexes off long paragraphs.
MAX_PHRASE_LINE = 400


@dataclass
class RuleSet:
    """Compiled phrase rules; `match(line)` returns the rule name or None."""

    whole_lines: dict[str, str] = field(default_factory=dict)  # line_key -> rule
    regexes: list[tuple[str, regex.Pattern]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def match(self, line: str) -> str | None:
        if len(line) > MAX_PHRASE_LINE:
            return None
        # One plain space for any run of whitespace (no-break spaces included),
        # so a pattern's ' ' matches what scrapers leave between words.
        stripped = " ".join(line.split())
        if not stripped:
            return None
        rule = self.whole_lines.get(line_key(stripped))
        if rule is not None:
            return rule
        for name, pattern in self.regexes:
            if pattern.match(stripped):
                return name
        return None


def _read_toml(path: Path | resources.abc.Traversable) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def bundled_lexicon_files() -> list:
    folder = resources.files("cleaner") / "lexicons"
    return sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)


def load_rules(extra_files: list[str | Path] = ()) -> RuleSet:
    """Compile the bundled lexicons plus the user's `--rules` files."""
    files = list(bundled_lexicon_files()) + [Path(p) for p in extra_files]
    leads: dict[str, list[str]] = {r: [] for r in PHRASE_RULES}
    patterns: dict[str, list[str]] = {r: [] for r in PHRASE_RULES}
    ruleset = RuleSet()
    for path in files:
        try:
            data = _read_toml(path)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read rules file {path}: {exc}") from exc
        ruleset.sources.append(str(getattr(path, "name", path)))
        for rule, table in data.items():
            if not isinstance(table, dict):
                continue  # metadata such as `language = "fr"`
            if rule not in PHRASE_RULES:
                raise ValueError(f"{path}: unknown rule table [{rule}]; known: {', '.join(PHRASE_RULES)}")
            for line in table.get("lines", []):
                key = line_key(line)
                if key:
                    ruleset.whole_lines.setdefault(key, rule)
            leads[rule].extend(table.get("lead_phrases", []))
            for pat in table.get("patterns", []):
                try:
                    regex.compile(pat)
                except regex.error as exc:
                    raise ValueError(f"{path}: bad pattern in [{rule}]: {pat!r}: {exc}") from exc
                patterns[rule].append(pat)
    for rule in PHRASE_RULES:
        alternatives = []
        if leads[rule]:
            phrases = sorted({p.strip() for p in leads[rule] if p.strip()}, key=len, reverse=True)
            body = "|".join(regex.escape(p).replace(r"\ ", r"\s+") for p in phrases)
            alternatives.append(rf"[\W_]*(?:{body}){_LEAD_TAIL}")
        alternatives.extend(f"(?:{p})$" for p in patterns[rule])
        if alternatives:
            combined = "|".join(f"(?:{a})" for a in alternatives)
            ruleset.regexes.append((rule, regex.compile(combined, regex.IGNORECASE | regex.UNICODE)))
    return ruleset
