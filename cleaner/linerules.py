"""Stage 3: in-document boilerplate rules.

Each rule removes whole lines and names itself in the Removal, so statistics
and `explain` can say why every line went.  The rules here need only the
document itself; rules that need other documents of the same site live in
`siterepeats`, and the learned line model in `linemodel`.
"""
from __future__ import annotations

import regex

from .dedupview import SENTENCE_STOPS
from .document import Document
from .lexicon import RuleSet, load_rules
from .textnorm import fold_lines, folded_keys, line_key

_SENTENCE_END = regex.compile(f"[{regex.escape(SENTENCE_STOPS + ':;»')}" + r"\"”’)\]]\s*$")

# Dangling fragments after the article: at most this many words, no sentence
# end.  "je suis" is the seed's example; "Tags", "Related" are others.
TRAILING_FRAGMENT_MAX_WORDS = 3
# A paragraph that anchors the end of the article: this many words and a sentence end.
PARAGRAPH_MIN_WORDS = 8


class LineRules:
    """Whitespace/separator lines, phrase rules, repeated titles, dangling tails."""

    name = "line_rules"

    def __init__(self, rules: RuleSet | None = None, extra_rule_files: list[str] = ()):
        self.rules = rules if rules is not None else load_rules(extra_rule_files)

    def apply(self, doc: Document) -> None:
        lines = doc.lines
        if not lines:  # never split: nothing to remove
            doc.scratch["keys"] = []
            return
        # Whole-document passes rather than per-line calls: lines are short.
        folded = fold_lines(lines)
        keys = doc.scratch["keys"] = folded_keys(folded)  # kept for the cross-document stages
        phrase_rules = self.rules.match_lines(lines, folded, keys)
        title_key = line_key(doc.title) if doc.title else None
        title_seen = False  # a title field's text may stand once in the body too
        previous_key = None
        for i, key in enumerate(keys):
            if not key:
                line = lines[i]
                if line:
                    doc.remove(i, "separator_line" if line.strip() else "whitespace_line")
                continue
            rule = phrase_rules.get(i)
            if rule is not None:
                doc.remove(i, rule)
                continue
            if title_key is None:
                title_key = key  # the first line is the title
                title_seen = True
            elif key == title_key:
                if title_seen:
                    doc.remove(i, "repeated_title")
                    continue
                title_seen = True
            if key == previous_key:
                doc.remove(i, "duplicate_line")
                continue
            previous_key = key

    def remove_trailing_fragments(self, doc: Document) -> None:
        """Drop short unpunctuated lines after the last paragraph.

        Run last, once every other stage has removed what it removes, so the
        last paragraph is the last one a reader would see.
        """
        kept = [i for i, r in enumerate(doc.removed) if r is None and doc.lines[i].strip()]
        for i in reversed(kept):
            line = doc.lines[i].strip()
            words = len(line.split())
            if words >= PARAGRAPH_MIN_WORDS and _SENTENCE_END.search(line):
                break
            if words > TRAILING_FRAGMENT_MAX_WORDS or _SENTENCE_END.search(line):
                return  # the tail is not a dangling fragment: leave the document alone
        else:
            return  # no paragraph at all: nothing anchors an "after"
        for j in kept:
            if j > i:
                doc.remove(j, "trailing_fragment")
