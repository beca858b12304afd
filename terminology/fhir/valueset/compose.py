"""Compose evaluation: the concepts a value set's includes and excludes admit, in one edition.

Works on sets of concept rows (numpy arrays over the index's closure), so ``is-a`` of a
top-level concept costs one slice of the descendants array; listed codes and
post-coordinated expressions are kept separately, in the order listed.  Membership of one
code is decided without expanding: hierarchy filters are single subsumption tests and
expressions are tested structurally (:mod:`terminology.expressions.subsumption`).
ECL ``constraint`` filters are evaluated by the ECL engine (:mod:`terminology.ecl`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...ecl import EclEvaluationError, EclSyntaxError, EclTimeoutError, evaluate
from ...expressions import (
    Expression,
    ExpressionSyntaxError,
    canonical,
    expression_in_ecl,
    parse_expression,
    subsumes,
    validate_expression,
)
from ..codes import CheckedCode, unknown_system_issue, version_issue
from ..context import FhirContext
from ..outcome import FhirError, Issue, message
from ..versions import SNOMED
from .resolve import ResolvedValueSet, checked_ecl, resolve_value_set

__all__ = ["SUPPORTED_FILTERS", "CodeInEdition", "Entry", "Evaluator", "Members"]

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
        p, d = self.t.array(ptr), self.t.array(data)
        return np.asarray(d[p[i] : p[i + 1]], np.int32) if i is not None else _empty()

    def _compute_filter(self, prop: str, op: str, value: str) -> np.ndarray | None:
        t, where = self.t, f"{prop} {op} {value}"
        n = len(t.ids)
        if prop in ("expressions", "expression") and value.lower() in ("true", "false"):
            return None
        if prop == "expression":
            return _empty()  # only expressions can match an expression filter
        if prop == "constraint":
            checked_ecl(t, value)
            try:
                return evaluate(t, value).rows
            except EclSyntaxError as exc:  # checked_ecl parsed it; kept for safety
                raise FhirError.invalid_ecl(value, str(exc), exc.position) from None
            except EclTimeoutError as exc:
                issue = Issue("error", "too-costly", f"The ECL constraint '{value}' is too costly: {exc}", None)
                raise FhirError(422, issue) from None
            except EclEvaluationError as exc:
                raise FhirError.not_supported(f"The ECL constraint '{value}' cannot be evaluated: {exc}") from None
        if prop == "inactive":
            active = t.array("concept_active")
            return np.flatnonzero(~active if value.lower() == "true" else active).astype(np.int32)
        if prop == "moduleId":
            return np.flatnonzero(t.array("concept_module") == int(self._concept(value, where))).astype(np.int32)
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
            assert i is not None  # _concept checked that the release holds it
            return np.insert(desc, int(desc.searchsorted(i)), i).astype(np.int32)
        if op == "descendent-of":
            return desc
        if op == "child-of":
            return np.sort(self._slice("children_ptr", "children", c))
        if op == "descendent-leaf":
            children = t.array("children_ptr")
            return desc[(children[desc + 1] - children[desc]) == 0]
        if op == "generalizes":
            return np.union1d(np.sort(self._slice("ancestors_ptr", "ancestors", c)), self._row(c)).astype(np.int32)
        if op == "is-not-a":
            return np.setdiff1d(np.arange(n, dtype=np.int32), np.union1d(desc, self._row(c))).astype(np.int32)
        return self._row(c)  # "="

    def _attribute_rows(self, type_id: int, op: str, value: str, where: str) -> np.ndarray:
        """``<attribute id> = <value id>``: concepts with that defining relationship."""
        a = self.t.array
        ti, vi = self.t.index_of(type_id), self.t.index_of(self._concept(value, where))
        mask = (a("rel_type") == ti) & (a("rel_dest") == vi)
        return np.unique(a("rel_src")[mask]).astype(np.int32)

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
        if i is None:
            return False
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
            ast = checked_ecl(t, value)  # an invalid constraint is vs-invalid here too
            try:
                return expression_in_ecl(t, expr, ast)
            except EclEvaluationError:
                return False
        if prop == "concept" and value.strip().isdigit() and t.has_concept(int(value)):
            c = int(value)
            if op == "is-a":
                return subsumes(t, c, expr)
            if op == "descendent-of":
                return subsumes(t, c, expr) and not subsumes(t, expr, c)
        return False
