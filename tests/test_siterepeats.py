"""Cross-document repeated lines: thresholds, sources, copies, memory bound, windows."""
from __future__ import annotations

from cleaner import CleanOptions, Document, Pipeline
from cleaner.siterepeats import SiteRepeats

MENU = ["Home", "World news", "Sport and leisure", "Contact the editors"]
FOOTER = "Copyright notice and terms of use of this small website"


TOPICS = ["harbour", "orchard", "railway", "library", "bakery", "stadium", "glacier", "vineyard", "museum", "bridge"]


def article(n: int) -> list[str]:
    """Three paragraphs of their own (no two articles share five words in a row)."""
    topic = f"{TOPICS[n % 10]}-{n}"
    return [f"The {topic} story opens with a sentence long enough to be a paragraph about the {topic}.",
            f"Readers of the {topic} report then learn what happened next at the {topic}.",
            f"Finally a quote from an official closes the piece on the {topic}."]


def page(n: int, source: str = "a.com", body=None) -> Document:
    lines = MENU + (body or article(n)) + [FOOTER]
    return Document(id=f"{source}-{n}", text="\n".join(lines), source=source)


def run(docs, **opts):
    pipeline = Pipeline(CleanOptions(line_model=False, **opts))
    return {d.id: d for d in pipeline.run(docs)}


def removed_by_repeats(doc):
    return [r.text for r in doc.removals() if r.rule == "site_repeat"]


def test_lines_in_two_articles_of_a_site_are_removed():
    out = run([page(1), page(2)])
    assert set(removed_by_repeats(out["a.com-1"])) == set(MENU[1:] + [FOOTER])  # "Home" is a phrase rule
    assert out["a.com-1"].cleaned_text().splitlines() == article(1)


def test_threshold_is_an_option():
    out = run([page(1), page(2)], repeat_min_docs=3)
    assert removed_by_repeats(out["a.com-1"]) == []
    out = run([page(1), page(2), page(3)], repeat_min_docs=3)
    assert FOOTER in removed_by_repeats(out["a.com-2"])


def test_sources_are_counted_apart():
    out = run([page(1, "a.com"), page(2, "b.org")])
    assert removed_by_repeats(out["a.com-1"]) == removed_by_repeats(out["b.org-2"]) == []


def test_copies_and_edits_of_one_article_do_not_count():
    edited = list(article(1))
    edited[1] = "The second paragraph was reworded by the syndicating site, keeping its meaning intact."
    out = run([page(1), Document(id="copy", text=page(1).text, source="a.com"),
               page(9, body=edited)])
    for doc_id in ("a.com-1", "copy", "a.com-9"):
        assert not any("Article 1 opens" in line for line in removed_by_repeats(out[doc_id]))
    # ... while the template they share with each other is not evidence either (one article)
    assert removed_by_repeats(out["copy"]) == []


def test_first_document_of_a_stream_sees_what_comes_after():
    def stream():  # the footer is on the first page and again only on the fourth
        docs = [page(n) for n in range(4)]
        for d in docs[1:3]:
            d.text = d.text.replace("\n" + FOOTER, "")
        return docs

    out = run(stream(), window=10)
    assert FOOTER in removed_by_repeats(out["a.com-0"])
    out = run(stream(), window=1)  # one document of look-ahead: the fourth page is too far
    assert FOOTER not in removed_by_repeats(out["a.com-0"])
    assert FOOTER in removed_by_repeats(out["a.com-3"])  # by then both were counted


def test_memory_bound_prunes_single_article_lines():
    counter = SiteRepeats(max_entries=50)
    pipeline = Pipeline(CleanOptions(line_model=False, site_repeats=False))
    for n in range(40):
        doc = pipeline.prepare(page(n))
        counter.observe(doc)
    assert len(counter.table) <= 50 + 12  # pruned back whenever it passes the bound (12 entries a page)
    assert counter.stats["pruned_entries"] > 0
    doc = pipeline.prepare(page(99))
    counter.observe(doc)
    assert counter.repeats(doc)[MENU.index("World news")] >= 1  # template lines survive pruning


def site_of(n: int) -> list[Document]:
    """Three articles of site n, one after the other (a crawl stored site by site)."""
    menu = [f"Section {k} of site number {n}" for k in range(20)]
    return [Document(id=f"site{n}-{i}", text="\n".join(menu + article(3 * n + i)), source=f"site{n}.example")
            for i in range(3)]


def test_a_full_table_still_counts_new_sites():
    # 150 sites of 20 template lines each: more lines held by several pages than the table's
    # 1,000 entries. Pruning only the lines of one page left a table full of old templates,
    # pruned again after every page, and the last sites' templates were never counted. Now the
    # sites counted longest ago make room (their lines are held by no more pages than these).
    pipeline = Pipeline(CleanOptions(line_model=False, repeat_table_entries=1000))
    sizes = []
    for n in range(150):  # the counting pass
        for doc in site_of(n):
            pipeline.observe(doc)
            sizes.append(len(pipeline.site_repeats.table))
    assert max(sizes) <= 1000 + 25  # never far past the bound (one page's entries)
    out = {d.id: d for d in pipeline.run([d for n in range(150) for d in site_of(n)], counted=True)}
    for doc_id in ("site120-0", "site149-0"):
        site = doc_id.split("-")[0][4:]
        assert removed_by_repeats(out[doc_id]) == [f"Section {k} of site number {site}" for k in range(20)], doc_id
    assert out["site149-0"].cleaned_text().splitlines() == article(3 * 149)


def test_pruning_a_full_table_keeps_the_templates_of_big_sites():
    counter = SiteRepeats(max_entries=300)
    pipeline = Pipeline(CleanOptions(line_model=False, site_repeats=False))
    big = [pipeline.prepare(page(n, "big.example")) for n in range(12)]
    for doc in big[:10]:  # a big site's template: more pages than an entry lists
        counter.observe(doc)
    for n in range(40):  # then small sites fill the table
        for doc in site_of(n):
            counter.observe(pipeline.prepare(doc))
    assert counter.stats["prunes_past_single_pages"] > 0  # lines of several pages had to go too
    doc = big[10]
    counter.observe(doc)
    assert counter.repeats(doc)[MENU.index("World news")] >= 10


def test_page_counts_are_kept_for_a_bounded_number_of_sources(monkeypatch):
    import cleaner.siterepeats as siterepeats

    monkeypatch.setattr(siterepeats, "MIN_SOURCES", 20)
    counter = SiteRepeats(max_entries=50)
    sizes = []
    for n in range(200):  # a stream from ever new sites, and one site that keeps coming back
        counter.count(f"site{n}.example", siterepeats.PageLines({n}, 0))
        if n % 10 == 0:
            counter.count("news.example", siterepeats.PageLines({-n}, 0))
        sizes.append(len(counter.source_docs))
    assert max(sizes) <= 20 + 1 and counter.stats["sources_forgotten"] > 0
    assert counter.source_docs["news.example"] == 20


def test_page_word_counts_stay_bounded(monkeypatch):
    import cleaner.siterepeats as siterepeats

    monkeypatch.setattr(siterepeats, "MAX_PAGE_WORDS", 8)
    late_copy = Document(id="late-copy", text=page(0).text, source="a.com")
    pipeline = Pipeline(CleanOptions(line_model=False, window=3))
    out = {d.id: d for d in pipeline.run([page(n) for n in range(30)] + [late_copy])}
    counter = pipeline.site_repeats
    assert len(counter.page_words) <= 8 and counter.page_base + len(counter.page_words) == 31
    # The first page's count is forgotten by the time its copy comes: it is judged by the
    # first half of the copy test alone, and is still a copy.
    assert out["late-copy"].cleaned_text().splitlines() == article(0)
    assert out["a.com-29"].cleaned_text().splitlines() == article(29)


BIO = ("The author of this site is a researcher who writes about technology, media and the way young people "
       "use social network sites, and uses this blog to share random thoughts about whatever she is thinking.")
TEMPLATE = [BIO] + [f"Most read story number {n} of the week is about something that happened in town lately." for n in range(12)]


def paragraphs(topic: str, count: int) -> list[str]:
    """`count` paragraphs of about twenty words that share no five words in a row with another topic's."""
    return [f"In part {n} the {topic} account goes on, and the witnesses of the {topic} affair add details of part {n} "
            f"about the {topic}." for n in range(count)]


def site_page(doc_id: str, body: list[str], template=TEMPLATE) -> Document:
    return Document(id=doc_id, text="\n".join(MENU + body + template + [FOOTER]), source="a.com")


def test_two_articles_in_one_long_template_lose_the_template():
    # The template outweighs each article: the pages share most of their words, yet neither
    # holds the other's paragraphs, so they are two articles and the template is boilerplate.
    out = run([site_page("first", paragraphs("harbour", 3)), site_page("second", paragraphs("orchard", 3))])
    for doc_id, topic in (("first", "harbour"), ("second", "orchard")):
        assert out[doc_id].cleaned_text().splitlines() == paragraphs(topic, 3)


LINKS = [f"Most read story number {n} of the week in town" for n in range(20)]  # a template without prose


def test_a_short_article_does_not_take_longer_ones_for_its_copies():
    # Every other page holds all of the short page's lines but one paragraph, so one way the
    # others look like copies of it; the test runs both ways: they have bodies of their own.
    short = paragraphs("harbour", 1)
    out = run([site_page("short", short, LINKS), site_page("long-1", paragraphs("orchard", 5), LINKS),
               site_page("long-2", paragraphs("railway", 5), LINKS)])
    for doc_id, body in (("short", short), ("long-1", paragraphs("orchard", 5))):
        assert out[doc_id].cleaned_text().splitlines() == body
        assert LINKS[0] in removed_by_repeats(out[doc_id])


def test_an_edit_that_adds_paragraphs_is_a_copy_both_ways():
    # The edit adds 80 words of its own, so each page misses more than 60 words of the other;
    # yet each holds most of the other's own prose, which the other articles of the site do not.
    body, own, added = paragraphs("harbour", 6), paragraphs("glacier", 2), paragraphs("vineyard", 4)
    out = run([site_page("original", body + own, LINKS), site_page("edit", body + added, LINKS),
               site_page("other-1", paragraphs("orchard", 3), LINKS), site_page("other-2", paragraphs("railway", 3), LINKS)])
    assert out["original"].cleaned_text().splitlines() == body + own
    assert out["edit"].cleaned_text().splitlines() == body + added
    for doc_id in ("original", "edit", "other-1"):
        assert LINKS[0] in removed_by_repeats(out[doc_id])


def test_copies_are_still_copies_after_the_table_was_pruned():
    # Pruning drops the lines one page held at the time: here the lines an editor touched, on
    # both pages. The edit still holds them nearly (first and last words), and each page is
    # its own copy by its ordinal, so the shared body does not count as repeated.
    def site():
        body = paragraphs("harbour", 6)
        edited = [line.replace("witnesses", "neighbours") if n in (1, 2, 3) else line for n, line in enumerate(body)]
        others = [site_page(f"other-{n}", paragraphs(topic, 3), LINKS) for n, topic in enumerate(TOPICS[1:5])]
        return [site_page("original", body, LINKS)] + others + [site_page("edit", edited, LINKS)], body, edited

    pipeline = Pipeline(CleanOptions(line_model=False))
    for doc in site()[0]:
        pipeline.observe(doc)
    pipeline.site_repeats._prune()
    assert pipeline.site_repeats.stats["pruned_entries"] > 0
    docs, body, edited = site()
    out = {d.id: d for d in pipeline.run(docs, counted=True)}
    assert out["original"].cleaned_text().splitlines() == body
    assert out["edit"].cleaned_text().splitlines() == edited
    assert LINKS[0] in removed_by_repeats(out["other-0"])


def test_an_edited_copy_is_a_copy():
    body = paragraphs("harbour", 6)
    edited = list(body)
    for n in (1, 2, 3):  # one word changed in each of three lines: still held, by their ends
        edited[n] = edited[n].replace("witnesses", "neighbours")
    edited[4] = "A new sentence the syndicating site wrote for its readers."
    out = run([site_page("original", body), site_page("edit", edited), site_page("other", paragraphs("orchard", 6))])
    assert out["original"].cleaned_text().splitlines() == body  # the edit does not vote against it
    assert out["edit"].cleaned_text().splitlines() == edited
    assert out["other"].cleaned_text().splitlines() == paragraphs("orchard", 6)


def test_a_body_repeated_by_an_unrecognised_copy_is_kept():
    body = paragraphs("harbour", 16)
    heavy_edit = body[:13] + [f"Rewritten closing paragraph {n} of this version, with none of the words of the "
                              f"original closing paragraph {n} it replaces here." for n in range(3)]
    out = run([site_page("original", body), site_page("edit", heavy_edit), site_page("other", paragraphs("orchard", 3))])
    # The copy test misses (60+ words differ), yet most of each page's prose repeats: it stays.
    for doc_id, expected in (("original", body), ("edit", heavy_edit)):
        kept = out[doc_id].cleaned_text()
        assert all(line in kept for line in expected)
    # On a page whose own body is unique, the template's prose is a minority and still goes.
    assert BIO in removed_by_repeats(out["other"])
    assert out["other"].cleaned_text().splitlines() == paragraphs("orchard", 3)
