"""`snomap tokens create|revoke|list`: API tokens for the authoring endpoints."""

from __future__ import annotations

import json

import click

from terminology.authoring.tokens import ROLES

from ._common import CliError, database_option, group, open_store
from .guidelines import cli_user


@group("tokens")
def tokens_group() -> None:
    """API tokens for the authoring endpoints (stored as salted hashes; shown once)."""


@tokens_group.command("create")
@click.option("--name", required=True, help="Who or what holds the token; recorded as the author of changes.")
@click.option("--role", type=click.Choice(ROLES), default="author", show_default=True)
@database_option
def token_create_cmd(name: str, role: str, database: str | None) -> None:
    """Create a token and print it: it is shown this once and cannot be recovered."""
    repo = open_store(database)
    try:
        token = repo.tokens.create(name, role, created_by=cli_user(None))
    finally:
        repo.dispose()
    click.echo(token)
    click.echo(f"token {name!r} ({role}) created; store it now, it is not shown again", err=True)


@tokens_group.command("revoke")
@click.argument("name")
@database_option
def token_revoke_cmd(name: str, database: str | None) -> None:
    """Revoke the active token called NAME (takes effect on the next request)."""
    repo = open_store(database)
    try:
        done = repo.tokens.revoke(name, revoked_by=cli_user(None))
    finally:
        repo.dispose()
    if not done:
        raise CliError(f"no active token named {name!r}")
    click.echo(f"token {name!r} revoked")


@tokens_group.command("list")
@database_option
@click.option("--json", "as_json", is_flag=True)
def token_list_cmd(database: str | None, as_json: bool) -> None:
    """Token names, roles and dates (never the tokens themselves)."""
    repo = open_store(database)
    try:
        items = repo.tokens.list()
    finally:
        repo.dispose()
    rows = [
        {
            "name": i.name,
            "role": i.role,
            "created": i.created_at.isoformat() if i.created_at else None,
            "revoked": i.revoked_at.isoformat() if i.revoked_at else None,
        }
        for i in items
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        for r in rows:
            click.echo(
                f"{r['name']}\t{r['role']}\tcreated {r['created']}"
                + (f"\trevoked {r['revoked']}" if r["revoked"] else "")
            )
