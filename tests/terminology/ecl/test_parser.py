"""ECL 2.2 parser: one or more tests per construct with the AST written by hand from the spec,
long vs brief syntax, positioned errors, and a round-trip property over random ASTs."""

from __future__ import annotations

import statistics
import time
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.sctid import ComponentKind, make_sctid
from terminology.ecl import (
    ALL_FIELDS,
    Acceptability,
    ActiveFilter,
    AlternateIdentifier,
    Attribute,
    AttributeGroup,
    BinaryOperator,
    BooleanValue,
    Cardinality,
    Comparison,
    Compound,
    CompoundRefinement,
    ConceptFilters,
    ConceptReference,
    ConceptSet,
    DefinitionStatus,
    DefinitionStatusFilter,
    DefinitionStatusIdFilter,
    DescriptionFilters,
    DescriptionIdFilter,
    DescriptionType,
    DescriptionTypeFilter,
    DescriptionTypeIdFilter,
    DialectAlias,
    DialectAliasFilter,
    DialectIdFilter,
    DialectReference,
    Dotted,
    EclInvalidIdError,
    EclSyntaxError,
    EffectiveTimeFilter,
    Expression,
    Filtered,
    Hierarchy,
    HierarchyOperator,
    History,
    HistoryProfile,
    LanguageFilter,
    MemberFieldFilter,
    MemberFilters,
    MemberOf,
    ModuleFilter,
    NumericValue,
    Refined,
    SearchTerm,
    SearchType,
    StringValue,
    TermFilter,
    TimeValue,
    Wildcard,
    parse_ecl,
    to_ecl,
)

H = HierarchyOperator
EQ, NE, LT, LE, GT, GE = Comparison.EQ, Comparison.NE, Comparison.LT, Comparison.LE, Comparison.GT, Comparison.GE
AND, OR, MINUS = BinaryOperator.AND, BinaryOperator.OR, BinaryOperator.MINUS

# Real SNOMED CT ids (valid check digits) used throughout.
CLINICAL_FINDING = 404684003
LUNG_DISORDER = 19829001
FINDING_SITE = 363698007
ASSOCIATED_MORPHOLOGY = 116676008
PULMONARY_VALVE = 39057004
DIABETES = 73211009
PROCEDURE = 71388002
SAME_AS = 900000000000527005
ICD10_MAP = 447562003
SYNONYM = 900000000000013009
GB_ENGLISH = 900000000000508004
US_ENGLISH = 900000000000509007
CORE_MODULE = 900000000000207008
PRIMITIVE = 900000000000074008
ASTHMA = 195967001
CAUSATIVE_AGENT = 246075003


def c(sctid: int, term: str | None = None) -> ConceptReference:
    return ConceptReference(sctid, term)


def desc(operand: Expression, *filters: object) -> Filtered:
    return Filtered(operand, (DescriptionFilters(tuple(filters)),))  # type: ignore[arg-type]


def attr(name: object, value: object, comparison: Comparison = EQ, **kw: object) -> Attribute:
    return Attribute(name, comparison, value, **kw)  # type: ignore[arg-type]


def below(sctid: int) -> Hierarchy:
    return Hierarchy(H.DESCENDANT_OF, c(sctid))


def at_or_below(sctid: int) -> Hierarchy:
    return Hierarchy(H.DESCENDANT_OR_SELF_OF, c(sctid))


# --------------------------------------------------------------------------- focus concepts


def test_concept_reference_is_an_int_id_and_keeps_its_term_for_display() -> None:
    parsed = parse_ecl("404684003 |Clinical finding|")
    assert parsed == c(CLINICAL_FINDING)
    assert isinstance(parsed, ConceptReference) and parsed.term == "Clinical finding"
    assert parse_ecl("404684003|  Clinical finding |").term == "Clinical finding"  # type: ignore[union-attr]


def test_terms_do_not_take_part_in_equality() -> None:
    assert parse_ecl("404684003 |Clinical finding|") == parse_ecl("404684003")


def test_wildcard() -> None:
    assert parse_ecl("*") == Wildcard()
    assert parse_ecl("ANY") == Wildcard()


def test_member_of() -> None:
    assert parse_ecl("^ 700043003 |Example problem list concepts reference set|") == MemberOf(c(700043003))


def test_member_of_with_refset_field_selection() -> None:
    assert parse_ecl("^ [targetComponentId] 900000000000527005") == MemberOf(c(SAME_AS), ("targetComponentId",))
    assert parse_ecl("^ [referencedComponentId, mapTarget] 447562003") == MemberOf(
        c(ICD10_MAP), ("referencedComponentId", "mapTarget")
    )
    assert parse_ecl("^ [*] 447562003") == MemberOf(c(ICD10_MAP), ALL_FIELDS)


def test_member_of_a_nested_expression() -> None:
    assert parse_ecl("^ (< 900000000000527005)") == MemberOf(below(SAME_AS))


def test_nested_brackets_leave_no_node() -> None:
    assert parse_ecl("((404684003))") == c(CLINICAL_FINDING)
    assert parse_ecl("< (404684003)") == below(CLINICAL_FINDING)


def test_alternate_identifier() -> None:
    assert parse_ecl("LOINC#54486-6") == AlternateIdentifier("LOINC", "54486-6")
    assert parse_ecl('< "http://loinc.org#54486-6" |Aspirin|') == Hierarchy(
        H.DESCENDANT_OF, AlternateIdentifier("http://loinc.org", "54486-6")
    )


# --------------------------------------------------------------------------- hierarchy operators


@pytest.mark.parametrize(
    ("brief", "long", "operator"),
    [
        ("<", "descendantOf", H.DESCENDANT_OF),
        ("<<", "descendantOrSelfOf", H.DESCENDANT_OR_SELF_OF),
        ("<!", "childOf", H.CHILD_OF),
        ("<<!", "childOrSelfOf", H.CHILD_OR_SELF_OF),
        (">", "ancestorOf", H.ANCESTOR_OF),
        (">>", "ancestorOrSelfOf", H.ANCESTOR_OR_SELF_OF),
        (">!", "parentOf", H.PARENT_OF),
        (">>!", "parentOrSelfOf", H.PARENT_OR_SELF_OF),
        ("!!>", "topOf", H.TOP),
        ("!!<", "bottomOf", H.BOTTOM),
    ],
)
def test_hierarchy_operators_brief_and_long(brief: str, long: str, operator: HierarchyOperator) -> None:
    expected = Hierarchy(operator, c(CLINICAL_FINDING))
    assert parse_ecl(f"{brief} 404684003 |Clinical finding|") == expected
    assert parse_ecl(f"{brief}404684003") == expected
    assert parse_ecl(f"{long} 404684003") == expected
    assert parse_ecl(f"{long.upper()} 404684003") == expected


def test_operator_applies_to_member_of_and_wildcard() -> None:
    assert parse_ecl("<< ^ 700043003") == Hierarchy(H.DESCENDANT_OR_SELF_OF, MemberOf(c(700043003)))
    assert parse_ecl("< *") == Hierarchy(H.DESCENDANT_OF, Wildcard())
    assert parse_ecl("!!> (< 404684003)") == Hierarchy(H.TOP, below(CLINICAL_FINDING))


# --------------------------------------------------------------------------- binary operators


def test_conjunction_with_and_and_comma() -> None:
    expected = Compound(AND, (at_or_below(CLINICAL_FINDING), below(LUNG_DISORDER)))
    assert parse_ecl("<< 404684003 AND < 19829001") == expected
    assert parse_ecl("<< 404684003 , < 19829001") == expected
    assert parse_ecl("<< 404684003 and < 19829001") == expected


def test_same_operator_repeated_is_one_n_ary_node() -> None:
    assert parse_ecl("404684003 AND 19829001 , 73211009") == Compound(
        AND, (c(CLINICAL_FINDING), c(LUNG_DISORDER), c(DIABETES))
    )
    assert parse_ecl("404684003 OR 19829001 or 73211009") == Compound(
        OR, (c(CLINICAL_FINDING), c(LUNG_DISORDER), c(DIABETES))
    )


def test_exclusion() -> None:
    assert parse_ecl("<< 404684003 MINUS << 19829001") == Compound(
        MINUS, (at_or_below(CLINICAL_FINDING), at_or_below(LUNG_DISORDER))
    )


def test_brackets_group_binary_operators() -> None:
    assert parse_ecl("(< 404684003 OR < 71388002) MINUS 19829001") == Compound(
        MINUS, (Compound(OR, (below(CLINICAL_FINDING), below(PROCEDURE))), c(LUNG_DISORDER))
    )
    assert parse_ecl("(404684003 AND 19829001) AND 73211009") == Compound(
        AND, (Compound(AND, (c(CLINICAL_FINDING), c(LUNG_DISORDER))), c(DIABETES))
    )


# --------------------------------------------------------------------------- refinements


def test_attribute_refinement_with_nested_value() -> None:
    assert parse_ecl("< 404684003 : 363698007 |Finding site| = << 39057004 |Pulmonary valve structure|") == Refined(
        below(CLINICAL_FINDING), attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    )


def test_attribute_comparison_not_equal() -> None:
    assert parse_ecl("< 404684003 : 363698007 != << 39057004") == Refined(
        below(CLINICAL_FINDING), attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE), NE)
    )


def test_refinement_conjunction_and_disjunction() -> None:
    site = attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    morphology = attr(c(ASSOCIATED_MORPHOLOGY), Wildcard())
    assert parse_ecl("< 404684003 : 363698007 = << 39057004, 116676008 = *") == Refined(
        below(CLINICAL_FINDING), CompoundRefinement(AND, (site, morphology))
    )
    assert parse_ecl("< 404684003 : 363698007 = << 39057004 AND 116676008 = *") == Refined(
        below(CLINICAL_FINDING), CompoundRefinement(AND, (site, morphology))
    )
    assert parse_ecl("< 404684003 : 363698007 = << 39057004 OR 116676008 = *") == Refined(
        below(CLINICAL_FINDING), CompoundRefinement(OR, (site, morphology))
    )


def test_bracketed_refinements() -> None:
    site = attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    morphology = attr(c(ASSOCIATED_MORPHOLOGY), Wildcard())
    agent = attr(c(CAUSATIVE_AGENT), Wildcard())
    assert parse_ecl("< 404684003 : (363698007 = << 39057004 OR 116676008 = *), 246075003 = *") == Refined(
        below(CLINICAL_FINDING), CompoundRefinement(AND, (CompoundRefinement(OR, (site, morphology)), agent))
    )


def test_attribute_group_with_cardinality() -> None:
    site = attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    morphology = attr(c(ASSOCIATED_MORPHOLOGY), Wildcard(), cardinality=Cardinality(1, 1))
    assert parse_ecl("< 404684003 : [1..*] { 363698007 = << 39057004, [1..1] 116676008 = * }") == Refined(
        below(CLINICAL_FINDING),
        AttributeGroup(CompoundRefinement(AND, (site, morphology)), Cardinality(1, None)),
    )


def test_groups_joined_by_or() -> None:
    site = attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    morphology = attr(c(ASSOCIATED_MORPHOLOGY), Wildcard())
    assert parse_ecl("< 404684003 : { 363698007 = << 39057004 } OR { 116676008 = * }") == Refined(
        below(CLINICAL_FINDING), CompoundRefinement(OR, (AttributeGroup(site), AttributeGroup(morphology)))
    )


def test_attribute_cardinality_and_reverse_flag() -> None:
    assert parse_ecl("< 91723000 : [0..0] R 363698007 = *") == Refined(
        below(91723000), attr(c(FINDING_SITE), Wildcard(), cardinality=Cardinality(0, 0), reverse=True)
    )


def test_wildcard_and_constraint_attribute_names() -> None:
    assert parse_ecl("* : * = 39057004") == Refined(Wildcard(), attr(Wildcard(), c(PULMONARY_VALVE)))
    assert parse_ecl("< 404684003 : << 363698007 = (39057004 OR 73211009)") == Refined(
        below(CLINICAL_FINDING),
        attr(at_or_below(FINDING_SITE), Compound(OR, (c(PULMONARY_VALVE), c(DIABETES)))),
    )


@pytest.mark.parametrize(
    ("text", "comparison", "value"),
    [
        ("#500", EQ, 500),
        ("#-1", EQ, -1),
        ("#+2.50", EQ, Decimal("2.50")),
        ("#0.5", EQ, Decimal("0.5")),
    ],
)
def test_concrete_numeric_values(text: str, comparison: Comparison, value: int | Decimal) -> None:
    parsed = parse_ecl(f"< 763158003 : 1142135004 = {text}")
    assert parsed == Refined(below(763158003), attr(c(1142135004), NumericValue(value), comparison))
    assert type(parsed.refinement.value.value) is type(value)  # type: ignore[union-attr]


@pytest.mark.parametrize(("op", "comparison"), [("=", EQ), ("!=", NE), ("<", LT), ("<=", LE), (">", GT), (">=", GE)])
def test_numeric_comparison_operators(op: str, comparison: Comparison) -> None:
    assert parse_ecl(f"< 763158003 : 1142135004 {op} #5") == Refined(
        below(763158003), attr(c(1142135004), NumericValue(5), comparison)
    )


def test_concrete_string_and_boolean_values() -> None:
    assert parse_ecl('< 763158003 : 1142135004 = "abc"') == Refined(
        below(763158003), attr(c(1142135004), StringValue((SearchTerm("abc"),)))
    )
    assert parse_ecl('< 763158003 : 1142135004 != ("a" wild:"b*")') == Refined(
        below(763158003),
        attr(c(1142135004), StringValue((SearchTerm("a"), SearchTerm("b*", SearchType.WILD))), NE),
    )
    assert parse_ecl("< 763158003 : 1142135004 = true") == Refined(
        below(763158003), attr(c(1142135004), BooleanValue(True))
    )
    assert parse_ecl("< 763158003 : 1142135004 = FALSE") == Refined(
        below(763158003), attr(c(1142135004), BooleanValue(False))
    )


def test_dotted_attributes() -> None:
    assert parse_ecl("< 19829001 |Disorder of lung| . 116676008 |Associated morphology|") == Dotted(
        below(LUNG_DISORDER), (c(ASSOCIATED_MORPHOLOGY),)
    )
    assert parse_ecl("< 19829001 . < 363698007 . 116676008") == Dotted(
        below(LUNG_DISORDER), (below(FINDING_SITE), c(ASSOCIATED_MORPHOLOGY))
    )
    assert parse_ecl("(< 19829001 . 116676008) AND 73211009") == Compound(
        AND, (Dotted(below(LUNG_DISORDER), (c(ASSOCIATED_MORPHOLOGY),)), c(DIABETES))
    )


# --------------------------------------------------------------------------- description filters


def test_term_filter_match_is_the_default() -> None:
    expected = desc(below(CLINICAL_FINDING), TermFilter(EQ, (SearchTerm("heart att"),)))
    assert parse_ecl('< 404684003 {{ term = "heart att" }}') == expected
    assert parse_ecl('< 404684003 {{ term = match:"heart att" }}') == expected
    assert parse_ecl('< 404684003 {{ D term = "heart att" }}') == expected


def test_term_filter_wild_and_sets() -> None:
    assert parse_ecl('< 404684003 {{ term = wild:"hear* att*" }}') == desc(
        below(CLINICAL_FINDING), TermFilter(EQ, (SearchTerm("hear* att*", SearchType.WILD),))
    )
    assert parse_ecl('< 404684003 {{ term != ("heart" wild:"card*") }}') == desc(
        below(CLINICAL_FINDING),
        TermFilter(NE, (SearchTerm("heart"), SearchTerm("card*", SearchType.WILD))),
    )


def test_search_terms_keep_escapes_and_can_decode_them() -> None:
    parsed = parse_ecl(r'404684003 {{ term = "say \"hi\" \\ now" }}')
    term = parsed.filters[0].filters[0].terms[0]  # type: ignore[union-attr]
    assert term.text == r"say \"hi\" \\ now"
    assert term.decoded() == 'say "hi" \\ now'


def test_language_filter() -> None:
    assert parse_ecl("< 404684003 {{ language = en }}") == desc(below(CLINICAL_FINDING), LanguageFilter(EQ, ("en",)))
    assert parse_ecl("< 404684003 {{ language = (EN es) }}") == desc(
        below(CLINICAL_FINDING), LanguageFilter(EQ, ("en", "es"))
    )


def test_type_filters_tokens_and_ids() -> None:
    assert parse_ecl("< 404684003 {{ type = syn }}") == desc(
        below(CLINICAL_FINDING), DescriptionTypeFilter(EQ, (DescriptionType.SYN,))
    )
    assert parse_ecl("< 404684003 {{ type = (fsn syn) }}") == desc(
        below(CLINICAL_FINDING), DescriptionTypeFilter(EQ, (DescriptionType.FSN, DescriptionType.SYN))
    )
    assert parse_ecl("< 404684003 {{ typeId = 900000000000013009 |Synonym| }}") == desc(
        below(CLINICAL_FINDING), DescriptionTypeIdFilter(EQ, c(SYNONYM))
    )
    assert parse_ecl("< 404684003 {{ typeId = (900000000000013009 900000000000003001) }}") == desc(
        below(CLINICAL_FINDING),
        DescriptionTypeIdFilter(EQ, ConceptSet((c(SYNONYM), c(900000000000003001)))),
    )
    assert DescriptionType.SYN.concept_id == SYNONYM


def test_dialect_alias_filters_with_acceptability() -> None:
    assert parse_ecl("< 404684003 {{ dialect = en-gb }}") == desc(
        below(CLINICAL_FINDING), DialectAliasFilter(EQ, (DialectAlias("en-gb"),))
    )
    assert parse_ecl("< 404684003 {{ dialect = (en-gb en-us) }}") == desc(
        below(CLINICAL_FINDING), DialectAliasFilter(EQ, (DialectAlias("en-gb"), DialectAlias("en-us")))
    )
    prefer = parse_ecl("< 404684003 {{ dialect = en-gb (prefer) }}")
    assert prefer == desc(
        below(CLINICAL_FINDING), DialectAliasFilter(EQ, (DialectAlias("en-gb"),), (Acceptability.PREFER,))
    )
    mixed = parse_ecl("< 404684003 {{ dialect = (en-gb (accept) en-us) (prefer) }}")
    dialect = mixed.filters[0].filters[0]  # type: ignore[union-attr]
    assert dialect == DialectAliasFilter(
        EQ, (DialectAlias("en-gb", (Acceptability.ACCEPT,)), DialectAlias("en-us")), (Acceptability.PREFER,)
    )
    assert dialect.effective() == (("en-gb", (Acceptability.ACCEPT,)), ("en-us", (Acceptability.PREFER,)))


def test_dialect_id_filters() -> None:
    assert parse_ecl("< 404684003 {{ dialectId = 900000000000508004 }}") == desc(
        below(CLINICAL_FINDING), DialectIdFilter(EQ, c(GB_ENGLISH))
    )
    assert parse_ecl("< 404684003 {{ dialectId = 900000000000508004 (900000000000548007) }}") == desc(
        below(CLINICAL_FINDING), DialectIdFilter(EQ, c(GB_ENGLISH), (c(900000000000548007),))
    )
    assert parse_ecl("< 404684003 {{ dialectId = (900000000000508004 (prefer) 900000000000509007) }}") == desc(
        below(CLINICAL_FINDING),
        DialectIdFilter(
            EQ, (DialectReference(c(GB_ENGLISH), (Acceptability.PREFER,)), DialectReference(c(US_ENGLISH)))
        ),
    )


def test_description_id_filter() -> None:
    assert parse_ecl("< 404684003 {{ id = 1222984018 }}") == desc(
        below(CLINICAL_FINDING), DescriptionIdFilter(EQ, (1222984018,))
    )
    assert parse_ecl("< 404684003 {{ id = (1222984018 1222985017) }}") == desc(
        below(CLINICAL_FINDING), DescriptionIdFilter(EQ, (1222984018, 1222985017))
    )


def test_several_description_filters_and_blocks() -> None:
    parsed = parse_ecl('< 404684003 {{ term = "heart", language = en, type = syn }} {{ active = 1 }}')
    assert parsed == Filtered(
        below(CLINICAL_FINDING),
        (
            DescriptionFilters(
                (
                    TermFilter(EQ, (SearchTerm("heart"),)),
                    LanguageFilter(EQ, ("en",)),
                    DescriptionTypeFilter(EQ, (DescriptionType.SYN,)),
                )
            ),
            DescriptionFilters((ActiveFilter(EQ, True),)),
        ),
    )


def test_description_module_effective_time_and_active_filters() -> None:
    assert parse_ecl(
        '< 404684003 {{ D moduleId = 900000000000207008, effectiveTime > "20200131", active = false }}'
    ) == desc(
        below(CLINICAL_FINDING),
        ModuleFilter(EQ, c(CORE_MODULE)),
        EffectiveTimeFilter(GT, ("20200131",)),
        ActiveFilter(EQ, False),
    )


# --------------------------------------------------------------------------- concept filters


def test_concept_filters() -> None:
    text = (
        "< 404684003 {{ C definitionStatus = primitive, moduleId = 900000000000207008, "
        'effectiveTime >= "20200101", active = true }}'
    )
    assert parse_ecl(text) == Filtered(
        below(CLINICAL_FINDING),
        (
            ConceptFilters(
                (
                    DefinitionStatusFilter(EQ, (DefinitionStatus.PRIMITIVE,)),
                    ModuleFilter(EQ, c(CORE_MODULE)),
                    EffectiveTimeFilter(GE, ("20200101",)),
                    ActiveFilter(EQ, True),
                )
            ),
        ),
    )


def test_concept_filter_ids_sets_and_time_sets() -> None:
    assert parse_ecl(
        "< 404684003 {{ c definitionStatusId = 900000000000074008, definitionStatus != (primitive defined), "
        'moduleId = (900000000000207008 449608002), effectiveTime = ("20200131" "20200731") }}'
    ) == Filtered(
        below(CLINICAL_FINDING),
        (
            ConceptFilters(
                (
                    DefinitionStatusIdFilter(EQ, c(PRIMITIVE)),
                    DefinitionStatusFilter(NE, (DefinitionStatus.PRIMITIVE, DefinitionStatus.DEFINED)),
                    ModuleFilter(EQ, ConceptSet((c(CORE_MODULE), c(449608002)))),
                    EffectiveTimeFilter(EQ, ("20200131", "20200731")),
                )
            ),
        ),
    )


def test_filter_value_can_be_an_expression() -> None:
    assert parse_ecl("< 404684003 {{ C moduleId = << 900000000000445007 }}") == Filtered(
        below(CLINICAL_FINDING), (ConceptFilters((ModuleFilter(EQ, at_or_below(900000000000445007)),)),)
    )


def test_filters_on_a_nested_expression_and_inside_an_attribute_value() -> None:
    assert parse_ecl("(404684003 OR 19829001) {{ C active = 0 }}") == Filtered(
        Compound(OR, (c(CLINICAL_FINDING), c(LUNG_DISORDER))), (ConceptFilters((ActiveFilter(EQ, False),)),)
    )
    assert parse_ecl("404684003 : 363698007 = 39057004 {{ C active = 1 }}") == Refined(
        c(CLINICAL_FINDING),
        attr(c(FINDING_SITE), Filtered(c(PULMONARY_VALVE), (ConceptFilters((ActiveFilter(EQ, True),)),))),
    )


# --------------------------------------------------------------------------- member filters


def test_member_filters() -> None:
    assert parse_ecl('^ 447562003 |ICD-10 complex map| {{ M mapTarget = "C79.5" }}') == MemberOf(
        c(ICD10_MAP),
        filters=(MemberFilters((MemberFieldFilter("mapTarget", EQ, StringValue((SearchTerm("C79.5"),))),)),),
    )


def test_member_field_comparisons() -> None:
    text = (
        '^ 447562003 {{ M mapGroup = #2, mapPriority >= #1, mapTarget = wild:"C79*", '
        'referencedComponentId = << 404684003, targetEffectiveTime < "20210101", flag = true, '
        "moduleId = 900000000000207008, active = 1 }}"
    )
    assert parse_ecl(text) == MemberOf(
        c(ICD10_MAP),
        filters=(
            MemberFilters(
                (
                    MemberFieldFilter("mapGroup", EQ, NumericValue(2)),
                    MemberFieldFilter("mapPriority", GE, NumericValue(1)),
                    MemberFieldFilter("mapTarget", EQ, StringValue((SearchTerm("C79*", SearchType.WILD),))),
                    MemberFieldFilter("referencedComponentId", EQ, at_or_below(CLINICAL_FINDING)),
                    MemberFieldFilter("targetEffectiveTime", LT, TimeValue(("20210101",))),
                    MemberFieldFilter("flag", EQ, BooleanValue(True)),
                    ModuleFilter(EQ, c(CORE_MODULE)),
                    ActiveFilter(EQ, True),
                )
            ),
        ),
    )


def test_member_filters_bind_to_member_of_and_concept_filters_to_the_result() -> None:
    assert parse_ecl("< ^ 447562003 {{ M active = 1 }} {{ C active = 1 }}") == Filtered(
        Hierarchy(H.DESCENDANT_OF, MemberOf(c(ICD10_MAP), filters=(MemberFilters((ActiveFilter(EQ, True),)),))),
        (ConceptFilters((ActiveFilter(EQ, True),)),),
    )


def test_field_selection_with_member_filter() -> None:
    assert parse_ecl("^ [targetComponentId] 900000000000527005 {{ M referencedComponentId = 195967001 }}") == MemberOf(
        c(SAME_AS),
        ("targetComponentId",),
        (MemberFilters((MemberFieldFilter("referencedComponentId", EQ, c(ASTHMA)),)),),
    )


# --------------------------------------------------------------------------- history supplements


@pytest.mark.parametrize(
    ("suffix", "profile"),
    [("-MIN", HistoryProfile.MIN), ("-MOD", HistoryProfile.MOD), ("-MAX", HistoryProfile.MAX), ("", None)],
)
def test_history_profiles(suffix: str, profile: HistoryProfile | None) -> None:
    assert parse_ecl(f"195967001 |Asthma| {{{{ +HISTORY{suffix} }}}}") == History(c(ASTHMA), profile)
    assert parse_ecl(f"195967001 {{{{+history{suffix.lower()}}}}}") == History(c(ASTHMA), profile)


def test_history_subset() -> None:
    assert parse_ecl("<< 195967001 {{ +HISTORY (<< 900000000000527005 |SAME AS|) }}") == History(
        at_or_below(ASTHMA), None, at_or_below(SAME_AS)
    )


def test_history_comes_after_the_filters() -> None:
    assert parse_ecl("< 195967001 {{ C active = 1 }} {{ +HISTORY-MIN }}") == History(
        Filtered(below(ASTHMA), (ConceptFilters((ActiveFilter(EQ, True),)),)), HistoryProfile.MIN
    )


# --------------------------------------------------------------------------- comments, whitespace, case


def test_comments_and_whitespace_anywhere() -> None:
    text = "/* findings */ <\n404684003 /* x */ |Clinical finding|\tAND/* y */< 19829001 |Disorder of lung| /* end */"
    assert parse_ecl(text) == Compound(AND, (below(CLINICAL_FINDING), below(LUNG_DISORDER)))
    assert parse_ecl("<404684003:363698007=<<39057004") == Refined(
        below(CLINICAL_FINDING), attr(c(FINDING_SITE), at_or_below(PULMONARY_VALVE))
    )


def test_comment_markers_inside_terms_and_strings_are_text() -> None:
    assert parse_ecl("404684003 |a /* b */ c|").term == "a /* b */ c"  # type: ignore[union-attr]
    assert parse_ecl('404684003 {{ term = "/* x */" }}') == desc(
        c(CLINICAL_FINDING), TermFilter(EQ, (SearchTerm("/* x */"),))
    )


# --------------------------------------------------------------------------- long syntax == brief syntax


@pytest.mark.parametrize(
    ("long", "brief"),
    [
        ("descendantOf 404684003 AND ancestorOf 19829001", "< 404684003 AND > 19829001"),
        ("memberOf 700043003", "^ 700043003"),
        ("memberOf [targetComponentId] 900000000000527005", "^ [targetComponentId] 900000000000527005"),
        ("descendantOrSelfOf 404684003 minus childOf 19829001", "<< 404684003 MINUS <! 19829001"),
        ("ANY", "*"),
        ("404684003 : reverseOf 363698007 = ANY", "404684003 : R 363698007 = *"),
        ("404684003 : [0 to many] 363698007 = 39057004", "404684003 : [0..*] 363698007 = 39057004"),
        ("404684003 : [1 to 3] { 363698007 = 39057004 }", "404684003 : [1..3] { 363698007 = 39057004 }"),
        ("404684003 : 363698007 <> 39057004", "404684003 : 363698007 != 39057004"),
        ("404684003 : 363698007 NOT = 39057004", "404684003 : 363698007 != 39057004"),
        ("parentOrSelfOf 404684003 OR childOrSelfOf 404684003", ">>! 404684003 OR <<! 404684003"),
        ("top 404684003 or bottom 404684003", "!!> 404684003 OR !!< 404684003"),
    ],
)
def test_long_syntax_gives_the_brief_ast(long: str, brief: str) -> None:
    assert parse_ecl(long) == parse_ecl(brief)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "position", "message", "expected"),
    [
        ("(< 404684003", 12, "expected ')' but found end of input", ("')'",)),
        ("< 404684003 OR (19829001 AND 73211009", 37, "expected ')' but found end of input", ("')'",)),
        ("< 404684003 )", 12, "expected end of input but found ')'", ("end of input",)),
        ("404684003 404684003", 10, "but found '404684003'", ("AND/OR/MINUS", "':'", "'.'", "'{{'", "end of input")),
        ("< 404684003 : { 363698007 = 39057004", 36, "expected '}' but found end of input", ("'}'",)),
        ('< 404684003 {{ term = "x"', 25, "expected '}}' but found end of input", ("'}}'",)),
        ('< 404684003 {{ term = "x" }', 26, "expected '}}' or ',' but found '}'", ("'}}'", "','")),
        (
            "< 404684003 AND",
            15,
            "but found end of input",
            ("a concept id", "a constraint operator", "'*'", "'^'", "'('"),
        ),
        ("< abc", 2, "expected a concept id, '*', '^' or '(' but found 'abc'", ("a concept id", "'*'", "'^'", "'('")),
        (
            "< 404684003 : 363698007",
            23,
            "expected a comparison operator but found end of input",
            ("a comparison operator",),
        ),
        ("< 404684003 : [1..2 363698007 = *", 20, "expected ']' but found '363698007'", ("']'",)),
        ("", 0, "expected an expression but found end of input", ("an expression",)),
        ("  /* nothing */ ", 16, "expected an expression but found end of input", ("an expression",)),
        ("404684003 |Clinical", 10, "unclosed or empty term", ("'|'",)),
        ("404684003 /* open", 10, "unclosed comment", ("'*/'",)),
    ],
)
def test_syntax_errors_are_positioned(text: str, position: int, message: str, expected: tuple[str, ...]) -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl(text)
    err = info.value
    assert err.position == position
    assert message in err.message
    assert err.expected == expected
    assert str(err).startswith(f"ECL syntax error at character {position}: ")


def test_error_message_reads_as_specified() -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl("(< 404684003")
    assert str(info.value) == "ECL syntax error at character 12: expected ')' but found end of input"


def test_error_line_and_column() -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl("< 404684003\n  AND (19829001\n  OR 73211009")
    err = info.value
    assert (err.position, err.line, err.column) == (41, 3, 14)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("< 404684003 AND < 19829001 OR 73211009", 27, "Mixed binary operators AND and OR need brackets"),
        ("404684003 OR 19829001 , 73211009", 22, "Mixed binary operators OR and AND need brackets"),
        ("404684003 AND 19829001 MINUS 73211009", 23, "Mixed binary operators AND and MINUS need brackets"),
        ("404684003 MINUS 19829001 MINUS 73211009", 25, "Repeated MINUS needs brackets"),
        (
            "404684003 : 363698007 = * OR 116676008 = *, 246075003 = *",
            42,
            "Mixed binary operators OR and AND need brackets",
        ),
        ("404684003 : { 363698007 = * , 116676008 = * OR 246075003 = * }", 44, "Mixed binary operators AND and OR"),
    ],
)
def test_mixed_operators_need_brackets(text: str, position: int, message: str) -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl(text)
    assert info.value.position == position
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "position", "value", "problem"),
    [
        ("12", 0, "12", "must be 6 to 18 digits"),
        ("< 123456", 2, "123456", "wrong check digit"),
        ("< 404684003 AND 404684002", 16, "404684002", "wrong check digit"),
        ("< 40468x003", 2, "40468x003", "not numeric"),
        ("< 404684003 : 363698007 = 1234567890123456789", 26, "1234567890123456789", "must be 6 to 18 digits"),
        ("< 404684003 {{ C moduleId = 0900000000000207008 }}", 28, "0900000000000207008", "must be 6 to 18 digits"),
    ],
)
def test_invalid_concept_ids(text: str, position: int, value: str, problem: str) -> None:
    with pytest.raises(EclInvalidIdError) as info:
        parse_ecl(text)
    err = info.value
    assert (err.position, err.value) == (position, value)
    assert problem in err.problem
    assert str(err).startswith(f"invalid concept id {value} at character {position}: ")


def test_wrong_check_digit_message() -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl("< 123456")
    assert str(info.value) == "invalid concept id 123456 at character 2: wrong check digit"


def test_invalid_description_id() -> None:
    with pytest.raises(EclInvalidIdError) as info:
        parse_ecl("404684003 {{ id = 1222984016 }}")
    assert str(info.value) == "invalid description id 1222984016 at character 18: wrong check digit"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ('404684003 {{ M mapTarget = "x" }}', 10, "must follow a ^ (memberOf) focus"),
        ('(^ 447562003) {{ M mapTarget = "x" }}', 14, "must follow a ^ (memberOf) focus"),
        ('^ 447562003 {{ C active = 1 }} {{ M mapTarget = "x" }}', 31, "must come before description and concept"),
        ("404684003 {{ +HISTORY }} {{ C active = 1 }}", 25, "must be the last filter"),
        ("404684003 {{ +HISTORY-MIN (< 900000000000527005) }}", 14, "a profile or a subset, not both"),
        ("404684003 {{ active = 2 }}", 22, "active must be true, false, 1 or 0"),
        ('404684003 {{ C effectiveTime = "2020" }}', 31, 'must be "YYYYMMDD"'),
        ("404684003 : [3..1] 363698007 = *", 13, "minimum above its maximum"),
        ("< 404684003 {{ definitionStatus = primitive }}", 15, "concept filters start with C"),
        ("!!> << 404684003", 4, "but found '<<'"),
    ],
)
def test_semantic_checks_are_positioned(text: str, position: int, message: str) -> None:
    with pytest.raises(EclSyntaxError) as info:
        parse_ecl(text)
    assert info.value.position == position
    assert message in info.value.message


# --------------------------------------------------------------------------- serializer


@pytest.mark.parametrize(
    "text",
    [
        "<< 404684003 |Clinical finding| AND < 19829001",
        "< 404684003 : [1..*] { 363698007 = << 39057004, [0..1] 116676008 = * } OR R 363698007 = 73211009",
        "(< 404684003 OR < 71388002) MINUS 19829001",
        '< 404684003 {{ term = ("a" wild:"b*"), dialect = (en-gb (accept) en-us) (prefer) }} {{ C active = true }}',
        '^ [mapTarget] 447562003 {{ M mapGroup >= #1, mapTarget = "C79.5" }} {{ +HISTORY-MOD }}',
        "(404684003 . 363698007) . 116676008",
        "< (< 404684003 {{ C active = false }}) {{ +HISTORY (^ 900000000000527005) }}",
        "404684003 : 1142135004 >= #-2.50, 1142135004 < #3",
    ],
)
def test_to_ecl_is_canonical_and_stable(text: str) -> None:
    assert to_ecl(parse_ecl(text)) == text


def test_quoted_value_after_equals_is_a_string_and_to_ecl_keeps_identifiers_apart() -> None:
    as_string = parse_ecl('404684003 : 363698007 = "LOINC#54486-6"')
    assert as_string == Refined(c(CLINICAL_FINDING), attr(c(FINDING_SITE), StringValue((SearchTerm("LOINC#54486-6"),))))
    identifier = Refined(c(CLINICAL_FINDING), attr(c(FINDING_SITE), AlternateIdentifier("http://loinc.org", "54486-6")))
    text = to_ecl(identifier)
    assert text == '404684003 : 363698007 = (("http://loinc.org#54486-6"))'
    assert parse_ecl(text) == identifier


def test_member_time_values_need_an_ordering_operator() -> None:
    assert parse_ecl('^ 447562003 {{ M targetEffectiveTime = "20210101" }}') == MemberOf(
        c(ICD10_MAP),
        filters=(
            MemberFilters((MemberFieldFilter("targetEffectiveTime", EQ, StringValue((SearchTerm("20210101"),))),)),
        ),
    )
    assert parse_ecl('^ 447562003 {{ M targetEffectiveTime >= ("20210101" "20220101") }}') == MemberOf(
        c(ICD10_MAP),
        filters=(MemberFilters((MemberFieldFilter("targetEffectiveTime", GE, TimeValue(("20210101", "20220101"))),)),),
    )


def test_expression_union_covers_every_expression_node() -> None:
    parsed = parse_ecl("< 19829001 . 116676008")
    assert isinstance(parsed, Expression)  # type: ignore[misc, arg-type]
    assert not isinstance(TermFilter(EQ, ()), Expression)  # type: ignore[misc, arg-type]


# --------------------------------------------------------------------------- round trip


def _concept_ids() -> st.SearchStrategy[int]:
    return st.builds(
        make_sctid,
        st.integers(min_value=100, max_value=10**8 - 1),
        st.sampled_from([None, 1000124]),
        st.just(ComponentKind.CONCEPT),
    )


TERMS = st.none() | st.text(alphabet="abcdefghij XYZ-()0123456789/.,", min_size=1, max_size=12).map(str.strip).filter(
    bool
)
CONCEPTS = st.builds(ConceptReference, _concept_ids(), TERMS)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
NAMES = st.text(alphabet=LETTERS, min_size=1, max_size=10)
FIELD_NAMES = NAMES.filter(lambda n: n.lower() not in ("moduleid", "effectivetime", "active"))
ALT_IDS = st.builds(
    AlternateIdentifier,
    st.sampled_from(["LOINC", "x-1", "http://loinc.org", "ICD-10"]),
    st.text(alphabet="Aa09._-", min_size=1, max_size=6) | st.text(alphabet="a0 #", min_size=1, max_size=6),
    TERMS,
)
ATOMS = st.one_of(CONCEPTS, CONCEPTS, st.just(Wildcard()), ALT_IDS)
EQUALITY = st.sampled_from([EQ, NE])
ANY_COMPARISON = st.sampled_from(list(Comparison))
ORDERING = st.sampled_from([LT, LE, GT, GE])
RAW_STRINGS = st.lists(
    st.sampled_from(list("abcXYZ 09*-.|{}/()") + ['\\"', "\\\\", "\\*"]), min_size=1, max_size=8
).map("".join)
SEARCH_TERMS = st.builds(SearchTerm, RAW_STRINGS, st.sampled_from(list(SearchType)))
STRINGS = st.builds(StringValue, st.lists(SEARCH_TERMS, min_size=1, max_size=3).map(tuple))
NUMBERS = st.builds(
    NumericValue,
    st.integers(-1000, 1000)
    | st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
)
BOOLEANS = st.builds(BooleanValue, st.booleans())
DATES = st.just("") | st.dates(min_value=date(1990, 1, 1)).map(lambda d: d.strftime("%Y%m%d"))
TIMES = st.lists(DATES, min_size=1, max_size=2).map(tuple)
CARDINALITIES = st.none() | st.integers(0, 5).flatmap(
    lambda low: st.builds(Cardinality, st.just(low), st.none() | st.integers(low, 9))
)
ACCEPTABILITY = (
    st.none()
    | st.lists(st.sampled_from(list(Acceptability)), min_size=1, max_size=2).map(tuple)
    | (st.lists(CONCEPTS, min_size=1, max_size=2).map(tuple))
)


def _tuples(strategy: st.SearchStrategy, low: int = 1, high: int = 3) -> st.SearchStrategy[tuple]:
    return st.lists(strategy, min_size=low, max_size=high).map(tuple)


# Expressions embedded in filters are kept shallow: the recursion lives in EXPRESSIONS.
SIMPLE = st.one_of(
    ATOMS,
    st.builds(Hierarchy, st.sampled_from(list(HierarchyOperator)), ATOMS),
    st.builds(MemberOf, ATOMS),
    st.builds(Compound, st.sampled_from([AND, OR]), _tuples(ATOMS, 2, 2)),
)
FILTER_VALUES = SIMPLE | st.builds(ConceptSet, _tuples(CONCEPTS, 2, 3))
SHARED_FILTERS = [
    st.builds(ModuleFilter, EQUALITY, FILTER_VALUES),
    st.builds(EffectiveTimeFilter, ANY_COMPARISON, TIMES),
    st.builds(ActiveFilter, EQUALITY, st.booleans()),
]
DIALECT_REFERENCES = _tuples(st.builds(DialectReference, CONCEPTS, ACCEPTABILITY), 2, 3) | st.builds(
    lambda ref, acc: (DialectReference(ref, acc),), CONCEPTS, ACCEPTABILITY.filter(bool)
)
DESCRIPTION_FILTERS = st.one_of(
    st.builds(TermFilter, EQUALITY, _tuples(SEARCH_TERMS)),
    st.builds(LanguageFilter, EQUALITY, _tuples(st.sampled_from(["en", "es", "fr", "nl"]))),
    st.builds(DescriptionTypeFilter, EQUALITY, _tuples(st.sampled_from(list(DescriptionType)))),
    st.builds(DescriptionTypeIdFilter, EQUALITY, FILTER_VALUES),
    st.builds(
        DialectAliasFilter,
        EQUALITY,
        _tuples(
            st.builds(DialectAlias, st.sampled_from(["en-gb", "en-us", "en", "en-int-gmdn", "nl-be2"]), ACCEPTABILITY)
        ),
        ACCEPTABILITY,
    ),
    st.builds(DialectIdFilter, EQUALITY, SIMPLE | DIALECT_REFERENCES, ACCEPTABILITY),
    st.builds(
        DescriptionIdFilter,
        EQUALITY,
        _tuples(st.builds(make_sctid, st.integers(100, 10**7), st.none(), st.just(ComponentKind.DESCRIPTION))),
    ),
    *SHARED_FILTERS,
)
CONCEPT_FILTERS = st.one_of(
    st.builds(DefinitionStatusFilter, EQUALITY, _tuples(st.sampled_from(list(DefinitionStatus)), 1, 2)),
    st.builds(DefinitionStatusIdFilter, EQUALITY, FILTER_VALUES),
    *SHARED_FILTERS,
)
MEMBER_VALUES = st.one_of(
    st.tuples(EQUALITY, SIMPLE),
    st.tuples(ANY_COMPARISON, NUMBERS),
    st.tuples(EQUALITY, STRINGS),
    st.tuples(EQUALITY, BOOLEANS),
    st.tuples(ORDERING, st.builds(TimeValue, TIMES)),
)
MEMBER_FILTERS = st.one_of(
    st.builds(lambda name, cv: MemberFieldFilter(name, cv[0], cv[1]), FIELD_NAMES, MEMBER_VALUES), *SHARED_FILTERS
)
MEMBER_BLOCKS = st.builds(MemberFilters, _tuples(MEMBER_FILTERS, 1, 2))
FILTER_BLOCKS = st.builds(DescriptionFilters, _tuples(DESCRIPTION_FILTERS, 1, 2)) | st.builds(
    ConceptFilters, _tuples(CONCEPT_FILTERS, 1, 2)
)


def _refinements(expr: st.SearchStrategy[Expression]) -> st.SearchStrategy:
    """Refinements two levels deep (no st.recursive here: nesting it makes hypothesis slow)."""
    comparison_value = st.one_of(
        st.tuples(EQUALITY, expr),
        st.tuples(ANY_COMPARISON, NUMBERS),
        st.tuples(EQUALITY, STRINGS),
        st.tuples(EQUALITY, BOOLEANS),
    )
    attribute = st.builds(
        lambda name, cv, reverse, card: Attribute(name, cv[0], cv[1], reverse, card),
        SIMPLE,
        comparison_value,
        st.booleans(),
        CARDINALITIES,
    )

    def compound(inner: st.SearchStrategy) -> st.SearchStrategy:
        return st.builds(CompoundRefinement, st.sampled_from([AND, OR]), _tuples(inner, 2, 3))

    attribute_set = attribute | compound(attribute)
    item = attribute | st.builds(AttributeGroup, attribute_set, CARDINALITIES)
    return item | compound(item) | compound(item | compound(item))


def _extend(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
    fields = st.none() | st.just(ALL_FIELDS) | _tuples(NAMES)
    return st.one_of(
        st.builds(MemberOf, children, fields, _tuples(MEMBER_BLOCKS, 0, 2)),
        st.builds(Hierarchy, st.sampled_from(list(HierarchyOperator)), children),
        st.builds(Filtered, children, _tuples(FILTER_BLOCKS, 1, 2)),
        st.builds(History, children, st.none() | st.sampled_from(list(HistoryProfile)), st.none()),
        st.builds(History, children, st.none(), SIMPLE),
        st.builds(Compound, st.sampled_from([AND, OR]), _tuples(children, 2, 3)),
        st.builds(lambda a, b: Compound(MINUS, (a, b)), children, children),
        st.builds(Refined, children, _refinements(children)),
        st.builds(Dotted, children, _tuples(SIMPLE, 1, 2)),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=4)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_random_asts_survive_to_ecl_and_parse(expression: Expression) -> None:
    text = to_ecl(expression)
    reparsed = parse_ecl(text)
    assert reparsed == expression, text
    assert to_ecl(reparsed) == text  # terms, which equality ignores, survive too


FUZZ_PIECES = [*'<>!^*(){}[]:,.=#"|/ +-019aACDMR', "AND", "OR", "MINUS", "{{", "}}", "404684003", "/* c */", ""]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(
        [
            "< 404684003 : [1..*] { 363698007 = << 39057004, 116676008 = * } OR R 363698007 = 73211009",
            '< 404684003 {{ term = ("a" wild:"b*"), dialect = (en-gb (accept) en-us) (prefer) }} {{ C active = 1 }}',
            '^ [mapTarget] 447562003 {{ M mapGroup >= #1, mapTarget = "C79.5" }} {{ +HISTORY-MOD }}',
        ]
    ),
    st.lists(st.tuples(st.integers(0, 120), st.integers(0, 2), st.sampled_from(FUZZ_PIECES)), max_size=3),
)
def test_mangled_input_raises_only_positioned_syntax_errors(text: str, edits: list[tuple[int, int, str]]) -> None:
    for at, cut, piece in edits:
        text = text[:at] + piece + text[at + cut :]
    try:
        parsed = parse_ecl(text)
    except EclSyntaxError as err:
        assert 0 <= err.position <= len(text)
        assert str(err)
    else:
        assert parse_ecl(to_ecl(parsed)) == parsed


# --------------------------------------------------------------------------- speed

TYPICAL = [
    "< 404684003 |Clinical finding|",
    "<< 404684003 |Clinical finding| AND < 19829001 |Disorder of lung|",
    "< 404684003 : 363698007 |Finding site| = << 39057004 |Pulmonary valve structure|",
    "< 404684003 : { 363698007 = << 39057004, 116676008 = << 79654002 }",
    '< 404684003 {{ term = "heart", language = en, type = syn }}',
    "(< 404684003 OR < 71388002) MINUS << 64572001",
    '^ 447562003 {{ M mapTarget = "C79.5" }}',
]


def test_typical_expression_parses_well_under_a_millisecond() -> None:
    for text in TYPICAL:
        parse_ecl(text)  # build the parser and warm up
    timings = []
    for _ in range(30):
        for text in TYPICAL:
            start = time.perf_counter()
            parse_ecl(text)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001
