"""The `snomap` command line: build indexes, query concepts, serve the API."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from loaders import ReleaseError, load_release
from terminology import InvalidSctidError, Terminology, TerminologyError, build_index, parse_sctid
from terminology.sample import default_index_path

INDEX_HELP = "Index directory (default: $SNOMAP_INDEX, else the sample release's index, built on first use)."


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into one-line messages and exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ReleaseError, TerminologyError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def _open(index: str | None) -> Terminology:
    return Terminology.open(index or default_index_path(progress=sys.stderr.isatty()))


def _emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        human()


@click.group()
@click.version_option(package_name="snomap")
def main() -> None:
    """snomap: SNOMED CT concepts, hierarchy, ECL, FHIR and guidelines linked to diagnoses."""


@main.command("index")
@click.argument("rf2_paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(), help="Where to write the index directory.")
@click.option("--full", is_flag=True, help="Read Full files and reduce them to a snapshot (see --as-at).")
@click.option("--as-at", "as_at", type=int, help="With --full: the snapshot as at this date (YYYYMMDD).")
@click.option("--delta", "deltas", multiple=True, type=click.Path(exists=True), help="Delta package to apply (repeatable).")
@click.option("--strict", is_flag=True, help="Fail on rows pointing at unknown components instead of skipping them.")
@_fail_cleanly
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


@main.command("synth")
@click.option("--concepts", default=370_000, show_default=True, help="Number of active concepts.")
@click.option("--out", required=True, type=click.Path(), help="Directory to write the RF2 Snapshot to.")
@click.option("--seed", default=42, show_default=True)
def synth_cmd(concepts: int, out: str, seed: int) -> None:
    """Write a synthetic SNOMED-style RF2 release of realistic shape (for benchmarks and scale tests)."""
    from loaders.synth import write_synthetic_release

    summary = write_synthetic_release(out, concepts=concepts, seed=seed, progress=sys.stderr.isatty())
    click.echo(json.dumps(dict(vars(summary).items()), indent=2, default=str))


def _concept_arg(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(fn)
    fn = click.option("--lang", default=None, help="Dialect for terms, e.g. en-GB.")(fn)
    fn = click.option("--index", default=None, help=INDEX_HELP)(fn)
    return click.argument("concept_id")(fn)


def _listing(t: Terminology, ids: Any, lang: str | None, as_json: bool) -> None:
    ids = [int(i) for i in ids]
    terms = t.preferred_terms(ids, lang)
    rows = [{"conceptId": str(i), "pt": terms[i]} for i in ids]
    _emit(rows, as_json, lambda: [click.echo(f"{r['conceptId']}\t{r['pt']}") for r in rows])


@main.command("lookup")
@_concept_arg
@_fail_cleanly
def lookup_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """Show a concept: terms, parents, attributes, refsets and history."""
    t = _open(index)
    sctid = parse_sctid(concept_id)
    c = t.concept(sctid)
    pt = t.preferred_term
    data = {
        "conceptId": str(sctid),
        "active": c.active,
        "moduleId": str(c.module_id),
        "definitionStatus": c.definition_status,
        "effectiveTime": c.effective_time,
        "fsn": t.fsn(sctid, lang),
        "pt": pt(sctid, lang),
        "synonyms": [d.term for d in t.synonyms(sctid, lang)],
        "parents": [{"conceptId": str(p), "pt": pt(p, lang)} for p in t.parents(sctid)],
        "childCount": t.child_count(sctid),
        "attributes": [
            {"group": a.group, "type": pt(a.type_id, lang), "value": pt(a.destination_id, lang) if hasattr(a, "destination_id") else a.rf2}
            for g in t.role_groups(sctid).values()
            for a in g
        ],
        "refsets": [str(r) for r in t.refset_memberships(sctid)],
    }
    if not c.active:
        reason = t.inactivation_reason(sctid)
        data["inactivationReason"] = reason[1] if reason else None
        data["associations"] = [{"type": a.name, "target": str(a.target_id)} for a in t.associations(sctid)]

    def human() -> None:
        click.echo(f"{data['conceptId']} |{data['pt']}|")
        click.echo(f"  FSN: {data['fsn']}")
        click.echo(f"  {'active' if c.active else 'INACTIVE'}, {c.definition_status}, module {c.module_id}, effective {c.effective_time}")
        for s in data["synonyms"]:
            click.echo(f"  synonym: {s}")
        for p in data["parents"]:
            click.echo(f"  is a: {p['conceptId']} |{p['pt']}|")
        for a in data["attributes"]:
            click.echo(f"  group {a['group']}: {a['type']} = {a['value']}")
        if not c.active:
            click.echo(f"  inactivation reason: {data['inactivationReason']}")
            for a in data["associations"]:
                click.echo(f"  {a['type']}: {a['target']}")

    _emit(data, as_json, human)


@main.command("parents")
@_concept_arg
@_fail_cleanly
def parents_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """Direct supertypes."""
    t = _open(index)
    _listing(t, t.parents(parse_sctid(concept_id)), lang, as_json)


@main.command("children")
@_concept_arg
@_fail_cleanly
def children_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """Direct subtypes."""
    t = _open(index)
    _listing(t, t.children(parse_sctid(concept_id)), lang, as_json)


@main.command("ancestors")
@_concept_arg
@_fail_cleanly
def ancestors_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """All supertypes (transitive)."""
    t = _open(index)
    _listing(t, t.ancestors(parse_sctid(concept_id)), lang, as_json)


@main.command("descendants")
@_concept_arg
@_fail_cleanly
def descendants_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """All subtypes (transitive)."""
    t = _open(index)
    _listing(t, t.descendants(parse_sctid(concept_id)), lang, as_json)


@main.command("subsumes")
@click.argument("a")
@click.argument("b")
@click.option("--index", default=None, help=INDEX_HELP)
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def subsumes_cmd(a: str, b: str, index: str | None, as_json: bool) -> None:
    """Does A subsume B? Prints equivalent, subsumes, subsumed-by or not-subsumed."""
    t = _open(index)
    outcome = t.subsumption(parse_sctid(a, field="a"), parse_sctid(b, field="b"))
    _emit({"outcome": outcome}, as_json, lambda: click.echo(outcome))


@main.command("resolve")
@_concept_arg
@click.option("--system", default=None, help="The code's system, e.g. http://hl7.org/fhir/sid/icd-10 (default: SNOMED CT).")
@_fail_cleanly
def resolve_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool, system: str | None) -> None:
    """The active concept(s) a code stands for: an SCTID (following historical associations), a
    description id, an expression, or with --system an ICD-10 / ICD-10-CM code (through the maps)."""
    from terminology.batch import resolve_value

    t = _open(index)
    try:
        sctid = parse_sctid(concept_id) if system is None else None
    except InvalidSctidError:  # not a concept id: a description id, an expression (or invalid: said below)
        sctid = None
    if sctid is not None:
        rows = [
            {"conceptId": str(r.concept_id), "pt": t.preferred_term(r.concept_id, lang), "how": r.how, "chain": [str(c) for c in r.chain]}
            for r in t.resolve(sctid)
        ]
    else:
        m = resolve_value(t, concept_id, system)
        rows = [{"conceptId": str(c), "pt": t.preferred_term(c, lang), "how": m.how, "chain": []} for c in m.concepts]
    _emit(rows, as_json, lambda: [click.echo(f"{r['conceptId']}\t{r['pt']}\t({r['how']})") for r in rows] or click.echo("no active replacement"))


# Commands that live with the service layer (serve, ...) register themselves on `main`.
from service import commands  # noqa: E402,F401

if __name__ == "__main__":
    # Run the registered copy (`service.cli`), not this `__main__` module, so every command is there.
    from service.cli import main as _main

    _main()
