"""ValueSet operations over SNOMED CT: resolving value sets, ``$expand`` and ``$validate-code``.

A value set comes inline (``valueSet``), from a ``tx-resource`` the client sends
along, or is one of SNOMED CT's implicit value sets (``http://snomed.info/sct?fhir_vs``,
``?fhir_vs=isa/ID``, ``?fhir_vs=refset/ID``, ``?fhir_vs=refset``, ``?fhir_vs=ecl/ECL``).
Implicit ones are turned into a compose with filters so one evaluator serves all.

Compose evaluation works on sets of concept rows (numpy arrays over the index's
closure), so ``is-a`` of a top-level concept costs one slice of the descendants
array; listed codes and post-coordinated expressions are kept separately, in the
order listed.  Membership of one code is decided without expanding: hierarchy
filters are single subsumption tests and expressions are tested structurally
(:mod:`terminology.expressions.subsumption`).
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..ecl import EclSyntaxError, parse_ecl
from ..expressions import (
    EclTooCostlyError,
    EclUnsupportedError,
    Expression,
    ExpressionSyntaxError,
    canonical,
    evaluate_ecl_rows,
    expression_in_ecl,
    parse_expression,
    render,
    subsumes,
    validate_expression,
)
from ..terminology import Terminology
from .codes import CheckedCode, check_code, unknown_system_issue, version_issue
from .codesystem import codings_to_check, use_coding, validation_output
from .context import FhirContext
from .outcome import FhirError, Issue, message
from .params import Coding, Params
from .versions import SNOMED, parse_version_uri

__all__ = ["ResolvedValueSet", "expand", "resolve_value_set", "validate_code"]

REFSET_ROOT = 900000000000455006
EXT_UNCLOSED = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed"
EXT_UNCLOSED_REASON = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed-reason"
EXT_EXPANSION_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
EXT_CONTAINS_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"
CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"
GRAMMAR_REASON = f"The code System '{SNOMED}' has a grammar and so has infinite members"
ECHOED = (
    "activeOnly",
    "check-system-version",
    "count",
    "displayLanguage",
    "excludeNested",
    "excludeNotForUI",
    "excludePostCoordinated",
    "filter",
    "force-system-version",
    "includeDefinition",
    "includeDesignations",
    "offset",
    "property",
    "system-version",
)
# Value set elements not repeated in an expansion: the narrative ones (as tx.fhir.org does; HL7's
# tests expect them absent) and the old expansion.
EXPANSION_DROPS = ("expansion", "text", "description", "purpose")
SUPPORTED_FILTERS = {
    "concept": ("is-a", "descendent-of", "is-not-a", "in", "=", "generalizes", "child-of", "descendent-leaf"),
    "constraint": ("=",),
    "expressions": ("=",),
    "expression": ("=", "is-a"),
    "inactive": ("=",),
    "moduleId": ("=",),
    "parent": ("=",),
    "child": ("=",),
}


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


# --------------------------------------------------------------------------- resolution


def _not_found(url: str) -> FhirError:
    text = message("Unable_to_resolve_value_Set_", url)
    return FhirError(404, Issue("error", "not-found", text, "not-found", "Unable_to_resolve_value_Set_"))


def _from_resource(vs: dict[str, Any]) -> ResolvedValueSet:
    if vs.get("resourceType") != "ValueSet":
        raise FhirError.invalid(f"Expected a ValueSet, not {vs.get('resourceType')}", "valueSet")
    compose = vs.get("compose") or {}
    return ResolvedValueSet(
        vs.get("url"), vs.get("version"), vs, list(compose.get("include") or []), list(compose.get("exclude") or [])
    )


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
        try:
            parse_ecl(ecl)
        except EclSyntaxError as exc:
            raise FhirError(400, Issue("error", "invalid", f"Invalid ECL in '{url}': {exc}", "invalid-data")) from None
        include["filter"] = [{"property": "constraint", "op": "=", "value": ecl}]
        name, title = "SCT_ECL", f"SNOMED CT concepts matching {ecl}"
    else:
        raise _not_found(url)
    resource = {"resourceType": "ValueSet", "url": url, "name": name, "title": title, "status": "active"}
    return ResolvedValueSet(url, None, resource, [include], [], implicit=True, whole_system=whole)


# --------------------------------------------------------------------------- compose evaluation


@dataclass
class Entry:
    """A listed code: a concept (row) or an expression, with the value set's own display/designations."""

    code: str
    concept_id: int | None = None
    expression: Expression | None = None
    display: str | None = None
    designations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.concept_id) if self.concept_id is not None else canonical(self.expression)  # type: ignore[arg-type]


@dataclass
class Members:
    rows: np.ndarray
    listed: list[Entry]


def _empty() -> np.ndarray:
    return np.zeros(0, np.int32)


# Checks a code in one loaded edition (memoised by the caller): value set includes may pin different versions.
CodeInEdition = Callable[[FhirContext], CheckedCode]


class Evaluator:
    """Evaluates the compose of a value set in one edition for one request (filter sets cached per request).

    An include pinned to another loaded version is evaluated by a sibling evaluator
    bound to that edition; the siblings of one request share a registry.
    """

    def __init__(
        self,
        ctx: FhirContext,
        tx_resources: list[dict[str, Any]],
        default_version: str | None,
        lang: str | None,
        forced_version: str | None = None,
        siblings: dict[int, Evaluator] | None = None,
    ):
        self.ctx = ctx
        self.t = ctx.terminology
        self.tx = tx_resources
        self.default_version = default_version
        self.forced_version = forced_version
        self.lang = lang
        self._filter_cache: dict[tuple[str, str, str], np.ndarray] = {}
        self.depth = 0
        self._siblings = siblings if siblings is not None else {}
        self._siblings.setdefault(id(ctx), self)

    def bound_to(self, ctx: FhirContext) -> Evaluator:
        """The evaluator of this request for another loaded edition."""
        ev = self._siblings.get(id(ctx))
        if ev is None:
            ev = Evaluator(ctx, self.tx, self.default_version, self.lang, self.forced_version, self._siblings)
        return ev

    def unpinned(self) -> FhirContext:
        """The edition an include that names no version is evaluated in."""
        return self.ctx.select(self.forced_version or self.default_version) or self.ctx

    def resolve(self, ref: str) -> ResolvedValueSet:
        """An imported value set; an implicit one is read in the edition its include will be evaluated in."""
        return resolve_value_set(self.unpinned(), ref, None, None, self.tx)

    # ----- checks shared by expansion and membership
    def _check_include(self, inc: dict[str, Any]) -> Evaluator:
        """Check an include and return the evaluator of the edition it names (self for a valueSet-only one)."""
        system = inc.get("system")
        if system is None:
            if not inc.get("valueSet"):
                raise FhirError.invalid("A compose include needs a system or a valueSet")
            return self
        if system != SNOMED:
            raise FhirError(404, unknown_system_issue(system, "ValueSet.compose.include.system"))
        version = self.forced_version or inc.get("version") or self.default_version
        selected = self.ctx.select(version)
        if selected is None:
            raise FhirError(404, version_issue(self.ctx, version or "", "ValueSet.compose.include.version"))
        if inc.get("concept") and inc.get("filter"):
            raise FhirError.invalid("A compose include cannot have both concepts and filters")
        for f in inc.get("filter") or []:
            prop, op = f.get("property"), f.get("op")
            if prop not in SUPPORTED_FILTERS and not str(prop).isdigit():
                raise FhirError.not_supported(message("UNSUPPORTED_FILTER", prop, op, f.get("value"), SNOMED))
            if prop in SUPPORTED_FILTERS and op not in SUPPORTED_FILTERS[prop]:
                raise FhirError.not_supported(message("UNSUPPORTED_FILTER", prop, op, f.get("value"), SNOMED))
        return self.bound_to(selected)

    def edition_of(self, vs: ResolvedValueSet, depth: int = 0) -> FhirContext:
        """The one edition an expansion of ``vs`` draws on (its SNOMED CT includes, imports too, must agree)."""
        if depth > 8:
            raise FhirError.invalid("Value sets import each other too deeply (or in a cycle)")
        editions: dict[int, FhirContext] = {}
        for inc in [*vs.includes, *vs.excludes]:
            ev = self._check_include(inc)
            if inc.get("system") == SNOMED:
                editions[id(ev.ctx)] = ev.ctx
            for ref in inc.get("valueSet") or []:
                inner = self.resolve(ref)
                if inner.includes or inner.excludes:
                    ed = self.edition_of(inner, depth + 1)
                    editions[id(ed)] = ed
        if len(editions) > 1:
            raise self._mixed_versions(list(editions.values()))
        return next(iter(editions.values()), self.ctx)

    @staticmethod
    def _mixed_versions(editions: list[FhirContext]) -> FhirError:
        text = (
            "The value set draws on more than one SNOMED CT version ("
            + ", ".join(e.edition.uri for e in editions)
            + "); an expansion is made in one version: expand each part separately"
        )
        return FhirError.not_supported(text)

    @staticmethod
    def expressions_allowed(inc: dict[str, Any]) -> bool:
        """Whether an include may hold post-coordinated expressions (its filters do not forbid them)."""
        if inc.get("system") != SNOMED or inc.get("concept"):
            return False
        for f in inc.get("filter") or []:
            if f.get("property") in ("expressions", "expression") and str(f.get("value")).lower() == "false":
                return False
            if f.get("property") == "concept" and f.get("op") in ("in", "="):
                return False
        return True

    def unclosed(self, vs: ResolvedValueSet) -> bool:
        return any(self.expressions_allowed(inc) for inc in vs.includes)

    # ----- concept row sets for filters
    def _concept(self, value: str, where: str) -> int:
        text = str(value).strip()
        if not text.isdigit() or not self.t.has_concept(int(text)):
            raise FhirError(
                400,
                Issue(
                    "error",
                    "invalid",
                    message("INVALID_FILTER", *where.split(" ", 2), SNOMED, f"unknown concept {text}"),
                    "invalid-data",
                ),
            )
        return int(text)

    def filter_rows(self, f: dict[str, Any]) -> np.ndarray | None:
        """Rows a filter admits (None for filters about expressions only)."""
        prop, op, value = str(f.get("property")), str(f.get("op")), str(f.get("value", ""))
        key = (prop, op, value)
        if key in self._filter_cache:
            return self._filter_cache[key]
        rows = self._compute_filter(prop, op, value)
        if rows is not None:
            self._filter_cache[key] = rows
        return rows

    def _row(self, sctid: int) -> np.ndarray:
        i = self.t.index_of(sctid)
        return np.array([i] if i is not None else [], np.int32)

    def _slice(self, ptr: str, data: str, sctid: int) -> np.ndarray:
        i = self.t.index_of(sctid)
        p, d = self.t.store.array(ptr), self.t.store.array(data)
        return np.asarray(d[p[i] : p[i + 1]], np.int32) if i is not None else _empty()

    def _compute_filter(self, prop: str, op: str, value: str) -> np.ndarray | None:
        t, where = self.t, f"{prop} {op} {value}"
        n = len(t.ids)
        if prop in ("expressions", "expression") and value.lower() in ("true", "false"):
            return None
        if prop == "expression":
            return _empty()  # only expressions can match an expression filter
        if prop == "constraint":
            try:
                return evaluate_ecl_rows(t, value)
            except EclSyntaxError as exc:
                raise FhirError(
                    400,
                    Issue(
                        "error", "invalid", message("INVALID_FILTER", prop, op, value, SNOMED, str(exc)), "invalid-data"
                    ),
                ) from None
            except EclTooCostlyError as exc:
                issue = Issue("error", "too-costly", f"The ECL constraint '{value}' is too costly: {exc}", None)
                raise FhirError(422, issue) from None
            except EclUnsupportedError as exc:
                raise FhirError.not_supported(f"The ECL constraint '{value}' cannot be evaluated: {exc}") from None
        if prop == "inactive":
            active = np.asarray(t.store.concept_active)
            return np.flatnonzero(~active if value.lower() == "true" else active).astype(np.int32)
        if prop == "moduleId":
            return np.flatnonzero(np.asarray(t.store.concept_module) == int(self._concept(value, where))).astype(
                np.int32
            )
        if prop in ("parent", "child"):
            c = self._concept(value, where)
            ptr, data = ("children_ptr", "children") if prop == "parent" else ("parents_ptr", "parents")
            return np.sort(self._slice(ptr, data, c))
        if prop.isdigit():
            return self._attribute_rows(int(prop), op, value, where)
        if op == "in":
            if value == "*":
                ids = np.array(sorted(r for r in t.refsets() if t.has_concept(r)), np.int64)
                return np.searchsorted(t.ids, ids).astype(np.int32)
            refsets = [self._concept(v, where) for v in value.split(",")]
            parts = [t.refset_members(r) for r in refsets]
            ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            return np.searchsorted(t.ids, ids).astype(np.int32)
        c = self._concept(value, where)
        desc = self._slice("descendants_ptr", "descendants", c)  # rows of the closure are sorted
        if op == "is-a":
            i = self.t.index_of(c)
            return np.insert(desc, int(desc.searchsorted(i)), i).astype(np.int32)
        if op == "descendent-of":
            return desc
        if op == "child-of":
            return np.sort(self._slice("children_ptr", "children", c))
        if op == "descendent-leaf":
            ptr = np.asarray(t.store.children_ptr)
            return desc[(ptr[desc + 1] - ptr[desc]) == 0]
        if op == "generalizes":
            return np.union1d(np.sort(self._slice("ancestors_ptr", "ancestors", c)), self._row(c)).astype(np.int32)
        if op == "is-not-a":
            return np.setdiff1d(np.arange(n, dtype=np.int32), np.union1d(desc, self._row(c))).astype(np.int32)
        return self._row(c)  # "="

    def _attribute_rows(self, type_id: int, op: str, value: str, where: str) -> np.ndarray:
        """``<attribute id> = <value id>``: concepts with that defining relationship."""
        s = self.t.store
        ti, vi = self.t.index_of(type_id), self.t.index_of(self._concept(value, where))
        mask = (np.asarray(s.rel_type) == ti) & (np.asarray(s.rel_dest) == vi)
        return np.unique(np.asarray(s.rel_src)[mask]).astype(np.int32)

    # ----- members of a value set (for expansion)
    def members(self, vs: ResolvedValueSet) -> Members:
        self.depth += 1
        if self.depth > 8:
            raise FhirError.invalid("Value sets import each other too deeply (or in a cycle)")
        try:
            rows, listed = _empty(), []
            for inc in vs.includes:
                m = self._include_members(inc)
                rows = m.rows if not len(rows) else np.union1d(rows, m.rows).astype(np.int32)
                listed.extend(m.listed)
            for exc in vs.excludes:
                m = self._include_members(exc)
                rows = np.setdiff1d(rows, m.rows).astype(np.int32)
                drop = (
                    {e.key for e in m.listed} | {str(int(i)) for i in self.t.ids[m.rows]}
                    if len(m.rows) < 100_000
                    else None
                )
                if drop is not None:
                    listed = [e for e in listed if e.key not in drop]
                else:
                    listed = [
                        e
                        for e in listed
                        if e.key not in {x.key for x in m.listed} and not self._entry_in_rows(e, m.rows)
                    ]
            seen: set[str] = set()
            unique = []
            for e in listed:
                if e.key not in seen:
                    seen.add(e.key)
                    unique.append(e)
            return Members(rows, unique)
        finally:
            self.depth -= 1

    def _entry_in_rows(self, e: Entry, rows: np.ndarray) -> bool:
        if e.concept_id is None:
            return False
        i = self.t.index_of(e.concept_id)
        k = int(rows.searchsorted(i)) if i is not None else len(rows)
        return k < len(rows) and int(rows[k]) == i

    def _include_members(self, inc: dict[str, Any]) -> Members:
        ev = self._check_include(inc)
        if ev is not self:
            raise self._mixed_versions([self.ctx, ev.ctx])
        rows: np.ndarray | None = None
        listed: list[Entry] | None = None
        if inc.get("system") == SNOMED:
            if inc.get("concept"):
                listed = [self._listed_entry(c) for c in inc["concept"]]
                rows = _empty()
            else:
                rows = None
                for f in inc.get("filter") or []:
                    fr = self.filter_rows(f)
                    if fr is not None:
                        rows = fr if rows is None else np.intersect1d(rows, fr, assume_unique=True).astype(np.int32)
                if rows is None:
                    rows = np.arange(len(self.t.ids), dtype=np.int32)
                listed = []
        for ref in inc.get("valueSet") or []:
            other = self.members(self.resolve(ref))
            if rows is None:
                rows, listed = other.rows, other.listed
            else:
                keys = {e.key for e in other.listed} | {str(int(i)) for i in self.t.ids[other.rows]}
                rows = np.intersect1d(rows, other.rows).astype(np.int32)
                listed = [e for e in (listed or []) if e.key in keys]
        return Members(rows if rows is not None else _empty(), listed or [])

    def _listed_entry(self, c: dict[str, Any]) -> Entry:
        code = str(c.get("code", "")).strip()
        entry = Entry(code, display=c.get("display"), designations=list(c.get("designation") or []))
        if code.isdigit():
            if not self.t.has_concept(int(code)):
                raise FhirError(
                    400,
                    Issue(
                        "error",
                        "code-invalid",
                        message("Unknown_Code_in_Version", code, SNOMED, self.ctx.edition.uri),
                        "invalid-code",
                        "Unknown_Code_in_Version",
                    ),
                )
            entry.concept_id = int(code)
            return entry
        try:
            expr = parse_expression(code)
        except ExpressionSyntaxError as exc:
            raise FhirError(
                400,
                Issue(
                    "error",
                    "code-invalid",
                    f"The value set lists '{code}', which is not a valid expression: {exc}",
                    "invalid-code",
                ),
            ) from None
        if expr.is_single_concept:
            entry.concept_id = expr.sub.focus[0].id
            return entry
        problems = validate_expression(self.t, expr)
        if problems:
            raise FhirError(
                400,
                Issue(
                    "error",
                    "code-invalid",
                    f"The value set lists '{code}', which is not a valid expression: {problems[0].message}",
                    "invalid-code",
                ),
            )
        entry.expression = expr
        return entry

    # ----- membership of one code
    def contains(self, vs: ResolvedValueSet, code_in: CodeInEdition, active_only: bool = False) -> FhirContext | None:
        """The edition of the include that admits the code (None when the value set does not hold it)."""
        self.depth += 1
        if self.depth > 8:
            raise FhirError.invalid("Value sets import each other too deeply (or in a cycle)")
        try:
            found = next((ed for inc in vs.includes if (ed := self._include_contains(inc, code_in, active_only))), None)
            if found is None or any(self._include_contains(exc, code_in, False) for exc in vs.excludes):
                return None
            return found
        finally:
            self.depth -= 1

    def _include_contains(self, inc: dict[str, Any], code_in: CodeInEdition, active_only: bool) -> FhirContext | None:
        ev = self._check_include(inc)
        if ev is not self:
            return ev._include_contains(inc, code_in, active_only)
        if inc.get("system") == SNOMED:
            checked = code_in(self.ctx)
            if not checked.valid or (active_only and checked.inactive):
                return None
            if inc.get("concept"):
                key = str(checked.concept_id) if checked.concept_id is not None else canonical(checked.expression)  # type: ignore[arg-type]
                if not any(self._listed_key(c) == key for c in inc["concept"]):
                    return None
            elif checked.expression is not None:
                if not self.expressions_allowed(inc):
                    return None
                if not all(self._expression_passes(f, checked.expression) for f in inc.get("filter") or []):
                    return None
            else:
                for f in inc.get("filter") or []:
                    if not self._concept_passes(f, checked.concept_id):  # type: ignore[arg-type]
                        return None
        elif inc.get("system") is not None:
            return None
        found = self.ctx
        for ref in inc.get("valueSet") or []:
            inner = self.contains(self.resolve(ref), code_in, active_only)
            if inner is None:
                return None
            found = inner if inc.get("system") is None else found
        return found

    def _concept_passes(self, f: dict[str, Any], sctid: int) -> bool:
        """One concept against one filter: hierarchy filters are one subsumption test, not a set."""
        t = self.t
        prop, op, value = str(f.get("property")), str(f.get("op")), str(f.get("value", "")).strip()
        if prop == "concept" and value.isdigit() and op in ("is-a", "descendent-of", "generalizes", "=", "child-of"):
            c = self._concept(value, f"{prop} {op} {value}")
            if op == "is-a":
                return t.subsumes(c, sctid)
            if op == "descendent-of":
                return c != sctid and t.subsumes(c, sctid)
            if op == "generalizes":
                return t.subsumes(sctid, c)
            if op == "child-of":
                return c in t.parents(sctid)
            return c == sctid
        if prop == "concept" and op == "in" and value != "*" and "," not in value:
            self._concept(value, f"{prop} {op} {value}")
            return int(value) in t.refset_memberships(sctid)
        rows = self.filter_rows(f)
        if rows is None:
            return True
        i = t.index_of(sctid)
        k = int(rows.searchsorted(i))
        return k < len(rows) and int(rows[k]) == i

    @staticmethod
    def _listed_key(c: dict[str, Any]) -> str | None:
        code = str(c.get("code", "")).strip()
        if code.isdigit():
            return code
        try:
            expr = parse_expression(code)
        except ExpressionSyntaxError:
            return None
        return str(expr.sub.focus[0].id) if expr.is_single_concept else canonical(expr)

    def _expression_passes(self, f: dict[str, Any], expr: Expression) -> bool:
        prop, op, value = str(f.get("property")), str(f.get("op")), str(f.get("value", ""))
        t = self.t
        if prop in ("expressions", "expression") and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if prop == "expression":
            try:
                other = parse_expression(value)
            except ExpressionSyntaxError:
                return False
            return canonical(other) == canonical(expr) if op == "=" else subsumes(t, other, expr)
        if prop == "constraint":
            try:
                return expression_in_ecl(t, expr, parse_ecl(value))
            except (EclSyntaxError, EclUnsupportedError):
                return False
        if prop == "concept" and value.strip().isdigit() and t.has_concept(int(value)):
            c = int(value)
            if op == "is-a":
                return subsumes(t, c, expr)
            if op == "descendent-of":
                return subsumes(t, c, expr) and not subsumes(t, expr, c)
        return False


# --------------------------------------------------------------------------- $expand


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _version_params(ctx: FhirContext, params: Params) -> tuple[str | None, str | None]:
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


def _text_filter_rows(t: Terminology, text: str) -> np.ndarray | None:
    """Concept rows with an active description containing every word of ``text`` (as word prefixes)."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return None
    query = " AND ".join('"' + w.replace('"', "") + '"*' for w in words)
    try:
        rowids = [
            r[0]
            for r in t.store.db.execute("SELECT rowid FROM description_fts WHERE description_fts MATCH ?", (query,))
        ]
    except Exception:  # noqa: BLE001 - no full-text table in this index: fall back to terms
        return None
    if not rowids:
        return _empty()
    return np.unique(np.asarray(t.store.desc_concept)[np.array(rowids, np.int64)]).astype(np.int32)


def _matches_text(display: str | None, text: str) -> bool:
    if not display:
        return False
    have = re.findall(r"\w+", display.lower())
    return all(any(h.startswith(w) for h in have) for w in re.findall(r"\w+", text.lower()))


def _designations(t: Terminology, sctid: int, lang: str | None) -> list[dict[str, Any]]:
    """Active FSN and preferred synonyms (preferred in a requested or any language refset), FSN first."""
    from ..dialects import language_refset_order

    refsets = language_refset_order(lang, t.language_refsets)
    wanted = refsets[:1] if lang else refsets
    out = []
    for d in t.descriptions(sctid, active_only=True):
        if d.type not in ("fsn", "synonym"):
            continue
        if not any(d.acceptability.get(r) == "preferred" for r in wanted):
            continue
        out.append({"language": d.language_code, "use": use_coding(t, d.type_id), "value": d.term})
    return out


def _property_value(t: Terminology, sctid: int, code: str) -> list[dict[str, Any]]:
    c = t.concept(sctid)
    if code == "inactive":
        return [{"valueBoolean": not c.active}]
    if code in ("moduleId", "module"):
        return [{"valueCode": str(c.module_id)}]
    if code == "sufficientlyDefined":
        return [{"valueBoolean": c.definition_status == "fully-defined"}]
    if code == "effectiveTime":
        et = c.effective_time
        return [{"valueDateTime": f"{et[:4]}-{et[4:6]}-{et[6:8]}"}]
    if code == "parent":
        return [{"valueCode": str(p)} for p in t.parents(sctid)]
    if code == "child":
        return [{"valueCode": str(p)} for p in t.children(sctid)]
    if code.isdigit():
        return [{"valueCode": str(r.destination_id)} for r in t.relationships(sctid) if r.type_id == int(code)]
    return []


def _property_uri(code: str) -> str:
    if code.isdigit():
        return f"http://snomed.info/id/{code}"
    return f"{CONCEPT_PROPERTIES}#{code}"


def _prop_ext(code: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"url": EXT_CONTAINS_PROPERTY, "extension": [{"url": "code", "valueCode": code}, {"url": "value", **value}]}


def expand(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``ValueSet/$expand``: the value set with an ``expansion`` (R4 JSON)."""
    lang = params.str("displayLanguage") or lang
    tx = params.resources("tx-resource")
    default_version, forced = _version_params(ctx, params)
    ev = Evaluator(ctx, tx, default_version, lang, forced)
    vs = resolve_value_set(
        ev.unpinned(), params.str("url"), params.str("valueSetVersion"), params.resource("valueSet"), tx
    )
    ev = ev.bound_to(ev.edition_of(vs))
    ctx, t = ev.ctx, ev.t
    members = ev.members(vs)
    rows, listed = members.rows, members.listed
    active = np.asarray(t.store.concept_active)
    if params.bool("activeOnly"):
        rows = rows[active[rows]]
        listed = [e for e in listed if e.expression is not None or t.is_active(e.concept_id)]  # type: ignore[arg-type]
    listed_concepts = {e.concept_id for e in listed if e.concept_id is not None}
    if listed_concepts and len(rows):
        rows = rows[~np.isin(t.ids[rows], np.array(sorted(listed_concepts), np.int64))]
    text = params.str("filter")
    if text:
        hits = _text_filter_rows(t, text)
        if hits is not None:
            rows = np.intersect1d(rows, hits).astype(np.int32)
        else:
            cols = [t.preferred_term(int(i), lang) for i in t.ids[rows]]
            rows = rows[[_matches_text(c, text) for c in cols]] if len(rows) else rows
        listed = [e for e in listed if _matches_text(_entry_display(t, e, lang), text)]
    total = len(listed) + len(rows)
    offset = max(params.int("offset") or 0, 0)
    count = params.int("count")
    producing = max(total - offset, 0) if count is None else max(min(count, total - offset), 0)
    limit = ctx.settings.expansion_limit
    asked_limit = params.int("limit")
    if asked_limit is not None and asked_limit > 0:
        limit = min(limit, asked_limit)
    if producing > limit:
        text_ = message("VALUESET_TOO_COSTLY", vs.url or vs.reference, limit)
        raise FhirError(422, Issue("error", "too-costly", text_, None, "VALUESET_TOO_COSTLY"))
    page: list[Entry] = []
    for e in listed[offset : offset + producing]:
        page.append(e)
    start = max(offset - len(listed), 0)
    need = producing - len(page)
    for i in t.ids[rows[start : start + need]].tolist():
        page.append(Entry(str(i), concept_id=int(i)))
    include_designations = params.bool("includeDesignations")
    wanted_props = params.strs("property")
    contains = []
    any_inactive = False
    for e in page:
        item: dict[str, Any] = {"system": SNOMED}
        inactive = e.concept_id is not None and not t.is_active(e.concept_id)
        if inactive:
            item["inactive"] = True
            any_inactive = True
        item["code"] = e.code
        item["display"] = _entry_display(t, e, lang)
        if include_designations:
            desigs = list(e.designations)
            if e.concept_id is not None:
                desigs += _designations(t, e.concept_id, lang)
            if desigs:
                item["designation"] = desigs
        exts = []
        if inactive:
            exts.append(_prop_ext("status", {"valueCode": "inactive"}))
        if e.concept_id is not None:
            for p in wanted_props:
                exts.extend(_prop_ext(p, v) for v in _property_value(t, e.concept_id, p))
        if exts:
            item["extension"] = exts
        contains.append(item)
    expansion: dict[str, Any] = {}
    ext = []
    if ev.unclosed(vs):
        ext.append({"url": EXT_UNCLOSED, "valueBoolean": True})
        if vs.whole_system or any(
            inc.get("system") == SNOMED and not inc.get("concept") and not inc.get("filter") for inc in vs.includes
        ):
            ext.append({"url": EXT_UNCLOSED_REASON, "valueString": GRAMMAR_REASON})
    props = (["status"] if any_inactive else []) + [p for p in wanted_props if p != "status"]
    for p in props:
        ext.append(
            {
                "url": EXT_EXPANSION_PROPERTY,
                "extension": [{"url": "code", "valueCode": p}, {"url": "uri", "valueUri": _property_uri(p)}],
            }
        )
    if ext:
        expansion["extension"] = ext
    expansion["identifier"] = f"urn:uuid:{uuid.uuid4()}"
    expansion["timestamp"] = _now()
    expansion["total"] = total
    if params.has("offset") or params.has("count"):
        expansion["offset"] = offset
    echoed = [p for name in ECHOED for p in params.raw(name)]
    echoed.append({"name": "used-codesystem", "valueUri": f"{SNOMED}|{ctx.edition.uri}"})
    expansion["parameter"] = echoed
    if contains:
        expansion["contains"] = contains
    out = {k: v for k, v in vs.resource.items() if k not in EXPANSION_DROPS}
    out["expansion"] = expansion
    return out


def _entry_display(t: Terminology, e: Entry, lang: str | None) -> str | None:
    if e.display:
        return e.display
    if e.expression is not None:
        return render(t, e.expression, lang)
    return t.preferred_term(e.concept_id, lang) if e.concept_id is not None else None


# --------------------------------------------------------------------------- $validate-code


def _code_in_editions(
    first: CheckedCode, system: str, code: str | None, display: str | None, lang: str | None, path: str
) -> CodeInEdition:
    """Check the code in whichever loaded edition a value set's include asks about, once per edition."""
    done: dict[int, CheckedCode] = {}
    if first.edition is not None:
        done[id(first.edition)] = first

    def code_in(edition: FhirContext) -> CheckedCode:
        if id(edition) not in done:
            done[id(edition)] = check_code(edition, system, code, edition.edition.uri, display, lang, path, False)
        return done[id(edition)]

    return code_in


def validate_code(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``ValueSet/$validate-code``: is the code valid and in the value set."""
    lang = params.str("displayLanguage") or lang
    tx = params.resources("tx-resource")
    requested, forced = _version_params(ctx, params)
    items, cc = codings_to_check(params, ("system",))
    if not items or not any(c.code for c, _ in items):
        raise FhirError.invalid("$validate-code needs a code, a coding or a codeableConcept", "code")

    def named(coding: Coding, path: str) -> str | None:
        """The version a coding names (else the request): it applies to the includes that name none."""
        return (
            coding.version or params.str("systemVersion") or (params.str("version") if not path else None) or requested
        )

    # One evaluator per version the codings name (a CodeableConcept's codings may name different ones).
    evaluators: dict[str | None, Evaluator] = {}

    def evaluator_for(version: str | None) -> Evaluator:
        if version not in evaluators:
            evaluators[version] = Evaluator(ctx, tx, version, lang, forced)
        return evaluators[version]

    first = evaluator_for(named(*items[0]))
    vs = resolve_value_set(
        first.unpinned(), params.str("url"), params.str("valueSetVersion"), params.resource("valueSet"), tx
    )
    # A version the value set pins but the server lacks is reported on the code, not as a 404.
    pinned = next(
        (inc.get("version") for inc in vs.includes if inc.get("system") == SNOMED and inc.get("version")), None
    )
    missing = pinned if pinned is not None and ctx.select(pinned) is None else None
    checked: list[CheckedCode] = []
    found = []
    for coding, path in items:
        system = coding.system
        if system is None and params.bool("inferSystem"):
            system = SNOMED
        if system is None:
            text = message("UNABLE_TO_INFER_CODESYSTEM", coding.code, vs.reference)
            issue = Issue("error", "invalid", text, "invalid-data", "UNABLE_TO_INFER_CODESYSTEM", [f"{path}system"])
            checked.append(CheckedCode(None, coding.code or "", issues=[issue], system_known=True))
            found.append(False)
            continue
        version = forced or named(coding, path) or missing
        c = check_code(ctx, system, coding.code, version, coding.display, lang, path, False)
        if not (c.system_known and c.version_known):
            checked.append(c)
            found.append(False)
            continue
        code_in = _code_in_editions(c, system, coding.code, coding.display, lang, path)
        edition = evaluator_for(named(coding, path)).contains(vs, code_in, params.bool("activeOnly"))
        # A code the value set holds is reported as the version that holds it; one it does
        # not hold, as the version it was checked in (the requested or default one).
        checked.append(code_in(edition) if edition is not None else c)
        found.append(edition is not None)
    extra: list[Issue] = []
    if not any(found):

        def shown(c: CheckedCode, coding_display: str | None) -> str:
            return f"{c.coding_text} ('{coding_display}')" if coding_display else c.coding_text

        labels = [shown(c, coding.display) for c, (coding, _p) in zip(checked, items, strict=True)]
        paths = [f"{p}code" for _c, p in items]
        if len(labels) == 1:
            text = message("None_of_the_provided_codes_are_in_the_value_set_one", labels[0], vs.reference)
            key = "None_of_the_provided_codes_are_in_the_value_set_one"
        else:
            text = message("None_of_the_provided_codes_are_in_the_value_set_other", ", ".join(labels), vs.reference)
            key = "None_of_the_provided_codes_are_in_the_value_set_other"
        if any(c.system_known and c.version_known for c in checked):
            extra.append(Issue("error", "code-invalid", text, "not-in-vs", key, paths))
    result = any(f and c.valid and not any(i.is_error for i in c.issues) for f, c in zip(found, checked, strict=True))
    return validation_output(checked, result, extra, cc)
