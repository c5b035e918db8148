"""Very long documents and lines (a 50 MB page, a single-line dump) are
cleaned and hashed a piece at a time, with the results of the whole: the
pieces are cut at spaces and newlines, which no word spans and across which
no normalization acts.  (Memory is measured in the note and README, not
here: 50 MB in one line took 2.6 GB and now takes about 0.6 GB.)"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner.textnorm as textnorm
from cleaner import CleanOptions, Document, Pipeline
from cleaner.linemodel import MAX_LINE_CHARS
from cleaner.minhash import MinHasher
from cleaner.textnorm import count_words, pieces_at_spaces

# Words that normalize (ligatures, full width, ß, dotted I), CJK and Thai runs
# (character shingles), separators of every kind.
WORDS = ["alpha", "Beta", "ﬁne", "ＡＢＣ", "straße", "İstanbul", "東京都", "の", "ข่าว", "x", "1,000", "—",
         "can't", "naïve", "é"]
SEPARATORS = [" ", " ", "\n", "  ", ", ", "\u00a0", "\t", " \n "]
texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=80).map(
    lambda pairs: "".join(w + s for w, s in pairs))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.integers(1, 40))
def test_pieces_at_spaces_cut_between_words(text, size):
    pieces = list(pieces_at_spaces(text, size))
    assert "".join(pieces) == text
    assert sum(len(piece.split()) for piece in pieces) == len(text.split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.integers(1, 40), st.sampled_from([(5, 5), (1, 1), (2, 3)]), st.booleans())
def test_a_long_text_hashes_as_if_whole(text, piece, ngrams, cjk_lead):
    if cjk_lead:  # enough Chinese to be shingled by characters
        text = "東京都の新しい予算案" * 5 + text
    whole, pieces = MinHasher(ngram=ngrams[0], char_ngram=ngrams[1]), MinHasher(ngram=ngrams[0], char_ngram=ngrams[1])
    pieces.max_text_chars = piece
    long_calls = []
    hash_long = pieces._prepare_long
    pieces._prepare_long = lambda t: long_calls.append(t) or hash_long(t)
    a, b = whole.prepare_many([text]), pieces.prepare_many([text])
    assert bool(long_calls) == (len(text) > piece)  # the pieces were hashed, a piece at a time
    for field in ("sigs", "exact", "near", "char_mode", "n_shingles"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(1, 40))
def test_a_long_line_counts_its_words_as_if_whole(text, piece):
    line = text.replace("\n", " ").replace("東京都", "x").replace("の", "x").replace("ข่าว", "x")
    saved = textnorm._SPLIT_PIECE
    textnorm._SPLIT_PIECE = piece
    try:
        assert count_words(line) == len(line.split())
    finally:
        textnorm._SPLIT_PIECE = saved


def test_a_line_longer_than_the_model_reads_is_cleaned_and_kept():
    prose = "The council met again on Tuesday and the debate went on late into the night. "
    giant = prose * (3 * MAX_LINE_CHARS // len(prose))
    text = "Home\nNews\n" + giant.strip() + "\nShare on Facebook"
    doc = Pipeline().clean(Document(id="giant", text=text))
    assert giant.strip() in doc.cleaned_text().splitlines()
    assert {r.text for r in doc.removals()} >= {"Home", "Share on Facebook"}


def test_a_giant_line_of_numbers_is_not_split_to_look_for_a_page_row():
    from cleaner.linerules import PAGE_ROW_MAX_CHARS, is_page_row

    row = "pages 1 2 3 4 5 6 7"
    assert is_page_row(row)
    assert not is_page_row(" ".join(str(n % 1000) for n in range(PAGE_ROW_MAX_CHARS)))


PAGES = [
    ["Home", "News", "Sport", "The council met on Tuesday and approved the new budget for the city.",
     "It adds two bus lines and keeps the library open later.", "Share on Facebook", "© 2024 City News"],
    ["Menu", "A new electric car will go on sale next year, the company said on Monday.", "Read more", ""],
    ["Kaupunginvaltuusto hyväksyi tiistaina uuden talousarvion.", "Etusivu", "Uutiset", "Urheilu", "", ""],
]


def test_documents_score_the_same_alone_and_together(monkeypatch):
    import cleaner.linemodel as linemodel

    model = linemodel.LineModel.load()
    docs = [(lines, None, 1) for lines in PAGES]
    alone = [model.score_batch_and_language([d]) for d in docs]
    monkeypatch.setattr(linemodel, "MAX_BATCH_LINES", 8)  # groups of at most 8 lines: [0], [1], [2]
    together = model.score_batch_and_language(docs)
    assert together == ([a[0][0] for a in alone], [a[1][0] for a in alone])


def test_a_document_longer_than_a_scoring_call_is_scored_in_pieces(monkeypatch):
    import cleaner.linemodel as linemodel

    model = linemodel.LineModel.load()
    lines = PAGES[0] + PAGES[1][:3] + [""] * 7  # 17 lines: pieces of 7, 7 (three of them blank) and 3 blank
    monkeypatch.setattr(linemodel, "MAX_BATCH_LINES", 7)
    probs, known = model.score_batch_and_language([(lines, None, 1)])
    first = model.score_batch_and_language([(lines[:7], None, 1)])[0][0]
    second = model.score_batch_and_language([(lines[7:14], None, 1)])[0][0]
    assert probs == [first + second + [0.0] * 3] and known == [True]


def test_a_long_documents_line_is_explained_from_its_piece(monkeypatch):
    import cleaner.linemodel as linemodel

    model = linemodel.LineModel.load()
    lines = PAGES[0] + PAGES[1][:3] + [""] * 7
    monkeypatch.setattr(linemodel, "MAX_BATCH_LINES", 7)
    probs = model.score_batch([(lines, None, 1)])[0]
    for i in (2, 8):
        assert model.explain(lines, i)[0] == ("p_boilerplate", probs[i])


def test_a_streams_window_holds_a_bounded_amount_of_text(monkeypatch):
    import cleaner.pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "WINDOW_MAX_CHARS", 2_000)
    page = ("Home\nThe story is told in a sentence of some length here.\n"
            + "Another sentence follows, long enough to count. " * 10)
    read = []

    def stream():
        for n in range(100):
            read.append(n)
            yield Document(id=str(n), text=page.replace("story", f"story {n}"), source="a.example")

    waiting = []  # documents read but not finished when a batch comes out
    for batch in Pipeline(CleanOptions(line_model=False, window=1000)).run_batches(stream()):
        waiting.append(len(read) - int(batch[-1].id) - 1)
    assert len(waiting) > 1 and max(waiting) <= 2_000 // len(page) + 1  # a few pages, not the 1,000 of the window


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["東", "京", "の", "ข", "่", "a", "bb", "word", " ", " ", "x" * 40, "1"]), max_size=80),
       st.integers(1, 12), st.sampled_from([1, 5]))
def test_the_ends_of_a_line_are_read_from_its_ends(parts, end_chars, words):
    """end_words reads only the ends of a line when that is enough: the same as reading it whole."""
    from cleaner.textnorm import end_words

    line = "".join(parts)
    saved = textnorm._END_CHARS
    try:
        whole = end_words(line, words)
        textnorm._END_CHARS = end_chars
        assert end_words(line, words) == whole
    finally:
        textnorm._END_CHARS = saved
