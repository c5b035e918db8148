"""The body the duplicate detector hashes (`cleaner.dedupview`)."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaner import Document
from cleaner.dedupview import DEDUP_RESTORES_SCORES_BELOW, SENTENCE_END, dedup_text, dedup_view, ends_sentence, is_prose

# Stops, closers, quotes, spaces (incl. no-break and ideographic) and letters.
ALPHABET = ".!?…。！？।॥۔؟։።។။\"'”’»)][ \t\u00a0\u3000abcXYZ:;,-"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=12))
@example("He said so.\u201d ")
@example("A list: )")
@example("")
@example(" \u00a0")
def test_ends_sentence_is_the_regular_expression(line):
    assert ends_sentence(line) == (SENTENCE_END.search(line) is not None)


def test_prose_needs_words_and_a_sentence_end():
    assert is_prose("The council approved the budget on Tuesday.", 7)
    assert is_prose("« Nous reviendrons », a-t-il promis aux électeurs »", 8)
    assert not is_prose("Home About Contact Archives Categories Tags", 6)  # no sentence end
    assert not is_prose("Read more.", 2)  # too short


ARTICLE = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "Spending on schools rises by four percent, the first increase in six years.",
    "Opposition members said the plan relies on optimistic revenue forecasts.",
    "A final vote on the related tax measures is expected next month.",
]


def test_view_is_the_main_block_of_prose():
    page = "\n".join(
        ["Home", "News", "Sports", "Weather"]
        + ARTICLE
        + ["Share", "Tweet", "Most read", "Budget talks stall again", "Comments (3)", "Nice article, thanks for writing it."]
    )
    assert dedup_view(page) == "\n".join(ARTICLE)


def test_view_of_a_page_with_little_prose_is_the_whole_text():
    page = "Budget approved\nCouncil votes 7-2\nSchools get more money."
    assert dedup_view(page) == page
    assert dedup_view("") == ""


def _cleaned(lines, removals):
    doc = Document(id="d", text="\n".join(lines))
    doc.split_lines()
    for index, rule, score in removals:
        doc.remove(index, rule, score)
    return doc


def test_duplicate_stage_sees_the_lines_the_line_model_doubted_and_the_output_does_not():
    doubtful = DEDUP_RESTORES_SCORES_BELOW - 0.01
    doc = _cleaned(["Budget approved", "", "By Anna Smith, Paris", "", "The council approved the budget.",
                    "", "Home | News | Sport", "Share on Facebook"],
                   [(2, "line_model", doubtful), (6, "line_model", 0.99), (7, "social", None)])
    assert doc.cleaned_text() == "Budget approved\n\nThe council approved the budget."
    assert dedup_text(doc) == "Budget approved\n\nBy Anna Smith, Paris\n\nThe council approved the budget."
    assert doc.cleaned_text() == "Budget approved\n\nThe council approved the budget."  # memo untouched


def test_dedup_text_is_the_cleaned_text_when_nothing_was_doubted():
    doc = _cleaned(["Title", "Body line one.", "Menu"], [(2, "line_model", DEDUP_RESTORES_SCORES_BELOW)])
    assert dedup_text(doc) == doc.cleaned_text() == "Title\nBody line one."


def test_with_a_tree_model_the_duplicate_stage_judges_by_the_logistic_scores():
    # Removed by the trees (score 0.99) but doubted by the logistic stage: restored
    # for hashing; removed with a logistic score above the cut: stays out.
    doc = Document(id="d", text="Title\nBy Anna Smith\nThe council approved the budget.\nShare this")
    doc.split_lines()
    doc.remove(1, "line_model", 0.99, DEDUP_RESTORES_SCORES_BELOW - 0.01)
    doc.remove(3, "line_model", 0.60, DEDUP_RESTORES_SCORES_BELOW + 0.01)
    assert doc.cleaned_text() == "Title\nThe council approved the budget."
    assert dedup_text(doc) == "Title\nBy Anna Smith\nThe council approved the budget."


def test_lines_the_output_keeps_but_the_logistic_stage_scores_as_boilerplate_are_not_hashed():
    doc = Document(id="d", text="Home | News\n\nThe council approved the budget.\nMost read")
    doc.split_lines()
    doc.dedup_dropped = [0, 3]
    assert doc.cleaned_text() == "Home | News\n\nThe council approved the budget.\nMost read"
    assert dedup_text(doc) == "The council approved the budget."
    doc.split_lines()  # cleaning again starts from nothing
    assert dedup_text(doc) == doc.cleaned_text()


def _stepped(lines, probs, dedup_probs):
    from cleaner.linemodel_step import LineModelStep

    step = LineModelStep()
    step.threshold = 0.5
    doc = Document(id="d", text="\n".join(lines))
    doc.split_lines()
    step._remove(doc, probs, True, None, dedup_probs)
    return doc


def test_the_line_model_step_marks_what_the_duplicate_stage_leaves_out():
    lines = ["Home | News | Sport", "The council approved the budget on Tuesday.", "Most read today", "Share"]
    hi, lo = DEDUP_RESTORES_SCORES_BELOW + 0.1, DEDUP_RESTORES_SCORES_BELOW - 0.1
    doc = _stepped(lines, [0.1, 0.1, 0.1, 0.9], [hi, lo, hi, lo])
    assert doc.cleaned_text() == "\n".join(lines[:3])  # the trees decide the output
    assert dedup_text(doc) == "The council approved the budget on Tuesday.\nShare"
    # every line scored as boilerplate by the logistic stage: the least sure one stays to compare
    doc = _stepped(lines, [0.1, 0.1, 0.9, 0.9], [hi + 0.05, hi, hi, hi])
    assert dedup_text(doc) == "The council approved the budget on Tuesday."
