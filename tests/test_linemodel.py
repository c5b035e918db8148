"""Unit tests of the line boilerplate model (cleaner/linemodel.py).

Each signal is tested on a small hand-made page with positives and negatives;
the page is the kind of thing a naive HTML-to-text extraction produces.
"""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from cleaner.linemodel import (
    _word_bounds,
    CONTEXT_FEATURES,
    FEATURE_DOCS,
    FEATURES,
    LineModel,
    batch_features,
    detect_language,
)

MENU = ["Home", "News", "Sports", "Business", "Entertainment", "Contact Us"]
PARAGRAPHS = [
    "The city council voted on Tuesday to approve a new budget that increases spending on "
    "public transport, after months of debate between the mayor and the opposition.",
    "According to the finance department, the plan will add two new bus lines and extend the "
    "opening hours of the central library, which had been cut during the last recession.",
    "Critics said the budget relies on optimistic revenue forecasts, and that the city could "
    "face a shortfall if the economy slows down next year, as some economists expect.",
    "The mayor rejected those concerns in a statement, saying that the investments would pay "
    "for themselves by attracting new businesses to the downtown area over the next decade.",
    "It passed.",
]
FOOTER = [
    "12 comments",
    "Posted on 3 May 2012",
    "Share on Facebook",
    "© 2012 Example Media. All rights reserved.",
    "Privacy Policy | Terms of Use | About Us",
]
TITLE = "City council approves new budget"
PAGE = MENU + [TITLE, "By Jane Smith"] + PARAGRAPHS + FOOTER


@pytest.fixture(scope="module")
def model() -> LineModel:
    return LineModel.load()


def idx(line: str) -> int:
    return PAGE.index(line)


def feats(lines, repeats=None, source_docs=1, **kw):
    doc, line, X = batch_features([(lines, repeats, source_docs)], **kw)
    return {name: X[:, j] for j, name in enumerate(FEATURES)}, line


# -- model file ------------------------------------------------------------------------

def test_model_file_loads_and_matches_features(model):
    spec = json.loads(resources.files("cleaner").joinpath("models").joinpath("line_model.json").read_text())
    assert spec["stage1"]["features"] == list(FEATURES)
    assert spec["stage2"]["features"] == list(FEATURES) + list(CONTEXT_FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert "training_data" in spec and "dragnet" in spec["training_data"]
    assert LineModel.load() is model  # cached


def test_every_feature_is_documented():
    assert set(FEATURE_DOCS) == set(FEATURES)
    assert all(len(doc) > 10 for doc in FEATURE_DOCS.values())


# -- scores on a page -------------------------------------------------------------------

def test_paragraphs_are_content(model):
    p = model.score(PAGE)
    for para in PARAGRAPHS[:4]:
        assert p[idx(para)] < model.threshold, para


def test_short_last_sentence_of_a_paragraph_block_is_kept(model):
    p = model.score(PAGE)
    assert p[idx("It passed.")] < model.threshold


def test_menu_run_is_boilerplate(model):
    p = model.score(PAGE)
    for item in MENU:
        assert p[idx(item)] >= model.threshold, item


def test_date_and_counter_lines_are_boilerplate(model):
    # Far above the article's paragraphs: more than halfway from them to the
    # threshold.  (Removal needs P >= threshold, which is set for content
    # recall >= 0.95 on the noisiest set; a lone date/counter below a body is
    # kept unless other evidence - repeats across the site, a template block -
    # adds to it.)
    p = model.score(PAGE)
    prose = max(p[idx(x)] for x in PARAGRAPHS[:4])
    for line in FOOTER:
        assert p[idx(line)] > prose + 0.5 * (model.threshold - prose), line
    # the same lines repeated on other pages of the site are removed
    reps = [30 if x in FOOTER or x in MENU else 0 for x in PAGE]
    q = model.score(PAGE, repeats=reps, source_docs=50)
    for line in FOOTER:
        assert q[idx(line)] >= model.threshold, line


def test_line_repeated_in_many_articles_is_boilerplate(model):
    line = "Sign up for our newsletter and get the best stories of the week in your inbox."
    lines = PARAGRAPHS[:3] + [line] + PARAGRAPHS[3:4]
    alone = model.score(lines)[3]
    reps = [0, 0, 0, 40, 0]
    seen = model.score(lines, repeats=reps, source_docs=60)[3]
    assert seen > alone
    assert seen >= model.threshold
    # and unrepeated paragraphs stay content when repeat counts are known
    assert max(model.score(lines, repeats=reps, source_docs=60)[i] for i in (0, 1, 2, 4)) < model.threshold


def test_repeats_ignored_without_cross_document_evidence(model):
    lines = PAGE
    assert model.score(lines, repeats=None) == model.score(lines, repeats=[5] * len(lines), source_docs=1)


def test_blank_lines_score_zero_and_are_skipped_as_context(model):
    spaced = []
    for ln in PAGE:
        spaced += [ln, "   "]
    p = model.score(spaced)
    assert all(v == 0.0 for v in p[1::2])
    dense = model.score(PAGE)
    assert np.allclose(p[0::2], dense)


def test_scores_are_deterministic_and_batch_equals_single(model):
    a = model.score(PAGE)
    b = model.score(list(PAGE))
    assert a == b
    other = PARAGRAPHS[::-1]
    batch = model.score_batch([(PAGE, None, 1), (other, None, 1), ([], None, 1), (["", ""], None, 1)])
    assert np.allclose(batch[0], a)
    assert np.allclose(batch[1], model.score(other))
    assert batch[2] == [] and batch[3] == [0.0, 0.0]


def test_keep_mask_never_empties_a_document(model):
    junk = ["Home", "News", "Login", "Share"]
    keep = model.keep_mask(junk)
    assert any(keep)
    assert model.keep_mask(["", " "]) == [True, True]
    assert model.keep_mask([]) == []


def test_explain_returns_contributions(model):
    i = idx("12 comments")
    ex = model.explain(PAGE, i)
    assert ex[0][0] == "p_boilerplate"
    assert abs(ex[0][1] - model.score(PAGE)[i]) < 1e-9
    assert ex[1][0] == "bias"
    names = [n.split("=")[0] for n, _ in ex[2:]]
    assert len(names) == 10 and all(n in FEATURES + CONTEXT_FEATURES + ("rep_prior", "short_text") for n in names)
    # contributions are sorted by magnitude and sum (with all others) to the logit
    mags = [abs(v) for _, v in ex[2:]]
    assert mags == sorted(mags, reverse=True)
    full = model.explain(PAGE, i, top=len(FEATURES) + len(CONTEXT_FEATURES) + 2)
    z = ex[1][1] + sum(v for _, v in full[2:])
    assert abs(1 / (1 + np.exp(-z)) - ex[0][1]) < 1e-6
    assert model.explain(["a", "", "b"], 1)[0] == ("p_boilerplate", 0.0)


def test_works_without_a_stop_list_language(model):
    # Japanese has no stop list: the neutral regime must still separate a menu from prose.
    lines = ["ホーム", "ニュース", "スポーツ",
             "東京都は火曜日、公共交通機関への支出を増やす新しい予算案を承認した。議会では数か月にわたって議論が続いていた。",
             "財務局によると、この計画では新しいバス路線が二つ追加され、中央図書館の開館時間も延長される。"]
    p = model.score(lines)
    assert max(p[3:]) < min(p[:3])


# -- individual signals -----------------------------------------------------------------

def test_word_counts_and_sentence_ends():
    f, _ = feats(["Hello, world. This is it!", "Menu item", "A list:", "Read more...", "(quoted.)"])
    assert np.allclose(np.expm1(f["log_words"]), [5, 2, 2, 2, 1])
    assert list(f["end_sentence"]) == [1, 0, 0, 1, 1]
    assert list(f["end_colon"]) == [0, 0, 1, 0, 0]
    assert list(f["end_ellipsis"]) == [0, 0, 0, 1, 0]
    # the stops of other scripts: Devanagari danda, Urdu full stop, Arabic question mark
    g, _ = feats(["महापौर ने धन्यवाद दिया।", "شہر نے بجٹ منظور کیا۔", "هل وافق المجلس؟", "समाचार"])
    assert list(g["end_sentence"]) == [1, 1, 1, 0]
    assert list(f["end_alnum"]) == [0, 1, 0, 0, 0]


def test_counters_dates_urls_copyright():
    lines = ["12 comments", "Views: 1234", "Posted on 3 May 2012", "Updated 14:30",
             "Visit www.example.com today", "Copyright 2010 ACME Inc.",
             "The meeting lasted for 12 hours and ended without any agreement on the new rules."]
    f, _ = feats(lines)
    assert list(f["counter_like"]) == [1, 1, 0, 1, 0, 0, 0]  # "Updated 14:30" is short and numeric too
    assert list(f["date_short"][:4]) == [0, 0, 1, 1]
    assert f["date_short"][6] == 0
    assert list(f["url"]) == [0, 0, 0, 0, 1, 0, 0]
    assert list(f["copyright"]) == [0, 0, 0, 0, 0, 1, 0]


def test_separators_titles_and_runs():
    lines = ["Home | News | Sports", "Breaking News About The Big Game", "Home", "About", "Contact",
             "This is a normal sentence about nothing in particular."]
    f, _ = feats(lines)
    assert f["log_separators"][0] > 0 and f["log_separators"][5] == 0
    assert f["title_share"][1] == 1.0 and f["title_share"][5] < 0.2
    assert f["short_run"][3] == pytest.approx(np.log1p(5))  # lines 0, 2-4 are short: run 0..4
    assert f["short_run"][5] == 0


def test_duplicates_within_the_document():
    f, _ = feats(["Top story", "Some text here.", "TOP STORY", "Other"])
    assert list(f["dup_in_doc"]) == [1, 0, 1, 0]
    assert list(f["dup_not_first"]) == [0, 0, 1, 0]


def test_duplicates_of_short_words_are_told_apart():
    # word keys are mixed before they are summed: one- and two-letter words
    # used to add nothing to a line's key ("Hotel A" == "Hotel B")
    f, _ = feats(["Hotel A", "from 95", "Hotel B", "from 10", "Hotel A"])
    assert list(f["dup_in_doc"]) == [1, 0, 0, 0, 1]


# A made-up hotel listing page.
LISTING = ["Hotels in Springfield", "Hotel Riverside", "from € 72.10", "512 reviews",
           "Old Mill Inn", "from € 48.00", "87 reviews",
           "Grand Central Hotel", "from € 131.50", "2040 reviews",
           "Harbour View Lodge", "from € 64.25", "329 reviews"]


def test_listing_rows_share_their_shape():
    f, _ = feats(LISTING)
    i = LISTING.index("from € 72.10")
    assert f["shape_rep"][i] == pytest.approx(np.log1p(3))  # 3 other "from € N" rows
    assert f["shape_rep"][LISTING.index("512 reviews")] == pytest.approx(np.log1p(3))
    assert f["shape_rep"][0] == 0  # "Hotels in Springfield": no other line starts and ends so
    # negative: sentences of a paragraph that merely start alike are not rows
    g, _ = feats(PARAGRAPHS)
    assert not g["shape_rep"].any()
    # one-word lines and exact copies do not count as rows
    h, _ = feats(["Home", "Home", "News about the town", "News about the town"])
    assert not h["shape_rep"].any()


def test_price_signal():
    lines = ["from € 72.10", "EUR 39.90", "Price: $25 and up", "£5 off", "USD",
             "The company earned 5 million dollars in 2019, up from 3 million.",
             "Save with $ signs", "Costs 12€"]
    f, _ = feats(lines)
    assert list(f["price"]) == [1, 1, 1, 1, 0, 0, 0, 1]


def test_listing_rows_are_boilerplate_and_prose_with_prices_is_kept(model):
    page = LISTING + PARAGRAPHS[:2]
    p = model.score(page)
    rows = [i for i, x in enumerate(page) if x.startswith("from €") or x.endswith("reviews")]
    assert all(p[i] >= model.threshold for i in rows), [(page[i], p[i]) for i in rows]
    # negative: an article that quotes prices keeps its sentences
    article = PARAGRAPHS[:2] + [
        "Tickets cost $25 for adults and $12 for children, the organisers said on Monday, "
        "and the proceeds will go to the local hospital.",
        "A second sentence about the same prices, $25 and $12, explains why the event is cheap this year.",
    ] + PARAGRAPHS[2:4]
    q = model.score(article)
    assert all(v < model.threshold for v in q), list(zip(article, q))


def test_stop_share_uses_the_documents_language():
    de = ["Der Hund und die Katze sind in dem Haus, aber nicht mit der Maus.",
          "Home", "Impressum"]
    f, _ = feats(de)
    assert f["stop_share"][0] > 0.5 and f["stop_share"][2] == 0.0
    assert f["no_lang"][0] == 0
    f2, _ = feats(de, no_lang=[True])
    assert f2["no_lang"][0] == 1 and f2["stop_share"][0] == f2["stop_share"][1]


def test_foreign_language_line():
    lines = ["The cat and the dog are in the house, but not with the mouse of the old man.",
             "It is a long story that we will tell you in the next part of this article.",
             "Der Hund und die Katze sind in dem Haus, aber nicht mit der Maus."]
    f, _ = feats(lines)
    assert f["foreign_share"][2] > f["foreign_share"][0] + 0.3


def test_main_body_and_position():
    f, line = feats(PAGE)
    body = [idx(p) for p in PARAGRAPHS[:4]]
    assert all(f["before_body"][i] == 0 and f["after_body"][i] == 0 for i in body)
    assert f["before_body"][0] == 1 and f["after_body"][len(PAGE) - 1] == 1
    assert f["log_dist_body"][0] > f["log_dist_body"][idx(TITLE)]
    assert f["tok_before"][0] == 0 and f["tok_after"][len(PAGE) - 1] == 0


@pytest.mark.parametrize(
    "text,lang",
    [
        ("The quick brown fox jumps over the lazy dog and it was not the first time that this happened.", "en"),
        ("Le renard brun saute par-dessus le chien paresseux et ce n'est pas la première fois que cela arrive.", "fr"),
        ("Nopea ruskea kettu hyppää laiskan koiran yli, ja se ei ollut ensimmäinen kerta kun näin kävi.", "fi"),
        ("Den snabba bruna räven hoppar över den lata hunden och det var inte första gången det hände.", "sv"),
        ("Der schnelle braune Fuchs springt über den faulen Hund, und es war nicht das erste Mal, dass das passiert ist.", "de"),
    ],
)
def test_language_detection(text, lang):
    assert detect_language(text)[0] == lang


def test_stopword_lists_shipped():
    folder = resources.files("cleaner").joinpath("lexicons").joinpath("stopwords")
    names = {p.name[:-4] for p in folder.iterdir() if p.name.endswith(".txt")}
    required = {"en", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "pl", "cs", "tr", "sv", "fi", "da", "nb", "ro"}
    assert required <= names and len(names) >= 20
    assert folder.joinpath("SOURCE.md").is_file()
    en = folder.joinpath("en.txt").read_text(encoding="utf-8").split()
    assert "the" in en and all(w == w.lower() for w in en)


# -- scripts without spaces -------------------------------------------------------------

def _words(text: str) -> list[str]:
    a = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    S, E = _word_bounds(a, text.isascii())
    raw = text.encode("utf-8")
    return [raw[s:e].decode("utf-8") for s, e in zip(S.tolist(), E.tolist())]


def test_chinese_and_japanese_are_cut_into_words_of_two_characters():
    assert _words("北京市政府周二批准了") == ["北京", "市政", "府周", "二批", "准了"]
    assert _words("AI技术，很好。") == ["AI", "技术", "很好"]  # CJK punctuation is no word
    assert _words("2024年の予算") == ["2024", "年の", "予算"]
    assert _words("ニュース") == ["ニュ", "ース"]
    assert _words("서울시 예산안") == ["서울시", "예산안"]  # Korean has spaces: not cut
    assert _words("ข่าวกีฬาวันนี้") == ["ข่าว", "กีฬา", "วันน", "ี้"]  # Thai: four code points
    assert _words("Zürich café") == ["Zürich", "café"]
    assert _words("（ＡＢＣ１２３）：ｱｲ") == ["ＡＢＣ１２３", "ｱｲ"]  # full-width letters and digits are words


@pytest.mark.parametrize("menu, body", [
    (["ホーム", "ニュース", "スポーツ"],
     ["東京都は火曜日、公共交通機関への支出を増やす新しい予算案を承認した。議会では数か月にわたって議論が続いていた。",
      "財務局によると、この計画では新しいバス路線が二つ追加され、中央図書館の開館時間も延長される。",
      "市長は結果に満足していると述べ、議論に参加したすべての人に感謝した。"]),
    (["首页", "新闻", "体育"],
     ["北京市政府周二批准了一项新的预算计划，将增加对公共交通的投入。议会对此讨论了几个月。",
      "财政局表示，该计划将新增两条公交线路，并延长中央图书馆的开放时间。",
      "市长表示对结果感到满意，并感谢所有参与讨论的人。"]),
    (["หน้าแรก", "ข่าว", "กีฬา"],
     ["สภากรุงเทพมหานครอนุมัติงบประมาณใหม่เมื่อวันอังคารหลังจากการอภิปรายที่ยาวนานหลายเดือน",
      "สำนักงานการคลังระบุว่าแผนนี้จะเพิ่มเส้นทางรถประจำทางใหม่สองสายและขยายเวลาเปิดห้องสมุดกลาง",
      "ผู้ว่าราชการกล่าวว่าพอใจกับผลลัพธ์และขอบคุณทุกคนที่มีส่วนร่วมในการอภิปราย"]),
])
def test_an_article_written_without_spaces_keeps_its_paragraphs(model, menu, body):
    # Chinese, Japanese, Thai: each paragraph used to count as one "word" and
    # looked like a menu item, so the model removed the article.
    p = model.score(menu + body)
    assert max(p[3:]) < model.threshold
    assert min(p[:3]) > max(p[3:])


# -- trees, and the logistic stage for short texts --------------------------------------

def test_the_shipped_model_has_trees_and_a_logistic_stage_for_comparison(model):
    from cleaner.trees import BoostedTrees

    assert isinstance(model.stage2, BoostedTrees) and model.comparison is not None
    assert model.trees_min_lines > 1


def test_a_short_text_is_scored_by_the_logistic_stage_moved_to_the_model_threshold(model):
    from cleaner.linemodel import _sigmoid

    short = PARAGRAPHS[:2]
    assert len(short) < model.trees_min_lines
    doc, line, X, ctx, _ = model.forward([(short, None, 1)])
    logistic = model._linear_logits(model.comparison, X, ctx)
    assert np.allclose(model.score(short), _sigmoid(logistic + model.short_text_shift))
    # on a page of enough lines the trees score
    page = (PAGE * 2)[:max(model.trees_min_lines, len(PAGE))]
    doc, line, X, ctx, _ = model.forward([(page, None, 1)])
    logistic = model._linear_logits(model.comparison, X, ctx)
    assert not np.allclose(model.score(page), _sigmoid(logistic + model.short_text_shift))
    ex = model.explain(page, 0, top=len(FEATURES) + len(CONTEXT_FEATURES) + 2)
    assert not any(name.startswith("short_text=") for name, _ in ex[2:])
    z = ex[1][1] + sum(v for _, v in ex[2:])  # the trees' credits add up to the score
    assert abs(1 / (1 + np.exp(-z)) - ex[0][1]) < 1e-6
    ex = model.explain(short, 0, top=len(FEATURES) + len(CONTEXT_FEATURES) + 2)
    assert any(name.startswith("short_text=") for name, _ in ex[2:])
    z = ex[1][1] + sum(v for _, v in ex[2:])
    assert abs(1 / (1 + np.exp(-z)) - ex[0][1]) < 1e-6


def test_comparison_scores_come_with_the_scores_for_cleaning(model):
    probs, compared, known = model.score_batch_for_cleaning([(PAGE, None, 1), (PARAGRAPHS[:2], None, 1)])
    assert probs == model.score_batch([(PAGE, None, 1), (PARAGRAPHS[:2], None, 1)])
    assert compared is not None and [len(c) for c in compared] == [len(PAGE), 2]
    assert known == [True, True]
