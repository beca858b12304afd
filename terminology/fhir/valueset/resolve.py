"""Which value set a request names: inline, a ``tx-resource``, or one of SNOMED CT's implicit value sets.

Implicit ones (``http://snomed.info/sct?fhir_vs``, ``?fhir_vs=isa/ID``, ``?fhir_vs=refset/ID``,
``?fhir_vs=refset``, ``?fhir_vs=ecl/ECL``) are turned into a compose with filters so one
evaluator serves all.  Also which SNOMED CT versions the request asks for.  A compose
that is not the shape FHIR defines is refused here (400), before anything evaluates it.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from ...ecl import EclSyntaxError, parse_ecl
from ...ecl.ast import Expression as EclExpression
from ...ecl.ast import mentioned_concepts
from ...terminology import Terminology
from ..codes import version_issue
from ..context import FhirContext
from ..outcome import FhirError, Issue, message
from ..params import Params
from ..versions import SNOMED, parse_version_uri

__all__ = ["ResolvedValueSet", "checked_ecl", "implicit_value_set", "resolve_value_set", "version_params"]

REFSET_ROOT = 900000000000455006


@dataclass
class ResolvedValueSet:
    """A value set ready to evaluate: its metadata and its compose."""

    url: str | None
    version: str | None
    resource: dict[str, Any]
    includes: list[dict[str, Any]]
    excludes: list[dict[str, Any]]
    implicit: bool = False
    whole_system: bool = False

    @property
    def reference(self) -> str:
        """``url|version`` (or the url, or the id) as the validator's messages name a value set."""
        base = self.url or self.resource.get("id") or "(inline value set)"
        return f"{base}|{self.version}" if self.version and self.url else base


def _not_found(url: str) -> FhirError:
    text = message("Unable_to_resolve_value_Set_", url)
    return FhirError(404, Issue("error", "not-found", text, "not-found", "Unable_to_resolve_value_Set_"))


def _objects(value: object, path: str) -> list[dict[str, Any]]:
    """A list of JSON objects (absent is empty), or 400 naming the element that is something else."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise FhirError.invalid(f"{path} must be a list of objects, not {type(value).__name__} {value!r:.80}", path)
    return value


def _compose_part(inc: dict[str, Any], path: str) -> dict[str, Any]:
    """One include or exclude, checked for the element shapes compose evaluation reads."""
    _objects(inc.get("concept"), f"{path}.concept")
    _objects(inc.get("filter"), f"{path}.filter")
    value_sets = inc.get("valueSet")
    if value_sets is not None and (not isinstance(value_sets, list) or not all(isinstance(v, str) for v in value_sets)):
        raise FhirError.invalid(f"{path}.valueSet must be a list of canonical URLs", f"{path}.valueSet")
    return inc


def _from_resource(vs: dict[str, Any]) -> ResolvedValueSet:
    if not isinstance(vs, dict) or vs.get("resourceType") != "ValueSet":
        kind = vs.get("resourceType") if isinstance(vs, dict) else type(vs).__name__
        raise FhirError.invalid(f"Expected a ValueSet, not {kind}", "valueSet")
    compose = vs.get("compose") or {}
    if not isinstance(compose, dict):
        raise FhirError.invalid("ValueSet.compose must be an object", "ValueSet.compose")
    includes = [
        _compose_part(x, "ValueSet.compose.include")
        for x in _objects(compose.get("include"), "ValueSet.compose.include")
    ]
    excludes = [
        _compose_part(x, "ValueSet.compose.exclude")
        for x in _objects(compose.get("exclude"), "ValueSet.compose.exclude")
    ]
    return ResolvedValueSet(vs.get("url"), vs.get("version"), vs, includes, excludes)


def resolve_value_set(
    ctx: FhirContext,
    url: str | None,
    version: str | None,
    inline: dict[str, Any] | None,
    tx_resources: list[dict[str, Any]],
) -> ResolvedValueSet:
    """The value set a request names: inline, a tx-resource with that url (and version), or implicit."""
    if inline is not None:
        return _from_resource(inline)
    if not url:
        raise FhirError.invalid("No value set: give url or valueSet", "url")
    if "|" in url and version is None:
        url, version = url.split("|", 1)
    candidates = [r for r in tx_resources if r.get("resourceType") == "ValueSet" and r.get("url") == url]
    if version:
        candidates = [r for r in candidates if r.get("version") == version] or []
    if candidates:
        return _from_resource(candidates[-1])
    implicit = implicit_value_set(ctx, url)
    if implicit is None:
        raise _not_found(url if not version else f"{url}|{version}")
    return implicit


def _is_refset(t: Terminology, sctid: int) -> bool:
    if not t.has_concept(sctid):
        return False
    return sctid in set(t.refsets()) or (
        t.has_concept(REFSET_ROOT) and sctid != REFSET_ROOT and t.subsumes(REFSET_ROOT, sctid)
    )


def checked_ecl(t: Terminology, ecl: str) -> EclExpression:
    """The parsed ECL of a value set, or ``FhirError.invalid_ecl`` (400, ``vs-invalid``).

    Invalid are: text that does not parse (a missing focus, trailing tokens, an id that is
    not an SCTID, ``AND``/``OR`` mixed without brackets) and a well-formed SCTID the release
    does not have, as tx.fhir.org and Snowstorm answer ("Unknown SNOMED Concept Id"; HL7's
    tx-ecosystem test ``sct/ecl/expand-ecl-unknown-concept``).  The ECL engine itself
    (``GET /api/v1/ecl``) keeps the ECL specification's reading of an unknown id: no match.
    """
    try:
        ast = parse_ecl(ecl)
    except EclSyntaxError as exc:
        raise FhirError.invalid_ecl(ecl, str(exc), exc.position) from None
    unknown = sorted(c for c in mentioned_concepts(ast) if not t.has_concept(c))
    if unknown:
        first = str(unknown[0])
        position = ecl.find(first)
        raise FhirError.invalid_ecl(
            ecl, f"Unknown SNOMED Concept Id: {first}", position if position >= 0 else None
        ) from None
    return ast


def implicit_value_set(ctx: FhirContext, url: str) -> ResolvedValueSet | None:
    """SNOMED CT's implicit value sets (FHIR R4 "Using SNOMED CT with FHIR"), or None when ``url`` is not one."""
    base, sep, query = url.partition("?")
    if not sep or not (base.rstrip("/") in (SNOMED, SNOMED.replace("sct", "xsct")) or parse_version_uri(base)):
        return None
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    if "fhir_vs" not in q:
        return None
    include: dict[str, Any] = {"system": SNOMED}
    if parse_version_uri(base):
        selected = ctx.select(base)
        if selected is None:
            raise FhirError(404, version_issue(ctx, base, "url"))
        ctx = selected
        include["version"] = ctx.edition.uri
    value = q["fhir_vs"][0]
    t = ctx.terminology
    name, title = "ALLSNOMEDCT", "SNOMED CT Reference Set (All of SNOMED CT)"
    whole = False
    if value == "":
        whole = True
    elif value == "refset":
        include["filter"] = [{"property": "concept", "op": "in", "value": "*"}]
        name, title = "SNOMEDCTREFSETS", "SNOMED CT Reference Sets (all reference sets)"
    elif value.startswith("isa/") or value.startswith("refset/"):
        kind, _, ident = value.partition("/")
        if not ident.isdigit():
            raise _not_found(url)
        sctid = int(ident)
        if not t.has_concept(sctid) or (kind == "refset" and not _is_refset(t, sctid)):
            raise _not_found(url)
        term = t.preferred_term(sctid)
        if kind == "isa":
            include["filter"] = [{"property": "concept", "op": "is-a", "value": ident}]
            name, title = f"SCT_ISA_{ident}", f"SNOMED CT {ident} |{term}| and its descendants"
        else:
            include["filter"] = [{"property": "concept", "op": "in", "value": ident}]
            name, title = f"SCT_REFSET_{ident}", f"SNOMED CT Reference Set {ident} |{term}|"
    elif value.startswith("ecl/"):
        ecl = value[4:]
        checked_ecl(t, ecl)
        include["filter"] = [{"property": "constraint", "op": "=", "value": ecl}]
        name, title = "SCT_ECL", f"SNOMED CT concepts matching {ecl}"
    else:
        raise _not_found(url)
    resource = {"resourceType": "ValueSet", "url": url, "name": name, "title": title, "status": "active"}
    return ResolvedValueSet(url, None, resource, [include], [], implicit=True, whole_system=whole)


def version_params(ctx: FhirContext, params: Params) -> tuple[str | None, str | None]:
    """The SNOMED CT versions a request asks for: (for includes that name none, for every include).

    ``system-version`` (and ``check-system-version``) apply where the value set names no
    version; ``force-system-version`` overrides the value set's own.
    """
    chosen: dict[str, str] = {}
    for name in ("force-system-version", "system-version", "check-system-version"):
        for value in params.strs(name):
            system, _, version = value.partition("|")
            if system != SNOMED:
                continue
            if ctx.select(version) is None:
                raise FhirError(404, version_issue(ctx, version, name))
            chosen.setdefault(name, version)
    forced = chosen.get("force-system-version")
    return chosen.get("system-version") or chosen.get("check-system-version") or forced, forced
