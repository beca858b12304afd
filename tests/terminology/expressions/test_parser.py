"""The compositional grammar parser: what SCG 2.4 accepts and rejects, and expression equality.

Expectations come from the SNOMED CT Compositional Grammar specification 2.4 (its
ABNF and examples); no release is needed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminology.expressions import (
    Attribute,
    ConceptRef,
    Concrete,
    Expression,
    ExpressionSyntaxError,
    Refinement,
    SubExpression,
    canonical,
    looks_like_expression,
    parse_expression,
)


def test_plain_concept_is_a_single_concept() -> None:
    e = parse_expression("73211009 |Diabetes mellitus|")
    assert e.is_single_concept and e.focus_ids == (73211009,)
    assert e.sub.focus[0].term == "Diabetes mellitus"


def test_grouped_refinement_from_the_spec() -> None:
    # SCG 2.4 section 6.3: 71388002 |Procedure| : { 260686004 |Method| = 129304002 |Excision - action|, ... }
    e = parse_expression(
        "71388002 |Procedure| : { 260686004 |Method| = 129304002 |Excision - action|, "
        "405813007 |Procedure site - direct| = 15497006 |Ovarian structure| }"
    )
    assert e.sub.refinement == Refinement(
        (),
        (
            (
                Attribute(ConceptRef(260686004), ConceptRef(129304002)),
                Attribute(ConceptRef(405813007), ConceptRef(15497006)),
            ),
        ),
    )


def test_ungrouped_then_groups_with_and_without_commas() -> None:
    e = parse_expression("123037004 : 272741003 = 7771000 , { 363698007 = 10200004 } { 363698007 = 181268008 }")
    assert e.sub.refinement is not None
    assert len(e.sub.refinement.ungrouped) == 1 and len(e.sub.refinement.groups) == 2


def test_multiple_focus_concepts_and_definition_status() -> None:
    e = parse_expression("=== 421720008 |Spray dose form| + 7946007 |Drug suspension|")
    assert e.definition_status == "===" and e.focus_ids == (421720008, 7946007)
    assert parse_expression("<<< 73211009").definition_status == "<<<"


def test_nested_expression_value() -> None:
    e = parse_expression("397956004 : 363700003 = ( 24136001 : 272741003 = 7771000 )")
    assert e.sub.refinement is not None
    value = e.sub.refinement.ungrouped[0].value
    assert isinstance(value, SubExpression) and value.focus == (ConceptRef(24136001),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#500", Concrete("integer", 500)),
        ("#-2", Concrete("integer", -2)),
        ("#0.5", Concrete("decimal", Decimal("0.5"))),
        ('"PANADOL"', Concrete("string", "PANADOL")),
        ('"say \\"hi\\""', Concrete("string", 'say "hi"')),
        ("true", Concrete("boolean", True)),
        ("FALSE", Concrete("boolean", False)),
    ],
)
def test_concrete_values(text: str, expected: Concrete) -> None:
    e = parse_expression(f"322236009 : 1142135004 = {text}")
    assert e.sub.refinement is not None and e.sub.refinement.ungrouped[0].value == expected


def test_comments_and_whitespace_are_ignored() -> None:
    a = parse_expression("/* focus */ 128241005 :\n\t{ 363698007 = 181268008 }")
    assert canonical(a) == "128241005:{363698007=181268008}"


def test_terms_and_order_do_not_change_equality() -> None:
    a = parse_expression("71388002 |Procedure| : { 405813007 = 15497006 , 260686004 = 129304002 }")
    b = parse_expression("71388002:{260686004 |Method| = 129304002, 405813007=15497006}")
    assert canonical(a) == canonical(b)
    assert canonical(parse_expression("1234567+7654321")) == canonical(parse_expression("7654321 + 1234567"))


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("128241005:", 10),
        ("128241005:{363698007=}", 21),
        ("0128241005", 0),  # a concept id never starts with 0
        ("12345", 0),  # and has at least 6 digits
        ("128241005 |unclosed", 10),
        ("128241005:{363698007=181268008", 30),
    ],
)
def test_syntax_errors_have_positions(text: str, position: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        parse_expression(text)
    assert err.value.position == position


def test_attribute_after_group_is_rejected() -> None:
    with pytest.raises(ExpressionSyntaxError, match="ungrouped attributes must come before"):
        parse_expression("123037004 : { 363698007 = 10200004 }, 272741003 = 7771000")


def test_looks_like_expression() -> None:
    assert not looks_like_expression("128241005")
    assert looks_like_expression("128241005:{363698007=181268008}")
    assert looks_like_expression("128241005 |Inflammatory disease of liver|")


ids = st.integers(min_value=100000, max_value=10**17).map(ConceptRef)
attrs = st.builds(Attribute, ids, ids)


@settings(max_examples=150, deadline=None)
@given(
    focus=st.lists(ids, min_size=1, max_size=3),
    ungrouped=st.lists(attrs, max_size=3),
    groups=st.lists(st.lists(attrs, min_size=1, max_size=3).map(tuple), max_size=3),
)
def test_canonical_form_parses_back_to_an_equal_expression(focus, ungrouped, groups) -> None:  # type: ignore[no-untyped-def]
    refinement = Refinement(tuple(ungrouped), tuple(groups)) if ungrouped or groups else None
    e = Expression(SubExpression(tuple(focus), refinement))
    again = parse_expression(canonical(e))
    assert canonical(again) == canonical(e)
