"""``snomap annotate FILE``: concept mentions in a text file (``-`` reads standard input)."""

from __future__ import annotations

import json

import click

from terminology.ecl import evaluate
from terminology.mapping.annotate import MAX_TEXT, annotate_timed

from ._common import CliError, command, index_option, open_index


@command("annotate")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the API's shape).")
@click.option("--lang", default=None, help="Dialect for terms, e.g. en-GB.")
@click.option("--ecl", default=None, help="Only suggest concepts of this ECL expression, e.g. '<< 404684003'.")
@click.option("--min-score", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0))
@index_option
def annotate_cmd(
    file: click.utils.LazyFile, as_json: bool, lang: str | None, ecl: str | None, min_score: float, index: str | None
) -> None:
    """Concept mentions in FILE: where, which concept, how sure, and whether negated or hypothetical."""
    text = file.read()
    if len(text) > MAX_TEXT:
        raise CliError(f"the text is {len(text):,} characters long; at most {MAX_TEXT:,} are annotated at once")
    t = open_index(index)
    within = evaluate(t, ecl).ids if ecl else None
    mentions, elapsed = annotate_timed(t, text, lang, within, min_score)
    if as_json:
        out = {"mentions": [m.as_dict() for m in mentions], "total": len(mentions), "elapsedMs": elapsed}
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for m in mentions:
        flags = " ".join(f for f, on in (("NEGATED", m.negated), ("HYPOTHETICAL", m.hypothetical)) if on)
        why = f" ({flags}: {m.trigger})" if flags else ""
        click.echo(f"{m.start}-{m.end}\t{m.text}\t{m.concept_id} |{m.pt}|\t{m.score:.2f}{why}")
    click.echo(f"{len(mentions)} mentions in {elapsed} ms", err=True)
