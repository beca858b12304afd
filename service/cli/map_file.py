"""``snomap map-file``: map a column of a CSV, TSV, JSONL or Parquet file on every core, resumably.

The distinct (value, system) pairs of the file are split into chunks; forked worker processes open
the index themselves (memory-mapped, shared pages; a Terminology is never pickled) and run
`map_frame` over one chunk at a time. Each finished chunk is kept in OUTPUT.partial.d/, so
``--resume`` after an interruption maps only what is left; the output is written to OUTPUT.partial
and renamed over OUTPUT at the end, so OUTPUT is never half-written and a rerun writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pandas as pd

from terminology.batch import (
    FORMATS,
    distinct_rows,
    empty_output,
    file_format,
    map_distinct,
    open_guidelines,
    open_index,
    output_columns,
    read_table,
    write_table,
)
from terminology.sample import default_index_path

from ._common import INDEX_HELP, command

CHUNK = 2000  # distinct values per task: small enough for a smooth progress bar and cheap resumption
_worker: dict[str, Any] = {}  # the run's settings, set before the fork and inherited by the workers


def _init_worker() -> None:
    """Open the index in this process: SQLite handles must not cross a fork, and the mapped pages are shared anyway."""
    open_index(_worker["index"])


def _map_chunk(task: tuple[int, list[Any], list[Any]]) -> tuple[int, pd.DataFrame]:
    number, values, systems = task
    w = _worker
    return number, map_distinct(open_index(w["index"]), values, systems, w["repo"], w["lang"], w["statuses"])


def _fingerprint(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _pending(partial: Path, n_chunks: int) -> Iterator[int]:
    for i in range(n_chunks):
        if not (partial / f"chunk-{i:06d}.parquet").is_file():
            yield i


@command("map-file")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option("--column", required=True, help="The column holding the texts or codes to map.")
@click.option(
    "--system-column",
    default=None,
    help="A column holding each row's code system (e.g. ICD-10 URIs); empty means SNOMED CT or text.",
)
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output file (same columns plus the mapping).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Input and output format (default: by extension)."
)
@click.option("--index", default=None, help=INDEX_HELP)
@click.option(
    "--guidelines", default=None, help="Guidelines directory or authoring-store URL (default: the authoring store)."
)
@click.option("--lang", default=None, help="Dialect for terms, e.g. en-GB.")
@click.option("--workers", default=0, type=click.IntRange(0), help="Worker processes (default: every core).")
@click.option("--resume", is_flag=True, help="Keep the chunks an interrupted run of the same command finished.")
def map_file_cmd(
    input_path: str,
    column: str,
    system_column: str | None,
    output: str,
    fmt: str | None,
    index: str | None,
    guidelines: str | None,
    lang: str | None,
    workers: int,
    resume: bool,
) -> None:
    """Map a column of a CSV, TSV, JSONL or Parquet file: one output row per input row, in order.

    Adds conceptId, pt, score, matched, how, the guideline ids (published guidelines only) and error.
    """
    try:
        in_fmt = file_format(input_path, fmt)
        out_fmt = file_format(output, fmt or in_fmt if not Path(output).suffix else fmt)
        df = read_table(input_path, in_fmt)
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    for col in (column, system_column):
        if col is not None and col not in df.columns:
            raise click.UsageError(f"{input_path} has no column {col!r} (columns: {', '.join(map(str, df.columns))})")
    taken = [c for c in output_columns() if c in df.columns]
    if taken:
        raise click.UsageError(f"{input_path} already has column(s) {', '.join(taken)}")
    index_path = str(Path(index or default_index_path(progress=sys.stderr.isatty())).resolve())
    statuses = ["published"]
    codes, first = distinct_rows(df[column].tolist(), df[system_column].tolist() if system_column else None)
    values = [df[column].iat[i] for i in first]
    systems = [df[system_column].iat[i] if system_column else None for i in first]
    n_chunks = -(-len(values) // CHUNK)
    st = os.stat(input_path)
    fingerprint = _fingerprint(
        {
            "input": str(Path(input_path).resolve()),
            "size": st.st_size,
            "mtime": st.st_mtime_ns,
            "column": column,
            "system": system_column,
            "lang": lang,
            "guidelines": guidelines,
            "statuses": statuses,
            "chunk": CHUNK,
            "index": index_path,
            "manifest": (Path(index_path) / "manifest.json").read_text()
            if Path(index_path, "manifest.json").is_file()
            else "",
        }
    )
    partial = Path(output + ".partial.d")
    state = partial / "state.json"
    if partial.exists() and not (
        resume and state.is_file() and json.loads(state.read_text()).get("fingerprint") == fingerprint
    ):
        if resume:
            click.echo("--resume: the unfinished run was of another input or settings; starting afresh", err=True)
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"fingerprint": fingerprint, "chunks": n_chunks}))
    todo = list(_pending(partial, n_chunks))
    done_values = sum(min(CHUNK, len(values) - i * CHUNK) for i in range(n_chunks)) - sum(
        min(CHUNK, len(values) - i * CHUNK) for i in todo
    )
    if done_values:
        click.echo(f"resuming: {n_chunks - len(todo)} of {n_chunks} chunks already mapped", err=True)
    n_workers = min(workers or len(os.sched_getaffinity(0)), max(1, len(todo)))
    tasks = ((i, values[i * CHUNK : (i + 1) * CHUNK], systems[i * CHUNK : (i + 1) * CHUNK]) for i in todo)
    from tqdm import tqdm

    bar = tqdm(
        total=len(values),
        initial=done_values,
        unit="value",
        desc="mapping distinct values",
        disable=None,
        file=sys.stderr,
    )
    # The guidelines are read here, once, into memory; the workers inherit them through the fork.
    _worker.update(index=index_path, repo=open_guidelines(guidelines, statuses), lang=lang, statuses=statuses)
    try:
        if n_workers <= 1:
            _init_worker()
            _save_all(map(_map_chunk, tasks), partial, bar)
        else:
            with mp.get_context("fork").Pool(n_workers, initializer=_init_worker) as pool:
                _save_all(pool.imap_unordered(_map_chunk, tasks), partial, bar)
    finally:
        bar.close()
    mapped = (
        pd.concat([pd.read_parquet(partial / f"chunk-{i:06d}.parquet") for i in range(n_chunks)], ignore_index=True)
        if n_chunks
        else None
    )
    if mapped is None:
        mapped = empty_output()
    rows = mapped.iloc[codes].reset_index(drop=True)
    result = pd.concat([df.reset_index(drop=True), rows], axis=1)
    tmp = Path(output + ".partial")
    write_table(result, tmp, out_fmt)
    os.replace(tmp, output)
    shutil.rmtree(partial)
    errors = int(result["error"].notna().sum())
    matched = int(result["matched"].sum())
    click.echo(
        f"{len(result):,} rows ({len(values):,} distinct) written to {output}: {matched:,} matched, {errors:,} errors",
        err=True,
    )


def _save_all(results: Iterator[tuple[int, pd.DataFrame]], partial: Path, bar: Any) -> None:
    """Keep each finished chunk (written then renamed, so a kill never leaves half a chunk)."""
    for number, out in results:
        path = partial / f"chunk-{number:06d}.parquet"
        tmp = path.with_suffix(".tmp")
        out.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        bar.update(len(out))
