"""What every command shares: the one clean-failure path, opening an index or the guideline store, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from loaders.errors import SnomapError
from terminology import Terminology
from terminology.authoring import AuthoringError, SqlGuidelineRepository, open_repository
from terminology.sample import default_index_path

INDEX_HELP = "Index directory (default: $SNOMAP_INDEX, else the sample release's index, built on first use)."
DATABASE_HELP = "Database URL (default: $SNOMAP_DATABASE_URL, else the embedded SQLite file in $SNOMAP_DATA_DIR)."


class CliError(SnomapError):
    """A command's own refusal (input too long, no such token, ...): one line, exit code 2."""


def message(exc: SnomapError) -> str:
    """The one line (or, for ECL, the line and its caret) an error prints."""
    if isinstance(exc, AuthoringError):
        return exc.detail + (f" (field {exc.field})" if exc.field else "")
    return str(exc)


class Command(click.Command):
    """A command whose project errors (bad --index, bad input, ...) print `error: ...` and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SnomapError as exc:
            click.echo(f"error: {message(exc)}", err=True)
            ctx.exit(2)


class Group(click.Group):
    """A group of `Command`s (its subcommands fail cleanly too)."""

    command_class = Command


def command(name: str) -> Callable[[Callable[..., Any]], Command]:
    return click.command(name, cls=Command)  # type: ignore[return-value]


def group(name: str) -> Callable[[Callable[..., Any]], Group]:
    return click.group(name, cls=Group)  # type: ignore[return-value]


def index_option(fn: Callable[..., Any], help: str = INDEX_HELP) -> Callable[..., Any]:
    return click.option("--index", default=None, help=help)(fn)


def database_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--database", "database", default=None, help=DATABASE_HELP)(fn)


def open_index(index: str | None) -> Terminology:
    """The index given, else $SNOMAP_INDEX, else the sample release's (built on first use)."""
    return Terminology.open(index or default_index_path(progress=sys.stderr.isatty()))


def open_store(database: str | None) -> SqlGuidelineRepository:
    return open_repository(database)


def emit(data: Any, as_json: bool, human: Callable[[], Any]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        human()
