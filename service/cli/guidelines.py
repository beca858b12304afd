"""`snomap guidelines import|export|check`: the guideline store from the command line.

Every command takes `--database URL` (default `$SNOMAP_DATABASE_URL`, else the embedded SQLite file,
seeded with the sample guidelines on first use), so the same commands serve a laptop and a PostgreSQL
deployment.
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

import click

from terminology.authoring import Actor
from terminology.authoring.release_check import (
    DEFAULT_MIN_CHANGE,
    DEFAULT_RATIO,
    RELEASE_CHECK_USER,
    apply_release_check,
    check_release,
)
from terminology.authoring.validation import baselines, guideline_validator

from ._common import INDEX_HELP, database_option, group, open_index, open_store


def cli_user(name: str | None) -> str:
    """The author recorded on revisions: the name given, else cli:<login>."""
    try:
        return name or f"cli:{getpass.getuser()}"
    except OSError:  # no user name in some containers
        return "cli"


@group("guidelines")
def guidelines_group() -> None:
    """The guideline store: import and export Markdown files, check tags against a new release."""


@guidelines_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@database_option
@click.option("--index", default=None, help="Index to record tag baselines against. " + INDEX_HELP)
@click.option("--prune", is_flag=True, help="Delete stored guidelines that are not in DIRECTORY.")
@click.option("--user", default=None, help="Author recorded on the revisions (default: cli:<login>).")
@click.option("--json", "as_json", is_flag=True)
def import_cmd(
    directory: str, database: str | None, index: str | None, prune: bool, user: str | None, as_json: bool
) -> None:
    """Import guideline files (validated first) in ONE transaction: all of them, or, on any error or crash, none."""
    repo = open_store(database)
    try:
        t = open_index(index)
        report = repo.import_directory(
            directory,
            actor=Actor(cli_user(user), "admin"),
            baseline=baselines(t),
            prune=prune,
            validate=guideline_validator(t),  # the API's tag check: the same guideline is refused the same way
        )
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
@database_option
def export_cmd(directory: str, database: str | None) -> None:
    """Write every stored guideline to DIRECTORY as <id>.md (Markdown with YAML front matter)."""
    repo = open_store(database)
    try:
        files = repo.export_directory(directory)
    finally:
        repo.dispose()
    click.echo(f"exported {len(files)} guideline(s) to {directory}")


@guidelines_group.command("check")
@database_option
@click.option("--index", default=None, help="The NEW release's index to check the tags against. " + INDEX_HELP)
@click.option(
    "--ratio", default=DEFAULT_RATIO, show_default=True, help="Relative coverage change that counts as a lot."
)
@click.option("--min-change", default=DEFAULT_MIN_CHANGE, show_default=True, help="...and at least this many concepts.")
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Migrate tags with exactly one replacement (as revisions by 'release-check').",
)
@click.option("--json", "as_json", is_flag=True)
def check_cmd(
    database: str | None, index: str | None, ratio: float, min_change: int, apply_: bool, as_json: bool
) -> None:
    """List tags that are inactive, missing or whose coverage changed a lot in a release, with replacements.

    Exit status: 0 when nothing needs a person, 1 when some findings do (so CI can gate on it).
    """
    repo = open_store(database)
    t = open_index(index)
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
                click.echo(
                    f"migrated {m['guidelineId']}: {m['from']} -> {m['to']} |{m['toTerm']}| (revision {m['revision']})"
                )
            for f in applied.to_decide:
                click.echo(f"needs a decision: {f.guideline_id} tag {f.tag_id}: {f.detail}")
            for x in applied.failed:
                click.echo(f"failed: {x['guideline_id']} tag {x['tag_id']}: {x['error']}")
        if review:
            click.echo(f"{len(review)} tag(s) to review for changed coverage")
    if pending or (applied and applied.failed):
        sys.exit(1)
