"""Cross-document repeated lines: thresholds, sources, copies, memory bound, windows."""
from __future__ import annotations

from cleaner import CleanOptions, Document, Pipeline
from cleaner.siterepeats import SiteRepeats

MENU = ["Home", "World news", "Sport and leisure", "Contact the editors"]
FOOTER = "Copyright notice and terms of use of this small website"


def article(n: int) -> list[str]:
    return [f"Article {n} opens with a sentence of its own that is long enough to be a paragraph here.",
            f"The second paragraph of article {n} continues the story with more words and a full stop.",
            f"A third paragraph closes article number {n} with a quote from a local official today."]


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
    counter = SiteRepeats(max_entries=50, max_groups=10)
    pipeline = Pipeline(CleanOptions(line_model=False, site_repeats=False))
    for n in range(40):
        doc = pipeline.prepare(page(n))
        counter.observe(doc)
    assert len(counter.table) <= 50 + 10  # pruned back whenever it passes the bound
    assert len(counter.groups) <= 10
    assert counter.stats["pruned_entries"] > 0 and counter.stats["groups_forgotten"] > 0
    doc = pipeline.prepare(page(99))
    counter.observe(doc)
    assert counter.repeats(doc)[MENU.index("World news")] >= 1  # template lines survive pruning


BIO = ("The author of this site is a researcher who writes about technology, media and the way young people "
       "use social network sites, and uses this blog to share random thoughts about whatever she is thinking.")


def blog_page(doc_id: str, paragraphs: list[str]) -> Document:
    """A template whose biography outweighs each paragraph, paragraphs split by headings:
    the main prose block is the biography, so copies are not recognised by their body."""
    lines = MENU + [BIO]
    for n, paragraph in enumerate(paragraphs):
        lines += [f"Part {n + 1}", f"Photo {n + 1}", paragraph]
    return Document(id=doc_id, text="\n".join(lines + [FOOTER]), source="a.com")


def test_a_body_repeated_by_unrecognised_copies_is_kept():
    original = article(1)
    edited = [original[0], original[1], "A different closing paragraph was written for this version of it."]
    out = run([blog_page("original", original), blog_page("edit", edited), blog_page("other", article(2))])
    for doc_id in ("original", "edit"):
        kept = out[doc_id].cleaned_text()
        assert original[0] in kept and original[1] in kept
        assert BIO in kept  # nearly all of this page's prose repeats: all of it stays
    # On a page whose own body is unique, the template's prose is a minority and still goes.
    assert BIO in removed_by_repeats(out["other"])
    assert out["other"].cleaned_text().splitlines() == article(2)
