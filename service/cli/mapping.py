"""``snomap map TEXT``: map clinical text onto concepts, best first."""

from __future__ import annotations

import json

import click

from terminology.mapping import map_phrase

from ._common import command, index_option, open_index


@command("map")
@click.argument("text")
@index_option
@click.option("--limit", default=5, show_default=True)
@click.option("--lang", default=None)
@click.option("--json", "as_json", is_flag=True)
def map_cmd(text: str, index: str | None, limit: int, lang: str | None, as_json: bool) -> None:
    """Map clinical text onto concepts, best first (abstains when nothing scores above the threshold)."""
    t = open_index(index)
    result = map_phrase(t, text, limit=limit, lang=lang)  # the engine POST /api/v1/map uses
    if as_json:
        candidates = [
            {
                "conceptId": str(c.concept_id),
                "pt": c.term,
                "matchedTerm": c.matched_term,
                "score": round(c.score, 4),
                "sources": list(c.sources),
            }
            for c in result.candidates
        ]
        body = {"matched": result.matched, "threshold": result.threshold, "candidates": candidates}
        if result.composition is not None and result.composition.expression:
            body["expression"] = result.composition.expression
        click.echo(json.dumps(body, indent=2))
        return
    if not result.matched:
        click.echo(f"no match above the threshold {result.threshold}")
    for c in result.candidates:
        click.echo(f"{c.score:.3f}\t{c.concept_id}\t{c.term}\t(matched: {c.matched_term}; {', '.join(c.sources)})")
    for a in result.ambiguous:
        click.echo(f"ambiguous abbreviation {a['abbreviation']}: " + " or ".join(a["readings"]))
