"""AST -> canonical brief-syntax ECL.

One spelling per AST, so that display is stable and ``parse_ecl(to_ecl(ast)) == ast``
holds (the round-trip property the tests check).  Brackets are added exactly where
the grammar needs them: an operand that is not a plain sub-expression, a
sub-expression whose filters would otherwise attach to the wrong part, and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .ast import (
    Acceptability,
    ActiveFilter,
    AlternateIdentifier,
    Attribute,
    AttributeGroup,
    BooleanValue,
    Cardinality,
    Compound,
    CompoundRefinement,
    ConceptFilters,
    ConceptReference,
    ConceptSet,
    DefinitionStatusFilter,
    DefinitionStatusIdFilter,
    DescriptionFilters,
    DescriptionIdFilter,
    DescriptionTypeFilter,
    DescriptionTypeIdFilter,
    DialectAlias,
    DialectAliasFilter,
    DialectIdFilter,
    DialectReference,
    Dotted,
    EffectiveTimeFilter,
    Expression,
    Filtered,
    Hierarchy,
    History,
    LanguageFilter,
    MemberFieldFilter,
    MemberFilters,
    MemberOf,
    ModuleFilter,
    NumericValue,
    Refined,
    Refinement,
    SearchTerm,
    SearchType,
    StringValue,
    TermFilter,
    TimeValue,
    Wildcard,
)

__all__ = ["to_ecl"]

_ATOMS = (ConceptReference, AlternateIdentifier, Wildcard)
# What the grammar calls a subExpressionConstraint: usable as an operand without brackets.
_SUB_EXPRESSIONS = (*_ATOMS, MemberOf, Hierarchy, Filtered, History)


def to_ecl(expression: Expression) -> str:
    """Canonical brief-syntax ECL for an AST (terms kept, comments dropped)."""
    return _expression(expression)


def _bracket(text: str) -> str:
    return f"({text})"


def _expression(e: Expression) -> str:
    if isinstance(e, Compound):
        return f" {e.operator.value} ".join(_sub(o) for o in e.operands)
    if isinstance(e, Refined):
        return f"{_sub(e.operand)} : {_refinement(e.refinement)}"
    if isinstance(e, Dotted):
        return " . ".join(_sub(x) for x in (e.operand, *e.attributes))
    return _sub(e)


def _sub(e: Expression) -> str:
    """A sub-expression, bracketing anything that is not one."""
    if isinstance(e, ConceptReference):
        return f"{e.id} |{e.term}|" if e.term else str(e.id)
    if isinstance(e, AlternateIdentifier):
        code = e.code if _plain_code(e.code) and _plain_scheme(e.scheme) else None
        text = f"{e.scheme}#{code}" if code is not None else f'"{e.scheme}#{e.code}"'
        return f"{text} |{e.term}|" if e.term else text
    if isinstance(e, Wildcard):
        return "*"
    if isinstance(e, MemberOf):
        fields = f"[{', '.join(e.fields)}] " if e.fields is not None else ""
        member = "".join(f" {_block(b)}" for b in e.filters)
        return f"^ {fields}{_focus(e.refset)}{member}"
    if isinstance(e, Hierarchy):
        operand = _sub(e.operand) if isinstance(e.operand, (*_ATOMS, MemberOf)) else _bracket(_expression(e.operand))
        return f"{e.operator.value} {operand}"
    if isinstance(e, Filtered):
        inner = e.operand
        head = (
            _sub(inner)
            if not isinstance(inner, (Filtered, History)) and _is_sub(inner)
            else _bracket(_expression(inner))
        )
        return head + "".join(f" {_block(b)}" for b in e.filters)
    if isinstance(e, History):
        inner = e.operand
        head = _sub(inner) if not isinstance(inner, History) and _is_sub(inner) else _bracket(_expression(inner))
        if e.subset is not None:
            return f"{head} {{{{ +HISTORY ({_expression(e.subset)}) }}}}"
        suffix = f"-{e.profile.value}" if e.profile is not None else ""
        return f"{head} {{{{ +HISTORY{suffix} }}}}"
    return _bracket(_expression(e))


def _is_sub(e: Expression) -> bool:
    return isinstance(e, _SUB_EXPRESSIONS)


def _focus(e: Expression) -> str:
    return _sub(e) if isinstance(e, _ATOMS) else _bracket(_expression(e))


def _plain_code(code: str) -> bool:
    return bool(code) and all(c.isascii() and (c.isalnum() or c in "-._") for c in code)


def _plain_scheme(scheme: str) -> bool:
    return (
        bool(scheme)
        and scheme[0].isascii()
        and scheme[0].isalpha()
        and all(c.isascii() and (c.isalnum() or c == "-") for c in scheme)
    )


# --------------------------------------------------------------------------- refinements


def _refinement(r: Refinement) -> str:
    if isinstance(r, CompoundRefinement):
        joiner = ", " if r.operator.value == "AND" else f" {r.operator.value} "
        return joiner.join(
            _bracket(_refinement(o)) if isinstance(o, CompoundRefinement) else _refinement(o) for o in r.operands
        )
    if isinstance(r, AttributeGroup):
        return f"{_cardinality(r.cardinality)}{{ {_refinement(r.refinement)} }}"
    return _attribute(r)


def _cardinality(c: Cardinality | None) -> str:
    if c is None:
        return ""
    return f"[{c.min}..{'*' if c.max is None else c.max}] "


def _attribute(a: Attribute) -> str:
    reverse = "R " if a.reverse else ""
    return f"{_cardinality(a.cardinality)}{reverse}{_sub(a.name)} {a.comparison.value} {_value(a.value)}"


def _value(v: Any) -> str:
    if isinstance(v, NumericValue):
        return f"#{v.value:f}" if isinstance(v.value, Decimal) else f"#{v.value}"
    if isinstance(v, StringValue):
        return _terms(v.terms)
    if isinstance(v, BooleanValue):
        return "true" if v.value else "false"
    if isinstance(v, TimeValue):
        return _set([f'"{t}"' for t in v.times])
    text = _sub(v)
    # Where a string value may stand, a quoted token, alone or right after "(", is read as
    # a string (set); two more brackets keep a leading quoted alternate identifier an expression.
    return _bracket(_bracket(text)) if text.lstrip("(").startswith('"') else text


def _term(t: SearchTerm) -> str:
    return f'wild:"{t.text}"' if t.type is SearchType.WILD else f'"{t.text}"'


def _terms(terms: tuple[SearchTerm, ...]) -> str:
    return _set([_term(t) for t in terms])


def _set(items: list[str]) -> str:
    """One item alone, several as the spec's space-separated ``( a b )`` set."""
    return items[0] if len(items) == 1 else f"({' '.join(items)})"


# --------------------------------------------------------------------------- filters


def _block(b: DescriptionFilters | ConceptFilters | MemberFilters) -> str:
    prefix = "C " if isinstance(b, ConceptFilters) else "M " if isinstance(b, MemberFilters) else ""
    return f"{{{{ {prefix}{', '.join(_filter(f) for f in b.filters)} }}}}"


def _filter_value(v: Expression | ConceptSet) -> str:
    if isinstance(v, ConceptSet):
        return f"({' '.join(_sub(c) for c in v.concepts)})"
    return _sub(v)


def _acceptability(values: tuple[Any, ...] | None) -> str:
    if values is None:
        return ""
    return " (" + " ".join(v.token if isinstance(v, Acceptability) else _sub(v) for v in values) + ")"


def _dialect_alias(d: DialectAlias) -> str:
    return d.alias + _acceptability(d.acceptability)


def _dialect_reference(d: DialectReference) -> str:
    return _sub(d.concept) + _acceptability(d.acceptability)


def _dialect_ids(f: DialectIdFilter) -> str:
    if isinstance(f.dialects, tuple):
        return f"({' '.join(_dialect_reference(d) for d in f.dialects)})"
    return _sub(f.dialects)


def _dialect_aliases(f: DialectAliasFilter) -> str:
    if len(f.dialects) == 1 and f.dialects[0].acceptability is None:
        return f.dialects[0].alias
    return f"({' '.join(_dialect_alias(d) for d in f.dialects)})"


_FILTERS: dict[type, Callable[[Any], str]] = {
    TermFilter: lambda f: f"term {f.comparison.value} {_terms(f.terms)}",
    LanguageFilter: lambda f: f"language {f.comparison.value} {_set(list(f.codes))}",
    DescriptionTypeFilter: lambda f: f"type {f.comparison.value} {_set([t.token for t in f.types])}",
    DescriptionTypeIdFilter: lambda f: f"typeId {f.comparison.value} {_filter_value(f.value)}",
    DialectAliasFilter: lambda f: (
        f"dialect {f.comparison.value} {_dialect_aliases(f)}{_acceptability(f.acceptability)}"
    ),
    DialectIdFilter: lambda f: f"dialectId {f.comparison.value} {_dialect_ids(f)}{_acceptability(f.acceptability)}",
    DescriptionIdFilter: lambda f: f"id {f.comparison.value} {_set([str(i) for i in f.ids])}",
    ModuleFilter: lambda f: f"moduleId {f.comparison.value} {_filter_value(f.value)}",
    EffectiveTimeFilter: lambda f: f"effectiveTime {f.comparison.value} {_value(TimeValue(f.times))}",
    ActiveFilter: lambda f: f"active {f.comparison.value} {str(f.active).lower()}",
    DefinitionStatusFilter: lambda f: f"definitionStatus {f.comparison.value} {_set([s.token for s in f.statuses])}",
    DefinitionStatusIdFilter: lambda f: f"definitionStatusId {f.comparison.value} {_filter_value(f.value)}",
    MemberFieldFilter: lambda f: f"{f.field} {f.comparison.value} {_value(f.value)}",
}


def _filter(f: Any) -> str:
    return _FILTERS[type(f)](f)
