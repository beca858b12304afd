"""``snomap index``: build an index from RF2 packages."""

from __future__ import annotations

import sys
import time

import click

from loaders import load_release
from terminology import build_index

from ._common import command


@command("index")
@click.argument("rf2_paths", nargs=-1, type=click.Path(exists=True))
@click.option("--out", "out", type=click.Path(), help="Where to write the index directory.")
@click.option(
    "--verify", "verify", type=click.Path(), help="Check the index at this path instead (every file, every byte)."
)
@click.option("--full", is_flag=True, help="Read Full files and reduce them to a snapshot (see --as-at).")
@click.option("--as-at", "as_at", type=int, help="With --full: the snapshot as at this date (YYYYMMDD).")
@click.option(
    "--delta", "deltas", multiple=True, type=click.Path(exists=True), help="Delta package to apply (repeatable)."
)
@click.option("--strict", is_flag=True, help="Fail on rows pointing at unknown components instead of skipping them.")
def index_cmd(
    rf2_paths: tuple[str, ...],
    out: str | None,
    verify: str | None,
    full: bool,
    as_at: int | None,
    deltas: tuple[str, ...],
    strict: bool,
) -> None:
    """Build an index from one or more RF2 packages (directories or .zip files), or check one with --verify."""
    if verify is not None:
        if rf2_paths or out:
            raise click.UsageError("--verify checks an existing index: give no RF2 packages and no --out")
        _verify_index(verify)
        return
    if not rf2_paths or not out:
        raise click.UsageError("give one or more RF2 packages and --out (or --verify PATH)")
    if as_at is not None and not full:
        raise click.UsageError("--as-at needs --full (a Snapshot is already a single state)")
    started = time.time()
    progress = sys.stderr.isatty()
    release = load_release(
        list(rf2_paths), "Full" if full else "Snapshot", as_at, deltas, strict=strict, progress=progress
    )
    manifest = build_index(release, out, progress=progress, consume=True)
    counts = manifest["counts"]
    click.echo(f"index written to {out} in {time.time() - started:.1f} s")
    click.echo(f"release {manifest['release']['uri']}")
    for k, v in counts.items():
        click.echo(f"  {k}: {v:,}")
    for k, v in release.report.skipped.items():
        click.echo(f"  skipped {v:,} rows: {k} (first at {release.report.skipped_examples[k]})")
    for k, v in release.report.unknown_targets.items():
        click.echo(
            f"  kept {v:,} rows whose {k} is not in the release (first at {release.report.unknown_target_examples[k]})"
        )


def _verify_index(path: str) -> None:
    """One line per problem, each naming the file; exit 1 when there is any."""
    from terminology import verify_index

    started = time.time()
    problems = verify_index(path)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"ok: {path} (every file of its recorded size, header and checksum; {time.time() - started:.1f} s)")
