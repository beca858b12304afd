"""Normal forms of expressions and subsumption between concepts, expressions and ECL constraints.

The test is structural and conservative (it may answer "not subsumed" where a
classifier would find subsumption, never the reverse):

``A`` subsumes ``B`` when every focus concept of ``A`` subsumes a focus concept of
``B`` (by the release's precomputed closure; a fully defined focus concept of
``A`` may instead be replaced by its definition: its proximal primitive supertypes
plus its relationship groups), and every refinement group of ``A`` is matched by a
group of ``B``'s normal form (``B``'s refinements plus the inferred relationships of
its focus concepts) holding, for each attribute of ``A``'s group, an attribute whose
type and value are subsumed by ``A``'s.  An ungrouped attribute of ``A`` may be
matched by an attribute in any group of ``B``.  Values may themselves be nested
expressions (compared recursively) or concrete values (compared for equality).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

import numpy as np

from ..ecl import EclEvaluationError, evaluate
from ..ecl import ast as ecl_ast
from ..model import ConcreteValue
from ..terminology import Terminology
from .ast import ConceptRef, Concrete, Expression, SubExpression

__all__ = [
    "NormalForm",
    "concept_in_ecl",
    "evaluate_ecl",
    "evaluate_ecl_rows",
    "expression_in_ecl",
    "normal_form",
    "normal_form_text",
    "subsumes",
    "subsumption",
]

Value: TypeAlias = "int | NormalForm | Concrete"
Attr: TypeAlias = "tuple[int, Value]"
Group: TypeAlias = "frozenset[Attr]"
Node: TypeAlias = int | Expression | SubExpression


@dataclass(frozen=True)
class NormalForm:
    """Focus concepts, the relationship groups they bring, and the expression's own refinement groups.

    ``ungrouped`` marks which refinement groups were written without braces (one
    attribute each), because those may be matched inside any group of the subsumee.
    """

    focus: frozenset[int]
    inherited: tuple[Group, ...]
    refinements: tuple[Group, ...]
    ungrouped: frozenset[Group] = frozenset()

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.inherited + self.refinements


def _concrete(value: int | float | str | bool) -> Concrete:
    if isinstance(value, bool):
        return Concrete("boolean", value)
    if isinstance(value, int):
        return Concrete("integer", value)
    if isinstance(value, float):
        return Concrete("decimal", Decimal(repr(value)))
    return Concrete("string", value)


def concept_groups(t: Terminology, sctid: int) -> tuple[tuple[Group, ...], frozenset[Group]]:
    """A concept's inferred relationship groups; each group-0 attribute is a group of its own."""
    out: list[Group] = []
    single: set[Group] = set()
    for g, rels in t.role_groups(sctid).items():
        attrs = [
            (r.type_id, _concrete(r.value)) if isinstance(r, ConcreteValue) else (r.type_id, r.destination_id)
            for r in rels
        ]
        if g == 0:
            for a in attrs:
                grp: Group = frozenset([a])
                out.append(grp)
                single.add(grp)
        else:
            out.append(frozenset(attrs))
    return tuple(out), frozenset(single)


def normal_form(t: Terminology, node: Node) -> NormalForm:
    """The normal form of a concept id, an expression or a sub-expression."""
    if isinstance(node, int):
        inherited, _ = concept_groups(t, node)
        return NormalForm(frozenset([node]), inherited, ())
    sub = node.sub if isinstance(node, Expression) else node
    inherited_list: list[Group] = []
    for c in sub.focus:
        if t.has_concept(c.id):
            inherited_list.extend(concept_groups(t, c.id)[0])
    refinements: list[Group] = []
    ungrouped: set[Group] = set()
    if sub.refinement is not None:
        for a in sub.refinement.ungrouped:
            grp: Group = frozenset([(a.name.id, _value(t, a.value))])
            refinements.append(grp)
            ungrouped.add(grp)
        for g in sub.refinement.groups:
            refinements.append(frozenset((a.name.id, _value(t, a.value)) for a in g))
    return NormalForm(
        frozenset(c.id for c in sub.focus), tuple(inherited_list), tuple(refinements), frozenset(ungrouped)
    )


def _value(t: Terminology, v: ConceptRef | SubExpression | Concrete) -> Value:
    if isinstance(v, ConceptRef):
        return v.id
    if isinstance(v, SubExpression):
        return normal_form(t, v)
    return v


def _concrete_equal(a: Concrete, b: Concrete) -> bool:
    numeric = ("integer", "decimal")
    if a.kind in numeric and b.kind in numeric:
        return Decimal(str(a.value)) == Decimal(str(b.value))
    return a.kind == b.kind and a.value == b.value


def _concept_subsumes(t: Terminology, a: int, b: int) -> bool:
    return t.has_concept(a) and t.has_concept(b) and t.subsumes(a, b)


def _value_subsumes(t: Terminology, a: Value, b: Value) -> bool:
    if isinstance(a, Concrete) or isinstance(b, Concrete):
        return isinstance(a, Concrete) and isinstance(b, Concrete) and _concrete_equal(a, b)
    if isinstance(a, int) and isinstance(b, int):
        return _concept_subsumes(t, a, b)
    na = normal_form(t, a) if isinstance(a, int) else a
    nb = normal_form(t, b) if isinstance(b, int) else b
    return _nf_subsumes(t, na, nb)


def _group_matched(t: Terminology, required: Group, candidates: tuple[Group, ...], anywhere: bool) -> bool:
    pool = [frozenset().union(*candidates)] if anywhere and candidates else candidates
    for g in pool:
        if all(any(_concept_subsumes(t, ta, tb) and _value_subsumes(t, va, vb) for tb, vb in g) for ta, va in required):
            return True
    return False


def _nf_subsumes(t: Terminology, a: NormalForm, b: NormalForm) -> bool:
    """``a`` subsumes ``b``.

    ``a``'s inherited groups need no check: a focus concept subsuming one of ``b``'s
    by the closure passes its relationships down to it, and a fully defined one
    replaced by its definition contributes its groups explicitly.
    """
    extra: list[Group] = []
    for fa in a.focus:
        if any(_concept_subsumes(t, fa, fb) for fb in b.focus):
            continue
        if not t.has_concept(fa) or t.concept(fa).definition_status != "fully-defined":
            return False
        # Replace the fully defined concept by its definition (proximal primitives + groups).
        for p in t.proximal_primitive_parents(fa):
            if not any(_concept_subsumes(t, p, fb) for fb in b.focus):
                return False
        extra.extend(concept_groups(t, fa)[0])
    required = list(a.refinements) + extra
    candidates = b.groups
    for g in required:
        anywhere = g in a.ungrouped or len(g) == 1
        if not _group_matched(t, g, candidates, anywhere):
            return False
    return True


def subsumes(t: Terminology, a: Node, b: Node) -> bool:
    """True when ``a`` subsumes ``b`` (``b`` is ``a`` or more specific); conservative, see the module doc."""
    if isinstance(a, int) and isinstance(b, int):
        return _concept_subsumes(t, a, b)
    if isinstance(b, Expression) and b.definition_status == "<<<" and not isinstance(a, int):
        # "<<< X : r" is only known to be *some* subtype; it subsumes nothing but itself.
        return False
    return _nf_subsumes(t, normal_form(t, a), normal_form(t, b))


def subsumption(t: Terminology, a: Node, b: Node) -> str:
    """The FHIR $subsumes outcome of ``a`` against ``b``."""
    ab, ba = subsumes(t, a, b), subsumes(t, b, a)
    if ab and ba:
        return "equivalent"
    if ab:
        return "subsumes"
    if ba:
        return "subsumed-by"
    return "not-subsumed"


# --------------------------------------------------------------------------- ECL


def expression_in_ecl(t: Terminology, expr: Expression | SubExpression, constraint: ecl_ast.Expression) -> bool:
    """Whether an expression is proven to be in the set an ECL constraint denotes.

    Hierarchy constraints use expression subsumption, refinements are matched
    against the expression's normal form, ``OR``/``AND`` combine, and ``MINUS``
    excludes only what is proven (an expression whose focus concepts are not under
    a primitive concept is proven not to be under it).  Member-of never holds: an
    expression is not a reference set member.
    """
    return _ecl(t, expr, constraint) is True


def _ecl(t: Terminology, expr: Expression | SubExpression, c: ecl_ast.Expression) -> bool | None:
    hop = ecl_ast.HierarchyOperator
    if isinstance(c, ecl_ast.Wildcard):
        return True
    if isinstance(c, ecl_ast.ConceptReference):
        sub = expr.sub if isinstance(expr, Expression) else expr
        if sub.refinement is None and {f.id for f in sub.focus} == {c.id}:
            return True
        return _proven_not_under(t, expr, c.id)
    if isinstance(c, ecl_ast.MemberOf):
        return False
    if isinstance(c, ecl_ast.Hierarchy) and isinstance(c.operand, ecl_ast.ConceptReference):
        x = c.operand.id
        if c.operator in (hop.DESCENDANT_OR_SELF_OF, hop.DESCENDANT_OF):
            if subsumes(t, x, expr):
                # equivalent to x is not a proper descendant
                return not (c.operator is hop.DESCENDANT_OF and subsumes(t, expr, x))
            return _proven_not_under(t, expr, x)
        return None
    if isinstance(c, ecl_ast.Compound):
        results = [_ecl(t, expr, o) for o in c.operands]
        if c.operator is ecl_ast.BinaryOperator.OR:
            return True if any(r is True for r in results) else (False if all(r is False for r in results) else None)
        if c.operator is ecl_ast.BinaryOperator.AND:
            return True if all(r is True for r in results) else (False if any(r is False for r in results) else None)
        return (
            True
            if results[0] is True and results[1] is False
            else (False if results[0] is False or results[1] is True else None)
        )
    if isinstance(c, ecl_ast.Refined):
        base = _ecl(t, expr, c.operand)
        if base is not True:
            return base
        nf = normal_form(t, expr)
        if _refinement(t, nf, c.refinement, None):
            return True
        return False if _refinement_absent(t, nf, c.refinement) else None
    return None


def _refinement_absent(t: Terminology, nf: NormalForm, r: ecl_ast.Refinement) -> bool:
    """The refinement needs an attribute whose type the normal form lacks altogether (so it cannot hold).

    The same reading as ``_proven_not_under``: without general concept inclusion axioms
    nothing adds an attribute type to a normal form.
    """
    if isinstance(r, ecl_ast.Attribute):
        if r.reverse or (r.cardinality is not None and r.cardinality.min == 0):
            return False
        return not any(_concept_satisfies(t, ty, r.name) for g in nf.groups for ty, _ in g)
    if isinstance(r, ecl_ast.AttributeGroup):
        if r.cardinality is not None and r.cardinality.min == 0:
            return False
        return _refinement_absent(t, nf, r.refinement)
    results = [_refinement_absent(t, nf, o) for o in r.operands]
    return any(results) if r.operator is ecl_ast.BinaryOperator.AND else all(results)


def _proven_not_under(t: Terminology, expr: Expression | SubExpression, x: int) -> bool | None:
    """False (a membership answer) when the expression is proven not to be under ``x``, else None (unknown).

    A primitive ``x`` has no subtypes but its stated ones, so focus concepts none of
    which is under ``x`` settle it.  A fully defined ``x`` is settled when the
    expression misses a necessary part of its definition: a proximal primitive
    supertype none of its focus concepts is under, or an attribute type of which its
    normal form (the focus concepts' inferred relationships plus its refinements) has
    no attribute, neither that type nor a subtype.  Whatever is under ``x`` has
    both, and only a general concept inclusion axiom could give the expression an
    attribute its normal form lacks; snomap, like the normal forms it compares, reads
    none (the same assumption as the primitive case).
    """
    if not t.has_concept(x):
        return None
    sub = expr.sub if isinstance(expr, Expression) else expr
    focus = [f.id for f in sub.focus]
    if t.concept(x).definition_status != "fully-defined":
        return False if not any(_concept_subsumes(t, x, f) for f in focus) else None
    if any(_concept_subsumes(t, x, f) for f in focus):
        return None  # a focus concept is under x already: nothing to prove
    for p in t.proximal_primitive_parents(x):
        if not any(_concept_subsumes(t, p, f) for f in focus):
            return False
    have = {ty for g in normal_form(t, expr).groups for ty, _ in g}
    for g in concept_groups(t, x)[0]:
        for ty, _ in g:
            if not any(_concept_subsumes(t, ty, h) for h in have):
                return False
    return None


def _refinement(t: Terminology, nf: NormalForm, r: ecl_ast.Refinement, group: Group | None) -> bool:
    if isinstance(r, ecl_ast.Attribute):
        pool = [group] if group is not None else list(nf.groups)
        return any(_attribute_holds(t, r, ty, v) for g in pool for ty, v in g)
    if isinstance(r, ecl_ast.AttributeGroup):
        return any(_refinement(t, nf, r.refinement, g) for g in nf.groups)
    results = [_refinement(t, nf, o, group) for o in r.operands]
    return all(results) if r.operator is ecl_ast.BinaryOperator.AND else any(results)


def _attribute_holds(t: Terminology, a: ecl_ast.Attribute, type_id: int, value: Value) -> bool:
    if a.reverse or a.comparison is not ecl_ast.Comparison.EQ:
        return False
    if not _concept_satisfies(t, type_id, a.name):
        return False
    if isinstance(value, Concrete):
        want = a.value
        if isinstance(want, ecl_ast.NumericValue):
            return value.kind in ("integer", "decimal") and Decimal(str(value.value)) == Decimal(str(want.value))
        if isinstance(want, ecl_ast.BooleanValue):
            return value.kind == "boolean" and value.value == want.value
        return False
    if isinstance(value, NormalForm):
        sub = SubExpression(tuple(ConceptRef(f) for f in sorted(value.focus)))
        return isinstance(a.value, ecl_ast.Node) and value.refinements == () and _ecl(t, sub, a.value) is True  # type: ignore[arg-type]
    return isinstance(a.value, ecl_ast.Node) and _concept_satisfies(t, value, a.value)  # type: ignore[arg-type]


def _concept_satisfies(t: Terminology, sctid: int, c: ecl_ast.Expression) -> bool:
    try:
        return sctid in evaluate(t, c)
    except EclEvaluationError:
        return False  # conservative: a constraint the engine cannot answer proves nothing


# --------------------------------------------------------------------------- concepts and ECL constraints


def evaluate_ecl_rows(t: Terminology, constraint: str | ecl_ast.Expression) -> np.ndarray:
    """The concept rows (sorted int32, read-only) an ECL constraint denotes, by the ECL engine."""
    return evaluate(t, constraint).rows


def evaluate_ecl(t: Terminology, constraint: str | ecl_ast.Expression) -> np.ndarray:
    """The concept ids (sorted int64, read-only) an ECL constraint denotes, by the ECL engine."""
    return evaluate(t, constraint).ids


def concept_in_ecl(t: Terminology, constraint: str | ecl_ast.Expression, sctid: int) -> bool:
    """Whether a concept is in the set an ECL constraint denotes.

    Raises the engine's ``EclSyntaxError``, ``EclEvaluationError`` (and its ``EclTimeoutError``).
    """
    return sctid in evaluate(t, constraint)


# --------------------------------------------------------------------------- normal form text


def normal_form_text(t: Terminology, node: Node, terms: bool = True, lang: str | None = None) -> str:
    """The long normal form as compositional grammar: ``=== PPP1 + PPP2 : attrs, {groups}``.

    Fully defined focus concepts are replaced by their proximal primitive supertypes
    (primitive ones stay); attributes are the focus concepts' inferred relationships
    plus the expression's refinements.  A primitive concept is written ``<<<`` with
    its proximal primitive supertypes, since only a subtype relation can be stated.
    """
    if isinstance(node, int):
        c = t.concept(node)
        if c.definition_status == "fully-defined":
            focus, status = t.proximal_primitive_parents(node), "==="
        else:
            focus, status = t.proximal_primitive_parents(node) or [node], "<<<"
        nf = normal_form(t, node)
    else:
        nf = normal_form(t, node)
        focus_set: set[int] = set()
        for f in nf.focus:
            if t.has_concept(f) and t.concept(f).definition_status == "fully-defined":
                focus_set.update(t.proximal_primitive_parents(f) or [f])
            else:
                focus_set.add(f)
        focus = sorted(focus_set)
        status = "<<<" if isinstance(node, Expression) and node.definition_status == "<<<" else "==="

    def ref(i: int) -> str:
        if not terms:
            return str(i)
        term = t.preferred_term(i, lang) if t.has_concept(i) else None
        return f"{i}|{term}|" if term else str(i)

    def value(v: Value) -> str:
        if isinstance(v, int):
            return ref(v)
        if isinstance(v, Concrete):
            return v.scg
        inner = "+".join(ref(f) for f in sorted(v.focus))
        attrs = _groups_text(v.refinements, v.ungrouped, ref, value)
        return f"({inner}:{attrs})" if attrs else inner

    body = "+".join(ref(f) for f in focus)
    seen: list[Group] = []
    for g in nf.groups:
        if g not in seen:
            seen.append(g)
    single = {g for g in seen if len(g) == 1 and (g in nf.ungrouped or g in concept_singletons(t, nf))}
    attrs = _groups_text(tuple(seen), frozenset(single), ref, value)
    return f"{status} {body}:{attrs}" if attrs else f"{status} {body}"


def concept_singletons(t: Terminology, nf: NormalForm) -> frozenset[Group]:
    out: set[Group] = set()
    for f in nf.focus:
        if t.has_concept(f):
            out |= concept_groups(t, f)[1]
    return frozenset(out)


def _groups_text(groups: tuple[Group, ...], ungrouped: frozenset[Group], ref, value) -> str:  # type: ignore[no-untyped-def]
    def attr(a: Attr) -> str:
        return f"{ref(a[0])}={value(a[1])}"

    def key(a: Attr) -> tuple[int, str]:
        return (a[0], str(a[1]) if not isinstance(a[1], int) else f"{a[1]:020d}")

    flat = [attr(next(iter(g))) for g in groups if g in ungrouped]
    grouped = ["{" + ",".join(attr(a) for a in sorted(g, key=key)) + "}" for g in groups if g not in ungrouped]
    return ",".join(flat + grouped)
