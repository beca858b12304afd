"""ECL evaluator: one test (or more) per construct, expectations read BY HAND from the RF2 files.

Sample release files (sample_data/release/Snapshot, line 1 is the header):
  C  = Terminology/sct2_Concept_Snapshot_SNOMAP_20250301.txt
  R  = Terminology/sct2_Relationship_Snapshot_SNOMAP_20250301.txt
  CV = Terminology/sct2_RelationshipConcreteValues_Snapshot_SNOMAP_20250301.txt
  D  = Terminology/sct2_Description_Snapshot-en_SNOMAP_20250301.txt
  TD = Terminology/sct2_TextDefinition_Snapshot-en_SNOMAP_20250301.txt
  L  = Refset/Language/der2_cRefset_LanguageSnapshot-en_SNOMAP_20250301.txt
  SR = Refset/Content/der2_Refset_SimpleSnapshot_SNOMAP_20250301.txt
  AS = Refset/Content/der2_cRefset_AssociationSnapshot_SNOMAP_20250301.txt
  EM = Refset/Map/der2_iisssccRefset_ExtendedMapSnapshot_SNOMAP_20250301.txt
The is-a tree is drawn in sample_data/README.md (read off the inferred is-a rows of R).
Real-subset tests read the RF2 files with csv, independently of the index.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from terminology import Terminology, TerminologyError
from terminology.ecl import (
    MAX_PAGE,
    EclEvaluationError,
    EclInvalidIdError,
    EclLimitError,
    EclSyntaxError,
    EclTimeoutError,
    ecl_concepts,
    ecl_count,
    evaluate,
)

# --- sample concepts (README tree)
ROOT, FINDING, DISEASE = 138875005, 404684003, 64572001
NEOPLASTIC, BENIGN_BONE, MALIGNANT = 1009990001109, 1179990001101, 1019990001106
PRIMARY_LUNG, PRIMARY_BONE, SECONDARY = 1159990001106, 1169990001109, 1029990001104
LIVER_MET, LUNG_MET, BONE_MET = 1099990001101, 1109990001105, 1039990001102
PELVIC_MET, ILIUM_MET, SACRUM_MET = 1049990001107, 1059990001105, 1069990001108
FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE = 1079990001100, 1089990001103, 1149990001108
FRACTURE, FEMUR_FRACTURE, PNEUMONIA, BACT_PNEUMONIA = 1129990001100, 1139990001103, 1189990001104, 1199990001102
DIABETES, T2DM = 1209990001100, 1219990001103
DUPLICATE, AMBIGUOUS = 1119990001107, 1229990001105  # inactive (C lines 41, 52)
UNKNOWN = 9999990001104  # valid SCTID, in no sample file
BODY, BONE, PELVIS, ILIUM, SACRUM = 123037004, 2009990001102, 2019990001100, 2029990001107, 2039990001109
FEMUR_BONE, VERTEBRA, LIVER, LUNG = 2049990001104, 2059990001101, 2069990001103, 2079990001106
LEFT_ILIUM, RIGHT_ILIUM, LEFT, RIGHT = 2089990001108, 2099990001105, 7771000, 24028007
METASTATIC, FRACTURE_M = 3029990001100, 3049990001108
BACTERIUM = 5109990001107
TABLET, SOLUTION = 5019990001108, 5029990001101
FINDING_SITE, MORPHOLOGY, LATERALITY, PROC_SITE = 363698007, 116676008, 272741003, 363704007
IS_A = 116680003
STRENGTH, COUNT, FORM = 4109990001108, 4119990001105, 4129990001103
BONE_REFSET, ICD_MAP = 4019990001109, 4029990001102

DISEASES = {  # < 64572001: every concept under Disease in the README tree
    NEOPLASTIC, BENIGN_BONE, MALIGNANT, PRIMARY_LUNG, PRIMARY_BONE, SECONDARY, LIVER_MET, LUNG_MET, BONE_MET,
    PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE, FRACTURE, FEMUR_FRACTURE,
    PNEUMONIA, BACT_PNEUMONIA, DIABETES, T2DM,
}  # fmt: skip
BONE_METS = {PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}  # < 1039990001102


def ids(t: Terminology, ecl: str) -> set[int]:
    return set(evaluate(t, ecl).ids.tolist())


# ----------------------------------------------------------------- focus concepts


def test_concept_reference_and_wildcard(sample: Terminology) -> None:
    assert ids(sample, str(ILIUM_MET)) == {ILIUM_MET}
    assert ids(sample, f"{ILIUM_MET} |any term is ignored|") == {ILIUM_MET}
    # C: 121 concept rows, 2 inactive (lines 41, 52): the substrate of * is the 119 active ones.
    star = ids(sample, "*")
    assert len(star) == 119 and DUPLICATE not in star and AMBIGUOUS not in star
    assert ids(sample, "ANY") == star


def test_result_is_sorted_rows_and_ids(sample: Terminology) -> None:
    r = evaluate(sample, f"<< {BONE_MET}")
    assert r.ids.tolist() == sorted(r.ids.tolist())
    assert r.rows.tolist() == sorted(r.rows.tolist())
    assert [int(sample.ids[i]) for i in r.rows] == r.ids.tolist()
    assert ILIUM_MET in r and 123 not in r and len(r) == 7


def test_unknown_focus_concept_is_empty_with_warning(sample: Terminology) -> None:
    r = evaluate(sample, str(UNKNOWN))
    assert len(r) == 0 and r.warnings == (f"concept {UNKNOWN} is not in the release",)
    r = evaluate(sample, f"<< {UNKNOWN} OR {ILIUM_MET}")
    assert set(r.ids.tolist()) == {ILIUM_MET} and f"concept {UNKNOWN} is not in the release" in r.warnings


def test_inactive_focus_concept(sample: Terminology) -> None:
    # Named explicitly it is itself; inactive concepts have no is-a, so << gives just it and < nothing.
    r = evaluate(sample, str(DUPLICATE))
    assert r.ids.tolist() == [DUPLICATE] and r.warnings == (f"concept {DUPLICATE} is inactive",)
    assert ids(sample, f"<< {DUPLICATE}") == {DUPLICATE}
    assert ids(sample, f"< {DUPLICATE}") == set()
    assert ids(sample, f"> {DUPLICATE}") == set()


def test_alternate_identifier_is_empty_with_warning(sample: Terminology) -> None:
    r = evaluate(sample, "LOINC#54486-6")
    assert len(r) == 0 and "LOINC#54486-6" in r.warnings[0]


# ----------------------------------------------------------------- hierarchy


def test_descendants(sample: Terminology) -> None:
    assert ids(sample, f"< {BONE_MET}") == BONE_METS
    assert ids(sample, f"<< {BONE_MET}") == BONE_METS | {BONE_MET}
    assert ids(sample, f"descendantOf {BONE_MET}") == BONE_METS
    assert ids(sample, f"< {DISEASE}") == DISEASES


def test_children(sample: Terminology) -> None:
    # R: is-a rows with destination 1039990001102 (pelvic, femur, vertebra, pathological fracture).
    assert ids(sample, f"<! {BONE_MET}") == {PELVIC_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}
    assert ids(sample, f"<<! {BONE_MET}") == {BONE_MET, PELVIC_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}


def test_ancestors_and_parents(sample: Terminology) -> None:
    up = {PELVIC_MET, BONE_MET, SECONDARY, MALIGNANT, NEOPLASTIC, DISEASE, FINDING, ROOT}
    assert ids(sample, f"> {ILIUM_MET}") == up
    assert ids(sample, f">> {ILIUM_MET}") == up | {ILIUM_MET}
    # The pathological fracture has two parents (README).
    assert ids(sample, f">! {PATH_FRACTURE}") == {BONE_MET, FRACTURE}
    assert ids(sample, f">>! {PATH_FRACTURE}") == {BONE_MET, FRACTURE, PATH_FRACTURE}


def test_hierarchy_of_a_set(sample: Terminology) -> None:
    assert ids(sample, f"<! ({FRACTURE} OR {PNEUMONIA})") == {FEMUR_FRACTURE, PATH_FRACTURE, BACT_PNEUMONIA}
    assert ids(sample, f">! ({ILIUM_MET} OR {FEMUR_FRACTURE})") == {PELVIC_MET, FRACTURE}


def test_top_and_bottom_of_set(sample: Terminology) -> None:
    # < Secondary malignant neoplastic disease: liver, lung and bone metastases, and the bone metastasis subtree.
    assert ids(sample, f"!!> (< {SECONDARY})") == {LIVER_MET, LUNG_MET, BONE_MET}
    assert ids(sample, f"!!< (<< {BONE_MET})") == {ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}


# ----------------------------------------------------------------- compound


def test_and_or_minus(sample: Terminology) -> None:
    assert ids(sample, f"<< {BONE_MET} AND << {FRACTURE}") == {PATH_FRACTURE}
    assert ids(sample, f"<< {BONE_MET}, << {FRACTURE}") == {PATH_FRACTURE}
    assert ids(sample, f"<! {FRACTURE} OR <! {PNEUMONIA}") == {FEMUR_FRACTURE, PATH_FRACTURE, BACT_PNEUMONIA}
    assert ids(sample, f"<< {BONE_MET} MINUS << {PELVIC_MET}") == {BONE_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}
    assert ids(sample, f"(<< {BONE_MET} MINUS << {PELVIC_MET}) AND < {FRACTURE}") == {PATH_FRACTURE}


# ----------------------------------------------------------------- refinements


def test_attribute_with_descendant_value(sample: Terminology) -> None:
    # R: finding site in << pelvis {pelvis, ilium, sacrum, left/right ilium}: lines 18, 21, 24 (39, 72 inactive).
    assert ids(sample, f"< {FINDING} : {FINDING_SITE} = << {PELVIS}") == {PELVIC_MET, ILIUM_MET, SACRUM_MET}


def test_attribute_not_equal(sample: Terminology) -> None:
    # R: morphologies other than Neoplasm, metastatic: lines 4, 7, 41, 44, 50, 53, 56, 59, 62, 65.
    expected = {
        NEOPLASTIC,
        MALIGNANT,
        FRACTURE,
        FEMUR_FRACTURE,
        PATH_FRACTURE,
        PRIMARY_LUNG,
        PRIMARY_BONE,
        BENIGN_BONE,
        PNEUMONIA,
        BACT_PNEUMONIA,
    }
    assert ids(sample, f"< {DISEASE} : {MORPHOLOGY} != {METASTATIC}") == expected


def test_cardinality(sample: Terminology) -> None:
    # Only the two diabetes concepts have no morphology (README; no R rows for 1209.../1219...).
    assert ids(sample, f"< {DISEASE} : [0..0] {MORPHOLOGY} = *") == {DIABETES, T2DM}
    # The pathological fracture has two finding site rows (R lines 49, 51); everyone else at most one.
    assert ids(sample, f"< {DISEASE} : [2..*] {FINDING_SITE} = *") == {PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} : [0..1] {FINDING_SITE} = *") == DISEASES - {PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} : [1..1] {FINDING_SITE} = *") == DISEASES - {PATH_FRACTURE, DIABETES, T2DM}
    assert ids(sample, f"< {DISEASE} : [0..*] {FINDING_SITE} = *") == DISEASES
    # [0..0] with !=: no morphology outside {metastatic} (diabetes: none at all).
    met_only = {SECONDARY, LIVER_MET, LUNG_MET, BONE_MET, PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET}
    assert ids(sample, f"< {DISEASE} : [0..0] {MORPHOLOGY} != {METASTATIC}") == met_only | {DIABETES, T2DM}
    assert ids(sample, "< 64572001 : [0 to 0] 116676008 = *") == {DIABETES, T2DM}


def test_attribute_group(sample: Terminology) -> None:
    # Groups with fracture morphology and a bone site: R 41/42, 44/45, and group 2 of the fracture (50/51).
    assert ids(sample, f"< {DISEASE} : {{ {MORPHOLOGY} = {FRACTURE_M}, {FINDING_SITE} = << {BONE} }}") == {
        FRACTURE,
        FEMUR_FRACTURE,
        PATH_FRACTURE,
    }
    # Group cardinality: two role groups with a finding site: only the pathological fracture.
    assert ids(sample, f"< {DISEASE} : [2..2] {{ {FINDING_SITE} = * }}") == {PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} : [0..0] {{ {MORPHOLOGY} = {FRACTURE_M} }}") == DISEASES - {
        FRACTURE,
        FEMUR_FRACTURE,
        PATH_FRACTURE,
    }
    # Group 0 (laterality, R lines 86, 88) is a group of its own.
    assert ids(sample, f"< {BODY} : {{ {LATERALITY} = {LEFT} }}") == {LEFT_ILIUM}


def test_group_needs_both_in_one_group(sample: Terminology) -> None:
    # Bacterial pneumonia has morphology Inflammation and agent Bacterium in group 1 (R 65-67): both in one group.
    assert ids(sample, f"< {DISEASE} : {{ 246075003 = {BACTERIUM}, {MORPHOLOGY} = 3059990001106 }}") == {BACT_PNEUMONIA}
    # CV: strength #500 is in group 1, count of base #1 in group 0 (lines 2, 4): not one group.
    assert ids(sample, f"* : {{ {STRENGTH} = #500, {COUNT} = #1 }}") == set()
    assert ids(sample, f"* : {STRENGTH} = #500, {COUNT} = #1") == {TABLET}


def test_conjunction_and_disjunction_of_attributes(sample: Terminology) -> None:
    both = f"< {DISEASE} : {MORPHOLOGY} = {METASTATIC}, {FINDING_SITE} = << {PELVIS}"
    assert ids(sample, both) == {PELVIC_MET, ILIUM_MET, SACRUM_MET}
    either = f"< {DISEASE} : {FINDING_SITE} = {LIVER} OR {FINDING_SITE} = {ILIUM}"
    assert ids(sample, either) == {LIVER_MET, ILIUM_MET}


def test_reverse_attribute(sample: Terminology) -> None:
    # Destinations of active finding-site rows from diseases (R lines 14..66; 39 and 72 are inactive).
    sites = {BONE, PELVIS, ILIUM, SACRUM, FEMUR_BONE, VERTEBRA, LIVER, LUNG}
    assert ids(sample, f"< {BODY} : R {FINDING_SITE} = < {DISEASE}") == sites
    assert ids(sample, f"< {BODY} : reverseOf {FINDING_SITE} = *") == sites
    # Bone is a finding site 6 times (R 14, 42, 49, 51, 57, 60), lung 4 times (36, 54, 63, 66).
    assert ids(sample, f"< {BODY} : [3..*] R {FINDING_SITE} = *") == {BONE, LUNG}


def test_dotted_attributes(sample: Terminology) -> None:
    assert ids(sample, f"<< {BONE_MET} . {FINDING_SITE}") == {BONE, PELVIS, ILIUM, SACRUM, FEMUR_BONE, VERTEBRA}
    # R 86, 88: the two ilium sides have lateralities.
    assert ids(sample, f"(<< {ILIUM}) . {LATERALITY}") == {LEFT, RIGHT}
    # Biopsy of ilium -> procedure site ilium (R 76) -> ilium has no laterality itself.
    assert ids(sample, f"1519990001100 . {PROC_SITE} . {LATERALITY}") == set()


def test_wildcard_and_constraint_attribute_names(sample: Terminology) -> None:
    # Any attribute = metastatic morphology: R 10, 13, 17, 20, 23, 26, 29, 32, 35, 48.
    met = {
        SECONDARY,
        BONE_MET,
        PELVIC_MET,
        ILIUM_MET,
        SACRUM_MET,
        FEMUR_MET,
        VERTEBRA_MET,
        LIVER_MET,
        LUNG_MET,
        PATH_FRACTURE,
    }
    assert ids(sample, f"* : * = {METASTATIC}") == met
    assert ids(sample, f"< {FINDING} : (<< 410662002) = {BACTERIUM}") == {BACT_PNEUMONIA}


# ----------------------------------------------------------------- 116680003 |Is a| as an attribute
# Is-a rows of R (inferred, active = 1): a concept's parents.  R 15 (pelvic met. -> secondary) is
# inactive, so the pelvic bone metastasis has one parent (bone met., R 16); the pathological fracture
# has two (R 46 bone met., R 47 fracture).


def test_is_a_attribute(sample: Terminology) -> None:
    # Children of Fracture of bone: R 43 (femur fracture), R 47 (pathological fracture).
    r = evaluate(sample, f"< {FINDING} : {IS_A} = {FRACTURE}")
    assert set(r.ids.tolist()) == {FEMUR_FRACTURE, PATH_FRACTURE} and r.warnings == ()
    assert ids(sample, f"< {FINDING} : {IS_A} |Is a| = {FRACTURE} |Fracture of bone|") == {
        FEMUR_FRACTURE,
        PATH_FRACTURE,
    }
    # Parent Disease: R 3, 40, 61, 68.
    assert ids(sample, f"* : {IS_A} = {DISEASE}") == {NEOPLASTIC, FRACTURE, PNEUMONIA, DIABETES}
    # Parent Secondary malignant neoplastic disease: R 12, 31, 34 (R 15, the pelvic met., is inactive).
    assert ids(sample, f"* : {IS_A} = {SECONDARY}") == {BONE_MET, LIVER_MET, LUNG_MET}
    # A parent in << pelvic met. (R 19, 22) or in << fracture (R 43, 47).
    assert ids(sample, f"< {DISEASE} : {IS_A} = (<< {PELVIC_MET} OR << {FRACTURE})") == {
        ILIUM_MET,
        SACRUM_MET,
        FEMUR_FRACTURE,
        PATH_FRACTURE,
    }
    # != : some parent outside the set; only the pelvic, femur and vertebra met. have bone met. as their only parent (R 16, 25, 28).
    assert ids(sample, f"< {DISEASE} : {IS_A} != {BONE_MET}") == DISEASES - {PELVIC_MET, FEMUR_MET, VERTEBRA_MET}


def test_is_a_attribute_cardinality(sample: Terminology) -> None:
    # Two active is-a rows: only the pathological fracture (R 46, 47) among the diseases.
    assert ids(sample, f"< {DISEASE} : [2..*] {IS_A} = *") == {PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} : [0..1] {IS_A} = *") == DISEASES - {PATH_FRACTURE}
    # Counting parents in a set: the fracture has one parent in << bone met. and two in the union.
    assert ids(sample, f"< {DISEASE} : [1..1] {IS_A} = << {BONE_MET}") == BONE_METS
    assert ids(sample, f"< {DISEASE} : [2..2] {IS_A} = (<< {BONE_MET} OR << {FRACTURE})") == {PATH_FRACTURE}
    # [0..0] = * : no parent: the root (no is-a row has it as source), and an inactive concept (no active is-a).
    assert ids(sample, f"({ROOT} OR {FINDING} OR {DUPLICATE}) : [0..0] {IS_A} = *") == {ROOT, DUPLICATE}
    # All parents in the set ([0..0] with !=): those whose parents are all bone met. or below.
    assert ids(sample, f"< {DISEASE} : [0..0] {IS_A} != << {BONE_MET}") == BONE_METS - {PATH_FRACTURE}


def test_is_a_attribute_reverse(sample: Terminology) -> None:
    # Parents of the pathological fracture (R 46, 47).
    assert ids(sample, f"* : R {IS_A} = {PATH_FRACTURE}") == {BONE_MET, FRACTURE}
    assert ids(sample, f"* : reverseOf {IS_A} = {PATH_FRACTURE}") == {BONE_MET, FRACTURE}
    # A child in << pelvic met.: bone met. (R 16) and the pelvic met. itself (R 19, 22); not the secondary (R 15 inactive).
    assert ids(sample, f"< {DISEASE} : R {IS_A} = << {PELVIC_MET}") == {BONE_MET, PELVIC_MET}
    # Diseases with two or more children: neoplastic (R 6, 58), malignant (R 9, 52, 55), secondary (R 12, 31, 34),
    # bone met. (R 16, 25, 28, 46), pelvic met. (R 19, 22), fracture (R 43, 47); pneumonia and diabetes have one.
    two = {NEOPLASTIC, MALIGNANT, SECONDARY, BONE_MET, PELVIC_MET, FRACTURE}
    assert ids(sample, f"< {DISEASE} : [2..*] R {IS_A} = *") == two
    assert ids(sample, f"< {DISEASE} : [0..0] R {IS_A} = *") == DISEASES - two - {PNEUMONIA, DIABETES}
    # A child outside << bone met.: bone met. and pelvic met. have none.
    assert ids(sample, f"< {DISEASE} : R {IS_A} != << {BONE_MET}") == {
        NEOPLASTIC,
        MALIGNANT,
        SECONDARY,
        FRACTURE,
        PNEUMONIA,
        DIABETES,
    }


def test_is_a_dotted(sample: Terminology) -> None:
    assert ids(sample, f"{PATH_FRACTURE} . {IS_A}") == {BONE_MET, FRACTURE}
    assert ids(sample, f"({ILIUM_MET} OR {FEMUR_FRACTURE}) . {IS_A}") == {PELVIC_MET, FRACTURE}  # R 19, 43
    assert ids(sample, f"{PELVIC_MET} . {IS_A}") == {BONE_MET}  # R 16 (R 15 inactive)
    assert ids(sample, f"{ILIUM_MET} . {IS_A} . {IS_A}") == {BONE_MET}
    # Finding sites of the fracture's parents: bone met. -> bone (R 14), fracture -> bone (R 42).
    assert ids(sample, f"{PATH_FRACTURE} . {IS_A} . {FINDING_SITE}") == {BONE}
    # A site's parent: ilium -> pelvis (R 79).
    assert ids(sample, f"{ILIUM_MET} . {FINDING_SITE} . {IS_A}") == {PELVIS}


def test_is_a_in_attribute_groups(sample: Terminology) -> None:
    # Each is-a relationship is in group 0, a group of its own.
    assert ids(sample, f"< {DISEASE} : {{ {IS_A} = {FRACTURE} }}") == {FEMUR_FRACTURE, PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} : [2..2] {{ {IS_A} = * }}") == {PATH_FRACTURE}
    # The fracture's two parents are two relationships, so never one group ...
    assert ids(sample, f"< {DISEASE} : {{ {IS_A} = {BONE_MET}, {IS_A} = {FRACTURE} }}") == set()
    assert ids(sample, f"< {DISEASE} : {IS_A} = {BONE_MET}, {IS_A} = {FRACTURE}") == {PATH_FRACTURE}
    # ... and is-a never shares a group with the morphology (group 1 or 2, R 44, 50).
    assert ids(sample, f"< {DISEASE} : {{ {IS_A} = {FRACTURE}, {MORPHOLOGY} = {FRACTURE_M} }}") == set()
    assert ids(sample, f"< {DISEASE} : {IS_A} = {FRACTURE}, {MORPHOLOGY} = {FRACTURE_M}") == {
        FEMUR_FRACTURE,
        PATH_FRACTURE,
    }
    # [0..n] inside a group that names is-a counts is-a groups: the fracture's is-a to Fracture of bone is a
    # group with no is-a to << bone met.; the femur fracture's only is-a is to Fracture of bone too.
    ok = f"{{ {IS_A} = << {FRACTURE}, [0..0] {IS_A} = << {BONE_MET} }}"
    assert ids(sample, f"< {DISEASE} : {ok}") == {FEMUR_FRACTURE, PATH_FRACTURE}
    assert ids(sample, f"{PATH_FRACTURE} : {ok}") == {PATH_FRACTURE}  # read from the focus side
    assert ids(sample, f"< {DISEASE} : {{ {IS_A} = << {FRACTURE}, [1..*] {IS_A} = << {BONE_MET} }}") == set()
    # A group that does not name is-a does not count is-a relationships as groups: every disease group
    # has a finding site (R 5-66), so no disease has a group without one.
    assert ids(sample, f"< {DISEASE} : {{ [0..0] {FINDING_SITE} = * }}") == set()
    with pytest.raises(EclEvaluationError, match="reverse"):
        evaluate(sample, f"* : {{ R {IS_A} = {FRACTURE} }}")


def test_is_a_with_other_attributes(sample: Terminology) -> None:
    # Children of malignant neoplastic disease (R 9, 52, 55) with primary morphology (R 53, 56).
    assert ids(sample, f"< {DISEASE} : {IS_A} = {MALIGNANT}, {MORPHOLOGY} = 3039990001103") == {
        PRIMARY_LUNG,
        PRIMARY_BONE,
    }
    assert ids(sample, f"< {DISEASE} : {IS_A} = {FRACTURE} OR 246075003 = {BACTERIUM}") == {
        FEMUR_FRACTURE,
        PATH_FRACTURE,
        BACT_PNEUMONIA,
    }
    # Children of fracture with a metastatic morphology: only the pathological fracture (R 48; femur fracture R 44).
    assert ids(sample, f"< {DISEASE} : {IS_A} = {FRACTURE}, {MORPHOLOGY} = {METASTATIC}") == {PATH_FRACTURE}


def test_is_a_in_attribute_name_sets(sample: Terminology) -> None:
    # A constraint as the name takes is-a in when its set holds 116680003: << 116680003 is just it ...
    assert ids(sample, f"< {DISEASE} : << {IS_A} = {FRACTURE}") == {FEMUR_FRACTURE, PATH_FRACTURE}
    # Finding site bone: R 14, 42, 49, 57, 60; is-a Fracture of bone: R 43, 47.
    either = {BONE_MET, FRACTURE, PATH_FRACTURE, PRIMARY_BONE, BENIGN_BONE, FEMUR_FRACTURE}
    assert ids(sample, f"< {DISEASE} : ({IS_A} OR {FINDING_SITE}) = ({BONE} OR {FRACTURE})") == either
    assert ids(sample, f"{PATH_FRACTURE} . (<< {IS_A})") == {BONE_MET, FRACTURE}
    # ... and in the sample 116680003 is under 410662002 (R 120), so << 410662002 holds it too.
    assert ids(sample, f"< {DISEASE} : (<< 410662002) = {FRACTURE}") == {FEMUR_FRACTURE, PATH_FRACTURE}
    # The wildcard name is any defining attribute, not is-a: no attribute has Fracture of bone as its value.
    assert ids(sample, f"< {DISEASE} : * = {FRACTURE}") == set()
    assert ids(sample, f"{PATH_FRACTURE} . *") == {METASTATIC, FRACTURE_M, BONE}  # R 48-51


def test_nested_expression_value(sample: Terminology) -> None:
    # Finding site liver or lung: R 33, 36, 54, 63, 66.
    assert ids(sample, f"< {FINDING} : {FINDING_SITE} = ({LIVER} OR {LUNG})") == {
        LIVER_MET,
        LUNG_MET,
        PRIMARY_LUNG,
        PNEUMONIA,
        BACT_PNEUMONIA,
    }


def test_concrete_values(sample: Terminology) -> None:
    # CV lines 4 (#500 tablet) and 7 (#0.5 solution) of strength; 2, 5 count #1; 3, 6 dose form strings.
    assert ids(sample, f"* : {STRENGTH} >= #100") == {TABLET}
    assert ids(sample, f"* : {STRENGTH} < #1") == {SOLUTION}
    assert ids(sample, f"* : {STRENGTH} = #0.5") == {SOLUTION}
    assert ids(sample, f"* : {STRENGTH} != #500") == {SOLUTION}
    assert ids(sample, f"* : {COUNT} = #1") == {TABLET, SOLUTION}
    assert ids(sample, f'* : {FORM} = "tablet"') == {TABLET}
    assert ids(sample, f'* : {FORM} != "tablet"') == {SOLUTION}
    assert ids(sample, f'* : {FORM} = wild:"oral*"') == {SOLUTION}
    assert ids(sample, f'* : {FORM} = ("tablet" "oral solution")') == {TABLET, SOLUTION}
    assert ids(sample, f"* : {COUNT} = true") == set()  # no boolean values in CV


# ----------------------------------------------------------------- member of


def test_member_of(sample: Terminology) -> None:
    # SR: lines 2-7 and 9 are active members; line 8 (the inactive duplicate) is not.
    assert ids(sample, f"^ {BONE_REFSET}") == {BONE_MET} | BONE_METS
    assert ids(sample, f"memberOf {BONE_REFSET}") == {BONE_MET} | BONE_METS
    r = evaluate(sample, f"^ {ILIUM_MET}")
    assert len(r) == 0 and any("not a reference set" in w for w in r.warnings)


def test_member_filters(sample: Terminology) -> None:
    c795 = {BONE_MET, PELVIC_MET, ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, PATH_FRACTURE}  # EM 2-7, 14
    assert ids(sample, f'^ {ICD_MAP} {{{{ M mapTarget = "C79.5" }}}}') == c795
    assert ids(sample, f"^ {ICD_MAP} {{{{ M mapGroup = #2 }}}}") == {PATH_FRACTURE}  # EM 14
    assert ids(sample, f'^ {ICD_MAP} {{{{ M mapTarget = wild:"C7*" }}}}') == c795 | {LIVER_MET, LUNG_MET}  # EM 8, 9
    assert ids(sample, f"^ {ICD_MAP} {{{{ M referencedComponentId = << {PELVIC_MET} }}}}") == {
        PELVIC_MET,
        ILIUM_MET,
        SACRUM_MET,
    }
    # One member must meet a whole block: the fracture's C79.5 row is group 2 (EM 13, 14) ...
    assert ids(sample, f'^ {ICD_MAP} {{{{ M mapTarget = "C79.5", mapGroup = #1 }}}}') == c795 - {PATH_FRACTURE}
    # ... while two blocks may be met by different members.
    assert ids(sample, f'^ {ICD_MAP} {{{{ M mapTarget = "C79.5" }}}} {{{{ M mapGroup = #1 }}}}') == c795
    assert ids(sample, f'^ {ICD_MAP} {{{{ M moduleId = 19990001103, effectiveTime >= "20250301" }}}}') == {
        VERTEBRA_MET,
        PATH_FRACTURE,
    }
    assert ids(sample, f"^ {ICD_MAP} {{{{ M active = 0 }}}}") == set()
    with pytest.raises(EclEvaluationError, match="no field 'nonsense'"):
        evaluate(sample, f"^ {ICD_MAP} {{{{ M nonsense = #1 }}}}")


def test_member_field_selection(sample: Terminology) -> None:
    # AS: 1119990001107 REPLACED BY 1059990001105.
    assert ids(sample, "^ [targetComponentId] 900000000000526001") == {ILIUM_MET}
    assert ids(sample, "<< (^ [targetComponentId] 900000000000526001)") == {ILIUM_MET}
    r = evaluate(sample, f"^ [mapTarget] {ICD_MAP} {{{{ M referencedComponentId = {PATH_FRACTURE} }}}}")
    assert r.fields == ("mapTarget",) and [x["mapTarget"] for x in r.records or ()] == ["C79.5", "M84.5"]  # EM 13, 14
    r = evaluate(sample, f"^ [referencedComponentId, mapTarget] {ICD_MAP}")
    assert r.total == 19  # EM lines 2-22, 2 inactive (10, 22)
    with pytest.raises(EclEvaluationError, match="2 fields"):
        evaluate(sample, f"<< (^ [referencedComponentId, mapTarget] {ICD_MAP})")


# ----------------------------------------------------------------- filters


def test_description_term_match(sample: Terminology) -> None:
    # D 17 and 65 hold "tumour"; "tum" is a prefix of tumor (D 16, 64) and tumour.
    assert ids(sample, f'< {DISEASE} {{{{ term = "tumour" }}}}') == {BONE_MET, BENIGN_BONE}
    assert ids(sample, f'< {DISEASE} {{{{ term = "TUM" }}}}') == {BONE_MET, BENIGN_BONE}
    # Every word a prefix, any order: D 24, 25, 27 of the ilium metastasis.
    assert ids(sample, f'< {DISEASE} {{{{ term = "ilium metast" }}}}') == {ILIUM_MET}
    assert ids(sample, f'< {DISEASE} {{{{ term = match:"metast ilium" }}}}') == {ILIUM_MET}


def test_description_term_wild_and_sets(sample: Terminology) -> None:
    # Terms starting with "bone" among diseases: "Bone metastases" (D 19), "Bone fracture" (D 50).
    assert ids(sample, f'< {DISEASE} {{{{ term = wild:"bone*" }}}}') == {BONE_MET, FRACTURE}
    assert ids(sample, f'< {DISEASE} {{{{ term = wild:"*tumour of bone" }}}}') == {BONE_MET, BENIGN_BONE}
    assert ids(sample, f'< {DISEASE} {{{{ term = ("tumour" wild:"bone f*") }}}}') == {BONE_MET, BENIGN_BONE, FRACTURE}


def test_several_description_blocks(sample: Terminology) -> None:
    # Ilium metastasis: "Metastasis to ilium" (D 25) and "Secondary malignant neoplasm of ilium" (D 26) are
    # different descriptions: two blocks match, one block with both words does not.
    two = f'<< {ILIUM_MET} {{{{ term = "metastasis" }}}} {{{{ term = "secondary" }}}}'
    one = f'<< {ILIUM_MET} {{{{ term = "metastasis secondary" }}}}'
    assert ids(sample, two) == {ILIUM_MET} and ids(sample, one) == set()


def test_description_type_language_id(sample: Terminology) -> None:
    assert ids(sample, f'< {DISEASE} {{{{ term = "ilium", type = fsn }}}}') == {ILIUM_MET}  # D 23
    assert ids(sample, f'< {DISEASE} {{{{ term = "ilium", typeId = 900000000000003001 }}}}') == {ILIUM_MET}
    # TD: text definitions of 1029990001104, 1059990001105, 1149990001108.
    assert ids(sample, f"< {FINDING} {{{{ type = def }}}}") == {SECONDARY, ILIUM_MET, PATH_FRACTURE}
    assert ids(sample, f"< {DISEASE} {{{{ language = en }}}}") == DISEASES
    assert ids(sample, f"< {DISEASE} {{{{ language = fr }}}}") == set()
    assert ids(sample, f"< {DISEASE} {{{{ id = 105039990001111 }}}}") == {ILIUM_MET}  # D 25


def test_dialect_and_acceptability(sample: Terminology) -> None:
    # L 18, 68: the "tumour" terms are en-GB preferred; L 319, 369: en-US acceptable only.
    assert ids(sample, f'< {DISEASE} {{{{ term = "tumour", dialect = en-gb (prefer) }}}}') == {BONE_MET, BENIGN_BONE}
    assert ids(sample, f'< {DISEASE} {{{{ term = "tumour", dialect = en-us (prefer) }}}}') == set()
    assert ids(sample, f'< {DISEASE} {{{{ term = "tumour", dialect = en-us (accept) }}}}') == {BONE_MET, BENIGN_BONE}
    assert ids(sample, f'< {DISEASE} {{{{ term = "tumor", dialectId = 900000000000509007 (prefer) }}}}') == {
        BONE_MET,
        BENIGN_BONE,
    }
    r = evaluate(sample, f'< {DISEASE} {{{{ term = "tumour", dialect = en-xx }}}}')
    assert len(r) == 0 and any("en-xx" in w for w in r.warnings)


def test_concept_filters(sample: Terminology) -> None:
    defined = {ILIUM_MET, SACRUM_MET, FEMUR_MET, VERTEBRA_MET, LIVER_MET, LUNG_MET}  # C lines 35-40
    assert ids(sample, f"< {DISEASE} {{{{ C definitionStatus = defined }}}}") == defined
    assert ids(sample, f"< {DISEASE} {{{{ C definitionStatusId = 900000000000074008 }}}}") == DISEASES - defined
    assert ids(sample, f"< {DISEASE} {{{{ C moduleId = 19990001103 }}}}") == DISEASES
    assert ids(sample, f"< {DISEASE} {{{{ C moduleId != 19990001103 }}}}") == set()
    # C: effective 20250301 for 1089990001103 and 1149990001108 among the active findings (lines 38, 44).
    assert ids(sample, f'< {FINDING} {{{{ C effectiveTime >= "20250301" }}}}') == {VERTEBRA_MET, PATH_FRACTURE}
    assert ids(sample, f"({ILIUM_MET} {{{{ +HISTORY }}}}) {{{{ C active = false }}}}") == {DUPLICATE, AMBIGUOUS}


def test_history_supplements(sample: Terminology) -> None:
    # AS: 1119990001107 REPLACED BY ilium met.; 1229990001105 POSSIBLY EQUIVALENT TO ilium and sacrum met.
    # Profiles as the ECL specification and Snowstorm define them (issue 15.1): MIN = SAME AS; MOD = SAME AS,
    # REPLACED BY, WAS A, PARTIALLY EQUIVALENT TO; MAX = every historical association refset.
    assert ids(sample, f"{ILIUM_MET} {{{{ +HISTORY-MIN }}}}") == {ILIUM_MET}
    assert ids(sample, f"{ILIUM_MET} {{{{ +HISTORY-MOD }}}}") == {ILIUM_MET, DUPLICATE}
    assert ids(sample, f"{ILIUM_MET} {{{{ +HISTORY-MAX }}}}") == {ILIUM_MET, DUPLICATE, AMBIGUOUS}
    assert ids(sample, f"{ILIUM_MET} {{{{ +HISTORY }}}}") == {ILIUM_MET, DUPLICATE, AMBIGUOUS}
    assert ids(sample, f"{SACRUM_MET} {{{{ +HISTORY-MIN }}}}") == {SACRUM_MET}
    assert ids(sample, f"{SACRUM_MET} {{{{ +HISTORY (900000000000523009) }}}}") == {SACRUM_MET, AMBIGUOUS}
    assert ids(sample, f"<< {PELVIC_MET} {{{{ +HISTORY-MOD }}}}") == {PELVIC_MET, ILIUM_MET, SACRUM_MET, DUPLICATE}
    assert ids(sample, f"<< {PELVIC_MET} {{{{ +HISTORY-MAX }}}}") == {
        PELVIC_MET,
        ILIUM_MET,
        SACRUM_MET,
        DUPLICATE,
        AMBIGUOUS,
    }


# ----------------------------------------------------------------- errors, guards, paging


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("<< (404684003", 13),  # missing bracket: at the end of input
        ("<< 404684003 404684003", 13),  # trailing tokens
        ('< 404684003 {{ term = "x" ', 26),  # unclosed braces
        ("< 404684003 : 363698007 = ", 26),  # no value
    ],
)
def test_syntax_errors_have_positions(sample: Terminology, text: str, position: int) -> None:
    with pytest.raises(EclSyntaxError) as err:
        evaluate(sample, text)
    assert err.value.position == position


def test_bad_id_is_a_positioned_syntax_error(sample: Terminology) -> None:
    with pytest.raises(EclInvalidIdError) as err:
        evaluate(sample, "<< 123456")  # wrong check digit
    assert err.value.position == 3


def test_time_budget(sample: Terminology) -> None:
    with pytest.raises(EclTimeoutError) as err:
        evaluate(sample, f"<< {MALIGNANT} OR << {FRACTURE}", time_budget_s=-1)
    assert isinstance(err.value, TerminologyError) and err.value.status == 422
    assert ids(sample, f"<< {MALIGNANT}") and evaluate(sample, f"<! {MALIGNANT}", time_budget_s=None)


def test_paging_and_count(sample: Terminology) -> None:
    total, page = ecl_concepts(sample, f"< {BONE_MET}", limit=2, offset=1)
    assert total == 6 and page == sorted(BONE_METS)[1:3]
    assert ecl_count(sample, f"< {DISEASE}") == 21
    with pytest.raises(EclLimitError) as err:
        ecl_concepts(sample, "*", limit=MAX_PAGE + 1)
    assert err.value.field == "limit" and err.value.status == 400


# ----------------------------------------------------------------- the real subset


def _subset_rows(path: Path, pattern: str) -> list[dict[str, str]]:
    file = next(path.rglob(pattern))
    with open(file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def subset_rf2(subset_path: Path) -> dict:
    """Active concepts, children and attribute rows of the subset, read with csv (not the index)."""
    concepts = {int(r["id"]): r["active"] == "1" for r in _subset_rows(subset_path, "sct2_Concept_Snapshot_*")}
    children: dict[int, set[int]] = defaultdict(set)
    attrs: list[tuple[int, int, int, int]] = []
    for r in _subset_rows(subset_path, "sct2_Relationship_Snapshot_*"):
        if r["active"] != "1" or r["characteristicTypeId"] == "900000000000227009":
            continue
        src, dst, typ = int(r["sourceId"]), int(r["destinationId"]), int(r["typeId"])
        if typ == 116680003:
            if concepts.get(src) and concepts.get(dst):
                children[dst].add(src)
        else:
            attrs.append((src, typ, dst, int(r["relationshipGroup"])))
    return {"active": {c for c, a in concepts.items() if a}, "children": children, "attrs": attrs}


def _below(children: dict[int, set[int]], start: int) -> set[int]:
    out: set[int] = set()
    todo = list(children.get(start, ()))
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(children.get(c, ()))
    return out


@pytest.mark.real_release
def test_subset_hierarchy(subset: Terminology, subset_rf2: dict) -> None:
    ch = subset_rf2["children"]
    assert ids(subset, "*") == subset_rf2["active"]
    for top in (404684003, 123037004, 64572001):
        assert ids(subset, f"< {top}") == _below(ch, top)
        assert ids(subset, f"<! {top}") == ch[top]
    assert ids(subset, "< 404684003 AND < 123037004") == set()


@pytest.mark.real_release
def test_subset_refinements(subset: Terminology, subset_rf2: dict) -> None:
    ch, attrs = subset_rf2["children"], subset_rf2["attrs"]
    findings = _below(ch, 404684003)
    # The finding site value most used in the subset, and its descendants.
    counts: dict[int, int] = defaultdict(int)
    for _, typ, dst, _ in attrs:
        if typ == 363698007:
            counts[dst] += 1
    site = max(counts, key=lambda k: (counts[k], k))
    sites = {site} | _below(ch, site)
    expected = {s for s, typ, dst, _ in attrs if typ == 363698007 and dst in sites and s in findings}
    assert expected and ids(subset, f"< 404684003 : 363698007 = << {site}") == expected
    # Grouped: morphology and site in one role group.
    groups: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for s, typ, dst, g in attrs:
        if g > 0:
            groups[(s, g)].add((typ, dst))
    grouped = {
        s
        for (s, _), pairs in groups.items()
        if any(t == 363698007 and d in sites for t, d in pairs) and any(t == 116676008 for t, _ in pairs)
    }
    assert ids(subset, f"< 404684003 : {{ 363698007 = << {site}, 116676008 = * }}") == grouped & findings
    # No finding site at all.
    with_site = {s for s, typ, _, _ in attrs if typ == 363698007}
    assert ids(subset, "< 404684003 : [0..0] 363698007 = *") == findings - with_site
    # Reverse: body structures that are some finding's site.
    assert ids(subset, "< 123037004 : R 363698007 = < 404684003") == {
        d for s, t, d, _ in attrs if t == 363698007 and s in findings
    } & _below(ch, 123037004)


@pytest.mark.real_release
def test_subset_is_a_attribute(subset: Terminology, subset_rf2: dict) -> None:
    """116680003 as an attribute against the csv-read is-a rows (active, inferred, both ends active)."""
    ch, attrs = subset_rf2["children"], subset_rf2["attrs"]
    parents: dict[int, set[int]] = defaultdict(set)
    for p, cs in ch.items():
        for c in cs:
            parents[c].add(p)
    findings, diseases = _below(ch, 404684003), _below(ch, 64572001)
    # Plain: findings with a direct parent in << (the disease with the most children).
    top = max(diseases, key=lambda c: (len(ch.get(c, ())), c))
    values = {top} | _below(ch, top)
    expected = {c for c in findings if parents[c] & values}
    r = evaluate(subset, f"< 404684003 : 116680003 |Is a| = << {top}")
    assert expected and set(r.ids.tolist()) == expected and r.warnings == ()
    assert ids(subset, f"< 404684003 : 116680003 != << {top}") == {c for c in findings if parents[c] - values}
    # Cardinality: the number of parents (in a set).
    multi = {c for c in findings if len(parents[c]) >= 2}
    assert multi and ids(subset, "< 404684003 : [2..*] 116680003 = *") == multi
    assert ids(subset, "< 404684003 : [0..0] 116680003 = << 64572001") == {
        c for c in findings if not parents[c] & (diseases | {64572001})
    }
    assert ids(subset, f"< 404684003 : [1..1] 116680003 = << {top}") == {
        c for c in findings if len(parents[c] & values) == 1
    }
    # Reverse: findings with a child in < 64572001; with cardinality, two or more children at all.
    assert ids(subset, "< 404684003 : R 116680003 = < 64572001") == {p for c in diseases for p in parents[c]} & findings
    assert ids(subset, "< 404684003 : [2..*] R 116680003 = *") == {c for c in findings if len(ch.get(c, ())) >= 2}
    # Dotted: the parents of the diseases.
    assert ids(subset, "< 64572001 . 116680003") == {p for c in diseases for p in parents[c]}
    # Groups: each is-a relationship is a group of its own.
    assert ids(subset, "< 404684003 : [2..*] { 116680003 = * }") == multi
    assert ids(subset, "< 404684003 : { 116680003 = << 64572001, 116676008 = * }") == set()
    # With another attribute: a parent under disease and some morphology.
    with_morph = {s for s, typ, _, _ in attrs if typ == 116676008}
    both = {c for c in findings if parents[c] & diseases} & with_morph
    assert both and ids(subset, "< 404684003 : 116680003 = < 64572001, 116676008 = *") == both


@pytest.mark.real_release
def test_subset_history_and_inactive(subset: Terminology, subset_path: Path) -> None:
    # The subset's inactive concepts (active = 0 in the Concept file) are themselves with a warning.
    inactive = [int(r["id"]) for r in _subset_rows(subset_path, "sct2_Concept_Snapshot_*") if r["active"] == "0"]
    assert inactive
    r = evaluate(subset, f"<< {inactive[0]}")
    assert r.ids.tolist() == [inactive[0]] and r.warnings == (f"concept {inactive[0]} is inactive",)
    # Active REPLACED BY rows (900000000000526001 is a child of 900000000000522004 |Historical association
    # reference set| in the Relationship file): HISTORY-MAX brings their sources back.
    rows = [r for r in _subset_rows(subset_path, "der2_cRefset_AssociationSnapshot_*") if r["active"] == "1"]
    replaced = [r for r in rows if r["refsetId"] == "900000000000526001"]
    target = int(replaced[0]["targetComponentId"])
    sources = {int(r["referencedComponentId"]) for r in replaced if int(r["targetComponentId"]) == target}
    assert ids(subset, f"{target} {{{{ +HISTORY-MAX }}}}") == {target} | sources
    # 734139008 (anatomy structure and part association) is an association refset but not historical.
    anatomy = next(
        r
        for r in rows
        if r["refsetId"] == "734139008"
        and r["targetComponentId"] in {x["id"] for x in _subset_rows(subset_path, "sct2_Concept_Snapshot_*")}
    )
    anatomy_target = int(anatomy["targetComponentId"])
    assert int(anatomy["referencedComponentId"]) not in ids(subset, f"{anatomy_target} {{{{ +HISTORY-MAX }}}}")
