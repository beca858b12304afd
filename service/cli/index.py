"""``snomap index``: build an index from RF2 packages."""

from __future__ import annotations

import sys
import time

import click

from loaders import load_release
from terminology import build_index

from ._common import command


@command("index")
@click.argument("rf2_paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(), help="Where to write the index directory.")
@click.option("--full", is_flag=True, help="Read Full files and reduce them to a snapshot (see --as-at).")
@click.option("--as-at", "as_at", type=int, help="With --full: the snapshot as at this date (YYYYMMDD).")
@click.option("--delta", "deltas", multiple=True, type=click.Path(exists=True), help="Delta package to apply (repeatable).")
@click.option("--strict", is_flag=True, help="Fail on rows pointing at unknown components instead of skipping them.")
def index_cmd(rf2_paths: tuple[str, ...], out: str, full: bool, as_at: int | None, deltas: tuple[str, ...], strict: bool) -> None:
    """Build an index from one or more RF2 packages (directories or .zip files)."""
    if as_at is not None and not full:
        raise click.UsageError("--as-at needs --full (a Snapshot is already a single state)")
    started = time.time()
    progress = sys.stderr.isatty()
    release = load_release(list(rf2_paths), "Full" if full else "Snapshot", as_at, deltas, strict=strict, progress=progress)
    manifest = build_index(release, out, progress=progress, consume=True)
    counts = manifest["counts"]
    click.echo(f"index written to {out} in {time.time() - started:.1f} s")
    click.echo(f"release {manifest['release']['uri']}")
    for k, v in counts.items():
        click.echo(f"  {k}: {v:,}")
    for k, v in release.report.skipped.items():
        click.echo(f"  skipped {v:,} rows: {k} (first at {release.report.skipped_examples[k]})")
