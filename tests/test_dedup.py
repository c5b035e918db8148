"""Tests of cleaner.minhash / cleaner.dedup (fast, deterministic, no timing)."""
from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from cleaner.dedup import DedupConfig, Deduplicator, DuplicateMatch, IndexFileError, _KeyTable
from cleaner.minhash import (
    MinHasher,
    candidate_probability,
    choose_bands,
    normalize,
    reference_exact_key,
    signature,
    tokenize,
    uses_char_shingles,
)

from .conftest import shrink_key_table

WORDS = (
    "the of and to in is was for that on with as by at from his her this which or be are an had "
    "not but were their been has have its one new more first also after who other two they can "
    "into than time would some only when about over most made many years out like during world "
    "city people state school through under where between government while then early high part "
    "war since three known later both team used well film south north history season second later "
    "several game against national work music river house album public station local club series "
    "member number village family became company located named including large area final until "
    "group population district county region former built church led each released original river "
    "played born based life small power york army league party court bridge field line early award"
).split()

HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表"
)


def make_doc(seed: int, n_words: int = 600) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(n_words):
        w = rng.choice(WORDS) if rng.random() < 0.7 else f"{rng.choice(WORDS)}{rng.randrange(1000)}"
        out.append(w + ("." if i % 13 == 12 else ""))
    return " ".join(out)


def edit_words(text: str, every: int, offset: int = 0, tag: str = "edit") -> str:
    """Replace every `every`-th word (from `offset`) with a unique new word."""
    w = text.split()
    for k, i in enumerate(range(offset, len(w), every)):
        w[i] = f"{tag}{k}x"
    return " ".join(w)


def shingles(text: str, n: int = 5) -> set:
    t = tokenize(text)
    return {tuple(t[i : i + n]) for i in range(len(t) - n + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def cjk_doc(seed: int, n: int = 400) -> str:
    rng = random.Random(seed)
    parts = []
    for i in range(n):
        parts.append(rng.choice(HANZI))
        if i % 17 == 16:
            parts.append("，" if i % 3 else "。")
    return "".join(parts)


@pytest.fixture(scope="module")
def base_docs():
    return [make_doc(s) for s in range(12)]


# --- normalization, exact ----------------------------------------------------
def test_normalization_rules():
    assert normalize("ＦＵＬＬ ﬁne Straße") == "full fine strasse"
    assert tokenize("Hello, World! it's 2024_rev") == ["hello", "world", "it", "s", "2024", "rev"]
    assert tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # combining marks stay in the word


def test_exact_duplicates_and_normalized_variants(base_docs):
    dd = Deduplicator()
    text = base_docs[0]
    assert dd.check("a", text) is None
    assert dd.check("b", text) == DuplicateMatch("a", 1.0, "exact")
    variant = text.upper().replace(" ", "  \n ").replace(".", " !! ")
    assert dd.check("c", variant) == DuplicateMatch("a", 1.0, "exact")
    assert dd.stats["exact"] == 2 and dd.stats["documents"] == 3 and dd.stats["representatives"] == 1


def test_character_tables_match_normalization():
    from cleaner.minhash import _char_tables, reference_char_value

    slow, vals = _char_tables()
    rng = random.Random(3)
    cps = list(range(0, 0x3100)) + list(range(0xFB00, 0xFFF0)) + [rng.randrange(0x110000) for _ in range(20000)]
    for cp in cps:
        if slow[cp] or 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        toks = tokenize(ch)
        if vals[cp] == 0:  # a separator, before and after normalization
            assert toks == [], hex(cp)
        else:  # folds to exactly one word character, a fixed point of the table
            assert len(toks) == 1 and len(toks[0]) == 1, hex(cp)
            assert int(vals[cp]) == reference_char_value(toks[0]) == int(vals[ord(toks[0])]), hex(cp)
    for cp in (0x4E00, 0x9FA5, 0xAC00, 0xD7A3, 0x20000, 0x0E01, 0x0627):  # plain letters: themselves
        assert not slow[cp] and int(vals[cp]) == reference_char_value(chr(cp))
    for ch in "ßﬁİ™\u0301\u1161":  # examples of slow characters
        assert slow[ord(ch)]
    for ch in "A\u00a0…’—Ａｱé":  # examples of table-folded ones
        assert not slow[ord(ch)]


TRICKY = [
    "Caf\u00e9 na\u0131ve cafe\u0301 fa\u00e7ade \u00a0 coo\u00f6perate \u2026 \u201cquoted\u201d \u2014 done",
    "Stra\u00dfe GRO\u00dfE \ufb01ne \ufb02ow \u2122 \u00bd \u2460 x\u00b2 \u0130stanbul I\u0307",
    "\uff26\uff35\uff2c\uff2c width \uff71\uff72\uff73 half katakana \u1100\u1161\u11a8 \uac01 jamo",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \U0001f600 emoji_x",
    "plain ascii words only here for the baseline of the test",
]


def test_fast_and_slow_normalization_paths_match_reference(base_docs):
    h = MinHasher()
    texts = [f"{base_docs[0][:300]} {t} {base_docs[1][:200]}" for t in TRICKY] + TRICKY
    pb = h.prepare_many(texts)
    for i, t in enumerate(texts):
        sh = h.shingle_hashes(t)
        ref = MinHash(hashfunc=lambda v: v)
        if len(sh):
            ref.update_batch(sh.tolist())
        assert np.array_equal(pb.sigs[i], ref.hashvalues), i
        assert (int(pb.exact[i, 0]) << 64 | int(pb.exact[i, 1])) == reference_exact_key(t), i
        one = h.prepare(t)
        assert np.array_equal(one.sigs[0], pb.sigs[i]) and np.array_equal(one.exact[0], pb.exact[i])
    # raw forms that normalize to the same tokens are exact duplicates
    dd = Deduplicator()
    assert dd.check("a", "Cafe\u0301 \uff26\uff35\uff2c\uff2c STRASSE") is None
    assert dd.check("b", "caf\u00e9 full stra\u00dfe") == DuplicateMatch("a", 1.0, "exact")


def test_exact_key_matches_reference(base_docs):
    h = MinHasher()
    texts = [base_docs[1], "Ünïcödé ﬁne", "", "一二三四五六七八九十", "x"]
    pb = h.prepare_many(texts)
    for i, t in enumerate(texts):
        assert (int(pb.exact[i, 0]) << 64 | int(pb.exact[i, 1])) == reference_exact_key(t)


# --- near duplicates -------------------------------------------------------------
def test_near_duplicate_above_threshold(base_docs):
    a = base_docs[2]
    b = edit_words(a, 80)  # one word in 80 changed
    j = jaccard(a, b)
    assert 0.85 <= j < 0.95
    dd = Deduplicator()
    assert dd.check("orig", a) is None
    m = dd.check("edited", b)
    assert m is not None and m.kind == "near" and m.duplicate_of == "orig"
    assert m.similarity >= 0.8 and abs(m.similarity - j) < 0.1
    assert m.similarity == round(m.similarity, 4)


def test_near_duplicate_just_above_threshold_found_by_lsh(base_docs):
    # Pairs at J ~ 0.82: LSH must make them candidates (S-curve well below 0.8).
    found = 0
    for k, a in enumerate(base_docs):
        b = edit_words(a, 50, offset=k % 5)
        assert 0.79 <= jaccard(a, b) <= 0.85
        dd2 = Deduplicator()
        dd2.check("a", a)
        dd2.check("b", b)
        found += dd2.stats["candidates_checked"] > 0
    assert found == len(base_docs)


def test_clearly_below_threshold_not_flagged(base_docs):
    a = base_docs[3]
    b = edit_words(a, 20)  # about 0.6 Jaccard
    assert 0.5 < jaccard(a, b) < 0.65
    dd = Deduplicator()
    assert dd.check("a", a) is None
    assert dd.check("b", b) is None
    assert dd.check("other", base_docs[4]) is None


def test_short_and_empty_documents_exact_only(base_docs):
    dd = Deduplicator()
    assert dd.check("s1", "Hello world") is None
    assert dd.check("s2", "hello, WORLD!") == DuplicateMatch("s1", 1.0, "exact")
    assert dd.check("s3", "hello world again") is None  # 3 tokens < ngram: never near
    assert dd.check("e1", "") is None
    assert dd.check("e2", "  !!! ... ") == DuplicateMatch("e1", 1.0, "exact")
    # A long document containing the short one is not a near duplicate of it.
    assert dd.check("long", "hello world " + base_docs[5]) is None
    assert dd.stats["exact_only"] == 5


def test_cjk_uses_character_shingles():
    a = cjk_doc(1)
    assert uses_char_shingles(a) and not uses_char_shingles(make_doc(1))
    chars = list(a)
    for i in range(0, len(chars), 90):  # change a few characters
        chars[i] = "龍"
    b = "".join(chars)
    assert tokenize(a) != tokenize(b)
    dd = Deduplicator()
    assert dd.check("zh1", a) is None
    m = dd.check("zh2", b)
    assert m is not None and m.kind == "near" and m.duplicate_of == "zh1"
    assert dd.check("zh3", cjk_doc(2)) is None
    ja = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。"
    assert dd.check("ja1", ja) is None
    assert dd.check("ja2", ja.replace("。", "、")) == DuplicateMatch("ja1", 1.0, "exact")
    m = dd.check("ja3", ja + "吾輩は猫")
    assert m is not None and m.kind == "near" and m.duplicate_of == "ja1"
    assert dd.stats["char_mode"] == 6


def _chain(base_docs):
    a = base_docs[6]
    b = edit_words(a, 60, offset=0, tag="p")  # A~B
    c = edit_words(b, 60, offset=30, tag="q")  # B~C, further from A
    assert jaccard(a, b) > 0.83 and jaccard(b, c) > 0.83
    assert 0.62 < jaccard(a, c) < 0.75
    return a, b, c


def test_chain_joins_through_a_member_only_when_close_to_the_representative(base_docs):
    a, b, c = _chain(base_docs)
    dd = Deduplicator()  # threshold 0.8, member_floor 0.6
    assert dd.check("A", a) is None
    mb = dd.check("B", b)
    assert mb is not None and mb.duplicate_of == "A" and mb.via is None
    # C verifies against the member B, not against A; it is still close enough to A.
    mc = dd.check("C", c)
    assert mc is not None and mc.duplicate_of == "A" and mc.via == "B" and mc.kind == "near"
    assert 0.6 <= mc.similarity < 0.8 and abs(mc.similarity - jaccard(a, c)) < 0.12
    assert dd.stats["representatives"] == 1 and dd.stats["members"] == 2 and dd.stats["via_member"] == 1

    # The floor: C must be within member_floor of the representative itself.
    strict = Deduplicator(DedupConfig(member_floor=0.78))
    assert strict.check("A", a) is None and strict.check("B", b).duplicate_of == "A"
    assert strict.check("C", c) is None
    # member_floor above the threshold: members are not indexed (plain star clustering).
    star = Deduplicator(DedupConfig(member_floor=0.9))
    assert star.check("A", a) is None and star.check("B", b).duplicate_of == "A"
    assert star.check("C", c) is None
    assert len(star) == 2 and star.stats["members"] == 0


def test_containment_finds_an_article_with_leftovers_around_it(base_docs):
    """Text left around one copy of an article (a comment thread the cleaner
    kept) lowers the Jaccard of the pair, not the share of the article found
    in the longer copy."""
    article = base_docs[8]
    with_comments = article + " " + make_doc(99, 240)  # ~40% more text
    assert 0.55 < jaccard(article, with_comments) < 0.75
    dd = Deduplicator()  # containment 0.9 from Jaccard 0.5
    assert dd.check("page", with_comments) is None
    m = dd.check("copy", article)
    assert m is not None and m.duplicate_of == "page" and m.kind == "near"
    assert abs(m.similarity - jaccard(article, with_comments)) < 0.1  # still the Jaccard estimate
    assert dd.stats["by_containment"] == 1

    # Off, the pair is below the threshold.
    off = Deduplicator(DedupConfig(containment=0.0))
    assert off.check("page", with_comments) is None and off.check("copy", article) is None
    # A short text inside a much longer one (Jaccard < 0.5) is not a duplicate:
    # a quotation or a teaser is not the article.
    dd2 = Deduplicator()
    long_page = article + " " + make_doc(98, 900)
    assert jaccard(article, long_page) < 0.45
    assert dd2.check("long", long_page) is None and dd2.check("teaser", article) is None


def test_whole_text_signature_finds_copies_whose_bodies_were_cut_differently(base_docs):
    """The body the cleaner picks out of two copies of a short page can differ
    (a different block wins); their whole texts still agree."""
    page = base_docs[9][:2400]
    first, second = page[:1200], page[1200:]  # two halves: the "bodies" two copies were cut to
    assert jaccard(first, second) < 0.1
    dd = Deduplicator()
    assert dd.check("a", first, page) is None
    m = dd.check("b", second, page + " one more line")
    assert m is not None and m.duplicate_of == "a" and m.kind == "near" and m.similarity > 0.9
    # Bodies alone: not duplicates.
    alone = Deduplicator()
    assert alone.check("a", first) is None and alone.check("b", second) is None
    # Copies whose whole texts differ (other templates) are still found by their bodies.
    dd2 = Deduplicator()
    assert dd2.check("x", first, first + " " + base_docs[1]) is None
    assert dd2.check("y", first, first + " " + base_docs[2]).duplicate_of == "x"


def test_exact_copy_of_a_member_is_reported_against_its_representative(base_docs):
    a, b, _ = _chain(base_docs)
    dd = Deduplicator()
    dd.check("A", a)
    mb = dd.check("B", b)
    m = dd.check("B2", b)
    assert m == DuplicateMatch("A", mb.similarity, "near", "B")
    assert len(dd) == 2  # exact copies are not indexed


def test_best_verified_representative_is_chosen(base_docs, tmp_path):
    a = base_docs[7]
    far = edit_words(a, 25, tag="f")  # J ~ 0.66 with a
    close = edit_words(a, 80, tag="c")  # J ~ 0.88 with a
    assert 0.6 < jaccard(a, far) < 0.72 and jaccard(a, close) > 0.85
    strict = Deduplicator(DedupConfig(threshold=0.95))
    assert strict.check("far", far) is None
    assert strict.check("close", close) is None
    strict.save(tmp_path / "reps.idx")
    loose = Deduplicator.load(tmp_path / "reps.idx", DedupConfig(threshold=0.6))
    m = loose.check("query", a)
    assert m is not None and m.duplicate_of == "close" and m.kind == "near"
    assert loose.stats["candidates_checked"] == 2 and loose.stats["candidates_rejected"] == 0


# --- batch equivalence, determinism ------------------------------------------------
def _mixed_items(base_docs):
    items = []
    for k, d in enumerate(base_docs):
        items.append((f"d{k}", d))
        items.append((f"d{k}-near", edit_words(d, 40 + k)))
        if k % 3 == 0:
            items.append((f"d{k}-copy", d.lower()))
        if k % 4 == 0:
            items.append((f"d{k}-short", " ".join(d.split()[:3])))
            items.append((f"d{k}-short2", " ".join(d.split()[:3])))
    items += [("zh1", cjk_doc(5)), ("zh2", cjk_doc(5) + "。"), ("e", ""), ("e2", "")]
    random.Random(4).shuffle(items)
    return items


def test_check_many_equals_sequential(base_docs):
    items = _mixed_items(base_docs)
    dd = Deduplicator()
    seq = [dd.check(i, t) for i, t in items]
    assert sum(m is not None for m in seq) >= len(base_docs)
    keys = ("documents", "unique", "exact", "near", "exact_only", "char_mode", "candidates_checked", "candidates_rejected")
    for bs in (1, 2, 7, len(items)):
        dd2 = Deduplicator()
        assert dd2.check_many(iter(items), batch_size=bs) == seq
        assert {k: dd2.stats[k] for k in keys} == {k: dd.stats[k] for k in keys}
    # the two halves of check_many: hashing, then the index
    dd4 = Deduplicator()
    prepared = dd4.prepare_many([t for _, t in items])
    assert dd4.check_prepared([i for i, _ in items], prepared) == seq
    # mixing both forms on one index
    dd3 = Deduplicator()
    half = len(items) // 2
    out = dd3.check_many(items[:half]) + [dd3.check(i, t) for i, t in items[half:]]
    assert out == seq


def test_large_table_lookups_give_the_same_flags(base_docs, monkeypatch):
    """A large index reads whole buckets instead of windows (RAGGED_FROM):
    same candidates, so the same flags, one document or a batch at a time."""
    items = _mixed_items(base_docs)
    dd = Deduplicator()
    seq = [dd.check(i, t) for i, t in items]
    monkeypatch.setattr(_KeyTable, "RAGGED_FROM", 0)
    for bs in (1, 64):
        assert Deduplicator().check_many(iter(items), batch_size=bs) == seq


def test_determinism_two_fresh_runs(base_docs, tmp_path):
    items = _mixed_items(base_docs)
    r1, r2 = Deduplicator(), Deduplicator()
    assert r1.check_many(items) == r2.check_many(items)
    r1.save(tmp_path / "a.idx")
    r2.save(tmp_path / "b.idx")
    assert (tmp_path / "a.idx").read_bytes() == (tmp_path / "b.idx").read_bytes()


# --- persistence --------------------------------------------------------------------
def test_save_load_second_run(base_docs, tmp_path):
    path = tmp_path / "index.bin"
    run1 = Deduplicator()
    for k, d in enumerate(base_docs[:8]):
        assert run1.check(f"run1-{k}", d) is None
    run1.check("run1-short", "tiny text")
    run1.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["index.bin"]  # no temp file left
    run1.save(path)  # overwrite is fine

    run2 = Deduplicator.load(path, DedupConfig())
    assert len(run2) == 9 and run2.stats["loaded_representatives"] == 9
    assert run2.check("run2-a", base_docs[3]) == DuplicateMatch("run1-3", 1.0, "exact")
    edited = edit_words(base_docs[5], 100)
    m = run2.check("run2-b", edited)
    assert m is not None and m.kind == "near" and m.duplicate_of == "run1-5"
    assert run2.check("run2-c", "Tiny text!") == DuplicateMatch("run1-short", 1.0, "exact")
    assert run2.check("run2-d", base_docs[10]) is None
    assert run2.check("run2-e", base_docs[10]) == DuplicateMatch("run2-d", 1.0, "exact")
    # Save after the second run and load with another threshold: tables are rebuilt.
    run2.save(path)
    run3 = Deduplicator.load(path, DedupConfig(threshold=0.9))
    assert run3.bands * run3.rows <= 128 and len(run3) == 11  # 10 representatives, 1 member (run2-b)
    assert run3.stats["loaded_representatives"] == 10 and run3.stats["loaded_members"] == 1
    assert run3.check("run3", base_docs[10]) == DuplicateMatch("run2-d", 1.0, "exact")
    # The member is remembered with its representative.
    assert run3.check("run3-b", edited) == DuplicateMatch("run1-5", m.similarity, "near", "run2-b")
    assert Deduplicator.load(path).config == DedupConfig()


def test_corrupt_index_files(base_docs, tmp_path):
    good = tmp_path / "good.idx"
    dd = Deduplicator()
    dd.check_many([(f"x{k}", d) for k, d in enumerate(base_docs)])
    dd.save(good)
    data = good.read_bytes()

    def expect(name: str, content: bytes | None, words: str):
        p = tmp_path / name
        if content is not None:
            p.write_bytes(content)
        with pytest.raises(IndexFileError) as ei:
            Deduplicator.load(p, DedupConfig())
        msg = str(ei.value)
        assert str(p) in msg and words in msg, msg

    expect("missing.idx", None, "cannot open")
    expect("empty.idx", b"", "too short")
    expect("garbage.idx", random.Random(0).randbytes(5000), "not a cleantext dedup index")
    expect("text.idx", b'{"not": "an index"}\n' * 10, "not a cleantext dedup index")
    expect("truncated.idx", data[: len(data) // 2], "truncated")
    expect("truncated_end.idx", data[:-3], "truncated")
    flipped = bytearray(data)
    flipped[200] ^= 0xFF  # inside the signatures
    expect("flipped.idx", bytes(flipped), "checksum mismatch in array 'signatures'")
    meta_flip = bytearray(data)
    meta_flip[-40] ^= 0x01  # inside the JSON metadata
    expect("meta.idx", bytes(meta_flip), "metadata checksum")
    version = bytearray(data)
    version[8] = 99
    expect("version.idx", bytes(version), "unsupported format version 99")


def test_incompatible_config(base_docs, tmp_path):
    path = tmp_path / "i.idx"
    dd = Deduplicator(DedupConfig())
    dd.check("a", base_docs[0])
    dd.save(path)
    for cfg, field in [
        (DedupConfig(num_perm=64), "num_perm"),
        (DedupConfig(ngram=3), "ngram"),
        (DedupConfig(seed=2), "seed"),
        (DedupConfig(char_ngram=3), "char_ngram"),
        (DedupConfig(scheme="legacy"), "scheme"),
    ]:
        with pytest.raises(IndexFileError, match=f"incompatible configuration: {field}="):
            Deduplicator.load(path, cfg)
    # a different normalization version is refused too
    import cleaner.dedup as dmod

    old = dmod.NORMALIZATION_VERSION
    try:
        dmod.NORMALIZATION_VERSION = old + 1
        with pytest.raises(IndexFileError, match="normalization version"):
            Deduplicator.load(path, DedupConfig())
    finally:
        dmod.NORMALIZATION_VERSION = old


# --- datasketch compatibility ---------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [dict(), dict(num_perm=64, seed=7), dict(num_perm=32, seed=3, scheme="legacy"), dict(ngram=3)],
)
def test_signature_equals_datasketch_given_same_shingle_hashes(base_docs, params):
    h = MinHasher(**params)
    texts = [base_docs[9], base_docs[10][:700], cjk_doc(9, 120), "one two three four five six"]
    pb = h.prepare_many(texts)
    for i, t in enumerate(texts):
        sh = h.shingle_hashes(t)  # pure-Python reference shingle hashes
        assert len(sh) == pb.n_shingles[i] > 0
        kw = {k: v for k, v in params.items() if k in ("num_perm", "seed", "scheme")}
        ref = MinHash(hashfunc=lambda v: v, **kw)
        ref.update_batch(sh.tolist())
        ours = h.signature(t)
        assert isinstance(ours, LeanMinHash)
        assert np.array_equal(ours.hashvalues, ref.hashvalues)
        assert np.array_equal(pb.sigs[i], ref.hashvalues.astype(np.uint32))
        assert ours.jaccard(ref) == 1.0
        # single-document path == batch path
        assert np.array_equal(h.hashvalues(t), pb.sigs[i])


@pytest.mark.parametrize("num_perm,seed,scheme", [(128, 1, "affine32"), (64, 7, "affine32"), (32, 3, "legacy")])
def test_permutations_are_datasketchs(num_perm, seed, scheme):
    """cleaner.minhash generates datasketch's permutation parameters itself (so
    that cleaning does not pay for importing datasketch): they must be equal."""
    from cleaner.minhash import _permutations

    ref_a, ref_b = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations
    a, b = _permutations(num_perm, seed, scheme)
    assert np.array_equal(a, ref_a) and np.array_equal(b, ref_b)
    assert a.dtype == ref_a.dtype and b.dtype == ref_b.dtype


def test_jaccard_estimate_agrees_with_datasketch(base_docs):
    P = 512
    pairs = [(base_docs[0], edit_words(base_docs[0], e)) for e in (4, 8, 15, 40)]
    pairs.append((base_docs[1], base_docs[2]))
    for a, b in pairs:
        exact = jaccard(a, b)
        ours = signature(a, num_perm=P).jaccard(signature(b, num_perm=P))
        ds = []
        for text in (a, b):
            m = MinHash(num_perm=P)  # datasketch defaults: sha1 over the shingle bytes
            t = tokenize(text)
            for i in range(len(t) - 4):
                m.update(" ".join(t[i : i + 5]).encode("utf-8"))
            ds.append(m)
        theirs = ds[0].jaccard(ds[1])
        assert abs(ours - exact) < 0.07, (ours, exact)
        assert abs(ours - theirs) < 0.1, (ours, theirs)


def test_signature_works_with_datasketch_lsh(base_docs):
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for k, d in enumerate(base_docs[:5]):
        lsh.insert(f"k{k}", signature(d))
    assert "k2" in lsh.query(signature(base_docs[2]))
    assert "k3" in lsh.query(signature(edit_words(base_docs[3], 300)))
    assert lsh.query(signature(base_docs[11])) == []


def test_lsh_parameters():
    assert choose_bands(0.8, 128) == (21, 6)
    b, r = DedupConfig().lsh_params()
    assert float(candidate_probability(0.8, b, r)) >= 0.99
    assert 0.5 <= (1 / b) ** (1 / r) <= 0.65
    assert DedupConfig(bands=16, rows=8).lsh_params() == (16, 8)
    with pytest.raises(ValueError):
        DedupConfig(bands=20, rows=8)
    with pytest.raises(ValueError):
        DedupConfig(threshold=0)


# --- index internals ------------------------------------------------------------------
@pytest.mark.parametrize("ragged_from", [0, 1 << 40], ids=["whole buckets", "windows"])
def test_key_table_delta_main_and_in_place_merge(monkeypatch, ragged_from):
    # Tiny buckets and windows so that stash overflow, flushes, in-place merges
    # across chunk boundaries and directory refinement all happen; both ways
    # of reading main (whole buckets as on a large table, fixed windows).
    shrink_key_table(monkeypatch)
    monkeypatch.setattr(_KeyTable, "RAGGED_FROM", ragged_from)
    monkeypatch.setattr(_KeyTable, "MERGE_CHUNK", 37)
    T, hbits = 3, 27
    table = _KeyTable(T, hbits)
    rng = np.random.default_rng(5)
    tid = np.arange(T, dtype=np.uint64) << np.uint64(hbits + 32)
    truth: dict[int, list[int]] = {}

    def new_keys():
        # few distinct hashes: many entries share a key
        return tid | (rng.integers(0, 40, T).astype(np.uint64) << np.uint64(32))

    row = 0
    for step in range(600):
        if step % 5:
            qs = new_keys()
            _, _, buckets = table.lookup(qs)
            table.add_one(qs | np.uint64(row), buckets)
            for k in qs.tolist():
                truth.setdefault(k, []).append(row)
            row += 1
        else:
            bulk = []
            for _ in range(int(rng.integers(1, 40))):
                qs = new_keys()
                bulk += (qs | np.uint64(row)).tolist()
                for k in qs.tolist():
                    truth.setdefault(k, []).append(row)
                row += 1
            table.add_entries(np.array(bulk, dtype=np.uint64))
        if step % 50 == 49:
            queries = np.array(sorted(truth) + [int(tid[1]) | (999 << 32)], dtype=np.uint64)
            qi, rows, _ = table.lookup(queries)
            got = sorted(set(zip(qi.tolist(), rows.tolist())))
            want = sorted((i, r) for i, k in enumerate(queries.tolist()) for r in truth.get(k, []))
            assert got == want
    main = table._main.view()
    assert len(main) > 100 and table._overfull  # long same-key runs took the fallback path
    assert bool(np.all(main[:-1] <= main[1:]))
    assert len(table) == sum(map(len, truth.values()))


def test_version_1_index_still_loads(base_docs, tmp_path, monkeypatch):
    """Indexes written before members existed (format 1: representatives only)."""
    import cleaner.dedup as dedup_module

    dd = Deduplicator()
    assert dd.check_many([(f"old{k}", d) for k, d in enumerate(base_docs[:5])]) == [None] * 5
    sigs32 = np.ascontiguousarray(dd.hasher.prepare_many(base_docs[:5]).sigs)  # version 1: full uint32 values
    v2_specs = Deduplicator._array_specs

    def v1_specs(self):
        out = []
        for name, dtype, shape, parts in v2_specs(self):
            if name == "signatures":
                dtype, shape, parts = "<u4", list(sigs32.shape), [memoryview(sigs32).cast("B")]
            if name not in ("representative", "shingles"):
                out.append((name, dtype, shape, parts))
        return out

    monkeypatch.setattr(dedup_module, "_FORMAT_VERSION", 1)
    monkeypatch.setattr(Deduplicator, "_array_specs", v1_specs)
    dd.save(tmp_path / "v1.idx")
    monkeypatch.undo()
    assert (tmp_path / "v1.idx").read_bytes()[8:12] == (1).to_bytes(4, "little")
    old = Deduplicator.load(tmp_path / "v1.idx")
    assert len(old) == 5 and old.stats["loaded_representatives"] == 5
    assert old.check("new", base_docs[2]) == DuplicateMatch("old2", 1.0, "exact")
    m = old.check("edited", edit_words(base_docs[3], 100))
    assert m is not None and m.duplicate_of == "old3" and m.kind == "near"


def test_stored_16_bit_values_give_the_full_signatures_estimate(base_docs):
    """The index keeps the low 16 bits of each MinHash value; the similarity it
    reports is still the estimate of the full datasketch signatures (two
    different values share their low 16 bits with probability 2**-16)."""
    dd = Deduplicator(DedupConfig(threshold=0.5, containment=0.0))
    a = base_docs[4]
    assert dd.check("a", a) is None
    for k, every in enumerate((15, 25, 40, 90)):
        edited = edit_words(a, every, tag=f"b{k}")
        m = dd.check(f"e{k}", edited)
        full = dd.signature(a).jaccard(dd.signature(edited))
        assert m is not None and m.duplicate_of == "a" and m.similarity == round(full, 4)
