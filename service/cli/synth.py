"""``snomap synth``: write a synthetic SNOMED-style release (for benchmarks and scale tests)."""

from __future__ import annotations

import json
import sys

import click

from ._common import command


@command("synth")
@click.option("--concepts", default=370_000, show_default=True, help="Number of active concepts.")
@click.option("--out", required=True, type=click.Path(), help="Directory to write the RF2 Snapshot to.")
@click.option("--seed", default=42, show_default=True)
def synth_cmd(concepts: int, out: str, seed: int) -> None:
    """Write a synthetic SNOMED-style RF2 release of realistic shape (for benchmarks and scale tests)."""
    from synth import write_synthetic_release

    summary = write_synthetic_release(out, concepts=concepts, seed=seed, progress=sys.stderr.isatty())
    click.echo(json.dumps(dict(vars(summary).items()), indent=2, default=str))
