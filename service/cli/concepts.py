"""Concept queries: ``lookup``, ``parents``, ``children``, ``ancestors``, ``descendants``, ``subsumes``, ``resolve``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from terminology import Terminology, parse_sctid

from ._common import Command, command, emit, index_option, open_index


def _concept_arg(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(fn)
    fn = click.option("--lang", default=None, help="Dialect for terms, e.g. en-GB.")(fn)
    fn = index_option(fn)
    return click.argument("concept_id")(fn)


def _listing(t: Terminology, ids: Any, lang: str | None, as_json: bool) -> None:
    ids = [int(i) for i in ids]
    terms = t.preferred_terms(ids, lang)
    rows = [{"conceptId": str(i), "pt": terms[i]} for i in ids]
    emit(rows, as_json, lambda: [click.echo(f"{r['conceptId']}\t{r['pt']}") for r in rows])


@command("lookup")
@_concept_arg
def lookup_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
    """Show a concept: terms, parents, attributes, refsets and history."""
    t = open_index(index)
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
            {
                "group": a.group,
                "type": pt(a.type_id, lang),
                "value": pt(a.destination_id, lang) if hasattr(a, "destination_id") else a.rf2,
            }
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
        click.echo(
            f"  {'active' if c.active else 'INACTIVE'}, {c.definition_status}, module {c.module_id}, effective {c.effective_time}"
        )
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

    emit(data, as_json, human)


def _hierarchy_command(which: str, doc: str) -> Command:
    def run(concept_id: str, index: str | None, lang: str | None, as_json: bool) -> None:
        t = open_index(index)
        _listing(t, getattr(t, which)(parse_sctid(concept_id)), lang, as_json)

    run.__doc__ = doc
    run.__name__ = f"{which}_cmd"
    return command(which)(_concept_arg(run))


parents_cmd = _hierarchy_command("parents", "Direct supertypes.")
children_cmd = _hierarchy_command("children", "Direct subtypes.")
ancestors_cmd = _hierarchy_command("ancestors", "All supertypes (transitive).")
descendants_cmd = _hierarchy_command("descendants", "All subtypes (transitive).")


@command("subsumes")
@click.argument("a")
@click.argument("b")
@index_option
@click.option("--json", "as_json", is_flag=True)
def subsumes_cmd(a: str, b: str, index: str | None, as_json: bool) -> None:
    """Does A subsume B? Prints equivalent, subsumes, subsumed-by or not-subsumed."""
    t = open_index(index)
    outcome = t.subsumption(parse_sctid(a, field="a"), parse_sctid(b, field="b"))
    emit({"outcome": outcome}, as_json, lambda: click.echo(outcome))


@command("resolve")
@_concept_arg
@click.option(
    "--system", default=None, help="The code's system, e.g. http://hl7.org/fhir/sid/icd-10 (default: SNOMED CT)."
)
def resolve_cmd(concept_id: str, index: str | None, lang: str | None, as_json: bool, system: str | None) -> None:
    """The active concept(s) a code stands for: an SCTID (following historical associations), a
    description id, an expression, or with --system an ICD-10 / ICD-10-CM code (through the maps)."""
    from terminology import InvalidSctidError
    from terminology.batch import resolve_value

    t = open_index(index)
    try:
        sctid = parse_sctid(concept_id) if system is None else None
    except InvalidSctidError:  # not a concept id: a description id, an expression (or invalid: said below)
        sctid = None
    if sctid is not None:
        rows = [
            {
                "conceptId": str(r.concept_id),
                "pt": t.preferred_term(r.concept_id, lang),
                "how": r.how,
                "chain": [str(c) for c in r.chain],
            }
            for r in t.resolve(sctid)
        ]
    else:
        m = resolve_value(t, concept_id, system)
        rows = [{"conceptId": str(c), "pt": t.preferred_term(c, lang), "how": m.how, "chain": []} for c in m.concepts]
    emit(
        rows,
        as_json,
        lambda: (
            [click.echo(f"{r['conceptId']}\t{r['pt']}\t({r['how']})") for r in rows]
            or click.echo("no active replacement")
        ),
    )


COMMANDS = (lookup_cmd, parents_cmd, children_cmd, ancestors_cmd, descendants_cmd, subsumes_cmd, resolve_cmd)
