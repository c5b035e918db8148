#!/usr/bin/env python3
"""Build a realistic scraped-web benchmark corpus (JSONL: id, url, text).

The documents come from the boilerplate development sets (by default
../shared/eval/boilerplate/*.jsonl.gz next to the repository), whose lines are
labelled content (1) or boilerplate (0).  To reach the requested size without
repeating the same pages over and over, the corpus mixes:

* every source page as it is (round 0);
* "sibling" pages: the page's template (its boilerplate lines: menus, footers,
  share prompts...) around content lines taken from two or three other pages
  of the same language -- a new article on the same site, as a crawl of a
  site sees it (not a near-duplicate of any single page);
* a few exact copies and lightly edited copies of earlier pages (re-crawls,
  syndication), for the duplicate stage;
* a few pages with encoding trouble (cp1252/latin-1 mojibake of the whole page
  or of some lines, CRLF line ends, HTML entities, stray control characters),
  on top of the ~5% of source pages that already need ftfy.

Each set's pages are spread over a few synthetic sites (www.<set>-siteNN.example)
and a page and its siblings share a site, so lines repeat across the articles
of a site as they do in a real crawl.  The output is deterministic for a given
seed and written outside version control (bench-out/ is git-ignored): the
evaluation data must not be copied into the repository.

    python benchmarks/make_corpus.py                      # bench-out/corpus.jsonl, ~80 MB
    python benchmarks/make_corpus.py --size-mb 20 --out /tmp/small.jsonl --seed 3
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections import Counter, deque
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
DEFAULT_OUT = REPO / "bench-out" / "corpus.jsonl"

SECTIONS = ["news", "world", "business", "sport", "culture", "blog", "tech", "opinion", "local", "science"]


def find_sources(eval_dir: Path) -> list[Path]:
    """The *.jsonl.gz sets in eval_dir/boilerplate (or in eval_dir itself)."""
    for folder in (eval_dir / "boilerplate", eval_dir):
        files = sorted(folder.glob("*.jsonl.gz"))
        if files:
            return files
    raise SystemExit(f"make_corpus: no *.jsonl.gz under {eval_dir} or {eval_dir / 'boilerplate'} "
                     "(use --eval-dir)")


def load_sources(files: list[Path]) -> list[dict]:
    docs = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                r = json.loads(line)
                lines = r["text"].split("\n")
                labels = r.get("labels") or [1] * len(lines)
                if len(labels) != len(lines):
                    labels = [1] * len(lines)
                docs.append({"set": r.get("set") or path.name.split(".")[0], "lang": r.get("lang") or "und",
                             "lines": lines, "labels": labels})
    return docs


# -- encoding trouble --------------------------------------------------------------------

def mojibake(text: str, rng: random.Random) -> str:
    """UTF-8 bytes read as cp1252 (sometimes latin-1): what a mislabelled page becomes."""
    data = text.encode("utf-8")
    if rng.random() < 0.8:
        return data.decode("cp1252", errors="replace")  # cp1252 leaves five bytes undefined
    return data.decode("latin-1")


def add_encoding_trouble(lines: list[str], rng: random.Random) -> tuple[list[str], str, str]:
    """(lines, line separator, kind of trouble)."""
    kind = rng.choice(["mojibake", "mojibake_lines", "crlf", "entities", "controls"])
    if kind == "mojibake":
        return [mojibake(line, rng) for line in lines], "\n", kind
    if kind == "mojibake_lines":  # a page assembled from parts in two encodings
        return [mojibake(line, rng) if rng.random() < 0.3 else line for line in lines], "\n", kind
    if kind == "crlf":
        return lines, "\r\n", kind
    if kind == "entities":  # text that went through an HTML escaper once too often
        def esc(line: str) -> str:
            return (line.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace("é", "&eacute;")
                    .replace("’", "&#8217;"))
        return [esc(line) if rng.random() < 0.5 else line for line in lines], "\n", kind
    # stray controls and invisible characters from a broken converter
    junk = ["\x00", "\x07", "\ufeff", "\u200b", "\x1b[0m", "\x0b"]
    out = [line + rng.choice(junk) if line and rng.random() < 0.1 else line for line in lines]
    return out, "\n", kind


# -- documents ---------------------------------------------------------------------------

def sibling_page(template: dict, donor_content: list[str]) -> list[str]:
    """The template's boilerplate around another article's content lines."""
    lines, labels = template["lines"], template["labels"]
    content_at = [i for i, lab in enumerate(labels) if lab == 1]
    if not content_at:
        return list(lines[:len(lines) // 2]) + donor_content + list(lines[len(lines) // 2:])
    first, last = content_at[0], content_at[-1]
    out = list(lines[:first])
    donor = iter(donor_content)
    for i in range(first, last + 1):
        if labels[i] == 1:
            nxt = next(donor, None)
            if nxt is not None:
                out.append(nxt)
        else:
            out.append(lines[i])  # boilerplate inside the article: "Advertisement", "Read more"
    out.extend(donor)  # the donor article is longer than the template's slot
    out.extend(lines[last + 1:])
    return out


def new_article(pool: list[list[str]], rng: random.Random) -> list[str]:
    """Content for a new article: a slice from each of two or three articles of the
    language, so that it is not a near-duplicate of any one of them."""
    k = rng.choice([2, 3, 3])
    out: list[str] = []
    for content in rng.sample(pool, min(k, len(pool))):
        size = max(1, math.ceil(len(content) / k))
        start = rng.randrange(len(content) - size + 1)
        out.extend(content[start:start + size])
    return out


def light_edit(text: str, rng: random.Random) -> str:
    """A re-crawl: a line dropped or added, a few characters changed."""
    lines = text.split("\n")
    edit = rng.choice(["drop", "add", "digits", "suffix"])
    if edit == "drop" and len(lines) > 3:
        del lines[rng.randrange(len(lines))]
    elif edit == "add":
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(
            ["Updated " + str(rng.randint(1, 28)) + " March 2024", "Advertisement", "Share this article",
             "Photo: Reuters", "(c) All rights reserved"]))
    elif edit == "digits":
        lines = [line.replace("1", "2", 1) if rng.random() < 0.2 else line for line in lines]
    else:
        lines.append(rng.choice(["Comments (0)", "Tags: news", "Back to top"]))
    return "\n".join(lines)


def url_for(site: str, rng: random.Random, n: int) -> str:
    return f"https://{site}/{rng.choice(SECTIONS)}/{rng.randint(2009, 2024)}/{rng.randint(1, 12):02d}/article-{n}.html"


def build(args: argparse.Namespace) -> dict:
    files = find_sources(args.eval_dir)
    sources = load_sources(files)
    if not sources:
        raise SystemExit("make_corpus: the source files hold no documents")
    rng = random.Random(args.seed)

    # Sites: each set's pages are spread over a few synthetic sites.
    by_set: dict[str, list[int]] = {}
    for i, d in enumerate(sources):
        by_set.setdefault(d["set"], []).append(i)
    for name, members in sorted(by_set.items()):
        n_sites = min(args.max_sites, max(2, round(len(members) / args.docs_per_site)))
        for i in members:
            sources[i]["site"] = f"www.{name}-site{rng.randrange(n_sites):02d}.example"

    # Content donors per language (articles of at least one content line).
    donors: dict[str, list[list[str]]] = {}
    for d in sources:
        content = [line for line, lab in zip(d["lines"], d["labels"]) if lab == 1]
        if content:
            donors.setdefault(d["lang"], []).append(content)
    all_donors = [c for lang in sorted(donors) for c in donors[lang]]

    source_bytes = sum(len("\n".join(d["lines"]).encode("utf-8")) for d in sources)
    target = int(args.size_mb * 1e6)
    rounds = max(1, math.ceil(target / max(source_bytes, 1))) + 1
    specs = [(i, r) for r in range(rounds) for i in range(len(sources))]
    rng.shuffle(specs)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    counts: Counter = Counter()
    recent: deque[tuple[str, str]] = deque(maxlen=5000)  # (site, text) of earlier pages
    written = 0
    n = 0
    try:
        import orjson

        def dumps(obj) -> bytes:
            return orjson.dumps(obj) + b"\n"
    except ImportError:  # pragma: no cover
        def dumps(obj) -> bytes:
            return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")

    with open(tmp, "wb") as out:
        for i, rnd in specs:
            if written >= target:
                break
            src = sources[i]
            site = src["site"]
            roll = rng.random()
            if recent and roll < args.dup_rate:
                site, text = rng.choice(recent)
                if rng.random() < 0.3:  # syndicated to another site of the same set
                    site = sources[rng.choice(by_set[src["set"]])]["site"]
                kind = "exact_duplicate"
            elif recent and roll < args.dup_rate + args.near_dup_rate:
                site, text = rng.choice(recent)
                text = light_edit(text, rng)
                kind = "near_duplicate"
            else:
                if rnd == 0:
                    lines = list(src["lines"])
                    kind = "original"
                else:
                    pool = donors.get(src["lang"]) or all_donors
                    lines = sibling_page(src, new_article(pool, rng))
                    kind = "sibling"
                sep = "\n"
                if rng.random() < args.trouble_rate:
                    lines, sep, trouble = add_encoding_trouble(lines, rng)
                    counts[f"trouble.{trouble}"] += 1
                text = sep.join(lines)
                recent.append((site, text))
            counts[kind] += 1
            n += 1
            line = dumps({"id": f"bench-{n:07d}", "url": url_for(site, rng, n), "text": text})
            out.write(line)
            written += len(line)
    tmp.replace(args.out)
    return {"documents": n, "bytes": written, "source_documents": len(sources),
            "source_bytes": source_bytes, "sites": len({d["site"] for d in sources}),
            "kinds": dict(sorted(counts.items())), "files": [f.name for f in files]}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR,
                   help="folder holding boilerplate/*.jsonl.gz (default: %(default)s)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSONL (default: %(default)s)")
    p.add_argument("--size-mb", type=float, default=80.0, help="corpus size in MB (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--docs-per-site", type=int, default=60,
                   help="about this many source pages per synthetic site (default: %(default)s)")
    p.add_argument("--max-sites", type=int, default=24, help="at most this many sites per set (default: %(default)s)")
    p.add_argument("--dup-rate", type=float, default=0.03, help="share of exact copies (default: %(default)s)")
    p.add_argument("--near-dup-rate", type=float, default=0.03,
                   help="share of lightly edited copies (default: %(default)s)")
    p.add_argument("--trouble-rate", type=float, default=0.04,
                   help="share of new pages given encoding trouble (default: %(default)s)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    if REPO in out.parents and (REPO / "bench-out") not in out.parents:
        print(f"make_corpus: warning: {args.out} is inside the repository but outside bench-out/ "
              "(the evaluation data must not be committed)", file=sys.stderr)
    start = time.perf_counter()
    info = build(args)
    info["seconds"] = round(time.perf_counter() - start, 1)
    print(f"make_corpus: wrote {args.out}: {info['documents']:,} documents, {info['bytes'] / 1e6:.1f} MB "
          f"from {info['source_documents']:,} source pages on {info['sites']} sites "
          f"in {info['seconds']} s", file=sys.stderr)
    print("make_corpus: " + ", ".join(f"{k} {v:,}" for k, v in info["kinds"].items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
