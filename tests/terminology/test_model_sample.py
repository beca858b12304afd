"""The Terminology facade on the sample Snapshot, every expectation worked out by hand from the RF2 files.

Comments cite the Snapshot file and line (line 1 is the header) that make each expectation true. Files:
Concept = sct2_Concept_Snapshot, Description = sct2_Description_Snapshot-en, Relationship = sct2_Relationship_Snapshot,
Language = der2_cRefset_LanguageSnapshot-en (en-GB rows are lines 2-302, en-US rows lines 303-603), and so on.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from terminology import (
    Association,
    ConceptNotFoundError,
    ConcreteValue,
    MapTarget,
    Relationship,
    Replacement,
    Terminology,
)

SNAPSHOT = Path(__file__).resolve().parents[2] / "sample_data" / "release" / "Snapshot"

# Identifiers, as in sample_data/README.md.
MODULE = 19990001103
ILIUM_MET = 1059990001105  # Metastatic malignant neoplasm to ilium (the running example)
SACRUM_MET = 1069990001108
FEMUR_MET = 1079990001100
VERTEBRA_MET = 1089990001103
LIVER_MET = 1099990001101
LUNG_MET = 1109990001105
PELVIC_MET = 1049990001107
BONE_MET = 1039990001102
SECONDARY = 1029990001104
MALIGNANT = 1019990001106
NEOPLASTIC = 1009990001109
DISEASE = 64572001
FINDING = 404684003
ROOT = 138875005
FRACTURE = 1129990001100
FEMUR_FRACTURE = 1139990001103
PATH_FRACTURE = 1149990001108
BENIGN_BONE = 1179990001101
BACTERIAL_PNEUMONIA = 1199990001102
DIABETES = 1209990001100
DUPLICATE = 1119990001107  # Ilium metastasis, inactive duplicate
AMBIGUOUS = 1229990001105  # Metastasis to sacroiliac region, inactive ambiguous
TABLET = 5019990001108
SOLUTION = 5029990001101
LEFT_ILIUM = 2089990001108
ILIUM_BONE = 2029990001107
BONE = 2009990001102
METASTATIC_MORPH = 3029990001100
FRACTURE_MORPH = 3049990001108
INFLAMMATION = 3059990001106
LUNG = 2079990001106
BACTERIUM = 5109990001107

IS_A = 116680003
MORPHOLOGY = 116676008
FINDING_SITE = 363698007
LATERALITY = 272741003
CAUSATIVE_AGENT = 246075003
STRENGTH = 4109990001108
INGREDIENT_COUNT = 4119990001105
DOSE_FORM_TEXT = 4129990001103
EN_US = 900000000000509007
EN_GB = 900000000000508004
BONE_REFSET = 4019990001109
ICD10_MAP = 4029990001102
REGISTRY_MAP = 4039990001100
REPLACED_BY = 900000000000526001
POSSIBLY_EQUIVALENT_TO = 900000000000523009
INACTIVATION_INDICATOR = 900000000000489007

# Valid SCTIDs (correct Verhoeff check digit, right partition) that no file of the sample holds:
# item 999 / 99901 in namespace 9990001.
UNKNOWN_CONCEPT = 9999990001104
UNKNOWN_DESCRIPTION = 999019990001117


def rows(name: str) -> list[dict[str, str]]:
    (path,) = SNAPSHOT.rglob(name)
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


# ----- concepts and terms


def test_concept_fields_of_the_running_example(sample: Terminology) -> None:
    # Concept line 35: 1059990001105 20240901 1 19990001103 900000000000073002 (fully defined).
    c = sample.concept(ILIUM_MET)
    assert c.id == ILIUM_MET
    assert c.active is True
    assert c.module_id == MODULE
    assert c.definition_status == "fully-defined"
    assert c.definition_status_id == 900000000000073002
    assert c.effective_time == "20240901"
    # Concept line 34: its parent is primitive (900000000000074008).
    assert sample.concept(PELVIC_MET).definition_status == "primitive"
    # Concept line 41: the duplicate is inactive since 20250301.
    dup = sample.concept(DUPLICATE)
    assert (dup.active, dup.effective_time) == (False, "20250301")
    assert sample.is_active(ILIUM_MET) and not sample.is_active(DUPLICATE)


def test_fsn_and_preferred_term(sample: Terminology) -> None:
    # Description lines 23-24 (FSN, synonym); Language lines 24-25 (en-GB) and 325-326 (en-US): both preferred.
    assert sample.fsn(ILIUM_MET) == "Metastatic malignant neoplasm to ilium (disorder)"
    assert sample.preferred_term(ILIUM_MET) == "Metastatic malignant neoplasm to ilium"
    assert sample.preferred_term(ILIUM_MET, "en-GB") == "Metastatic malignant neoplasm to ilium"
    # Description lines 46-47, Language lines 48-49 / 349-350: the inactive duplicate keeps its terms.
    assert sample.fsn(DUPLICATE) == "Ilium metastasis (disorder)"
    assert sample.preferred_term(DUPLICATE) == "Ilium metastasis"


# Secondary malignant neoplasm of bone: en-US preferred 103029990001110 "...tumor..." (Language line 318);
# en-GB preferred 103039990001112 "...tumour..." (Language line 18), "tumor" only acceptable in en-GB (line 17).
# Benign neoplasm of bone: en-US preferred 117029990001115 "Benign tumor of bone" (Language line 368);
# en-GB preferred 117039990001118 "Benign tumour of bone" (Language line 68).
TUMOR = {
    BONE_MET: ("Secondary malignant tumor of bone", "Secondary malignant tumour of bone"),
    BENIGN_BONE: ("Benign tumor of bone", "Benign tumour of bone"),
}


@pytest.mark.parametrize("concept", list(TUMOR))
def test_en_us_and_en_gb_preferred_terms_differ(sample: Terminology, concept: int) -> None:
    us, gb = TUMOR[concept]
    assert sample.preferred_term(concept, "en-US") == us
    assert sample.preferred_term(concept, "en-GB") == gb
    # Accept-Language lists: the highest weight wins, order breaks ties.
    assert sample.preferred_term(concept, "en-GB,en;q=0.8") == gb
    assert sample.preferred_term(concept, "en-US;q=0.5, en-GB;q=0.9") == gb
    assert sample.preferred_term(concept, "en-GB;q=0.1, en-US") == us
    # Without a language: en-US comes first (loaders.rf2_format.DIALECTS order).
    assert sample.preferred_term(concept) == us
    assert sample.preferred_terms([concept], "en-GB") == {concept: gb}


def test_synonyms_preferred_first_then_alphabetical(sample: Terminology) -> None:
    # Description lines 24-27 are the active synonyms of 1059990001105; Language lines 326-329 (en-US):
    # 105029990001114 preferred, the other three acceptable. The FSN (line 23) and the text definition are not synonyms.
    assert [d.term for d in sample.synonyms(ILIUM_MET)] == [
        "Metastatic malignant neoplasm to ilium",
        "Ilium metastasis",
        "Metastasis to ilium",
        "Secondary malignant neoplasm of ilium",
    ]
    # Description lines 16-19 for 1039990001102; en-GB (Language lines 17-20): "tumour" preferred, the rest acceptable.
    assert [d.term for d in sample.synonyms(BONE_MET, "en-GB")] == [
        "Secondary malignant tumour of bone",
        "Bone metastases",
        "Secondary malignant neoplasm of bone",
        "Secondary malignant tumor of bone",
    ]
    # en-US (Language lines 318-321): "tumor" preferred.
    assert [d.term for d in sample.synonyms(BONE_MET, "en-US")][0] == "Secondary malignant tumor of bone"


def test_description_by_id(sample: Terminology) -> None:
    # Description line 25: 105039990001111 20240901 ... 1059990001105 en synonym "Metastasis to ilium" 448009;
    # Language line 26 (en-GB) and line 327 (en-US): acceptable (900000000000549004).
    d = sample.description(105039990001111)
    assert (d.id, d.concept_id, d.active, d.type, d.type_id) == (
        105039990001111,
        ILIUM_MET,
        True,
        "synonym",
        900000000000013009,
    )
    assert (d.term, d.language_code, d.effective_time, d.module_id) == ("Metastasis to ilium", "en", "20240901", MODULE)
    assert d.case_significance_id == 900000000000448009
    assert d.acceptability == {EN_US: "acceptable", EN_GB: "acceptable"}
    # TextDefinition line 3: 105509990001111, a definition of 1059990001105.
    definition = sample.description(105509990001111)
    assert (definition.type, definition.concept_id) == ("definition", ILIUM_MET)
    assert definition.term.startswith("Malignant neoplasm in the ilium")
    # The FSN: Description line 23, preferred in both dialects (Language lines 24 and 325).
    fsn = sample.description(105019990001119)
    assert (fsn.type, fsn.acceptability) == ("fsn", {EN_US: "preferred", EN_GB: "preferred"})
    with pytest.raises(ConceptNotFoundError):
        sample.description(UNKNOWN_DESCRIPTION)


def test_unknown_concept_raises_concept_not_found(sample: Terminology) -> None:
    for query in (
        sample.concept,
        sample.preferred_term,
        sample.fsn,
        sample.parents,
        sample.children,
        sample.ancestors,
        sample.descendants,
        sample.resolve,
    ):
        with pytest.raises(ConceptNotFoundError) as info:
            query(UNKNOWN_CONCEPT)
        assert info.value.sctid == UNKNOWN_CONCEPT
    with pytest.raises(ConceptNotFoundError):
        sample.subsumption(BONE_MET, UNKNOWN_CONCEPT)
    assert not sample.has_concept(UNKNOWN_CONCEPT)
    # A description id is not a concept (Description line 23 names 105019990001119).
    with pytest.raises(ConceptNotFoundError):
        sample.concept(105019990001119)


# ----- hierarchy


def test_parents_and_children(sample: Terminology) -> None:
    # Relationship line 19: 1059990001105 is-a 1049990001107.
    assert sample.parents(ILIUM_MET) == [PELVIC_MET]
    # Line 16 (active) is-a 1039990001102; line 15, the old is-a 1029990001104, is inactive.
    assert sample.parents(PELVIC_MET) == [BONE_MET]
    # Active is-a rows to 1049990001107: lines 19 (ilium), 22 (sacrum); lines 37 and 70 (the duplicate and the
    # ambiguous concept) are inactive.
    assert sorted(sample.children(PELVIC_MET)) == [ILIUM_MET, SACRUM_MET]
    # Active is-a rows to 1039990001102: lines 16, 25, 28, 46.
    assert sorted(sample.children(BONE_MET)) == [PELVIC_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE]
    assert sample.child_count(BONE_MET) == 4
    assert sample.children(ILIUM_MET) == []
    # The inactive duplicate has no (active) parents.
    assert sample.parents(DUPLICATE) == []


def test_multiple_inheritance(sample: Terminology) -> None:
    # Relationship lines 46-47: 1149990001108 is-a 1039990001102 and is-a 1129990001100.
    assert sorted(sample.parents(PATH_FRACTURE)) == [BONE_MET, FRACTURE]
    assert PATH_FRACTURE in sample.children(FRACTURE) and PATH_FRACTURE in sample.children(BONE_MET)


def test_ancestors(sample: Terminology) -> None:
    # The is-a chain: lines 19 (-> 1049), 16 (-> 1039), 12 (-> 1029), 9 (-> 1019), 6 (-> 1009), 3 (-> 64572001),
    # 108 (-> 404684003), 107 (-> 138875005).
    assert sample.ancestors(ILIUM_MET).tolist() == sorted(
        [PELVIC_MET, BONE_MET, SECONDARY, MALIGNANT, NEOPLASTIC, DISEASE, FINDING, ROOT]
    )
    # Both branches of the pathological fracture: line 47 (-> 1129990001100) and line 40 (1129 -> 64572001).
    assert sample.ancestors(PATH_FRACTURE).tolist() == sorted(
        [BONE_MET, SECONDARY, MALIGNANT, NEOPLASTIC, FRACTURE, DISEASE, FINDING, ROOT]
    )
    assert sample.ancestors(ROOT).tolist() == []


def test_descendants(sample: Terminology) -> None:
    # Children of 1039990001102 (lines 16, 25, 28, 46) and of 1049990001107 (lines 19, 22); nothing is-a those.
    assert sample.descendants(BONE_MET).tolist() == sorted(
        [PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE]
    )
    # 1029990001104 adds 1039990001102 (line 12), liver (line 31) and lung (line 34) metastases.
    assert sample.descendants(SECONDARY).tolist() == sorted(
        [BONE_MET, PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE, LIVER_MET, LUNG_MET]
    )
    assert sample.descendant_count(SECONDARY) == 9
    # The inactive concepts' is-a rows (lines 37, 70) are inactive: they are nobody's descendants.
    assert DUPLICATE not in sample.descendants(PELVIC_MET).tolist()
    assert sample.descendants(ILIUM_MET).tolist() == []


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        (ILIUM_MET, ILIUM_MET, "equivalent"),
        (BONE_MET, ILIUM_MET, "subsumes"),  # ilium -> pelvic (line 19) -> bone (line 16)
        (ILIUM_MET, BONE_MET, "subsumed-by"),
        (ILIUM_MET, SACRUM_MET, "not-subsumed"),  # siblings under 1049990001107
        (FRACTURE, PATH_FRACTURE, "subsumes"),  # line 47, the second parent
        (LIVER_MET, BONE_MET, "not-subsumed"),
        (PELVIC_MET, DUPLICATE, "not-subsumed"),  # the duplicate's is-a (line 37) is inactive
    ],
)
def test_subsumption(sample: Terminology, a: int, b: int, outcome: str) -> None:
    assert sample.subsumption(a, b) == outcome
    assert sample.subsumes(a, b) == (outcome in ("equivalent", "subsumes"))


def test_isa_paths_shortest_first(sample: Terminology) -> None:
    # From the pathological fracture up to Disease: via Fracture of bone (lines 47, 40) in 2 steps, or via the
    # neoplasm chain (lines 46, 12, 9, 6, 3) in 5 steps.
    assert sample.isa_paths(PATH_FRACTURE, DISEASE) == [
        [PATH_FRACTURE, FRACTURE, DISEASE],
        [PATH_FRACTURE, BONE_MET, SECONDARY, MALIGNANT, NEOPLASTIC, DISEASE],
    ]
    assert sample.isa_paths(ILIUM_MET, SECONDARY) == [[ILIUM_MET, PELVIC_MET, BONE_MET, SECONDARY]]
    assert sample.isa_paths(ILIUM_MET, ILIUM_MET) == [[ILIUM_MET]]
    assert sample.isa_paths(ILIUM_MET, FRACTURE) == []
    assert sample.isa_paths(PATH_FRACTURE, DISEASE, limit=1) == [[PATH_FRACTURE, FRACTURE, DISEASE]]


def test_ancestor_distances_are_the_fewest_steps(sample: Terminology) -> None:
    # BFS by hand over the parents of 1149990001108 (lines 46-47), 1039 (12), 1129 (40), 1029 (9),
    # 64572001 (108), 1019 (6), 404684003 (107), 1009 (3, back to 64572001 which is already at 2).
    assert sample.ancestor_distances(PATH_FRACTURE) == {
        PATH_FRACTURE: 0,
        BONE_MET: 1,
        FRACTURE: 1,
        SECONDARY: 2,
        DISEASE: 2,
        MALIGNANT: 3,
        FINDING: 3,
        NEOPLASTIC: 4,
        ROOT: 4,
    }


def test_proximal_primitive_parents(sample: Terminology) -> None:
    # 1059990001105's ancestors (see test_ancestors) are all primitive (Concept lines 5, 10, 18, 30-34: 074008);
    # the most specific is its parent 1049990001107, which every other one subsumes.
    assert sample.proximal_primitive_parents(ILIUM_MET) == [PELVIC_MET]
    # The pathological fracture's primitive ancestors: both parents 1039990001102 and 1129990001100 (Concept lines
    # 33, 42) are primitive and neither subsumes the other, so both are proximal.
    assert sorted(sample.proximal_primitive_parents(PATH_FRACTURE)) == [BONE_MET, FRACTURE]
    assert sample.proximal_primitive_parents(ROOT) == []


def test_lowest_common_ancestors(sample: Terminology) -> None:
    # Ilium and sacrum metastases share the parent 1049990001107 (lines 19, 22).
    assert sample.lowest_common_ancestors([ILIUM_MET, SACRUM_MET]) == [PELVIC_MET]
    # Liver metastasis is-a 1029990001104 directly (line 31); the ilium reaches it in three steps.
    assert sample.lowest_common_ancestors([ILIUM_MET, LIVER_MET]) == [SECONDARY]
    # The pathological fracture and fracture of femur meet at Fracture of bone (lines 47, 43).
    assert sample.lowest_common_ancestors([PATH_FRACTURE, FEMUR_FRACTURE]) == [FRACTURE]
    # A concept and one of its ancestors: the ancestor itself.
    assert sample.lowest_common_ancestors([ILIUM_MET, BONE_MET]) == [BONE_MET]
    # A disorder and a body structure only share the root (lines 107 and 109 both go to 138875005).
    assert sample.lowest_common_ancestors([ILIUM_MET, ILIUM_BONE]) == [ROOT]
    assert sample.lowest_common_ancestors([]) == []


def test_isa_graph_has_the_active_isa_rows_between_active_concepts(sample: Terminology) -> None:
    # Read independently of any index: the Concept and Relationship files with csv.
    active = {int(r["id"]) for r in rows("sct2_Concept_Snapshot_*") if r["active"] == "1"}
    edges = {
        (int(r["sourceId"]), int(r["destinationId"]))
        for r in rows("sct2_Relationship_Snapshot_*")
        if r["active"] == "1"
        and r["typeId"] == str(IS_A)
        and int(r["sourceId"]) in active
        and int(r["destinationId"]) in active
    }
    assert len(active) == 119  # 121 concepts, two inactive (Concept lines 41, 52)
    g = sample.isa_graph
    assert set(g.nodes) == active
    assert set(g.edges) == edges
    assert (PATH_FRACTURE, FRACTURE) in g.edges and (PELVIC_MET, SECONDARY) not in g.edges


# ----- defining attributes


def test_relationships_by_role_group(sample: Terminology) -> None:
    # Relationship lines 20-21: group 1 morphology 3029990001100, finding site 2029990001107; is-a is not listed.
    assert {g: sorted(v, key=repr) for g, v in sample.role_groups(ILIUM_MET).items()} == {
        1: [Relationship(1, MORPHOLOGY, METASTATIC_MORPH), Relationship(1, FINDING_SITE, ILIUM_BONE)],
    }
    # Lines 48-51: two role groups.
    groups = sample.role_groups(PATH_FRACTURE)
    assert set(groups) == {1, 2}
    assert set(groups[1]) == {Relationship(1, MORPHOLOGY, METASTATIC_MORPH), Relationship(1, FINDING_SITE, BONE)}
    assert set(groups[2]) == {Relationship(2, MORPHOLOGY, FRACTURE_MORPH), Relationship(2, FINDING_SITE, BONE)}
    # Lines 65-67: three attributes in group 1.
    assert set(sample.relationships(BACTERIAL_PNEUMONIA)) == {
        Relationship(1, MORPHOLOGY, INFLAMMATION),
        Relationship(1, FINDING_SITE, LUNG),
        Relationship(1, CAUSATIVE_AGENT, BACTERIUM),
    }
    # Line 86: ungrouped laterality.
    assert sample.role_groups(LEFT_ILIUM) == {0: [Relationship(0, LATERALITY, 7771000)]}
    # Diabetes mellitus has only its is-a (line 68).
    assert sample.role_groups(DIABETES) == {}
    # The duplicate's attribute rows (lines 38-39) are inactive.
    assert sample.relationships(DUPLICATE) == []


def test_concrete_values_have_python_types(sample: Terminology) -> None:
    # RelationshipConcreteValues lines 2-4: #1 (group 0), "tablet" (group 0), #500 (group 1).
    values = {(v.group, v.type_id): v.value for v in sample.concrete_values(TABLET)}
    assert values == {(0, INGREDIENT_COUNT): 1, (0, DOSE_FORM_TEXT): "tablet", (1, STRENGTH): 500}
    assert type(values[(1, STRENGTH)]) is int and type(values[(0, DOSE_FORM_TEXT)]) is str
    # Lines 5-7: #0.5 is a decimal.
    values = {(v.group, v.type_id): v.value for v in sample.concrete_values(SOLUTION)}
    assert values == {(0, INGREDIENT_COUNT): 1, (0, DOSE_FORM_TEXT): "oral solution", (1, STRENGTH): 0.5}
    assert type(values[(1, STRENGTH)]) is float
    # Written back the RF2 way.
    assert {v.rf2 for v in sample.concrete_values(TABLET)} == {"#1", '"tablet"', "#500"}
    assert {v.rf2 for v in sample.concrete_values(SOLUTION)} == {"#1", '"oral solution"', "#0.5"}
    # Concrete values sit in the role groups next to the relationships.
    groups = sample.role_groups(TABLET)
    assert set(groups[1]) == {ConcreteValue(1, STRENGTH, 500)}
    assert set(groups[0]) == {ConcreteValue(0, INGREDIENT_COUNT, 1), ConcreteValue(0, DOSE_FORM_TEXT, "tablet")}
    assert sample.concrete_values(ILIUM_MET) == []


# ----- refsets and maps


def test_refset_memberships(sample: Terminology) -> None:
    # 1059990001105 is an active member of the simple refset (Simple line 4), the ICD-10 map (ExtendedMap line 4)
    # and the registry map (SimpleMap line 5).
    assert sample.refset_memberships(ILIUM_MET) == [BONE_REFSET, ICD10_MAP, REGISTRY_MAP]
    # The duplicate's simple and map rows are inactive (Simple line 8, ExtendedMap line 10); it is only referenced
    # by the REPLACED BY association (Association line 4) and the inactivation indicator (AttributeValue line 2).
    assert sample.refset_memberships(DUPLICATE) == [INACTIVATION_INDICATOR, REPLACED_BY]
    assert sample.refset_memberships(DIABETES) == [ICD10_MAP]  # ExtendedMap line 20 only


def test_refset_members_of_the_simple_refset(sample: Terminology) -> None:
    # Simple lines 2-7 and 9 are active; line 8 (the duplicate) is inactive.
    assert sample.refset_members(BONE_REFSET).tolist() == sorted(
        [BONE_MET, PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE]
    )
    assert BONE_REFSET in sample.refsets()


def test_map_targets(sample: Terminology) -> None:
    # ExtendedMap line 4 (group 1, priority 1, TRUE, "ALWAYS C79.5", C79.5, 447561005) and SimpleMap line 5 (SMR-212).
    targets = sample.map_targets(ILIUM_MET)
    assert [(m.refset_id, m.map_target) for m in targets] == [(ICD10_MAP, "C79.5"), (REGISTRY_MAP, "SMR-212")]
    icd = targets[0]
    assert (icd.concept_id, icd.map_group, icd.map_priority, icd.map_rule, icd.map_advice, icd.correlation_id) == (
        ILIUM_MET,
        1,
        1,
        "TRUE",
        "ALWAYS C79.5",
        447561005,
    )
    # ExtendedMap lines 13-14: the fracture maps to M84.5 in group 1 and C79.5 in group 2.
    assert [(m.map_group, m.map_target) for m in sample.map_targets(PATH_FRACTURE, ICD10_MAP)] == [
        (1, "M84.5"),
        (2, "C79.5"),
    ]
    assert [m.map_target for m in sample.map_targets(ILIUM_MET, REGISTRY_MAP)] == ["SMR-212"]
    # The liver metastasis: ExtendedMap line 8 (C78.7), SimpleMap line 7 (SMR-220).
    assert [m.map_target for m in sample.map_targets(LIVER_MET)] == ["C78.7", "SMR-220"]
    # The duplicate's map row (line 10) is inactive.
    assert sample.map_targets(DUPLICATE) == []


def test_extended_map_targets_carry_the_map_category(sample: Terminology) -> None:
    # ExtendedMap line 4: mapCategoryId 447637006.
    (icd,) = sample.map_targets(ILIUM_MET, ICD10_MAP)
    assert icd.map_category_id == 447637006


def test_reverse_map_lookup(sample: Terminology) -> None:
    # Active ExtendedMap rows with mapTarget C79.5: lines 2-7 and 14; lines 10 and 22 (duplicate, ambiguous) are
    # inactive.
    expected = sorted([BONE_MET, PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE])
    found = sample.concepts_for_map_target("C79.5")
    assert [(m.refset_id, m.concept_id, m.map_target) for m in found] == [(ICD10_MAP, c, "C79.5") for c in expected]
    assert [m.concept_id for m in sample.concepts_for_map_target("c79.5")] == expected
    # SimpleMap line 5.
    assert sample.concepts_for_map_target("SMR-212") == [MapTarget(REGISTRY_MAP, ILIUM_MET, "SMR-212")]
    assert sample.concepts_for_map_target("C79.5", REGISTRY_MAP) == []
    assert sample.concepts_for_map_target("Z99.9") == []


def test_reverse_map_lookup_reports_the_rows_map_group(sample: Terminology) -> None:
    # ExtendedMap line 14: the pathological fracture's C79.5 row is in map group 2.
    (hit,) = [m for m in sample.concepts_for_map_target("C79.5") if m.concept_id == PATH_FRACTURE]
    assert (hit.map_group, hit.map_advice) == (2, "ALWAYS C79.5")


# ----- history


def test_associations_both_directions(sample: Terminology) -> None:
    # Association line 4: 1119990001107 REPLACED BY 1059990001105.
    assert sample.associations(DUPLICATE) == [Association(REPLACED_BY, "REPLACED BY", DUPLICATE, ILIUM_MET)]
    # Lines 2-3: 1229990001105 POSSIBLY EQUIVALENT TO 1059990001105 and 1069990001108.
    assert sample.associations(AMBIGUOUS) == [
        Association(POSSIBLY_EQUIVALENT_TO, "POSSIBLY EQUIVALENT TO", AMBIGUOUS, ILIUM_MET),
        Association(POSSIBLY_EQUIVALENT_TO, "POSSIBLY EQUIVALENT TO", AMBIGUOUS, SACRUM_MET),
    ]
    # Towards 1059990001105: lines 2 and 4 (ordered by refset id: 523009 < 526001).
    assert sample.associations_to(ILIUM_MET) == [
        Association(POSSIBLY_EQUIVALENT_TO, "POSSIBLY EQUIVALENT TO", AMBIGUOUS, ILIUM_MET),
        Association(REPLACED_BY, "REPLACED BY", DUPLICATE, ILIUM_MET),
    ]
    assert sample.associations_to(SACRUM_MET) == [
        Association(POSSIBLY_EQUIVALENT_TO, "POSSIBLY EQUIVALENT TO", AMBIGUOUS, SACRUM_MET)
    ]
    assert sample.associations(ILIUM_MET) == []
    assert sample.associations_to(LIVER_MET) == []


def test_inactivation_reasons(sample: Terminology) -> None:
    # AttributeValue lines 2-3 (refset 900000000000489007).
    assert sample.inactivation_reason(DUPLICATE) == (900000000000482003, "DUPLICATE")
    assert sample.inactivation_reason(AMBIGUOUS) == (900000000000484002, "AMBIGUOUS")
    assert sample.inactivation_reason(ILIUM_MET) is None


def test_resolve(sample: Terminology) -> None:
    # The duplicate is REPLACED BY the ilium metastasis (Association line 4), which is active (Concept line 35).
    assert sample.resolve(DUPLICATE) == [Replacement(ILIUM_MET, "REPLACED BY", (DUPLICATE, ILIUM_MET))]
    # The ambiguous concept is POSSIBLY EQUIVALENT TO two active concepts (lines 2-3).
    assert sample.resolve(AMBIGUOUS) == [
        Replacement(ILIUM_MET, "POSSIBLY EQUIVALENT TO", (AMBIGUOUS, ILIUM_MET)),
        Replacement(SACRUM_MET, "POSSIBLY EQUIVALENT TO", (AMBIGUOUS, SACRUM_MET)),
    ]
    # An active concept stands for itself.
    assert sample.resolve(ILIUM_MET) == [Replacement(ILIUM_MET, "direct", (ILIUM_MET,))]


# ----- release identity


def test_release_info_from_the_module_dependency_file(sample: Terminology) -> None:
    # ModuleDependency lines 2-3: module 19990001103 depends on 900000000000012004 and 900000000000207008,
    # sourceEffectiveTime 20250301, targetEffectiveTime 20250101. Nothing depends on 19990001103: it is the edition.
    info = sample.release
    assert info.edition_module == MODULE
    assert info.version == "20250301"
    assert info.uri == "http://snomed.info/sct/19990001103/version/20250301"
    assert sorted(
        (d["module"], d["depends_on"], d["source_effective_time"], d["target_effective_time"])
        for d in info.dependencies
    ) == [
        ("19990001103", "900000000000012004", "20250301", "20250101"),
        ("19990001103", "900000000000207008", "20250301", "20250101"),
    ]
    assert sorted(info.language_refsets) == sorted([EN_US, EN_GB])
    # Concept file: 121 rows, two inactive (lines 41, 52).
    assert (info.counts["concepts"], info.counts["active_concepts"]) == (121, 119)
