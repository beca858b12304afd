"""Expressions against the real SNOMED CT subset: validation, MRCM, display, subsumption, ECL.

Every expectation is read from the subset's RF2 files by the small reader below
(active concepts, inferred relationships, preferred terms, MRCM rows), never from
the index or the code under test.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from terminology import Terminology
from terminology.ecl import parse_ecl
from terminology.expressions import (
    evaluate_ecl,
    expression_in_ecl,
    normal_form_text,
    parse_expression,
    render,
    subsumes,
    subsumption,
    validate_expression,
)

pytestmark = pytest.mark.real_release

IS_A, FINDING_SITE, LATERALITY, MORPHOLOGY = 116680003, 363698007, 272741003, 116676008
INFLAMMATORY_LIVER = 128241005  # fully defined: Disease + morphology + finding site (Relationship file)
ACUTE_HEPATITIS_NON_INFECTIVE = 197271008
LIVER_STRUCTURE, ENTIRE_LIVER = 10200004, 181268008
REPAIR_TENDON_HAND = 367430006
RIGHT, LEFT = 24028007, 7771000


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def rf2(subset: Path) -> dict:
    """The few RF2 facts these tests need, read straight from the files."""
    concepts = {int(r["id"]): r for r in _rows(next(subset.rglob("sct2_Concept_Snapshot*")))}
    parents: dict[int, set[int]] = defaultdict(set)
    attrs: dict[int, set[tuple[int, int, int]]] = defaultdict(set)
    for r in _rows(next(subset.rglob("sct2_Relationship_Snapshot*"))):
        if r["active"] != "1":
            continue
        s, d, t = int(r["sourceId"]), int(r["destinationId"]), int(r["typeId"])
        if t == IS_A:
            parents[s].add(d)
        else:
            attrs[s].add((int(r["relationshipGroup"]), t, d))
    preferred = {
        int(r["referencedComponentId"])
        for r in _rows(next(subset.rglob("der2_cRefset_LanguageSnapshot*")))
        if r["active"] == "1" and r["refsetId"] == "900000000000509007" and r["acceptabilityId"] == "900000000000548007"
    }
    pt = {}
    for r in _rows(next(subset.rglob("sct2_Description_Snapshot*"))):
        if r["active"] == "1" and r["typeId"] == "900000000000013009" and int(r["id"]) in preferred:
            pt[int(r["conceptId"])] = r["term"]
    children: dict[int, set[int]] = defaultdict(set)
    for c, ps in parents.items():
        for p in ps:
            children[p].add(c)
    return {"concepts": concepts, "parents": parents, "children": children, "attrs": attrs, "pt": pt}


def descendants_or_self(facts: dict, c: int) -> set[int]:
    out, todo = {c}, [c]
    while todo:
        for ch in facts["children"].get(todo.pop(), ()):
            if ch not in out:
                out.add(ch)
                todo.append(ch)
    return out


@pytest.fixture(scope="module")
def facts(subset_path: Path) -> dict:
    return rf2(subset_path)


# ----- validation


def test_valid_expression_has_no_problem(subset: Terminology) -> None:
    assert validate_expression(subset, parse_expression("128241005:{363698007=181268008}")) == []


def test_unknown_concept(subset: Terminology, facts: dict) -> None:
    assert 240280071 not in facts["concepts"]
    problems = validate_expression(subset, parse_expression("367430006:{272741003=240280071}"))
    assert [(p.kind, p.message) for p in problems] == [("not-found", "Concept 240280071 not found")]


def test_inactive_concept(subset: Terminology, facts: dict) -> None:
    inactive = next(c for c, r in facts["concepts"].items() if r["active"] == "0")
    problems = validate_expression(subset, parse_expression(f"{inactive}:{{363698007=10200004}}"))
    assert [p.kind for p in problems] == ["inactive"]


def test_attribute_name_must_be_an_attribute(subset: Terminology) -> None:
    # 24028007 |Right| is a qualifier value, not under 410662002 |Concept model attribute|
    problems = validate_expression(subset, parse_expression("367430006:{24028007=272741003}"))
    assert [p.message for p in problems] == [
        "Concept 24028007 is not valid in this context (must be a descendent of one of 410662002,106237007)"
    ]


def test_mrcm_domain(subset: Terminology) -> None:
    # MRCMAttributeDomain: 272741003 |Laterality| has domains 723264001 and 91723000 (body structures),
    # so it cannot refine 367430006, a procedure; without the MRCM check it passes.
    e = parse_expression("367430006:{272741003=24028007}")
    assert validate_expression(subset, e) == []
    kinds = [p.kind for p in validate_expression(subset, e, mrcm=True)]
    assert "mrcm-domain" in kinds


def test_mrcm_range(subset: Terminology) -> None:
    # MRCMAttributeRange: 363698007 |Finding site| range is << 442083009 |Anatomical or acquired body structure|
    problems = validate_expression(subset, parse_expression("128241005:{363698007=24028007}"), mrcm=True)
    assert [p.kind for p in problems] == ["mrcm-range"]
    assert "442083009" in problems[0].message


def test_mrcm_accepts_a_conforming_expression(subset: Terminology) -> None:
    assert validate_expression(subset, parse_expression("128241005:{363698007=181268008}"), mrcm=True) == []


# ----- display


def test_render_uses_preferred_terms(subset: Terminology, facts: dict) -> None:
    e = parse_expression("128241005 |x| : { 363698007 = 181268008 }")
    pt = facts["pt"]
    assert render(subset, e) == f"128241005|{pt[128241005]}|:{{363698007|{pt[363698007]}|=181268008|{pt[181268008]}|}}"
    assert render(subset, e, terms=False) == "128241005:{363698007=181268008}"


# ----- subsumption


def test_concept_subsumes_expression_on_a_descendant(subset: Terminology, facts: dict) -> None:
    assert ACUTE_HEPATITIS_NON_INFECTIVE in descendants_or_self(facts, INFLAMMATORY_LIVER)
    e = parse_expression("197271008:{363698007=10200004}")
    assert subsumes(subset, INFLAMMATORY_LIVER, e)
    assert subsumption(subset, INFLAMMATORY_LIVER, e) == "subsumes"
    assert subsumption(subset, e, INFLAMMATORY_LIVER) == "subsumed-by"


def test_more_specific_value_is_subsumed(subset: Terminology, facts: dict) -> None:
    assert ENTIRE_LIVER in descendants_or_self(facts, LIVER_STRUCTURE)
    general = parse_expression("128241005:{363698007=10200004}")
    specific = parse_expression("128241005:{363698007=181268008}")
    assert subsumption(subset, general, specific) == "subsumes"


def test_sibling_values_are_not_subsumed(subset: Terminology, facts: dict) -> None:
    assert RIGHT not in descendants_or_self(facts, LEFT) and LEFT not in descendants_or_self(facts, RIGHT)
    a = parse_expression(f"{REPAIR_TENDON_HAND}:{{{LATERALITY}={RIGHT}}}")
    b = parse_expression(f"{REPAIR_TENDON_HAND}:{{{LATERALITY}={LEFT}}}")
    assert subsumption(subset, a, b) == "not-subsumed"


def test_fully_defined_concept_by_its_definition(subset: Terminology, facts: dict) -> None:
    # 128241005 is fully defined (Concept file); its definition is Disease + the group in the Relationship file.
    assert facts["concepts"][INFLAMMATORY_LIVER]["definitionStatusId"] == "900000000000073002"
    group = sorted((t, d) for g, t, d in facts["attrs"][INFLAMMATORY_LIVER] if g > 0)
    assert group == [(MORPHOLOGY, 409774005), (FINDING_SITE, LIVER_STRUCTURE)]
    by_definition = parse_expression("64572001:{116676008=409774005,363698007=181268008}")
    assert subsumes(subset, INFLAMMATORY_LIVER, by_definition)


def test_redundant_refinement_is_equivalent(subset: Terminology, facts: dict) -> None:
    # 197271008's own inferred relationships already hold finding site = liver structure.
    assert any(t == FINDING_SITE and d == LIVER_STRUCTURE for _g, t, d in facts["attrs"][ACUTE_HEPATITIS_NON_INFECTIVE])
    e = parse_expression("197271008:{363698007=10200004}")
    assert subsumption(subset, e, ACUTE_HEPATITIS_NON_INFECTIVE) == "equivalent"


def test_normal_form(subset: Terminology, facts: dict) -> None:
    terse = normal_form_text(subset, INFLAMMATORY_LIVER, terms=False)
    assert terse.startswith("=== 64572001:")
    for _g, t, d in facts["attrs"][INFLAMMATORY_LIVER]:
        assert f"{t}={d}" in terse
    expr = normal_form_text(subset, parse_expression("367430006:{272741003=24028007}"), terms=False)
    assert "{272741003=24028007}" in expr and "260686004=257903006" in expr


# ----- ECL


def test_ecl_hierarchy_matches_rf2(subset: Terminology, facts: dict) -> None:
    expected = descendants_or_self(facts, INFLAMMATORY_LIVER)
    assert set(evaluate_ecl(subset, "<< 128241005").tolist()) == expected
    assert set(evaluate_ecl(subset, "< 128241005").tolist()) == expected - {INFLAMMATORY_LIVER}


def test_ecl_refinement_matches_rf2(subset: Terminology, facts: dict) -> None:
    sites = descendants_or_self(facts, LIVER_STRUCTURE)
    findings = descendants_or_self(facts, 404684003)
    expected = {
        s
        for s, rels in facts["attrs"].items()
        if s in findings and any(t == FINDING_SITE and d in sites for _g, t, d in rels)
    }
    assert set(evaluate_ecl(subset, "<< 404684003 : 363698007 = << 10200004").tolist()) == expected
    assert set(evaluate_ecl(subset, "<< 404684003 : { 363698007 = << 10200004 }").tolist()) == expected


def test_expression_in_ecl(subset: Terminology) -> None:
    e = parse_expression("197271008:{363698007=181268008}")
    assert expression_in_ecl(subset, e, parse_ecl("<< 128241005"))
    assert expression_in_ecl(subset, e, parse_ecl("<< 404684003 : 363698007 = << 10200004"))
    assert not expression_in_ecl(subset, e, parse_ecl("<< 71388002"))
    assert not expression_in_ecl(subset, e, parse_ecl("^ 734139008"))
    assert expression_in_ecl(subset, e, parse_ecl("<< 404684003 MINUS << 71388002"))
