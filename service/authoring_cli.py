"""`snomap guidelines import|export|check` and `snomap tokens create|revoke|list`.

Registered on the `snomap` group when `service.commands` imports this module. Every command takes
`--database URL` (default `$SNOMAP_DATABASE_URL`, else the embedded SQLite file, seeded with the sample
guidelines on first use), so the same commands serve a laptop and a PostgreSQL deployment.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from loaders.guidelines import GuidelineFileError
from terminology import Terminology, TerminologyError
from terminology.authoring import Actor, AuthoringError, SqlGuidelineRepository, open_repository
from terminology.authoring.release_check import (
    DEFAULT_MIN_CHANGE,
    DEFAULT_RATIO,
    RELEASE_CHECK_USER,
    apply_release_check,
    check_release,
)
from terminology.authoring.tokens import ROLES
from terminology.authoring.validation import baselines
from terminology.sample import default_index_path

from .cli import INDEX_HELP, main

DATABASE_HELP = "Database URL (default: $SNOMAP_DATABASE_URL, else the embedded SQLite file in $SNOMAP_DATA_DIR)."


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Store, file and terminology errors become one line on stderr and exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AuthoringError as e:
            click.echo(f"error: {e.detail}" + (f" (field {e.field})" if e.field else ""), err=True)
            sys.exit(2)
        except (GuidelineFileError, TerminologyError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)

    return wrapper


def _database(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--database", "database", default=None, help=DATABASE_HELP)(fn)


def _open(database: str | None) -> SqlGuidelineRepository:
    return open_repository(database)


def _terminology(index: str | None) -> Terminology:
    return Terminology.open(index or default_index_path(progress=sys.stderr.isatty()))


def _user(name: str | None) -> str:
    try:
        return name or f"cli:{getpass.getuser()}"
    except OSError:  # no user name in some containers
        return "cli"


@main.group("guidelines")
def guidelines_group() -> None:
    """The guideline store: import and export Markdown files, check tags against a new release."""


@guidelines_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@_database
@click.option("--index", default=None, help="Index to record tag baselines against. " + INDEX_HELP)
@click.option("--prune", is_flag=True, help="Delete stored guidelines that are not in DIRECTORY.")
@click.option("--user", default=None, help="Author recorded on the revisions (default: cli:<login>).")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def import_cmd(directory: str, database: str | None, index: str | None, prune: bool, user: str | None, as_json: bool) -> None:
    """Import guideline files (validated first) in ONE transaction: all of them, or, on any error or crash, none."""
    repo = _open(database)
    try:
        report = repo.import_directory(directory, actor=Actor(_user(user), "admin"), baseline=baselines(_terminology(index)), prune=prune)
    finally:
        repo.dispose()
    data = report.as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(
            f"imported {directory}: {data['created']} created, {data['updated']} updated, "
            f"{data['unchanged']} unchanged, {data['deleted']} deleted"
        )


@guidelines_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@_database
@_fail_cleanly
def export_cmd(directory: str, database: str | None) -> None:
    """Write every stored guideline to DIRECTORY as <id>.md (Markdown with YAML front matter)."""
    repo = _open(database)
    try:
        files = repo.export_directory(directory)
    finally:
        repo.dispose()
    click.echo(f"exported {len(files)} guideline(s) to {directory}")


@guidelines_group.command("check")
@_database
@click.option("--index", default=None, help="The NEW release's index to check the tags against. " + INDEX_HELP)
@click.option("--ratio", default=DEFAULT_RATIO, show_default=True, help="Relative coverage change that counts as a lot.")
@click.option("--min-change", default=DEFAULT_MIN_CHANGE, show_default=True, help="...and at least this many concepts.")
@click.option("--apply", "apply_", is_flag=True, help="Migrate tags with exactly one replacement (as revisions by 'release-check').")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def check_cmd(database: str | None, index: str | None, ratio: float, min_change: int, apply_: bool, as_json: bool) -> None:
    """List tags that are inactive, missing or whose coverage changed a lot in a release, with replacements.

    Exit status: 0 when nothing needs a person, 1 when some findings do (so CI can gate on it).
    """
    repo = _open(database)
    t = _terminology(index)
    try:
        check = check_release(repo, t, ratio, min_change)
        applied = apply_release_check(repo, t, check, RELEASE_CHECK_USER) if apply_ else None
    finally:
        repo.dispose()
    pending = applied.to_decide if applied else [f for f in check.findings if f.decision != "review"]
    review = [f for f in check.findings if f.decision == "review"]
    if as_json:
        out: dict[str, Any] = {
            "release": check.release,
            "summary": check.summary(),
            "findings": [f.as_dict() for f in check.findings],
        }
        if applied:
            out["migrated"] = applied.migrated
            out["toDecide"] = [f.as_dict() for f in applied.to_decide]
            out["failed"] = applied.failed
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        s = check.summary()
        click.echo(f"checked {s['tags']} tag(s) against {check.release}: {s['findings']} finding(s)")
        for f in check.findings:
            click.echo(f"  [{f.decision}] {f.guideline_id} tag {f.tag_id}: {f.detail}")
            for r in f.replacements:
                mark = "" if r["active"] else " (inactive)"
                click.echo(f"      {r['association']}: {r['conceptId']} |{r['pt']}|{mark}")
        if applied:
            for m in applied.migrated:
                click.echo(f"migrated {m['guidelineId']}: {m['from']} -> {m['to']} |{m['toTerm']}| (revision {m['revision']})")
            for f in applied.to_decide:
                click.echo(f"needs a decision: {f.guideline_id} tag {f.tag_id}: {f.detail}")
            for x in applied.failed:
                click.echo(f"failed: {x['guideline_id']} tag {x['tag_id']}: {x['error']}")
        if review:
            click.echo(f"{len(review)} tag(s) to review for changed coverage")
    if pending or (applied and applied.failed):
        sys.exit(1)


@main.group("tokens")
def tokens_group() -> None:
    """API tokens for the authoring endpoints (stored as salted hashes; shown once)."""


@tokens_group.command("create")
@click.option("--name", required=True, help="Who or what holds the token; recorded as the author of changes.")
@click.option("--role", type=click.Choice(ROLES), default="author", show_default=True)
@_database
@_fail_cleanly
def token_create_cmd(name: str, role: str, database: str | None) -> None:
    """Create a token and print it: it is shown this once and cannot be recovered."""
    repo = _open(database)
    try:
        token = repo.tokens.create(name, role, created_by=_user(None))
    finally:
        repo.dispose()
    click.echo(token)
    click.echo(f"token {name!r} ({role}) created; store it now, it is not shown again", err=True)


@tokens_group.command("revoke")
@click.argument("name")
@_database
@_fail_cleanly
def token_revoke_cmd(name: str, database: str | None) -> None:
    """Revoke the active token called NAME (takes effect on the next request)."""
    repo = _open(database)
    try:
        done = repo.tokens.revoke(name, revoked_by=_user(None))
    finally:
        repo.dispose()
    if not done:
        click.echo(f"error: no active token named {name!r}", err=True)
        sys.exit(2)
    click.echo(f"token {name!r} revoked")


@tokens_group.command("list")
@_database
@click.option("--json", "as_json", is_flag=True)
def token_list_cmd(database: str | None, as_json: bool) -> None:
    """Token names, roles and dates (never the tokens themselves)."""
    repo = _open(database)
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
            click.echo(f"{r['name']}\t{r['role']}\tcreated {r['created']}" + (f"\trevoked {r['revoked']}" if r["revoked"] else ""))

