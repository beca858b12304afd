"""``snomap ecl 'EXPR'``: evaluate an ECL 2.2 expression constraint from the command line."""

from __future__ import annotations

import json

import click

from terminology.ecl import MAX_PAGE, EclSyntaxError, evaluate

from ._common import CliError, command, index_option, open_index


def caret(text: str, exc: EclSyntaxError) -> str:
    """The offending line of the expression with a caret under the error's column."""
    lines = text.split("\n")
    line = lines[exc.line - 1] if 0 < exc.line <= len(lines) else text
    return f"  {line}\n  {' ' * (exc.column - 1)}^"


@command("ecl")
@click.argument("expression")
@click.option("--count", is_flag=True, help="Print the number of concepts only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, MAX_PAGE), help="Concepts to list.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="Concepts to skip.")
@click.option("--lang", default=None, help="Dialect for terms, e.g. en-GB.")
@index_option
def ecl_cmd(
    expression: str, count: bool, as_json: bool, limit: int, offset: int, lang: str | None, index: str | None
) -> None:
    """Concepts matching an ECL expression, e.g. snomap ecl '<< 404684003 : 363698007 = << 39057004'."""
    t = open_index(index)
    try:
        result = evaluate(t, expression)
    except EclSyntaxError as exc:
        raise CliError(f"{exc}\n{caret(expression, exc)}") from exc
    page = [int(i) for i in result.ids[offset : offset + limit].tolist()]
    if as_json:
        data: dict = {"total": result.total, "warnings": list(result.warnings)}
        if result.records is not None:
            data["fields"] = list(result.fields or ())
            data["records"] = (
                []
                if count
                else [
                    {k: None if v is None else str(v) for k, v in r.items()}
                    for r in result.records[offset : offset + limit]
                ]
            )
        elif not count:
            terms = t.preferred_terms(page, lang)
            data["items"] = [{"conceptId": str(i), "pt": terms[i]} for i in page]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if count:
        click.echo(result.total)
        return
    if result.records is not None:
        click.echo("\t".join(result.fields or ()))
        for r in result.records[offset : offset + limit]:
            click.echo("\t".join("" if v is None else str(v) for v in r.values()))
    else:
        terms = t.preferred_terms(page, lang)
        for i in page:
            click.echo(f"{i}\t{terms[i]}")
    shown = len(result.records[offset : offset + limit]) if result.records is not None else len(page)
    click.echo(f"{result.total} in total, {shown} shown from offset {offset}", err=True)
