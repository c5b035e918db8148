"""Runs a whole job: inputs -> pipeline -> duplicates -> outputs, with accounting.

The runner owns the passes (count, then clean, for files; a look-ahead window
for streams), the error policy, the side files and the summary.  Invariant,
checked at the end of every run: read = written + removed + rejected.
"""
from __future__ import annotations

import base64
import io
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from .dedupview import dedup_text, dedup_view
from .document import Document
from .io.formats import JSONL, TEXT, iter_lines
from .io.readers import InputFile, ReadOptions, discover, read_file, read_jsonl, sniff_stream_format, text_document
from .io.writers import RecordSink, SideFile, StagedTree, dumps, output_record, record_as_read, write_atomic
from .parallel import ParallelCleaner, fork_available, observations
from .pipeline import CleanOptions, Pipeline

# A large corpus is counted and cleaned in runs of about this many bytes of
# files per site-repeat table entry (see counting_runs) ...
SEGMENT_BYTES_PER_ENTRY = 64
# ... unless its files mix more sites than this (then it is counted at once).
MAX_SCANNED_SOURCES = 1_000_000


def verification_threshold(threshold: float, num_perm: int) -> float:
    """The estimated Jaccard from which a pair is flagged, for a true-Jaccard `threshold`.

    A MinHash estimate has standard deviation sqrt(J(1-J)/num_perm) (0.035 at
    J = 0.8 with 128 permutations), so flagging at exactly the threshold would
    miss half the pairs sitting at it.  Accepting down to 1.5 deviations below
    finds ~93% of pairs at the threshold and nearly all above it, at the cost
    of some pairs just below it (the grey zone).
    """
    margin = 1.5 * math.sqrt(threshold * (1 - threshold) / max(1, num_perm))
    return round(max(0.01, threshold - margin), 4)


class RunError(Exception):
    """A run that must stop: the message names the file and line."""


@dataclass
class RunOptions:
    output: Path | None = None
    format: str = "auto"  # auto | jsonl | text (streams)
    on_error: str = "fail"  # fail | skip
    dedup: str = "flag"  # flag | drop | off
    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    containment: float = 0.9
    member_floor: float = 0.6
    index: Path | None = None
    explain: Path | None = None
    stats: Path | None = None
    side_dir: Path | None = None
    quiet: bool = False
    workers: int = 1  # processes for files, and streams without site repeats (0: one per CPU)
    read: ReadOptions = field(default_factory=ReadOptions)
    clean: CleanOptions = field(default_factory=CleanOptions)


class Progress:
    """A one-line progress report on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.last = 0.0
        self.start = time.perf_counter()

    def update(self, docs: int, nbytes: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if force or now - self.last > 0.3:
            self.last = now
            mb = nbytes / 1e6
            rate = mb / max(now - self.start, 1e-9)
            sys.stderr.write(f"\rcleantext: {docs:,} documents, {mb:,.1f} MB, {rate:,.1f} MB/s ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class Job:
    def __init__(self, options: RunOptions):
        self.o = options
        self.pipeline = Pipeline(options.clean)
        self.counts: Counter = Counter()
        self.dedup = None
        if options.dedup != "off":
            from .dedup import DedupConfig, Deduplicator

            cfg = DedupConfig(threshold=verification_threshold(options.threshold, options.num_perm),
                              num_perm=options.num_perm, ngram=options.ngram, seed=options.seed,
                              containment=options.containment, member_floor=options.member_floor)
            if options.index is not None and options.index.exists():
                self.dedup = Deduplicator.load(options.index, cfg)
            else:
                self.dedup = Deduplicator(cfg)
        self.rejected: SideFile | None = None
        self.duplicates: SideFile | None = None
        self.explain: SideFile | None = None
        self.representatives: set[str] = set()  # ids of representatives that got duplicates
        self.locations: dict[str, str] = {}  # representative id -> path, for text corpora
        self.progress = Progress(not options.quiet)
        self.started = time.perf_counter()

    def processes(self) -> int:
        """How many processes clean: --workers (0: one per CPU), 1 without fork."""
        workers = self.o.workers or os.cpu_count() or 1
        return workers if workers > 1 and fork_available() else 1

    # -- per document --------------------------------------------------------
    def handle_batch(self, docs: list[Document], sink) -> None:
        """Route finished documents; their duplicate checks run as one batch
        (identical to checking them one by one, in order)."""
        matches: dict[int, object] = {}
        if self.dedup is not None:
            live = [d for d in docs if d.error is None]
            if live:
                texts = [dedup_text(d) for d in live]
                found = self.dedup.check_many([(d.id, dedup_view(t), t) for d, t in zip(live, texts)])
                matches = {id(d): m for d, m in zip(live, found)}
        for doc in docs:
            self.handle(doc, sink, matches.get(id(doc)))

    def handle(self, doc: Document, sink, match=None) -> None:
        """Route one finished document: rejected, duplicate, or written.
        `match` is its duplicate check (from `handle_batch`)."""
        self.counts["read"] += 1
        if doc.error is not None:
            if self.o.on_error == "fail":
                raise RunError(f"{doc.location}: {doc.error} (use --on-error skip to set such records aside)")
            self.counts["rejected"] += 1
            self.counts[f"rejected.{doc.error.split(' (')[0]}"] += 1
            raw = record_as_read(doc)
            entry = {"location": doc.location, "reason": doc.error}
            try:
                entry["record"] = raw.decode("utf-8")
            except UnicodeDecodeError:  # keep the bytes exactly: base64, not a lossy decode
                entry["record_base64"] = base64.b64encode(raw).decode("ascii")
            self._side("rejected").write(entry)
            print(f"cleantext: skipped {doc.location}: {doc.error}", file=sys.stderr)
            return
        self.counts["bytes"] += len(doc.text.encode("utf-8", errors="replace"))
        if not doc.cleaned_text():
            self.counts["emptied"] += 1
        if self.explain is not None:
            for r in doc.removals():
                self.explain.write({"id": doc.id, "location": doc.location, **r.as_dict()})
        if self.dedup is not None:
            if match is None:
                if sink is not None and sink.fmt == TEXT:
                    self.locations[doc.id] = doc.location  # text corpora: one file per document
            else:
                doc.duplicate = {"duplicate_of": match.duplicate_of, "cluster": match.duplicate_of,
                                 "similarity": match.similarity, "dup_kind": match.kind}
                if match.via is not None:
                    doc.duplicate["via"] = match.via
                self.counts[f"duplicates.{match.kind}"] += 1
                self.representatives.add(match.duplicate_of)
                if sink is not None and sink.fmt == TEXT or self.o.dedup == "drop":
                    entry = {"id": doc.id, "path": doc.location, "duplicate_of": match.duplicate_of,
                             "representative_path": self.locations.get(match.duplicate_of),
                             "similarity": match.similarity, "dup_kind": match.kind}
                    if match.via is not None:
                        entry["via"] = match.via
                    if self.o.dedup == "drop":
                        entry["record"] = output_record(doc, self.o.read.text_field)
                    self._side("duplicates").write(entry)
                if self.o.dedup == "drop":
                    self.counts["removed.duplicate"] += 1
                    return
        self.counts["written"] += 1
        self.emit(doc, sink)

    def emit(self, doc: Document, sink) -> None:
        raise NotImplementedError

    def _side(self, name: str) -> SideFile:
        side = getattr(self, name)
        if side is None:
            side = SideFile(self.side_path(f"_{name}.jsonl"))
            setattr(self, name, side)
        return side

    def side_path(self, name: str) -> Path | None:
        return self.o.side_dir / name if self.o.side_dir else None

    # -- end of run --------------------------------------------------------------
    def summary(self) -> dict:
        seconds = time.perf_counter() - self.started
        removed: dict[str, dict] = {}
        for key, value in sorted(self.pipeline.stats.items()):
            kind, rule = key.split(".", 1)
            removed.setdefault(rule, {})[kind.replace("_removed", "")] = value
        c = self.counts
        out = {
            "documents_read": c["read"],
            "documents_written": c["written"],
            "documents_removed": {"duplicate": c["removed.duplicate"]},
            "documents_rejected": c["rejected"],
            "documents_emptied": c["emptied"],
            "rejected_reasons": {k.split(".", 1)[1]: v for k, v in c.items() if k.startswith("rejected.")},
            "duplicates": {k.split(".", 1)[1]: v for k, v in c.items() if k.startswith("duplicates.")},
            "removed_by_rule": removed,
            "stages": self.pipeline.stage_stats(),
            "seconds": round(seconds, 3),
            "megabytes": round(c["bytes"] / 1e6, 3),
            "mb_per_second": round(c["bytes"] / 1e6 / max(seconds, 1e-9), 2),
        }
        if self.dedup is not None:
            out["dedup"] = self.dedup.stats
        assert c["read"] == c["written"] + c["removed.duplicate"] + c["rejected"], "record accounting broken"
        return out

    def finish_side_files(self) -> None:
        for side in (self.rejected, self.duplicates, self.explain):
            if side is not None:
                side.close()

    def report(self, summary: dict) -> None:
        self.progress.close()
        if self.o.stats is not None:
            write_atomic(self.o.stats, dumps(summary))
        if self.o.quiet:
            return
        s = summary
        lines = [f"cleantext: {s['documents_read']:,} documents read, {s['documents_written']:,} written, "
                 f"{s['documents_removed']['duplicate']:,} removed as duplicates, "
                 f"{s['documents_rejected']:,} rejected, {s['documents_emptied']:,} emptied"]
        for rule, v in sorted(s["removed_by_rule"].items(), key=lambda kv: -kv[1].get("chars", 0)):
            lines.append(f"  {rule:<18} {v.get('lines', 0):>9,} lines {v.get('chars', 0):>12,} chars removed")
        if s["duplicates"]:
            lines.append("  duplicates: " + ", ".join(f"{k} {v:,}" for k, v in sorted(s["duplicates"].items())))
        lines.append(f"  {s['megabytes']:,.1f} MB in {s['seconds']:.2f} s ({s['mb_per_second']:.1f} MB/s)")
        print("\n".join(lines), file=sys.stderr)


class TreeJob(Job):
    """Files and directories: two passes, a mirrored staged output tree."""

    def __init__(self, options: RunOptions, inputs: list[Path]):
        super().__init__(options)
        self.inputs = inputs
        self.files = discover(inputs)
        self.out_dir = options.output or default_output(inputs)
        check_output_location(self.out_dir, inputs)
        if self.o.side_dir is None:
            self.o.side_dir = self.out_dir
        self.explain = SideFile(options.explain) if options.explain else None

    def segments(self) -> list[list[InputFile]]:
        """The runs of files counted, then cleaned, one after the other (`counting_runs`)."""
        if self.pipeline.site_repeats is None:
            return [self.files]
        return counting_runs(self.files, self.o.clean.repeat_table_entries, self.o.read)

    def run(self) -> dict:
        tree = StagedTree(self.out_dir)
        self.tree = tree
        parallel = None
        try:
            workers = self.processes()
            for n, files in enumerate(self.segments()):
                if n:  # the sites counted so far have no file left: a fresh count for the next run
                    self.pipeline.forget_counts()
                self.count(files, workers)  # pass 1
                if workers > 1:  # forked now, the workers inherit the counts
                    parallel = ParallelCleaner(self.pipeline, workers)
                for f in files:  # pass 2: clean and write
                    sink = RecordSink(tree.path(f.rel), f.fmt, self.o.read.text_field)
                    docs = read_file(f, self.o.read)
                    try:
                        batches = parallel.clean(docs) if parallel else self.pipeline.run_batches(docs, counted=True)
                        for batch in batches:
                            self.handle_batch(batch, sink)
                            self.progress.update(self.counts["read"], self.counts["bytes"])
                    finally:
                        sink.close()
                if parallel is not None:
                    parallel.close()
                    parallel = None
            self.mark_representatives()
            self.finish_side_files()
            if self.dedup is not None and self.o.index is not None:
                self.dedup.save(self.o.index)
            summary = self.summary()
            tree.commit()
        except BaseException:
            if parallel is not None:
                parallel.close(abandon=True)
            self.finish_side_files()
            tree.abort()
            raise
        self.report(summary)
        if not self.o.quiet:
            print(f"cleantext: output written to {self.out_dir}", file=sys.stderr)
        return summary

    def count(self, files: list[InputFile], workers: int) -> None:
        """Pass 1 over `files`: count the lines of every site."""
        if self.pipeline.site_repeats is None:
            return
        docs = (doc for f in files for doc in read_file(f, self.o.read))
        if workers > 1:
            for doc, page_lines, repaired in observations(self.pipeline, docs, workers):
                self.pipeline.count_observation(doc.location, doc.source, doc.text, page_lines, repaired)
        else:
            for doc in docs:
                self.pipeline.observe(doc)

    def side_path(self, name: str) -> Path:
        return self.tree.path(Path(name))

    def emit(self, doc: Document, sink) -> None:
        sink.write(doc)

    def mark_representatives(self) -> None:
        """Set `cluster` on representatives that got duplicates after they were
        written: one more read of the staged JSONL files (cheap next to
        cleaning), instead of remembering where every document went."""
        if not self.representatives:
            return
        import orjson

        from .io.formats import open_read, open_write

        for f in self.files:
            if f.fmt != JSONL:
                continue
            staged = self.tree.stage / f.rel
            tmp = staged.with_name(".cluster-" + staged.name)
            changed = False
            with open_read(staged) as src:
                fh, raw = open_write(tmp)
                for lineno, line in enumerate(iter_lines(src), 1):
                    record = orjson.loads(line)
                    rid = record.get(self.o.read.id_field)
                    rid = f"{f.rel}:{lineno}" if rid is None else str(rid)
                    info = record.get("cleantext")
                    if rid in self.representatives and isinstance(info, dict):
                        info["cluster"] = rid
                        fh.write(dumps(record))
                        changed = True
                    else:
                        fh.write(line + b"\n")
                fh.close()
                if raw is not None:
                    raw.close()
            if changed:
                os.replace(tmp, staged)
            else:
                tmp.unlink()


class StreamJob(Job):
    """stdin to stdout: streams, with a bounded look-ahead window."""

    def __init__(self, options: RunOptions, stdin: BinaryIO, stdout: BinaryIO):
        super().__init__(options)
        self.stdin = stdin
        self.stdout = stdout
        if options.side_dir is None:
            # a stream has no output folder: records set aside need a place
            if options.dedup == "drop":
                raise RunError("--dedup drop on a stream needs --side-dir DIR for the dropped duplicates")
            if options.on_error == "skip":
                raise RunError("--on-error skip on a stream needs --side-dir DIR for the rejected records")
        self.explain = SideFile(options.explain) if options.explain else None
        self.fmt = TEXT

    def documents(self) -> Iterator[Document]:
        reader = io.BufferedReader(self.stdin, buffer_size=1 << 20) if not isinstance(self.stdin, io.BufferedReader) else self.stdin
        fmt = self.o.format
        first = b""
        if fmt == "auto":
            first = reader.readline()
            fmt = sniff_stream_format(first, self.o.read)
        self.fmt = fmt
        if fmt == JSONL:
            yield from read_jsonl(reader, "<stdin>", "stdin", "", self.o.read, first=first)
        else:
            data = first + reader.read()
            yield text_document(data, "<stdin>", "stdin", "")

    def run(self) -> dict:
        workers = self.processes()
        parallel = None
        if workers > 1:
            if self.pipeline.site_repeats is None:  # no window: documents are independent
                parallel = ParallelCleaner(self.pipeline, workers)
            elif not self.o.quiet:
                print("cleantext: a stream with site repeats is cleaned in one process (its look-ahead window "
                      "counts in input order); --workers applies with --no-site-repeats", file=sys.stderr)
        try:
            docs = self.documents()
            batches = parallel.clean(docs) if parallel else self.pipeline.run_batches(docs, counted=False)
            for batch in batches:
                self.handle_batch(batch, None)
                self.progress.update(self.counts["read"], self.counts["bytes"])
            if parallel is not None:
                parallel.close()
                parallel = None
            self.stdout.flush()
            self.finish_side_files()
            if self.dedup is not None and self.o.index is not None:
                self.dedup.save(self.o.index)
        except BaseException:
            if parallel is not None:
                parallel.close(abandon=True)
            self.finish_side_files()
            raise
        summary = self.summary()
        self.report(summary)
        return summary

    def emit(self, doc: Document, sink) -> None:
        if self.fmt == TEXT:
            text = doc.cleaned_text()
            self.stdout.write((text + "\n").encode() if text else b"")
        else:
            self.stdout.write(dumps(output_record(doc, self.o.read.text_field)))
        self.stdout.flush()


def counting_runs(files: list[InputFile], table_entries: int, read: ReadOptions) -> list[list[InputFile]]:
    """The files in runs that are counted, then cleaned, one after the other:
    the same output as one count of everything, because no source has pages
    in two runs, and a site-repeat table that holds one run's sites.

    A corpus of more than SEGMENT_BYTES_PER_ENTRY bytes per table entry
    (about half the table at the ~7,400 entries a MB of text the
    near-duplicate corpus makes; 320 MB by default) is cut between two files
    when no source has pages on both sides, once a run holds that many
    bytes.  A text file's source is its folder; the sources of a JSONL or
    Parquet file are read first (`_file_sources`), and a corpus whose files
    name more than MAX_SCANNED_SOURCES sites (a site in several files counts
    in each) is not cut.  A smaller corpus is one run."""
    budget = table_entries * SEGMENT_BYTES_PER_ENTRY
    sizes = [f.path.stat().st_size for f in files]
    if len(files) < 2 or sum(sizes) < budget:
        return [files]
    per_file = []
    last: dict[str, int] = {}  # a source's last file
    kept = 0  # sources kept in per_file (a source in many files counts in each)
    for i, f in enumerate(files):
        sources = _file_sources(f, read)
        per_file.append(sources)
        kept += len(sources)
        if kept > MAX_SCANNED_SOURCES:
            return [files]
        for source in sources:
            last[source] = i
    runs, start, reach, size = [], 0, -1, 0
    for i, (f, sources) in enumerate(zip(files, per_file)):
        reach = max([reach, *(last[source] for source in sources)])
        size += sizes[i]
        if reach <= i and size >= budget:  # no source on both sides of this cut
            runs.append(files[start:i + 1])
            start, size = i + 1, 0
    if start < len(files):
        runs.append(files[start:])
    return runs


def _file_sources(f: InputFile, read: ReadOptions) -> set[str]:
    """The sources of the pages of a file: a text file's folder, or, for the
    records of a JSONL or Parquet file, what each names (read here)."""
    if f.fmt == TEXT:
        return {str(f.rel.parent) if f.rel.parent != Path(".") else ""}
    return {doc.source for doc in read_file(f, read) if doc.error is None}


def default_output(inputs: list[Path]) -> Path:
    first = inputs[0].resolve()
    if first.is_dir():
        return first.with_name(first.name + ".clean")
    return first.parent / (first.name.split(".")[0] + ".clean")


def check_output_location(out_dir: Path, inputs: list[Path]) -> None:
    out = out_dir.resolve()
    for root in inputs:
        r = root.resolve()
        if out == r or (r.is_dir() and r in out.parents) or (r.is_file() and out == r.parent):
            raise RunError(f"output {out_dir} would be inside or over the input {root}; choose another -o")
