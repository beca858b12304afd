"""Compositional mapping on the sample release: parts, exact and closest concepts, expressions, merging.

Every expectation is read off the sample RF2 files (sample_data/release/Snapshot, described in
sample_data/README.md): the role groups come from sct2_Relationship (116676008 Associated morphology,
363698007 Finding site, 246075003 Causative agent, all in group 1), the terms from sct2_Description,
the MRCM rules from the MRCMAttributeDomain/Range refsets (Finding site, Associated morphology and
Causative agent on << 404684003 grouped; Laterality on << 123037004, never grouped, range << 182353008).
"""

from __future__ import annotations

import numpy as np
import pytest

from terminology import Terminology
from terminology.expressions import parse_expression, subsumes, validate_expression
from terminology.linking import guidelines_for_expression
from terminology.linking.guidelines import FileGuidelineRepository
from terminology.mapping.composition import (
    compose,
    expression_ancestors,
    map_with_composition,
    recognise_parts,
)
from terminology.mapping.concept_model import concept_model, covered_by, most_specific
from terminology.sample import sample_guidelines_dir
from terminology.text import phrase_index, split_words, token_ids, units_of

ILIUM_METS = 1059990001105  # Metastatic malignant neoplasm to ilium: {metastatic, Bone structure of ilium}
SACRUM_METS = 1069990001108  # {metastatic, Bone structure of sacrum}
PELVIC_METS = 1049990001107  # Secondary malignant neoplasm of pelvic bone: {metastatic, Bone structure of pelvis}
BONE_METS = 1039990001102  # {metastatic, Bone structure}
FRACTURE_OF_BONE = 1129990001100  # {Fracture, Bone structure}
PATHOLOGICAL_FRACTURE = 1149990001108  # two groups: {metastatic, bone} and {fracture, bone}
PNEUMONIA = 1189990001104  # {Inflammation, Lung structure}
BACTERIAL_PNEUMONIA = 1199990001102  # {Inflammation, Bacterium (Causative agent), Lung structure}
DISEASE = 64572001
METASTATIC = (
    3029990001100  # Neoplasm, metastatic (morphology); synonyms "Metastatic neoplasm", "Secondary malignant neoplasm"
)
FRACTURE = 3049990001108
INFLAMMATION = 3059990001106
ILIUM = 2029990001107  # Bone structure of ilium; synonyms "Ilium", "Iliac bone"
LEFT_ILIUM = 2089990001108  # Bone structure of left ilium (Laterality = Left); synonym "Left ilium"
RIGHT_ILIUM = 2099990001105
SACRUM = 2039990001109  # no lateral variants in the release
LIVER = 2069990001103
BACTERIUM = 5109990001107  # synonym "Bacteria"
LEFT = 7771000
SITE, MORPHOLOGY, LATERALITY, AGENT = 363698007, 116676008, 272741003, 246075003


def roles(parts: list) -> dict[str, int]:
    return {(str(p.attribute_id) if p.role == "value" else p.role): p.concept_id for p in parts}


# ----- the lookup of word spans


def test_spans_meet_descriptions_in_any_word_order(sample: Terminology) -> None:
    # "iliac bone secondaries": the phrase rule iliac bone -> ilium and secondaries -> metastasis give
    # {ilium, metastas}, the canonical set of 105059990001115 "Ilium metastasis" and of "Metastasis to ilium".
    text = "Iliac bone secondaries"
    ws = split_words(text)
    units = units_of(ws)
    assert [u.tokens for u in units] == [("ilium",), ("metastas",)]
    index = phrase_index(sample)
    from terminology.text import spans_of

    hits = index.lookup(spans_of(ws, units), token_ids(index.lex, ["ilium", "metastas"]))
    whole = {int(sample.ids[h.concept_row]) for h in hits if (h.span.start, h.span.end) == (0, len(text))}
    assert whole == {ILIUM_METS}
    # "Iliac bone" alone is a synonym of Bone structure of ilium (and so is "Ilium").
    assert {int(sample.ids[h.concept_row]) for h in hits if h.span.end == len("Iliac bone")} == {ILIUM}


def test_words_keep_character_offsets() -> None:
    ws = split_words("  Métastase de l'ilium")
    assert [(w.text, w.start, w.end) for w in ws] == [
        ("metastase", 2, 11),
        ("de", 12, 14),
        ("l", 15, 16),
        ("ilium", 17, 22),
    ]


# ----- parts


def test_parts_of_the_running_example(sample: Terminology) -> None:
    parts, unmatched, coverage = recognise_parts(sample, "metastasis of the left ilium")
    # "left ilium" is word for word the synonym of 2089990001108 (a Finding site value: << 123037004);
    # "metastasis" is no description by itself, so the mapper restricted to attribute values finds the
    # morphology "Neoplasm, metastatic" (its synonym "Metastatic neoplasm" shares the token metastas).
    assert roles(parts) == {str(MORPHOLOGY): METASTATIC, str(SITE): LEFT_ILIUM}
    assert unmatched == [] and coverage == 1.0
    site = next(p for p in parts if p.attribute_id == SITE)
    assert (site.text, site.start, site.end, site.score, site.how) == ("left ilium", 18, 28, 1.0, "exact words")
    morph = next(p for p in parts if p.attribute_id == MORPHOLOGY)
    assert morph.text == "metastasis" and 0.6 <= morph.score < 1.0 and morph.how.startswith("lexical match")


def test_slots_come_from_the_mrcm(sample: Terminology) -> None:
    m = concept_model(sample)
    # Associated morphology's range << 49755003 is inside Finding site's << 123037004: the narrower wins.
    assert m.slot_for(sample.index_of(METASTATIC)).attribute_id == MORPHOLOGY  # type: ignore[arg-type, union-attr]
    assert m.slot_for(sample.index_of(ILIUM)).attribute_id == SITE  # type: ignore[arg-type, union-attr]
    assert m.slot_for(sample.index_of(BACTERIUM)).attribute_id == AGENT  # type: ignore[arg-type, union-attr]
    assert m.is_laterality(sample.index_of(LEFT))  # type: ignore[arg-type]
    assert m.slot_for(sample.index_of(PNEUMONIA)) is None and m.is_finding(sample.index_of(PNEUMONIA))  # type: ignore[arg-type]


# ----- exact and closest concepts


def test_exact_concept_from_morphology_and_site(sample: Terminology) -> None:
    # The FSN-like wordings name the morphology and the site; 1049990001107's only role group is
    # {116676008 = 3029990001100, 363698007 = 2019990001100}: an exact match, so no expression.
    c = compose(sample, "neoplasm, metastatic of bone structure of pelvis")
    assert c is not None
    assert roles(c.parts) == {str(MORPHOLOGY): METASTATIC, str(SITE): 2019990001100}
    assert c.exact == [PELVIC_METS] and c.closest == [PELVIC_METS]
    assert c.expression is None and c.complete


def test_focus_refined_by_a_causative_agent_is_exact(sample: Terminology) -> None:
    # "pneumonia" is a clinical finding (the focus), "bacteria" the synonym of Bacterium (Causative agent
    # range << 410607006). Pneumonia's single group {Inflammation, Lung} plus the agent is exactly
    # Bacterial pneumonia's group; "due to" joins the parts and names nothing.
    c = compose(sample, "pneumonia due to bacteria")
    assert c is not None
    assert roles(c.parts) == {"focus": PNEUMONIA, str(AGENT): BACTERIUM}
    assert c.exact == [BACTERIAL_PNEUMONIA] and c.complete and c.unmatched == []


def test_running_example_expression(sample: Terminology) -> None:
    # No disorder has Finding site = left ilium. The candidates of
    # << 404684003 : { 116676008 = >> 3029990001100, 363698007 = >> 2089990001108 } are the metastasis
    # disorders whose site subsumes the left ilium: ilium (1059990001105), pelvic bone (1049990001107),
    # bone (1039990001102), body structure (1029990001104 ...), and the pathological fracture, whose
    # second group {Fracture, bone} the phrase does not name, so it is dropped. The most specific is
    # 1059990001105, refined with the site it lacks. The group is restated whole (issue 13): a group
    # holding only the left ilium would say that *something* is in the left ilium, not the metastasis.
    c = compose(sample, "metastasis of the left ilium")
    assert c is not None and not c.exact
    assert c.closest == [ILIUM_METS]
    assert c.expression == (
        "1059990001105 |Metastatic malignant neoplasm to ilium| : "
        "{ 116676008 |Associated morphology| = 3029990001100 |Neoplasm, metastatic|, "
        "363698007 |Finding site| = 2089990001108 |Bone structure of left ilium| }"
    )
    assert c.expression_valid is True and c.problems == []
    assert c.ecl == "<< 404684003 : { 116676008 = >> 3029990001100, 363698007 = >> 2089990001108 }"
    assert "closest" in c.explanation["summary"]
    # The expression parses and conforms to the MRCM with the expressions package too.
    assert validate_expression(sample, parse_expression(c.expression), mrcm=True) == []


def test_laterality_without_a_lateral_structure_is_nested(sample: Terminology) -> None:
    # The release has no "left sacrum" (no concept < 2039990001109 with Laterality = Left), so the
    # laterality refines the site itself; Laterality's MRCM domain is << 123037004, which the sacrum is in.
    c = compose(sample, "metastasis of left sacrum")
    assert c is not None
    assert roles(c.parts) == {str(MORPHOLOGY): METASTATIC, "laterality": LEFT, str(SITE): SACRUM}
    assert c.closest == [SACRUM_METS] and not c.exact
    assert c.expression == (
        "1069990001108 |Metastatic malignant neoplasm to sacrum| : { 116676008 |Associated morphology| = "
        "3029990001100 |Neoplasm, metastatic|, 363698007 |Finding site| = "
        "(2039990001109 |Bone structure of sacrum| : 272741003 |Laterality| = 7771000 |Left|) }"
    )
    assert c.expression_valid is True


def test_laterality_with_a_lateral_structure_uses_it(sample: Terminology) -> None:
    # "ilium ... left": the words are apart but the units {ilium, left} equal "Left ilium" (word order is free).
    c = compose(sample, "ilium left metastasis")
    assert c is not None and c.closest == [ILIUM_METS]
    assert "2089990001108 |Bone structure of left ilium|" in (c.expression or "")


def test_two_group_concept_is_not_an_ancestor(sample: Terminology) -> None:
    # covered_by directly: the pathological fracture's fracture group is not matched by {metastatic, ilium}.
    rows = np.array([sample.index_of(c) for c in (PATHOLOGICAL_FRACTURE, ILIUM_METS, BONE_METS)])
    kept = covered_by(sample, rows, [{MORPHOLOGY: METASTATIC, SITE: ILIUM}])
    assert sorted(int(sample.ids[r]) for r in kept) == sorted([ILIUM_METS, BONE_METS])
    assert [int(sample.ids[r]) for r in most_specific(sample, kept.tolist())] == [ILIUM_METS]


def test_nothing_precoordinated_falls_back_to_disease(sample: Terminology) -> None:
    # No disorder has Inflammation at a site subsuming the liver (pneumonia is at the lung; the
    # liver metastasis is metastatic), nor holds only one of the two: the focus is 64572001 |Disease|.
    c = compose(sample, "inflammation of the liver")
    assert c is not None and c.closest == [DISEASE]
    assert c.expression == (
        "64572001 |Disease| : { 116676008 |Associated morphology| = 3059990001106 |Inflammation|, "
        "363698007 |Finding site| = 2069990001103 |Liver structure| }"
    )


def test_fracture_of_left_ilium(sample: Terminology) -> None:
    c = compose(sample, "fracture of left ilium")
    assert c is not None and c.closest == [FRACTURE_OF_BONE]
    assert c.expression == (
        "1129990001100 |Fracture of bone| : { 116676008 |Associated morphology| = 3049990001108 |Fracture|, "
        "363698007 |Finding site| = 2089990001108 |Bone structure of left ilium| }"
    )


@pytest.mark.parametrize(
    "text",
    [
        "ilium",  # one part only: a body structure, not a composition
        "metastasis to ilium",  # the whole phrase is a description of 1059990001105 (one focus part)
        "zygomycosis of ilium",  # "zygomycosis" is no word of the release
        "the weather is nice today",
        "",
    ],
)
def test_no_composition(sample: Terminology, text: str) -> None:
    assert compose(sample, text) is None


def test_unexplained_words_make_it_incomplete(sample: Terminology) -> None:
    c = compose(sample, "chronic metastasis of left ilium")  # "chronic" is no word of the release
    assert c is not None and not c.complete and c.unmatched == ["chronic"] and c.coverage == 0.75


# ----- merged with the lexical mapper


def test_map_exact_wording_stays_first(sample: Terminology) -> None:
    r = map_with_composition(sample, "metastasis to ilium", limit=5)
    assert r.matched and r.candidates[0].concept_id == ILIUM_METS and r.candidates[0].sources == ("lexical",)
    assert r.candidates[0].explanation["rank"].startswith("1st: its description matches the text")


def test_map_exact_composition_comes_first(sample: Terminology) -> None:
    r = map_with_composition(sample, "neoplasm, metastatic of bone structure of pelvis", limit=5)
    first = r.candidates[0]
    assert first.concept_id == PELVIC_METS and "exact composition" in first.sources
    assert "exactly what the parts" in first.explanation["rank"]


def test_map_closest_ancestor_and_expression(sample: Terminology) -> None:
    r = map_with_composition(sample, "metastasis of the left ilium", limit=5)
    assert r.matched
    first = r.candidates[0]
    assert first.concept_id == ILIUM_METS and "closest ancestor" in first.sources
    assert [p["conceptId"] for p in first.explanation["parts"]] == [str(METASTATIC), str(LEFT_ILIUM)]
    assert r.composition is not None and r.composition.expression is not None


def test_map_abstains_on_nothing(sample: Terminology) -> None:
    r = map_with_composition(sample, "please call me back tomorrow")
    assert not r.matched and r.composition is None


# ----- expressions sent back


def test_expression_ancestors(sample: Terminology) -> None:
    expr = "1059990001105 |Metastatic malignant neoplasm to ilium| : { 363698007 |Finding site| = 2089990001108 |Bone structure of left ilium| }"
    a = expression_ancestors(sample, expr)
    assert a.focus == [ILIUM_METS] and a.closest == [ILIUM_METS] and a.refined
    # A generic focus refined with morphology and site (issue 13): 1059990001105 is fully defined, but its
    # definition includes its proximal primitive supertype 1039990001102 |Secondary malignant tumor of bone|
    # (sample Concept file: definitionStatusId ...074008), which Disease is not under; so by expression
    # subsumption it does not subsume the expression, and only the focus does.
    for site in (2029990001107, 2089990001108):
        e = f"64572001 : {{ 116676008 = 3029990001100, 363698007 = {site} }}"
        a = expression_ancestors(sample, e)
        assert a.closest == [64572001]
        assert not subsumes(sample, ILIUM_METS, parse_expression(e))
    assert expression_ancestors(sample, "1039990001102").closest == [BONE_METS]


def test_guidelines_for_expression(sample: Terminology) -> None:
    # Tags (sample_data/guidelines): pelvic bone (1049990001107), bone (1039990001102), secondary malignant
    # (1029990001104) and malignant (1019990001106) disease. The is-a rows go 1059990001105 -> 1049990001107
    # -> 1039990001102 -> 1029990001104 -> 1019990001106: 1, 2, 3 and 4 steps up from the closest ancestor;
    # the refined expression is one step further down.
    repo = FileGuidelineRepository(sample_guidelines_dir())
    expr = "1059990001105 : { 363698007 = 2089990001108 }"
    anc, found, terms = guidelines_for_expression(sample, repo, expr)
    assert anc.closest == [ILIUM_METS]
    by_via = {g.link.via: g.distance for g in found}
    assert by_via == {PELVIC_METS: 2, BONE_METS: 3, 1029990001104: 4, 1019990001106: 5}
    assert all(g.from_concept == ILIUM_METS for g in found)
    assert terms[ILIUM_METS] == "Metastatic malignant neoplasm to ilium"


# ----- the real SNOMED CT subset


@pytest.mark.real_release
def test_subset_exact_from_a_morphology_synonym(subset: Terminology) -> None:
    # 14799000 |Neoplasm, metastatic| has the synonym "Tumour embolus"; 10200004 |Liver structure| the
    # synonym "Liver"; 94381002 |Metastatic malignant neoplasm to liver| is defined by exactly that group.
    c = compose(subset, "tumour embolus of liver")
    assert c is not None and c.exact == [94381002] and c.expression is None
    assert map_with_composition(subset, "tumour embolus of liver").candidates[0].concept_id == 94381002


@pytest.mark.real_release
def test_subset_refined_site(subset: Terminology) -> None:
    # 48521005 |Structure of right lobe of liver| is below 10200004: no disorder has it as a site, so the
    # liver metastasis is the closest and the expression narrows its site.
    c = compose(subset, "secondary tumour of right liver lobe")
    assert c is not None and c.closest == [94381002] and c.expression_valid
    assert c.expression == (
        "94381002 |Metastatic malignant neoplasm to liver| : "
        "{ 116676008 |Associated morphology| = 14799000 |Neoplasm, metastatic|, "
        "363698007 |Finding site| = 48521005 |Structure of right lobe of liver| }"
    )
