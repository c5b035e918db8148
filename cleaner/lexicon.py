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
    the whole stripped line.  A pattern should start with literal text (see
    `phrasegate`: lines that cannot start that way are never tried); one that
    cannot may be written `{ re = "...", needs = ["cookie"] }`, and is then
    tried only on lines containing one of the `needs` strings.

All languages are loaded together: a French page quoting an English share
button is still a page with a share button.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import regex

from .phrasegate import Gate, LineScanner, line_scanner, literal_prefixes, required_substrings
from .textnorm import fold, line_key

PHRASE_RULES = ("related_link", "navigation", "social_prompt", "cookie_notice", "copyright")

# What may follow a lead phrase: nothing, or a separator and a title of at most
# 200 characters; a dash only with a space before it, so "Related-party" is prose.
_LEAD_TAIL = r"\s*(?:$|(?:[:：|»>›…]+|\s[\-–—]+)\s*.{0,200}$|[\-–—]+$|\.{3}.{0,200}$)"
# Longest line the phrase rules look at: boilerplate lines are short, and the
# limit keeps the regexes off long paragraphs.
MAX_PHRASE_LINE = 400
# Literal starts are indexed by up to this many characters.
_INDEX_CHARS = 3
# Lines whose pattern rule is remembered: boilerplate recurs across a site's pages.
_MEMO_SIZE = 20_000
_UNSEEN = object()


def normalize_space(line: str) -> str:
    return " ".join(line.split())


@dataclass
class Alternative:
    """One compiled phrase pattern and the literal starts that gate it."""

    rule_order: int
    rule: str
    source: str  # compiled on first use: most patterns never meet a candidate line
    prefixes: tuple[str, ...] | None  # None: no literal start, always tried
    needs: tuple[str, ...] | None = None  # ungated: a line must contain one of these (folded) strings
    _compiled: regex.Pattern | None = None

    @property
    def pattern(self) -> regex.Pattern:
        if self._compiled is None:
            self._compiled = _compile(self.source)
        return self._compiled


@dataclass
class RuleSet:
    """Compiled phrase rules; `match(line)` returns the rule name or None,
    `match_lines` the rules of a whole document's lines."""

    whole_lines: dict[str, str] = field(default_factory=dict)  # line_key -> rule
    # gated alternatives by the first 1-3 characters of their literal starts
    by_start: dict[str, list[Alternative]] = field(default_factory=dict)
    ungated_always: list[Alternative] = field(default_factory=list)
    ungated_needs: list[Alternative] = field(default_factory=list)
    # each `needs` string -> indices in `ungated_needs` of the alternatives it
    # admits: one `in` test per string costs less than a regex per alternative
    by_need: dict[str, list[int]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    _scanner: LineScanner | None = field(default=None, repr=False, compare=False)  # built on first use
    _memo: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)  # line -> pattern rule

    def add(self, alt: Alternative) -> None:
        self._scanner = None
        self._memo.clear()
        if alt.prefixes is None:
            if alt.needs is None:
                self.ungated_always.append(alt)
                return
            for need in alt.needs:
                self.by_need.setdefault(need, []).append(len(self.ungated_needs))
            self.ungated_needs.append(alt)
            return
        for start in {p[:_INDEX_CHARS] for p in alt.prefixes}:
            bucket = self.by_start.setdefault(start, [])
            if alt not in bucket:
                bucket.append(alt)

    def _gated(self, text: str) -> list[Alternative]:
        found = []
        for n in range(1, _INDEX_CHARS + 1):
            for alt in self.by_start.get(text[:n], ()):
                if text.startswith(alt.prefixes):
                    found.append(alt)
        return found

    def match(self, line: str, key: str | None = None) -> str | None:
        """The rule matching `line`, if any (`key`: its line_key, if known)."""
        return self._match(line, key, True)

    def _match(self, line: str, key: str | None, may_need: bool) -> str | None:
        """`match`; `may_need` False says the line holds no `needs` string, which
        only spares a test that would fail, so the memo serves both cases."""
        if len(line) > MAX_PHRASE_LINE:
            return None
        # One plain space for any run of whitespace (no-break spaces included),
        # so a pattern's ' ' matches what scrapers leave between words.
        stripped = normalize_space(line)
        if not stripped:
            return None
        rule = self.whole_lines.get(line_key(stripped) if key is None else key)
        if rule is not None:
            return rule
        rule = self._memo.get(stripped, _UNSEEN)
        if rule is _UNSEEN:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            rule = self._memo[stripped] = self._match_patterns(stripped, may_need)
        return rule

    def _match_patterns(self, stripped: str, may_need: bool) -> str | None:
        """The rule of the first pattern, in rule order, that the gates admit
        and that matches `stripped` (a space-normalized line), if any."""
        folded, bare = Gate.views(fold(stripped))
        candidates = self._gated(folded)
        if bare and bare != folded:
            candidates += self._gated(bare)
        candidates += self.ungated_always
        if may_need:
            admitted = {i for need, alts in self.by_need.items() if need in folded for i in alts}
            candidates += [self.ungated_needs[i] for i in sorted(admitted)]
        best: Alternative | None = None
        for alt in candidates:
            if (best is None or alt.rule_order < best.rule_order) and alt.pattern.match(stripped):
                best = alt
        return best.rule if best is not None else None

    def match_lines(self, lines: list[str], folded: bytes, keys: list[str]) -> dict[int, str]:
        """{i: rule} for the lines of a document that a rule matches.

        The same as `match(lines[i].strip(), keys[i])` for every line with a
        non-empty key (`folded`: `textnorm.fold_lines(lines)`, `keys`: its
        `folded_keys`), but `match` runs only on the lines whose key is a
        whole-line rule or that the scanner finds: most lines are neither.
        """
        starting, containing = self._line_scanner().lines(folded)
        if self.ungated_always:
            candidates = range(len(lines))
        else:
            whole = self.whole_lines
            candidates = starting | containing
            candidates.update(i for i, key in enumerate(keys) if key in whole)
        found = {}
        for i in candidates:
            if keys[i]:
                rule = self._match(lines[i].strip(), keys[i], i in containing)
                if rule is not None:
                    found[i] = rule
        return found

    def _line_scanner(self) -> LineScanner:
        if self._scanner is None:
            prefixes = frozenset(p for bucket in self.by_start.values() for alt in bucket for p in alt.prefixes)
            self._scanner = line_scanner(prefixes, frozenset(self.by_need))
        return self._scanner


def _read_toml(path: Path | resources.abc.Traversable) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def bundled_lexicon_files() -> list:
    folder = resources.files("cleaner") / "lexicons"
    return sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)


def _compile(source: str, flags=regex.IGNORECASE | regex.UNICODE) -> regex.Pattern:
    return regex.compile(source, flags)


def load_rules(extra_files: list[str | Path] = ()) -> RuleSet:
    """Compile the bundled lexicons plus the user's `--rules` files."""
    bundled_files = list(bundled_lexicon_files())
    files = bundled_files + [Path(p) for p in extra_files]
    ruleset = RuleSet()
    order = {rule: i for i, rule in enumerate(PHRASE_RULES)}
    for path in files:
        try:
            data = _read_toml(path)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read rules file {path}: {exc}") from exc
        ruleset.sources.append(str(getattr(path, "name", path)))
        bundled = path in bundled_files
        for rule, table in data.items():
            if not isinstance(table, dict):
                continue  # metadata such as `language = "fr"`
            if rule not in PHRASE_RULES:
                raise ValueError(f"{path}: unknown rule table [{rule}]; known: {', '.join(PHRASE_RULES)}")
            for line in table.get("lines", []):
                key = line_key(line)
                if not key:
                    raise ValueError(f"{path}: [{rule}] line {line!r} has no letters or digits; "
                                     "write it as a pattern")
                ruleset.whole_lines.setdefault(key, rule)
            for phrase in table.get("lead_phrases", []):
                phrase = normalize_space(phrase)
                if not phrase:
                    continue
                body = regex.escape(phrase).replace(r"\ ", r"\s+")
                ruleset.add(Alternative(order[rule], rule, rf"[\W_]*(?:{body}){_LEAD_TAIL}",
                                        (fold(phrase),)))
            for entry in table.get("patterns", []):
                source = entry if isinstance(entry, str) else entry.get("re", "")
                needs = None if isinstance(entry, str) else entry.get("needs")
                if not bundled:  # the bundled ones are compiled by the test suite
                    try:
                        _compile(source)
                    except regex.error as exc:
                        raise ValueError(f"{path}: bad pattern in [{rule}]: {source!r}: {exc}") from exc
                prefixes = literal_prefixes(source)
                if needs is None and not prefixes:
                    needs = required_substrings(source)
                ruleset.add(Alternative(order[rule], rule, f"(?:{source})$", tuple(prefixes) if prefixes else None,
                                        tuple(fold(n) for n in needs) if needs else None))
    return ruleset


def compile_all(ruleset: RuleSet) -> None:
    """Compile every pattern now (tests; a user who wants errors up front)."""
    for bucket in [*ruleset.by_start.values(), ruleset.ungated_always, ruleset.ungated_needs]:
        for alt in bucket:
            alt.pattern  # noqa: B018 - compiles
