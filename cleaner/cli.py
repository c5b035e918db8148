"""The `cleantext` command: a thin layer over `runner` (all logic lives there)."""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .config import load_config
from .io.readers import ReadOptions
from .pipeline import CleanOptions
from .runner import RunError, RunOptions, StreamJob, TreeJob

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Clean scraped web text for pre-training: encoding, boilerplate, duplicates.")


class Format(str, Enum):
    auto = "auto"
    jsonl = "jsonl"
    text = "text"


class OnError(str, Enum):
    fail = "fail"
    skip = "skip"


class Dedup(str, Enum):
    flag = "flag"
    drop = "drop"
    off = "off"


def _fail(message: str, code: int = 2) -> None:
    print(f"cleantext: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _merge_config(ctx: typer.Context, values: dict, config: Optional[Path], ignore_unknown: bool = False) -> dict:
    """Options from --config, unless given on the command line (`ignore_unknown`:
    skip the options this command does not take, e.g. `run`'s in `explain`)."""
    if config is None:
        return values
    try:
        loaded = load_config(config)
    except ValueError as exc:
        _fail(str(exc))
    unknown = sorted(set(loaded) - set(values))
    if unknown and not ignore_unknown:
        _fail(f"unknown option(s) in {config}: {', '.join(unknown)}")
    for key, value in loaded.items():
        if key not in values:
            continue
        source = ctx.get_parameter_source(key)
        # typer vendors its own click, so compare the enum by name
        if getattr(source, "name", None) != "COMMANDLINE":
            if key in ("output", "explain", "stats", "index", "side_dir") and value is not None:
                value = Path(value)
            if key == "rules" and isinstance(value, str):
                value = [value]
            values[key] = value
    return values


def _enum_value(value):
    return value.value if isinstance(value, Enum) else value


def _clean_options(values: dict) -> CleanOptions:
    """The cleaning stages' options, as `run` and `explain` both take them."""
    if values["repeat_table_entries"] < 1:
        _fail("--repeat-table-entries must be at least 1")
    return CleanOptions(rules=[str(r) for r in values["rules"]], site_repeats=values["site_repeats"],
                        line_model=values["line_model"], model_threshold=values["model_threshold"],
                        model_file=str(values["model_file"]) if values["model_file"] else None,
                        repeat_min_docs=values["repeat_min_docs"],
                        repeat_table_entries=values["repeat_table_entries"], window=values["window"])


# The cleaning options, declared once for both commands.
_RULES = typer.Option([], "--rules", help="Extra phrase-rule TOML file (repeatable).")
_SITE_REPEATS = typer.Option(True, "--site-repeats/--no-site-repeats", help="Remove lines repeated across a site's articles.")
_LINE_MODEL = typer.Option(True, "--line-model/--no-line-model", help="Remove lines the line model scores as boilerplate.")
_MODEL_THRESHOLD = typer.Option(None, help="Line-model threshold (default: the model's own).")
_MODEL_FILE = typer.Option(None, help="Line model written by scripts/train_line_model.py (default: the shipped one).")
_REPEAT_MIN_DOCS = typer.Option(2, help="Distinct articles of a site a line must occur in to be site boilerplate.")
_REPEAT_TABLE_ENTRIES = typer.Option(5_000_000, help="Site-repeat table entries (about 200 bytes each) before "
                                                      "the lines only one page holds are pruned.")
_WINDOW = typer.Option(1000, help="Look-ahead window (documents) on a stream.")
_TEXT_FIELD = typer.Option("text", help="JSONL field holding the text.")
_ID_FIELD = typer.Option("id", help="JSONL field holding the document id.")
_SOURCE_FIELD = typer.Option(None, help="Field naming the site (default: url, then source).")
_CONFIG = typer.Option(None, "--config", help="TOML file with any of these options.")


@app.command()
def run(
    ctx: typer.Context,
    inputs: List[str] = typer.Argument(..., help="Files or directories to clean, or - for stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output folder (default: a sibling NAME.clean/)."),
    format: Format = typer.Option(Format.auto, "--format", help="Stream format for stdin."),
    text_field: str = _TEXT_FIELD,
    id_field: str = _ID_FIELD,
    source_field: Optional[str] = _SOURCE_FIELD,
    on_error: OnError = typer.Option(OnError.fail, help="fail: stop with exit 2; skip: set bad records aside."),
    dedup: Dedup = typer.Option(Dedup.flag, help="Duplicates: flag them, drop them (kept in _duplicates.jsonl), or off."),
    threshold: float = typer.Option(0.8, help="Near-duplicate Jaccard threshold."),
    num_perm: int = typer.Option(128, help="MinHash permutations."),
    ngram: int = typer.Option(5, help="Word n-gram size for MinHash."),
    seed: int = typer.Option(1, help="MinHash seed."),
    containment: float = typer.Option(0.9, help="Below the threshold, a pair is still a near duplicate when one text is "
                                                "at least this share contained in the other (estimate; Jaccard >= 0.5). 0: off."),
    member_floor: float = typer.Option(0.6, help="A document matching only an earlier duplicate joins its cluster "
                                                 "when its Jaccard to the representative is at least this (1: off)."),
    index: Optional[Path] = typer.Option(None, help="Duplicate index to load (if present) and save."),
    rules: List[Path] = _RULES,
    site_repeats: bool = _SITE_REPEATS,
    line_model: bool = _LINE_MODEL,
    model_threshold: Optional[float] = _MODEL_THRESHOLD,
    model_file: Optional[Path] = _MODEL_FILE,
    repeat_min_docs: int = _REPEAT_MIN_DOCS,
    repeat_table_entries: int = _REPEAT_TABLE_ENTRIES,
    window: int = _WINDOW,
    explain: Optional[Path] = typer.Option(None, "--explain", help="Write every removed line with rule and position (JSONL)."),
    stats: Optional[Path] = typer.Option(None, "--stats", help="Write the run summary as JSON."),
    side_dir: Optional[Path] = typer.Option(None, help="Folder for _rejected.jsonl/_duplicates.jsonl (default: the output folder)."),
    config: Optional[Path] = _CONFIG,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the resolved configuration and the files, then exit."),
    workers: int = typer.Option(1, help="Processes for files and directories, and for streams with --no-site-repeats (0: one per CPU); same output as 1."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
):
    """Clean files, directories (mirrored to -o) or stdin (to stdout)."""
    values = _merge_config(ctx, dict(locals()), config)
    values.pop("ctx")
    values = {k: _enum_value(v) for k, v in values.items()}
    clean = _clean_options(values)
    if values["workers"] < 0:
        _fail("--workers must be 0 (one per CPU) or more")
    options = RunOptions(
        output=values["output"], format=values["format"], on_error=values["on_error"],
        dedup=values["dedup"], threshold=values["threshold"], num_perm=values["num_perm"],
        ngram=values["ngram"], seed=values["seed"], containment=values["containment"],
        member_floor=values["member_floor"], index=values["index"], explain=values["explain"],
        stats=values["stats"], side_dir=values["side_dir"], quiet=values["quiet"], workers=values["workers"],
        read=ReadOptions(text_field=values["text_field"], id_field=values["id_field"],
                         source_field=values["source_field"]),
        clean=clean,
    )
    streaming = values["inputs"] == ["-"]
    try:
        if streaming:
            if values["dry_run"]:
                _print_dry_run(values, ["<stdin>"], None)
                return
            job = StreamJob(options, sys.stdin.buffer, sys.stdout.buffer)
        else:
            if "-" in values["inputs"]:
                _fail("'-' (stdin) cannot be mixed with files")
            job = TreeJob(options, [Path(p) for p in values["inputs"]])
            if values["dry_run"]:
                _print_dry_run(values, [str(f.path) for f in job.files], job.out_dir)
                job.tree = None
                return
        job.run()
    except RunError as exc:
        _fail(str(exc))
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        raise typer.Exit(0)
    except Exception as exc:  # an index file error and the like: a message, not a traceback
        name = type(exc).__name__
        if name in ("IndexFileError", "MissingDependency"):
            _fail(str(exc))
        if name == "BrokenProcessPool":  # a --workers process was killed (out of memory, a signal)
            _fail("a worker process died (killed, or out of memory?); nothing was written. "
                  "Run again with fewer --workers.")
        raise


def _print_dry_run(values: dict, files: list[str], out_dir) -> None:
    shown = {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(values.items())
             if k not in ("dry_run", "config")}
    shown["rules"] = [str(r) for r in values["rules"]]
    print("# resolved configuration")
    for key, value in shown.items():
        print(f"{key} = {value!r}")
    print(f"# output: {out_dir if out_dir is not None else '<stdout>'}")
    print(f"# {len(files)} file(s) to process")
    for f in files:
        print(f)


@app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="A file or folder to explain, or - for stdin."),
    text_field: str = _TEXT_FIELD,
    id_field: str = _ID_FIELD,
    source_field: Optional[str] = _SOURCE_FIELD,
    rules: List[Path] = _RULES,
    site_repeats: bool = _SITE_REPEATS,
    line_model: bool = _LINE_MODEL,
    model_threshold: Optional[float] = _MODEL_THRESHOLD,
    model_file: Optional[Path] = _MODEL_FILE,
    repeat_min_docs: int = _REPEAT_MIN_DOCS,
    repeat_table_entries: int = _REPEAT_TABLE_ENTRIES,
    window: int = _WINDOW,
    config: Optional[Path] = _CONFIG,
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour (default: when stdout is a terminal)."),
    limit: int = typer.Option(0, help="Show at most this many documents (0: all)."),
):
    """Show each document with its removed lines marked by rule.

    Takes the cleaning options of `run` (and its --config file; other options
    there are ignored), and cleans the way `run` does: a file or a folder is
    read twice (count, then clean), stdin goes through the look-ahead window."""
    values = dict(locals())  # the options, before any other local name exists
    values.pop("ctx")
    from .explain import render
    from .io.formats import JSONL as JSONL_FMT
    from .io.readers import discover, read_file, read_jsonl, sniff_stream_format, text_document
    from .pipeline import Pipeline

    if config is not None:
        values = _merge_config(ctx, values, config, ignore_unknown=True)
    use_color = sys.stdout.isatty() if values["color"] is None else values["color"]
    read = ReadOptions(text_field=values["text_field"], id_field=values["id_field"],
                       source_field=values["source_field"])
    clean = _clean_options(values)
    clean.explain_repairs = True
    try:
        pipeline = Pipeline(clean)
    except ValueError as exc:
        _fail(str(exc))
    if file == "-":
        data = sys.stdin.buffer.read()
        first = data.split(b"\n", 1)[0]
        if sniff_stream_format(first, read) == JSONL_FMT:
            import io

            docs = read_jsonl(io.BytesIO(data), "<stdin>", "stdin", "", read)
        else:
            docs = iter([text_document(data, "<stdin>", "stdin", "")])
        cleaned = pipeline.run(docs)
    else:
        try:
            files = discover([Path(file)])
        except FileNotFoundError as exc:
            _fail(str(exc))
        if pipeline.site_repeats is not None:  # two passes, in the runs `run` counts and cleans
            from .runner import counting_runs

            cleaned = _cleaned_runs(pipeline, counting_runs(files, clean.repeat_table_entries, read), read)
        else:
            cleaned = pipeline.run(doc for source in files for doc in read_file(source, read))
    shown = 0
    model = pipeline.line_model.model if pipeline.line_model is not None else None
    try:
        for doc in cleaned:
            if doc.error is not None:
                print(f"== {doc.location}: rejected: {doc.error}")
                continue
            print(render(doc, color=use_color, model=model))
            shown += 1
            if limit and shown >= limit:
                break
    except BrokenPipeError:
        sys.stderr.close()


def _cleaned_runs(pipeline, runs, read):
    """The cleaned documents of `runs` of files, each run counted (pass 1),
    then cleaned (pass 2) before the next is counted, as `run` does."""
    from .io.readers import read_file

    for n, files in enumerate(runs):
        if n:
            pipeline.forget_counts()
        for source in files:
            for doc in read_file(source, read):
                pipeline.observe(doc)
        yield from pipeline.run((doc for source in files for doc in read_file(source, read)), counted=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
