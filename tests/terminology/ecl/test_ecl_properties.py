"""Property tests of the ECL evaluator, and a differential check against a plain reference evaluator.

The reference evaluator below reads the RF2 files with pandas, keeps the is-a graph in
networkx and evaluates with Python sets, one concept at a time: slow and obvious, and
sharing no code with terminology/ecl (only the parser's AST, so both see the same
expression).  It covers focus concepts, hierarchy operators, AND/OR/MINUS, attribute
refinements (=, !=, wildcard names and values, cardinality, groups with cardinality,
reverse attributes) and dotted attributes, with 116680003 |Is a| as an attribute too: its
relationships are the is-a edges, each in a group of its own (group 0), and a ``*``
attribute name stands for the defining attributes only (docs/ecl.md).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import load_release
from terminology import Terminology, build_index
from terminology.ecl import (
    Attribute,
    AttributeGroup,
    BinaryOperator,
    Cardinality,
    Comparison,
    Compound,
    CompoundRefinement,
    ConceptReference,
    Dotted,
    Expression,
    Hierarchy,
    HierarchyOperator,
    Refined,
    Refinement,
    Wildcard,
    evaluate,
    to_ecl,
)
from terminology.sample import sample_release_dir

H = HierarchyOperator
IS_A = 116680003
AND, OR, MINUS = BinaryOperator.AND, BinaryOperator.OR, BinaryOperator.MINUS
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ----------------------------------------------------------------- reference evaluator


class Reference:
    """ECL over sets, straight from the RF2 files of one Snapshot."""

    def __init__(self, snapshot: Path):
        def read(pattern: str) -> pd.DataFrame:
            return pd.read_csv(next(snapshot.rglob(pattern)), sep="\t", dtype=str, quoting=3, keep_default_na=False)

        concepts = read("sct2_Concept_Snapshot_*")
        self.active = {int(c) for c in concepts.loc[concepts["active"] == "1", "id"]}
        rels = read("sct2_Relationship_Snapshot_*")
        rels = rels[(rels["active"] == "1") & (rels["characteristicTypeId"] != "900000000000227009")]
        self.up = nx.DiGraph()  # child -> parent
        self.up.add_nodes_from(self.active)
        self.attrs: list[tuple[int, int, int, object]] = []
        for k, r in enumerate(rels.itertuples(index=False)):
            src, dst, typ, grp = int(r.sourceId), int(r.destinationId), int(r.typeId), int(r.relationshipGroup)
            if typ == IS_A:
                if src in self.active and dst in self.active:
                    self.up.add_edge(src, dst)
                    # An is-a relationship is an attribute too (ECL 2.2), always in group 0: a group of its own.
                    self.attrs.append((src, IS_A, dst, ("own", k)))
            else:
                # Group 0 attributes are each a group of their own.
                self.attrs.append((src, typ, dst, grp if grp > 0 else ("own", k)))
        # What a `*` attribute name stands for: the defining attributes, not is-a.
        self.attribute_types = sorted({typ for _, typ, _, _ in self.attrs} - {IS_A})
        # Concrete values are never generated as values here, but their role groups are groups of the
        # concept (one each in group 0), which a [0..n] inside { } can be met in.
        self.cv_groups: dict[int, set[object]] = defaultdict(set)
        if any(snapshot.rglob("sct2_RelationshipConcreteValues_Snapshot_*")):
            cvs = read("sct2_RelationshipConcreteValues_Snapshot_*")
            for k, r in enumerate(cvs[cvs["active"] == "1"].itertuples(index=False)):
                grp = int(r.relationshipGroup)
                self.cv_groups[int(r.sourceId)].add(grp if grp > 0 else ("cv", k))

    def below(self, c: int) -> set[int]:
        return set(nx.ancestors(self.up, c)) if c in self.up else set()

    def above(self, c: int) -> set[int]:
        return set(nx.descendants(self.up, c)) if c in self.up else set()

    def expr(self, e: Expression) -> set[int]:
        if isinstance(e, ConceptReference):
            return {e.id}
        if isinstance(e, Wildcard):
            return set(self.active)
        if isinstance(e, Compound):
            sets = [self.expr(o) for o in e.operands]
            if e.operator is BinaryOperator.AND:
                return set.intersection(*sets)
            if e.operator is BinaryOperator.OR:
                return set.union(*sets)
            return sets[0] - sets[1]
        if isinstance(e, Hierarchy):
            s = self.expr(e.operand)
            op = e.operator
            down = set().union(*(self.below(c) for c in s)) if s else set()
            up = set().union(*(self.above(c) for c in s)) if s else set()
            children = {c for p in s if p in self.up for c in self.up.predecessors(p)}
            parents = {p for c in s if c in self.up for p in self.up.successors(c)}
            return {
                H.DESCENDANT_OF: down, H.DESCENDANT_OR_SELF_OF: down | s, H.ANCESTOR_OF: up, H.ANCESTOR_OR_SELF_OF: up | s,
                H.CHILD_OF: children, H.CHILD_OR_SELF_OF: children | s, H.PARENT_OF: parents, H.PARENT_OR_SELF_OF: parents | s,
                H.TOP: {c for c in s if not (self.above(c) & s)}, H.BOTTOM: {c for c in s if not (self.below(c) & s)},
            }[op]  # fmt: skip
        if isinstance(e, Refined):
            focus = self.expr(e.operand)
            return {c for c in focus if self.holds(c, e.refinement, None)}
        if isinstance(e, Dotted):
            s = self.expr(e.operand)
            for name in e.attributes:
                types = self.types(name)
                s = {d for src, t, d, _ in self.attrs if src in s and t in types}
            return s
        raise NotImplementedError(type(e).__name__)

    def types(self, name: Expression) -> set[int]:
        return set(self.attribute_types) if isinstance(name, Wildcard) else self.expr(name)

    def names_is_a(self, r: Refinement) -> bool:
        if isinstance(r, CompoundRefinement):
            return any(self.names_is_a(o) for o in r.operands)
        if isinstance(r, AttributeGroup):
            return self.names_is_a(r.refinement)
        return IS_A in self.types(r.name)

    def holds(self, c: int, r: Refinement, group: object) -> bool:
        """Does concept c (within one role group, when ``group`` is given) satisfy the refinement?"""
        if isinstance(r, CompoundRefinement):
            results = [self.holds(c, o, group) for o in r.operands]
            return all(results) if r.operator is BinaryOperator.AND else any(results)
        card = r.cardinality or Cardinality(1, None)
        if isinstance(r, AttributeGroup):
            # Is-a relationships are groups only for a group that names is-a.
            isa = self.names_is_a(r.refinement)
            groups = {g for src, t, _, g in self.attrs if src == c and (t != IS_A or isa)} | self.cv_groups.get(
                c, set()
            )
            count = sum(1 for g in groups if self.holds(c, r.refinement, g))
        else:
            types = self.types(r.name)
            values = None if isinstance(r.value, Wildcard) else self.expr(r.value)  # type: ignore[arg-type]
            negate = r.comparison is Comparison.NE

            def value_ok(v: int) -> bool:
                inside = values is None or v in values
                return not inside if negate else inside

            if r.reverse:
                count = sum(1 for src, t, d, _ in self.attrs if d == c and t in types and value_ok(src))
            else:
                count = sum(
                    1
                    for src, t, d, g in self.attrs
                    if src == c and t in types and value_ok(d) and (group is None or g == group)
                )
        return card.min <= count and (card.max is None or count <= card.max)


# ----------------------------------------------------------------- releases


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Terminology, Reference]:
    """A small synthetic release (3,000 active concepts) and its reference evaluator."""
    from synth import write_synthetic_release

    root = tmp_path_factory.mktemp("synth_ecl")
    write_synthetic_release(root / "rf2", concepts=3000, seed=11)
    build_index(load_release(root / "rf2" / "Snapshot"), root / "idx")
    return Terminology.open(root / "idx"), Reference(root / "rf2" / "Snapshot")


@pytest.fixture(scope="module")
def sample_ref() -> Reference:
    return Reference(sample_release_dir() / "Snapshot")


# ----------------------------------------------------------------- strategies


def expressions(t: Terminology, ref: Reference) -> st.SearchStrategy[Expression]:
    """Random hierarchy / boolean / refinement expressions over the concepts that carry structure."""
    has_children = sorted({p for _, p in ref.up.edges})
    with_attrs = sorted({d for _, _, d, _ in ref.attrs})
    concept = st.sampled_from(sorted(set(has_children[:400]) | set(with_attrs[:400]))).map(ConceptReference)
    leaf = st.one_of(concept, st.just(Wildcard())) if len(ref.active) < 500 else concept
    types = st.one_of(st.sampled_from(ref.attribute_types), st.just(IS_A)).map(ConceptReference)
    card = st.one_of(
        st.none(),
        st.sampled_from(
            [Cardinality(0, 0), Cardinality(0, 1), Cardinality(1, 1), Cardinality(2, None), Cardinality(0, None)]
        ),
    )
    focus = st.builds(Hierarchy, st.sampled_from([H.DESCENDANT_OR_SELF_OF, H.DESCENDANT_OF, H.CHILD_OF]), concept)

    def attribute(value: st.SearchStrategy[Expression]) -> st.SearchStrategy[Attribute]:
        # Constraint names whose set holds is-a (in the sample 116680003 is under 410662002) take it in.
        is_a_sets = st.sampled_from(
            [Hierarchy(H.DESCENDANT_OR_SELF_OF, ConceptReference(c)) for c in (IS_A, 410662002)]
        )
        return st.builds(
            Attribute,
            st.one_of(types, st.just(Wildcard()), is_a_sets),
            st.sampled_from([Comparison.EQ, Comparison.EQ, Comparison.NE]),
            st.one_of(value, st.just(Wildcard())),
            st.just(False),
            card,
        )

    def refinement(value: st.SearchStrategy[Expression]) -> st.SearchStrategy[Refinement]:
        attr = attribute(value)
        inner = st.one_of(
            attr,
            st.builds(
                CompoundRefinement, st.sampled_from([BinaryOperator.AND, BinaryOperator.OR]), st.tuples(attr, attr)
            ),
        )
        group = st.builds(AttributeGroup, inner, card)
        reverse = st.builds(Attribute, types, st.just(Comparison.EQ), value, st.just(True), card)
        one = st.one_of(attr, group, reverse)
        return st.one_of(
            one,
            st.builds(
                CompoundRefinement, st.sampled_from([BinaryOperator.AND, BinaryOperator.OR]), st.tuples(one, one)
            ),
        )

    def extend(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
        return st.one_of(
            st.builds(Hierarchy, st.sampled_from(list(H)), children),
            st.builds(
                Compound, st.sampled_from([BinaryOperator.AND, BinaryOperator.OR]), st.tuples(children, children)
            ),
            st.builds(lambda a, b: Compound(BinaryOperator.MINUS, (a, b)), children, children),
            st.builds(Refined, focus, refinement(st.builds(Hierarchy, st.just(H.DESCENDANT_OR_SELF_OF), concept))),
            st.builds(lambda e, a: Dotted(e, (a,)), focus, types),
        )

    return st.recursive(leaf, extend, max_leaves=5)


def rows(t: Terminology, e: Expression) -> set[int]:
    return set(evaluate(t, e, time_budget_s=None).ids.tolist())


# ----------------------------------------------------------------- algebraic properties (sample)


def test_boolean_laws(sample: Terminology, sample_ref: Reference) -> None:
    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        ex = expressions(sample, sample_ref)
        a, b, c = data.draw(ex), data.draw(ex), data.draw(ex)
        assert rows(sample, Compound(AND, (a, b))) == rows(sample, Compound(AND, (b, a)))
        assert rows(sample, Compound(OR, (a, b))) == rows(sample, Compound(OR, (b, a)))
        assert rows(sample, Compound(MINUS, (a, a))) == set()
        left = Compound(OR, (Compound(AND, (a, b)), Compound(AND, (a, c))))
        right = Compound(AND, (a, Compound(OR, (b, c))))
        assert rows(sample, left) == rows(sample, right)
        assert rows(sample, Compound(MINUS, (a, b))) == rows(sample, a) - rows(sample, b)

    check()


def test_hierarchy_laws(sample: Terminology, sample_ref: Reference) -> None:
    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        x = data.draw(expressions(sample, sample_ref))
        assert rows(sample, Hierarchy(H.DESCENDANT_OR_SELF_OF, x)) == rows(sample, x) | rows(
            sample, Hierarchy(H.DESCENDANT_OF, x)
        )
        assert rows(sample, Hierarchy(H.CHILD_OF, x)) <= rows(sample, Hierarchy(H.DESCENDANT_OF, x))
        assert rows(sample, Hierarchy(H.PARENT_OF, x)) <= rows(sample, Hierarchy(H.ANCESTOR_OF, x))
        assert rows(sample, Hierarchy(H.TOP, x)) <= rows(sample, x) and rows(sample, Hierarchy(H.BOTTOM, x)) <= rows(
            sample, x
        )
        # Text round trip: the parser reads back what the serializer writes, with the same answer.
        assert set(evaluate(sample, to_ecl(x), time_budget_s=None).ids.tolist()) == rows(sample, x)

    check()


def test_ancestors_match_the_terminology(sample: Terminology) -> None:
    for c in sample.active_concept_ids().tolist():
        assert rows(sample, Hierarchy(H.ANCESTOR_OF, ConceptReference(c))) == set(sample.ancestors(c).tolist())
        assert rows(sample, Hierarchy(H.DESCENDANT_OF, ConceptReference(c))) == set(sample.descendants(c).tolist())


# ----------------------------------------------------------------- differential checks


def test_differential_sample(sample: Terminology, sample_ref: Reference) -> None:
    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        e = data.draw(expressions(sample, sample_ref))
        assert rows(sample, e) == sample_ref.expr(e), to_ecl(e)

    check()


@pytest.mark.slow
def test_differential_synthetic(synth: tuple[Terminology, Reference]) -> None:
    t, ref = synth

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        e = data.draw(expressions(t, ref))
        assert rows(t, e) == ref.expr(e), to_ecl(e)

    check()


@pytest.mark.slow
def test_synthetic_attribute_counts(synth: tuple[Terminology, Reference]) -> None:
    """Every attribute type (is-a too): `* : T = *` is the set of sources, and `[2..*]` those with two or more."""
    t, ref = synth
    by_type: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for src, typ, _, _ in ref.attrs:
        by_type[typ][src] += 1
    for typ, counts in by_type.items():
        assert (
            rows(t, Refined(Wildcard(), Attribute(ConceptReference(typ), Comparison.EQ, Wildcard())))
            == set(counts) & ref.active
        )
        two = Refined(
            Wildcard(), Attribute(ConceptReference(typ), Comparison.EQ, Wildcard(), cardinality=Cardinality(2, None))
        )
        assert rows(t, two) == {s for s, k in counts.items() if k >= 2} & ref.active
