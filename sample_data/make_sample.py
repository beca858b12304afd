"""Write snomap's hand-made, fictional RF2 sample release into sample_data/release/.

THIS IS NOT SNOMED CT CONTENT. Every clinical concept, description, relationship and refset member
below was written by hand for snomap's demos and tests; nothing is read or derived from any SNOMED CT
release. Only the metadata identifiers the RF2 format relies on (Is a, description types, language
refsets, ...) and the top-level concept identifiers are real; their terms are our own wording.

The content is described once, as the CONCEPTS table and a few refset tables, with the history of
three releases folded in:

    20240901 (V1)  first release        -> only visible in Full
    20250301 (V2)  the Snapshot / Full  -> Snapshot, Full
    20250901 (V3)  a later change       -> Delta (dated 20250901)

`build(release)` gives the state of every component at one release; effective times, the Full history
and the Delta all follow from comparing those states, so they cannot disagree. The assertion block at
the end reads the written files back and checks them.

Identifier scheme (namespace 9990001, all in module 19990001103):
    concept      make_sctid(key, NS, CONCEPT)                (real metadata ids keep their real id)
    description  make_sctid(key * 100 + slot, NS, DESCRIPTION)  slot 1 = FSN, 2.. synonyms, 50.. definitions
    relationship make_sctid(key * 100 + slot, NS, RELATIONSHIP) 1..49 inferred, 50..79 stated, 80..99 concrete
    refset rows  uuid5(SAMPLE_UUIDS, "<what>/<ids>")

Run:  python sample_data/make_sample.py
"""

from __future__ import annotations

import re
import shutil
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from loaders import rf2_format as rf2  # noqa: E402
from loaders.snomed import CASE_INSENSITIVE, CASE_SENSITIVE, DEFINITION_TYPE, EN_GB, EN_US, EXISTENTIAL, FSN_TYPE, FULLY_DEFINED, INFERRED, IS_A, PREFERRED, PRIMITIVE, STATED, SYNONYM_TYPE
from loaders.sctid import ComponentKind, make_sctid, namespace, sctid_problem  # noqa: E402

OUT = HERE / "release"
NS = 9990001
NAMESPACE = "SNOMAP"
V1, V2, V3 = "20240901", "20250301", "20250901"
RELEASES = (V1, V2, V3)
SAMPLE_UUIDS = uuid.uuid5(uuid.NAMESPACE_DNS, "sample.snomap.invalid")


def cid(item: int) -> int:
    """A concept id in the sample namespace."""
    return make_sctid(item, NS, ComponentKind.CONCEPT)


def did(item: int) -> int:
    return make_sctid(item, NS, ComponentKind.DESCRIPTION)


def rid(item: int) -> int:
    return make_sctid(item, NS, ComponentKind.RELATIONSHIP)


def member_id(*parts: object) -> str:
    return str(uuid.uuid5(SAMPLE_UUIDS, "/".join(str(p) for p in parts)))


MODULE = cid(1)  # 19990001103 snomap sample module

# ---- Real identifiers (metadata the format relies on, and top-level concepts) ----
ROOT = snomed.ROOT
CLINICAL_FINDING = 404684003
DISEASE = 64572001
BODY_STRUCTURE = 123037004
MORPHOLOGIC_ABNORMALITY = 49755003
PROCEDURE = 71388002
QUALIFIER_VALUE = 362981000
SIDE, RIGHT, LEFT = 182353008, 24028007, 7771000
ORGANISM = 410607006
PRODUCT = 373873005
MODEL_COMPONENT = 900000000000441003
ATTRIBUTE = 410662002
FINDING_SITE = 363698007
MORPHOLOGY = 116676008
LATERALITY = 272741003
CAUSATIVE_AGENT = 246075003
PROCEDURE_SITE = 363704007
CORE_METADATA = 900000000000442005
MODULE_CONCEPT = 900000000000443000
FOUNDATION_METADATA = 900000000000454005
REFSET = 900000000000455006
SIMPLE_TYPE = 446609009
SIMPLE_MAP_TYPE = 900000000000496009
EXTENDED_MAP_TYPE = 609331003
LANGUAGE_TYPE = 900000000000506000
ASSOCIATION_TYPE = 900000000000521006
ATTRIBUTE_VALUE_TYPE = 900000000000480006
REPLACED_BY = 900000000000526001
SAME_AS = 900000000000527005
POSSIBLY_EQUIVALENT_TO = 900000000000523009
INACTIVATION_VALUE = 900000000000481005
DUPLICATE = 900000000000482003
OUTDATED = 900000000000483008
AMBIGUOUS = 900000000000484002
MRCM_ATTRIBUTE_DOMAIN = 723561005
MRCM_ATTRIBUTE_RANGE = 723562003
MANDATORY_RULE = 723597001
ALL_CONTENT = 723596005
MAP_CORRELATION_NOT_SPECIFIED = 447561005
MAP_CATEGORY_PROPERLY_CLASSIFIED = 447637006

# ---- Sample identifiers used in more than one place ----
NEOPLASTIC, MALIGNANT_DISEASE, SECONDARY_DISEASE, SECONDARY_BONE, SECONDARY_PELVIC = (cid(i) for i in range(100, 105))
TO_ILIUM, TO_SACRUM, TO_FEMUR, TO_VERTEBRA, TO_LIVER, TO_LUNG, ILIUM_DUPLICATE = (cid(i) for i in range(105, 112))
FRACTURE_OF_BONE, PATHOLOGICAL_FRACTURE, SACROILIAC_AMBIGUOUS, TO_FEMORAL_SHAFT = cid(112), cid(114), cid(122), cid(130)
BONE, PELVIS, ILIUM, SACRUM, FEMUR, VERTEBRA, LIVER, LUNG = (cid(i) for i in range(200, 208))
LEFT_ILIUM, RIGHT_ILIUM, FEMORAL_SHAFT = cid(208), cid(209), cid(210)
NEOPLASM, MALIGNANT, METASTATIC, PRIMARY, FRACTURE, INFLAMMATION, BENIGN = (cid(i) for i in range(300, 307))
BONE_METASTASIS_REFSET, ICD10_MAP, REGISTRY_MAP = cid(401), cid(402), cid(403)
HAS_STRENGTH, HAS_INGREDIENT_COUNT, HAS_DOSE_FORM_TEXT = cid(410), cid(411), cid(412)
BACTERIUM = cid(510)


# ---- How the table is written ----
@dataclass(frozen=True)
class During:
    """A value that exists from `since` and is inactive from `until` (None: still active)."""

    value: int
    since: str = V1
    until: str | None = None


@dataclass(frozen=True)
class Changed:
    """A value that was `before` until release `at`, and `after` from then on."""

    before: object
    at: str
    after: object


def at(value: object, release: str) -> object:
    if isinstance(value, Changed):
        return value.after if release >= value.at else value.before
    return value


@dataclass(frozen=True)
class Syn:
    """A synonym with its acceptability in the en-US and en-GB language refsets."""

    term: str | Changed
    us: int | Changed = ACCEPTABLE
    gb: int | Changed = ACCEPTABLE
    since: str = V1
    case: int = CASE_INSENSITIVE


@dataclass
class Concept:
    key: int
    sctid: int
    fsn: str
    synonyms: list[Syn]
    parents: list[During]
    groups: list[dict[int, int]] = field(default_factory=list)  # role groups 1, 2, ...
    ungrouped: dict[int, int] = field(default_factory=dict)  # group 0 attributes
    concrete: list[tuple[int, int, str]] = field(default_factory=list)  # (group, attribute, value)
    defined: bool = False
    since: str = V1
    inactivated: str | None = None
    reason: int | None = None
    associations: list[tuple[int, int]] = field(default_factory=list)  # (association refset, target)
    definition: str | None = None
    case: int = CASE_INSENSITIVE
    real: bool = False  # a real International id (metadata or top level), not a sample concept


def _concept(key, sctid, fsn, pt, parents, synonyms=(), case=CASE_INSENSITIVE, **kw) -> Concept:
    syns = [] if pt is None else [Syn(pt, PREFERRED, PREFERRED, case=case)]
    syns += [s if isinstance(s, Syn) else Syn(s, case=case) for s in synonyms]
    edges = [p if isinstance(p, During) else During(p) for p in parents]
    return Concept(key, sctid, fsn, syns, edges, case=case, **kw)


def clinical(item, fsn, pt, parents, **kw) -> Concept:
    """A sample concept: id from the item number in namespace 9990001."""
    return _concept(item, cid(item), fsn, pt, parents, **kw)


def meta(sctid, key, fsn, pt, parents, **kw) -> Concept:
    """A concept with a real (metadata or top-level) id; `key` numbers its descriptions and relationships."""
    return _concept(key, sctid, fsn, pt, parents, real=True, **kw)


def site(morphology: int, body_site: int) -> dict[int, int]:
    return {MORPHOLOGY: morphology, FINDING_SITE: body_site}


# ---- The concepts, by hand ----
CONCEPTS: list[Concept] = [
    # Module and model component
    clinical(1, "snomap sample module (core metadata concept)", "snomap sample module", [MODULE_CONCEPT],
             case=CASE_SENSITIVE),
    meta(ROOT, 600, "Concept hierarchy root (root)", "Concept hierarchy root", []),
    meta(MODEL_COMPONENT, 620, "SNOMED CT model component (metadata)", "SNOMED CT model component", [ROOT],
         case=CASE_SENSITIVE),
    meta(ATTRIBUTE, 621, "Concept model attribute (attribute)", "Concept model attribute", [MODEL_COMPONENT]),
    meta(IS_A, 622, "Is a (attribute)", "Is a", [ATTRIBUTE], synonyms=["Subtype of"]),
    meta(FINDING_SITE, 623, "Finding site (attribute)", "Finding site", [ATTRIBUTE]),
    meta(MORPHOLOGY, 624, "Associated morphology (attribute)", "Associated morphology", [ATTRIBUTE]),
    meta(LATERALITY, 625, "Laterality (attribute)", "Laterality", [ATTRIBUTE]),
    meta(CAUSATIVE_AGENT, 626, "Causative agent (attribute)", "Causative agent", [ATTRIBUTE]),
    meta(PROCEDURE_SITE, 627, "Procedure site (attribute)", "Procedure site", [ATTRIBUTE]),
    clinical(410, "Has presentation strength value (attribute)", "Has presentation strength value", [ATTRIBUTE]),
    clinical(411, "Has count of active ingredients (attribute)", "Has count of active ingredients", [ATTRIBUTE]),
    clinical(412, "Has dose form text (attribute)", "Has dose form text", [ATTRIBUTE]),
    # Core metadata
    meta(CORE_METADATA, 630, "Core metadata concept (core metadata concept)", "Core metadata concept",
         [MODEL_COMPONENT]),
    meta(MODULE_CONCEPT, 631, "Module (core metadata concept)", "Module", [CORE_METADATA]),
    meta(snomed.CORE_MODULE, 632, "International core module (core metadata concept)", "International core module",
         [MODULE_CONCEPT]),
    meta(snomed.MODEL_MODULE, 633, "International model component module (core metadata concept)",
         "International model component module", [MODULE_CONCEPT]),
    meta(900000000000444006, 634, "Definition status (core metadata concept)", "Definition status",
         [CORE_METADATA]),
    meta(PRIMITIVE, 635, "Primitive definition (core metadata concept)", "Primitive", [900000000000444006]),
    meta(FULLY_DEFINED, 636, "Sufficiently defined (core metadata concept)", "Fully defined", [900000000000444006]),
    meta(900000000000446008, 637, "Description type (core metadata concept)", "Description type", [CORE_METADATA]),
    meta(FSN_TYPE, 638, "Fully specified name (core metadata concept)", "Fully specified name",
         [900000000000446008]),
    meta(SYNONYM_TYPE, 639, "Synonym (core metadata concept)", "Synonym", [900000000000446008]),
    meta(DEFINITION_TYPE, 640, "Text definition (core metadata concept)", "Definition", [900000000000446008]),
    meta(900000000000447004, 641, "Case significance (core metadata concept)", "Case significance",
         [CORE_METADATA]),
    meta(CASE_INSENSITIVE, 642, "Whole term not case sensitive (core metadata concept)",
         "Entire term case insensitive", [900000000000447004]),
    meta(CASE_SENSITIVE, 643, "Whole term case sensitive (core metadata concept)", "Entire term case sensitive",
         [900000000000447004]),
    meta(900000000000449001, 645, "Characteristic type (core metadata concept)", "Characteristic type",
         [CORE_METADATA]),
    meta(INFERRED, 646, "Inferred relationship (core metadata concept)", "Inferred relationship",
         [900000000000449001]),
    meta(STATED, 647, "Stated relationship (core metadata concept)", "Stated relationship", [900000000000449001]),
    meta(900000000000450001, 648, "Modifier (core metadata concept)", "Modifier", [CORE_METADATA]),
    meta(EXISTENTIAL, 649, "Existential restriction (core metadata concept)", "Some", [900000000000450001]),
    # Foundation metadata: reference sets and the values their rows use
    meta(FOUNDATION_METADATA, 650, "Foundation metadata concept (foundation metadata concept)",
         "Foundation metadata concept", [MODEL_COMPONENT]),
    meta(REFSET, 651, "Reference set (foundation metadata concept)", "Reference set", [FOUNDATION_METADATA]),
    meta(SIMPLE_TYPE, 652, "Simple reference set type (foundation metadata concept)", "Simple type reference set",
         [REFSET]),
    meta(SIMPLE_MAP_TYPE, 653, "Simple map reference set type (foundation metadata concept)",
         "Simple map type reference set", [REFSET]),
    meta(EXTENDED_MAP_TYPE, 654, "Extended map reference set type (foundation metadata concept)",
         "Extended map type reference set", [REFSET]),
    meta(LANGUAGE_TYPE, 655, "Language reference set type (foundation metadata concept)",
         "Language type reference set", [REFSET]),
    meta(EN_US, 656, "United States English language reference set (foundation metadata concept)", "US English",
         [LANGUAGE_TYPE], case=CASE_SENSITIVE),
    meta(EN_GB, 657, "Great Britain English language reference set (foundation metadata concept)", "GB English",
         [LANGUAGE_TYPE], case=CASE_SENSITIVE),
    meta(ASSOCIATION_TYPE, 658, "Association reference set type (foundation metadata concept)",
         "Association type reference set", [REFSET]),
    meta(REPLACED_BY, 659, "REPLACED BY historical association reference set (foundation metadata concept)",
         "REPLACED BY association reference set", [ASSOCIATION_TYPE], case=CASE_SENSITIVE),
    meta(SAME_AS, 660, "SAME AS historical association reference set (foundation metadata concept)",
         "SAME AS association reference set", [ASSOCIATION_TYPE], case=CASE_SENSITIVE),
    meta(POSSIBLY_EQUIVALENT_TO, 661,
         "POSSIBLY EQUIVALENT TO historical association reference set (foundation metadata concept)",
         "POSSIBLY EQUIVALENT TO association reference set", [ASSOCIATION_TYPE], case=CASE_SENSITIVE),
    meta(ATTRIBUTE_VALUE_TYPE, 662, "Attribute value reference set type (foundation metadata concept)",
         "Attribute value type reference set", [REFSET]),
    meta(snomed.CONCEPT_INACTIVATION_REFSET, 663, "Concept inactivation reason reference set (foundation metadata concept)",
         "Concept inactivation indicator reference set", [ATTRIBUTE_VALUE_TYPE]),
    meta(snomed.MODULE_DEPENDENCY_REFSET, 664, "Module dependency reference set (foundation metadata concept)",
         "Module dependency reference set", [REFSET]),
    meta(MRCM_ATTRIBUTE_DOMAIN, 665, "MRCM attribute domain reference set (foundation metadata concept)",
         "MRCM attribute domain reference set", [REFSET], case=CASE_SENSITIVE),
    meta(MRCM_ATTRIBUTE_RANGE, 666, "MRCM attribute range reference set (foundation metadata concept)",
         "MRCM attribute range reference set", [REFSET], case=CASE_SENSITIVE),
    meta(900000000000511003, 667, "Acceptability (foundation metadata concept)", "Acceptability",
         [FOUNDATION_METADATA]),
    meta(PREFERRED, 668, "Preferred (foundation metadata concept)", "Preferred", [900000000000511003]),
    meta(ACCEPTABLE, 669, "Acceptable (foundation metadata concept)", "Acceptable", [900000000000511003]),
    meta(INACTIVATION_VALUE, 670, "Concept inactivation reason (foundation metadata concept)",
         "Concept inactivation value", [FOUNDATION_METADATA]),
    meta(DUPLICATE, 671, "Duplicate concept (foundation metadata concept)", "Duplicate", [INACTIVATION_VALUE]),
    meta(AMBIGUOUS, 672, "Ambiguous concept (foundation metadata concept)", "Ambiguous", [INACTIVATION_VALUE]),
    meta(OUTDATED, 673, "Outdated concept (foundation metadata concept)", "Outdated", [INACTIVATION_VALUE]),
    meta(MAP_CORRELATION_NOT_SPECIFIED, 674, "Map correlation not specified (foundation metadata concept)",
         "Map correlation not specified", [FOUNDATION_METADATA]),
    meta(MAP_CATEGORY_PROPERLY_CLASSIFIED, 675, "Map source concept properly classified (foundation metadata concept)",
         "Map source concept properly classified", [FOUNDATION_METADATA]),
    meta(MANDATORY_RULE, 676, "Mandatory concept model rule (foundation metadata concept)",
         "Mandatory concept model rule", [FOUNDATION_METADATA]),
    meta(ALL_CONTENT, 677, "All concept model content (foundation metadata concept)", "All SNOMED CT content",
         [FOUNDATION_METADATA]),
    # The sample's own reference sets
    clinical(401, "Bone metastasis reporting reference set (foundation metadata concept)",
             "Bone metastasis reporting reference set", [SIMPLE_TYPE]),
    clinical(402, "snomap sample ICD-10 map (foundation metadata concept)", "snomap sample ICD-10 map",
             [EXTENDED_MAP_TYPE], case=CASE_SENSITIVE),
    clinical(403, "snomap sample oncology registry map (foundation metadata concept)",
             "snomap sample oncology registry map", [SIMPLE_MAP_TYPE], case=CASE_SENSITIVE),
    # Top-level clinical hierarchies and qualifiers
    meta(CLINICAL_FINDING, 601, "Clinical finding (finding)", "Clinical finding", [ROOT]),
    meta(DISEASE, 602, "Disease (disorder)", "Disease", [CLINICAL_FINDING], synonyms=["Disorder"]),
    meta(BODY_STRUCTURE, 603, "Body structure (body structure)", "Body structure", [ROOT]),
    meta(MORPHOLOGIC_ABNORMALITY, 604, "Morphologically abnormal structure (morphologic abnormality)",
         "Morphologically abnormal structure", [BODY_STRUCTURE]),
    meta(PROCEDURE, 605, "Procedure (procedure)", "Procedure", [ROOT]),
    meta(QUALIFIER_VALUE, 606, "Qualifier value (qualifier value)", "Qualifier value", [ROOT]),
    meta(SIDE, 607, "Side (qualifier value)", "Side", [QUALIFIER_VALUE]),
    meta(RIGHT, 608, "Right (qualifier value)", "Right", [SIDE], synonyms=["Right side"]),
    meta(LEFT, 609, "Left (qualifier value)", "Left", [SIDE], synonyms=["Left side"]),
    meta(ORGANISM, 610, "Organism (organism)", "Organism", [ROOT]),
    meta(PRODUCT, 611, "Pharmaceutical or biologic product (product)", "Pharmaceutical or biologic product", [ROOT]),
    # Disorders: the running example and its neighbours
    clinical(100, "Neoplastic disease (disorder)", "Neoplastic disease", [DISEASE], synonyms=["Neoplasia"],
             groups=[site(NEOPLASM, BODY_STRUCTURE)]),
    clinical(101, "Malignant neoplastic disease (disorder)", "Malignant neoplastic disease", [NEOPLASTIC],
             synonyms=["Cancer", "Malignancy"], groups=[site(MALIGNANT, BODY_STRUCTURE)]),
    clinical(102, "Secondary malignant neoplastic disease (disorder)", "Secondary malignant neoplastic disease",
             [MALIGNANT_DISEASE], synonyms=["Metastatic malignant neoplastic disease", "Metastatic cancer"],
             groups=[site(METASTATIC, BODY_STRUCTURE)],
             definition="A malignant neoplastic disease in which cancer cells have spread from the site where the "
             "cancer started to another part of the body."),
    clinical(103, "Secondary malignant neoplasm of bone (disorder)", None, [SECONDARY_DISEASE],
             synonyms=[Syn("Secondary malignant tumor of bone", us=PREFERRED, gb=Changed(PREFERRED, V2, ACCEPTABLE)),
                       Syn("Secondary malignant tumour of bone", us=ACCEPTABLE, gb=PREFERRED, since=V2),
                       "Secondary malignant neoplasm of bone", "Bone metastases"],
             groups=[site(METASTATIC, BONE)]),
    clinical(104, "Secondary malignant neoplasm of pelvic bone (disorder)",
             Changed("Secondary malignant neoplasm of pelvic bones", V2, "Secondary malignant neoplasm of pelvic bone"),
             [During(SECONDARY_DISEASE, until=V2), During(SECONDARY_BONE, since=V2)],
             synonyms=["Pelvic bone metastasis"], groups=[site(METASTATIC, PELVIS)]),
    clinical(105, "Metastatic malignant neoplasm to ilium (disorder)", "Metastatic malignant neoplasm to ilium",
             [SECONDARY_PELVIC], defined=True, groups=[site(METASTATIC, ILIUM)],
             synonyms=["Metastasis to ilium", "Secondary malignant neoplasm of ilium",
                       Syn("Ilium metastasis", since=V2)],
             definition="Malignant neoplasm in the ilium, the broad upper bone of the pelvis, that has spread there "
             "from a primary malignant neoplasm elsewhere in the body."),
    clinical(106, "Metastatic malignant neoplasm to sacrum (disorder)", "Metastatic malignant neoplasm to sacrum",
             [SECONDARY_PELVIC], defined=True, groups=[site(METASTATIC, SACRUM)], synonyms=["Metastasis to sacrum"]),
    clinical(107, "Metastatic malignant neoplasm to femur (disorder)", "Metastatic malignant neoplasm to femur",
             [SECONDARY_BONE], defined=True, groups=[site(METASTATIC, FEMUR)], synonyms=["Metastasis to femur"],
             inactivated=V3, reason=OUTDATED, associations=[(REPLACED_BY, TO_FEMORAL_SHAFT)]),
    clinical(108, "Metastatic malignant neoplasm to vertebra (disorder)", "Metastatic malignant neoplasm to vertebra",
             [SECONDARY_BONE], defined=True, groups=[site(METASTATIC, VERTEBRA)], since=V2,
             synonyms=["Metastasis to vertebra", "Vertebral metastasis"]),
    clinical(109, "Metastatic malignant neoplasm to liver (disorder)", "Metastatic malignant neoplasm to liver",
             [SECONDARY_DISEASE], defined=True, groups=[site(METASTATIC, LIVER)],
             synonyms=["Metastasis to liver", "Secondary malignant neoplasm of liver"]),
    clinical(110, "Metastatic malignant neoplasm to lung (disorder)", "Metastatic malignant neoplasm to lung",
             [SECONDARY_DISEASE], defined=True, groups=[site(METASTATIC, LUNG)],
             synonyms=["Metastasis to lung", "Secondary malignant neoplasm of lung"]),
    clinical(111, "Ilium metastasis (disorder)", "Ilium metastasis", [SECONDARY_PELVIC],
             groups=[site(METASTATIC, ILIUM)],
             inactivated=V2, reason=DUPLICATE, associations=[(REPLACED_BY, TO_ILIUM)]),
    clinical(112, "Fracture of bone (disorder)", "Fracture of bone", [DISEASE], synonyms=["Bone fracture"],
             groups=[site(FRACTURE, BONE)]),
    clinical(113, "Fracture of femur (disorder)", "Fracture of femur", [FRACTURE_OF_BONE],
             synonyms=["Femoral fracture"], groups=[site(FRACTURE, FEMUR)]),
    clinical(114, "Pathological fracture due to metastatic bone disease (disorder)",
             "Pathological fracture due to metastatic bone disease", [SECONDARY_BONE, FRACTURE_OF_BONE], since=V2,
             synonyms=["Fracture through bone metastasis"],
             groups=[site(METASTATIC, BONE), site(FRACTURE, BONE)],
             definition="A fracture through bone weakened by metastatic malignant neoplasm, occurring with little "
             "or no injury."),
    clinical(115, "Primary malignant neoplasm of lung (disorder)", "Primary malignant neoplasm of lung",
             [MALIGNANT_DISEASE], synonyms=["Lung cancer"], groups=[site(PRIMARY, LUNG)]),
    clinical(116, "Primary malignant neoplasm of bone (disorder)", "Primary malignant neoplasm of bone",
             [MALIGNANT_DISEASE], synonyms=["Primary bone cancer"], groups=[site(PRIMARY, BONE)]),
    clinical(117, "Benign neoplasm of bone (disorder)", None, [NEOPLASTIC],
             synonyms=[Syn("Benign tumor of bone", us=PREFERRED, gb=ACCEPTABLE),
                       Syn("Benign tumour of bone", us=ACCEPTABLE, gb=PREFERRED),
                       "Benign neoplasm of bone"],
             groups=[site(BENIGN, BONE)]),
    clinical(118, "Pneumonia (disorder)", "Pneumonia", [DISEASE], synonyms=["Inflammation of lung"],
             groups=[site(INFLAMMATION, LUNG)]),
    clinical(119, "Bacterial pneumonia (disorder)", "Bacterial pneumonia", [cid(118)],
             groups=[{MORPHOLOGY: INFLAMMATION, FINDING_SITE: LUNG, CAUSATIVE_AGENT: BACTERIUM}]),
    clinical(120, "Diabetes mellitus (disorder)", "Diabetes mellitus", [DISEASE], synonyms=["Diabetes"]),
    clinical(121, "Type 2 diabetes mellitus (disorder)", "Type 2 diabetes mellitus", [cid(120)],
             synonyms=["Type II diabetes mellitus"]),
    clinical(122, "Metastasis to sacroiliac region (disorder)", "Metastasis to sacroiliac region",
             [SECONDARY_PELVIC], groups=[site(METASTATIC, PELVIS)], inactivated=V2, reason=AMBIGUOUS,
             associations=[(POSSIBLY_EQUIVALENT_TO, TO_ILIUM), (POSSIBLY_EQUIVALENT_TO, TO_SACRUM)]),
    clinical(130, "Metastatic malignant neoplasm to femoral shaft (disorder)",
             "Metastatic malignant neoplasm to femoral shaft", [SECONDARY_BONE], defined=True, since=V3,
             groups=[site(METASTATIC, FEMORAL_SHAFT)], synonyms=["Metastasis to shaft of femur"]),
    # Procedures
    clinical(150, "Biopsy of bone (procedure)", "Biopsy of bone", [PROCEDURE], synonyms=["Bone biopsy"],
             groups=[{PROCEDURE_SITE: BONE}]),
    clinical(151, "Biopsy of ilium (procedure)", "Biopsy of ilium", [cid(150)], synonyms=["Iliac bone biopsy"],
             groups=[{PROCEDURE_SITE: ILIUM}]),
    # Body structures
    clinical(200, "Bone structure (body structure)", "Bone structure", [BODY_STRUCTURE], synonyms=["Bone"]),
    clinical(201, "Bone structure of pelvis (body structure)", "Bone structure of pelvis", [BONE],
             synonyms=["Pelvic bone"]),
    clinical(202, "Bone structure of ilium (body structure)", "Bone structure of ilium", [PELVIS],
             synonyms=["Ilium", "Iliac bone"]),
    clinical(203, "Bone structure of sacrum (body structure)", "Bone structure of sacrum", [PELVIS],
             synonyms=["Sacrum"]),
    clinical(204, "Bone structure of femur (body structure)", "Bone structure of femur", [BONE],
             synonyms=["Femur", "Thigh bone"]),
    clinical(205, "Bone structure of vertebra (body structure)", "Bone structure of vertebra", [BONE],
             synonyms=["Vertebra"]),
    clinical(206, "Liver structure (body structure)", "Liver structure", [BODY_STRUCTURE], synonyms=["Liver"]),
    clinical(207, "Lung structure (body structure)", "Lung structure", [BODY_STRUCTURE], synonyms=["Lung"]),
    clinical(208, "Bone structure of left ilium (body structure)", "Bone structure of left ilium", [ILIUM],
             synonyms=["Left ilium"], ungrouped={LATERALITY: LEFT}),
    clinical(209, "Bone structure of right ilium (body structure)", "Bone structure of right ilium", [ILIUM],
             synonyms=["Right ilium"], ungrouped={LATERALITY: RIGHT}),
    clinical(210, "Bone structure of shaft of femur (body structure)", "Bone structure of shaft of femur", [FEMUR],
             synonyms=["Femoral shaft"]),
    # Morphologies
    clinical(300, "Neoplasm (morphologic abnormality)", "Neoplasm", [MORPHOLOGIC_ABNORMALITY],
             synonyms=["New growth"]),
    clinical(301, "Neoplasm, malignant (morphologic abnormality)", "Neoplasm, malignant", [NEOPLASM],
             synonyms=["Malignant neoplasm"]),
    clinical(302, "Neoplasm, metastatic (malignant secondary) (morphologic abnormality)", "Neoplasm, metastatic",
             [MALIGNANT], synonyms=["Metastatic neoplasm", "Secondary malignant neoplasm"]),
    clinical(303, "Malignant neoplasm, primary (morphologic abnormality)", "Malignant neoplasm, primary",
             [MALIGNANT], synonyms=["Primary malignant neoplasm"]),
    clinical(304, "Fracture (morphologic abnormality)", "Fracture", [MORPHOLOGIC_ABNORMALITY]),
    clinical(305, "Inflammation (morphologic abnormality)", "Inflammation", [MORPHOLOGIC_ABNORMALITY]),
    clinical(306, "Neoplasm, benign (morphologic abnormality)", "Neoplasm, benign", [NEOPLASM],
             synonyms=["Benign neoplasm"]),
    # Organism and products (the products carry concrete values)
    clinical(510, "Bacterium (organism)", "Bacterium", [ORGANISM], synonyms=["Bacteria"]),
    clinical(500, "Product containing snomapine (medicinal product)", "Snomapine-containing product", [PRODUCT],
             since=V2),
    clinical(501, "Snomapine 500 mg oral tablet (clinical drug)", "Snomapine 500 mg oral tablet", [cid(500)],
             since=V2, concrete=[(0, HAS_INGREDIENT_COUNT, "#1"), (0, HAS_DOSE_FORM_TEXT, '"tablet"'),
                                 (1, HAS_STRENGTH, "#500")]),
    clinical(502, "Snomapine 0.5 mg/mL oral solution (clinical drug)", "Snomapine 0.5 mg/mL oral solution",
             [cid(500)], since=V2,
             concrete=[(0, HAS_INGREDIENT_COUNT, "#1"), (0, HAS_DOSE_FORM_TEXT, '"oral solution"'),
                       (1, HAS_STRENGTH, "#0.5")]),
]  # fmt: skip

# Simple refset members: (refset, concept, since). Members of concepts that become inactive are inactivated.
SIMPLE_MEMBERS = [
    (BONE_METASTASIS_REFSET, c, since)
    for c, since in [
        (SECONDARY_BONE, V1), (SECONDARY_PELVIC, V1), (TO_ILIUM, V1), (TO_SACRUM, V1), (TO_FEMUR, V1),
        (ILIUM_DUPLICATE, V1), (TO_VERTEBRA, V2), (PATHOLOGICAL_FRACTURE, V2), (TO_FEMORAL_SHAFT, V3),
    ]
]  # fmt: skip

# ICD-10 extended map: concept -> [(mapGroup, target)], since.
ICD10 = [
    (SECONDARY_BONE, [(1, "C79.5")], V1),
    (SECONDARY_PELVIC, [(1, "C79.5")], V1),
    (TO_ILIUM, [(1, "C79.5")], V1),
    (TO_SACRUM, [(1, "C79.5")], V1),
    (TO_FEMUR, [(1, "C79.5")], V1),
    (TO_VERTEBRA, [(1, "C79.5")], V2),
    (TO_LIVER, [(1, "C78.7")], V1),
    (TO_LUNG, [(1, "C78.0")], V1),
    (ILIUM_DUPLICATE, [(1, "C79.5")], V1),
    (SACROILIAC_AMBIGUOUS, [(1, "C79.5")], V1),
    (PATHOLOGICAL_FRACTURE, [(1, "M84.5"), (2, "C79.5")], V2),
    (FRACTURE_OF_BONE, [(1, "T14.2")], V1),
    (cid(113), [(1, "S72.9")], V1),
    (cid(115), [(1, "C34.9")], V1),
    (cid(116), [(1, "C41.9")], V1),
    (cid(117), [(1, "D16.9")], V1),
    (cid(118), [(1, "J18.9")], V1),
    (cid(119), [(1, "J15.9")], V1),
    (cid(120), [(1, "E14.9")], V1),
    (cid(121), [(1, "E11.9")], V1),
    (TO_FEMORAL_SHAFT, [(1, "C79.5")], V3),
]

# Simple map to a fictional oncology registry code system: concept -> code.
REGISTRY = {
    SECONDARY_DISEASE: "SMR-200",
    SECONDARY_BONE: "SMR-210",
    SECONDARY_PELVIC: "SMR-211",
    TO_ILIUM: "SMR-212",
    TO_SACRUM: "SMR-213",
    TO_LIVER: "SMR-220",
    TO_LUNG: "SMR-230",
}

# Module dependency: target module -> targetEffectiveTime at each release (sourceEffectiveTime = the release).
DEPENDENCIES = (snomed.CORE_MODULE, snomed.MODEL_MODULE)
TARGET_TIMES = {V1: "20240701", V2: "20250101", V3: "20250701"}

# MRCM: attribute -> (domain, grouped, cardinality, in-group cardinality, range)
MRCM = {
    FINDING_SITE: (CLINICAL_FINDING, 1, "0..*", "0..1", BODY_STRUCTURE),
    MORPHOLOGY: (CLINICAL_FINDING, 1, "0..*", "0..1", MORPHOLOGIC_ABNORMALITY),
    CAUSATIVE_AGENT: (CLINICAL_FINDING, 1, "0..*", "0..1", ORGANISM),
    PROCEDURE_SITE: (PROCEDURE, 1, "0..*", "0..1", BODY_STRUCTURE),
    LATERALITY: (BODY_STRUCTURE, 0, "0..1", "0..0", SIDE),
}

WRITTEN = (
    rf2.CONCEPT,
    rf2.DESCRIPTION,
    rf2.TEXT_DEFINITION,
    rf2.RELATIONSHIP,
    rf2.STATED_RELATIONSHIP,
    rf2.CONCRETE_VALUES,
    rf2.LANGUAGE,
    rf2.SIMPLE,
    rf2.ASSOCIATION,
    rf2.ATTRIBUTE_VALUE,
    rf2.SIMPLE_MAP,
    rf2.EXTENDED_MAP,
    rf2.MODULE_DEPENDENCY,
    rf2.MRCM_ATTRIBUTE_DOMAIN,
    rf2.MRCM_ATTRIBUTE_RANGE,
)
WITH_LANGUAGE = (rf2.DESCRIPTION, rf2.TEXT_DEFINITION, rf2.LANGUAGE)
BY_ID = {c.sctid: c for c in CONCEPTS}
PT = {c.sctid: next(str(at(s.term, V2)) for s in c.synonyms if at(s.us, V2) == PREFERRED) for c in CONCEPTS}

Row = tuple[str, ...]
State = dict[str, dict[str, Row]]  # file kind name -> component id -> row (effectiveTime left empty)


def concept_state(sctid: int, release: str) -> bool | None:
    """True/False: the concept exists and is active/inactive at `release`; None: not yet released."""
    c = BY_ID[sctid]
    if release < c.since:
        return None
    return c.inactivated is None or release < c.inactivated


def build(release: str) -> State:
    """Every component as it stands at `release`."""
    state: State = {k.name: {} for k in WRITTEN}

    def put(kind: rf2.FileKind, ident: object, active: bool, *rest: object) -> None:
        row = (str(ident), "", "1" if active else "0", str(MODULE), *(str(v) for v in rest))
        assert len(row) == len(kind.columns), (kind.name, row)
        assert row[0] not in state[kind.name], f"duplicate id {row[0]} in {kind.name}"
        state[kind.name][row[0]] = row

    def language_rows(desc: int, acceptability: dict[int, int]) -> None:
        for refset, acc in acceptability.items():
            put(rf2.LANGUAGE, member_id("language", refset, desc), True, refset, desc, acc)

    for c in CONCEPTS:
        active = concept_state(c.sctid, release)
        if active is None:
            continue
        put(rf2.CONCEPT, c.sctid, active, FULLY_DEFINED if c.defined and active else PRIMITIVE)
        # Descriptions stay active when their concept is inactivated, as in RF2.
        descriptions = [Syn(c.fsn, PREFERRED, PREFERRED, case=c.case), *c.synonyms]
        for slot, d in enumerate(descriptions, start=1):
            if release < d.since:
                continue
            desc = did(c.key * 100 + slot)
            type_id = FSN_TYPE if slot == 1 else SYNONYM_TYPE
            put(rf2.DESCRIPTION, desc, True, c.sctid, "en", type_id, at(d.term, release), d.case)
            language_rows(desc, {EN_US: at(d.us, release), EN_GB: at(d.gb, release)})
        if c.definition:
            desc = did(c.key * 100 + 50)
            put(rf2.TEXT_DEFINITION, desc, True, c.sctid, "en", DEFINITION_TYPE, c.definition, CASE_SENSITIVE)
            language_rows(desc, {EN_US: PREFERRED, EN_GB: PREFERRED})

        # Relationships: inactive when the concept is, or when their own window has closed.
        slot = 0
        for i, edge in enumerate(c.parents):
            slot += 1
            if release >= edge.since:
                live = active and (edge.until is None or release < edge.until)
                put(
                    rf2.RELATIONSHIP, rid(c.key * 100 + slot), live, c.sctid, edge.value, 0, IS_A, INFERRED, EXISTENTIAL
                )
                put(
                    rf2.STATED_RELATIONSHIP,
                    rid(c.key * 100 + 50 + i),
                    live,
                    c.sctid,
                    edge.value,
                    0,
                    IS_A,
                    STATED,
                    EXISTENTIAL,
                )
        roles = [(0, t, v) for t, v in c.ungrouped.items()]
        roles += [(g, t, v) for g, group in enumerate(c.groups, start=1) for t, v in group.items()]
        for group, type_id, dest in roles:
            slot += 1
            put(rf2.RELATIONSHIP, rid(c.key * 100 + slot), active, c.sctid, dest, group, type_id, INFERRED, EXISTENTIAL)
        assert slot < 50 and len(c.parents) < 30 and len(c.concrete) < 20 and len(descriptions) < 50
        for i, (group, type_id, value) in enumerate(c.concrete):
            put(
                rf2.CONCRETE_VALUES,
                rid(c.key * 100 + 80 + i),
                active,
                c.sctid,
                value,
                group,
                type_id,
                INFERRED,
                EXISTENTIAL,
            )

        if c.inactivated and not active:
            put(
                rf2.ATTRIBUTE_VALUE,
                member_id("inactivation", c.sctid),
                True,
                snomed.CONCEPT_INACTIVATION_REFSET,
                c.sctid,
                c.reason,
            )
            for refset, target in c.associations:
                put(rf2.ASSOCIATION, member_id("association", refset, c.sctid, target), True, refset, c.sctid, target)

    def member(kind, ident, refset, concept, since, *rest):
        """A refset member from `since`; inactive once its concept is."""
        if release >= since:
            state_now = concept_state(concept, release)
            assert state_now is not None, f"{kind.name} member {concept} before the concept exists"
            put(kind, ident, state_now, refset, concept, *rest)

    for refset, concept, since in SIMPLE_MEMBERS:
        member(rf2.SIMPLE, member_id("simple", refset, concept), refset, concept, since)
    for concept, targets, since in ICD10:
        for group, target in targets:
            advice = f"ALWAYS {target}"
            member(
                rf2.EXTENDED_MAP,
                member_id("icd10", concept, group, 1),
                ICD10_MAP,
                concept,
                since,
                group,
                1,
                "TRUE",
                advice,
                target,
                MAP_CORRELATION_NOT_SPECIFIED,
                MAP_CATEGORY_PROPERLY_CLASSIFIED,
            )
    for concept, code in REGISTRY.items():
        member(rf2.SIMPLE_MAP, member_id("registry", concept), REGISTRY_MAP, concept, V1, code)
    for target in DEPENDENCIES:
        put(
            rf2.MODULE_DEPENDENCY,
            member_id("dependency", MODULE, target),
            True,
            snomed.MODULE_DEPENDENCY_REFSET,
            target,
            release,
            TARGET_TIMES[release],
        )
    for attribute, (domain, grouped, card, in_group, range_top) in MRCM.items():
        put(
            rf2.MRCM_ATTRIBUTE_DOMAIN,
            member_id("mrcm-domain", attribute, domain),
            True,
            MRCM_ATTRIBUTE_DOMAIN,
            attribute,
            domain,
            grouped,
            card,
            in_group,
            MANDATORY_RULE,
            ALL_CONTENT,
        )
        rng = f"<< {range_top} |{PT[range_top]}|"
        rule = f"<< {domain} |{PT[domain]}|: "
        rule += f"[{card}] {{ [{in_group}] " if grouped else f"[{card}] "
        rule += f"{attribute} |{PT[attribute]}| = {rng}" + (" }" if grouped else "")
        put(
            rf2.MRCM_ATTRIBUTE_RANGE,
            member_id("mrcm-range", attribute),
            True,
            MRCM_ATTRIBUTE_RANGE,
            attribute,
            rng,
            rule,
            MANDATORY_RULE,
            ALL_CONTENT,
        )
    return state


# ---- Writing ----
def path_for(kind: rf2.FileKind, release_type: rf2.ReleaseType, date: str) -> Path:
    language = "en" if kind in WITH_LANGUAGE else None
    name = rf2.file_name(kind, release_type, NAMESPACE, date, language)
    return OUT / release_type / rf2.folder_for(kind) / name


def sort_key(kind: rf2.FileKind, row: Row) -> tuple:
    if kind.id_kind == "uuid":
        return (row[4], row[5], row[0], row[1])
    return (int(row[0]), row[1])


def write(kind: rf2.FileKind, release_type: rf2.ReleaseType, date: str, rows: list[Row]) -> None:
    path = path_for(kind, release_type, date)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(kind.columns)] + ["\t".join(r) for r in sorted(rows, key=lambda r: sort_key(kind, r))]
    for line in lines:
        assert all(ch not in line for ch in "\r\n") and line.count("\t") == len(kind.columns) - 1, line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def stamp(row: Row, effective_time: str) -> Row:
    return (row[0], effective_time, *row[2:])


def generate() -> dict[str, State]:
    states = {r: build(r) for r in RELEASES}
    if OUT.exists():
        shutil.rmtree(OUT)
    for kind in WRITTEN:
        name = kind.name
        for earlier, later in pairwise(RELEASES):
            missing = states[earlier][name].keys() - states[later][name].keys()
            assert not missing, f"{name}: components disappear after {earlier}: {sorted(missing)}"
        full: list[Row] = []
        snapshot: dict[str, Row] = {}
        previous: dict[str, Row] = {}
        for release in (V1, V2):
            for ident, row in states[release][name].items():
                if previous.get(ident) != row:
                    full.append(stamp(row, release))
                    snapshot[ident] = stamp(row, release)
            previous = states[release][name]
        delta = [stamp(row, V3) for ident, row in states[V3][name].items() if states[V2][name].get(ident) != row]
        write(kind, "Full", V2, full)
        write(kind, "Snapshot", V2, list(snapshot.values()))
        write(kind, "Delta", V3, delta)
    return states


# ---- Checks: read the files back and prove the promises ----
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ID_KIND = {"concept": ComponentKind.CONCEPT, "description": ComponentKind.DESCRIPTION,
           "relationship": ComponentKind.RELATIONSHIP}  # fmt: skip
# Columns holding concept ids (beyond what rf2_format lists), per file kind.
CONCEPT_COLUMNS = {
    "Concept": ("moduleId", "definitionStatusId"),
    "Description": ("moduleId", "conceptId", "typeId", "caseSignificanceId"),
    "TextDefinition": ("moduleId", "conceptId", "typeId", "caseSignificanceId"),
    "Relationship": ("moduleId", "sourceId", "destinationId", "typeId", "characteristicTypeId", "modifierId"),
    "StatedRelationship": ("moduleId", "sourceId", "destinationId", "typeId", "characteristicTypeId", "modifierId"),
    "RelationshipConcreteValues": ("moduleId", "sourceId", "typeId", "characteristicTypeId", "modifierId"),
    "Language": ("moduleId", "refsetId", "acceptabilityId"),
    "Simple": ("moduleId", "refsetId", "referencedComponentId"),
    "Association": ("moduleId", "refsetId", "referencedComponentId", "targetComponentId"),
    "AttributeValue": ("moduleId", "refsetId", "referencedComponentId", "valueId"),
    "SimpleMap": ("moduleId", "refsetId", "referencedComponentId"),
    "ExtendedMap": ("moduleId", "refsetId", "referencedComponentId", "correlationId", "mapCategoryId"),
    "ModuleDependency": ("moduleId", "refsetId", "referencedComponentId"),
    "MRCMAttributeDomain": ("moduleId", "refsetId", "referencedComponentId", "domainId", "ruleStrengthId",
                            "contentTypeId"),
    "MRCMAttributeRange": ("moduleId", "refsetId", "referencedComponentId", "ruleStrengthId", "contentTypeId"),
}  # fmt: skip
# Refset concepts must sit under these refset types.
REFSET_TYPE = {"Language": LANGUAGE_TYPE, "Simple": SIMPLE_TYPE, "Association": ASSOCIATION_TYPE,
               "AttributeValue": ATTRIBUTE_VALUE_TYPE, "SimpleMap": SIMPLE_MAP_TYPE, "ExtendedMap": EXTENDED_MAP_TYPE,
               "ModuleDependency": REFSET, "MRCMAttributeDomain": REFSET, "MRCMAttributeRange": REFSET}  # fmt: skip

View = dict[str, dict[str, dict[str, str]]]  # kind name -> id -> row as a dict


def read_folder(release_type: rf2.ReleaseType, date: str) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {}
    for kind in WRITTEN:
        path = path_for(kind, release_type, date)
        parsed = rf2.parse_file_name(path.name)
        assert parsed is not None and parsed.kind is kind, path.name
        assert (parsed.release, parsed.namespace, parsed.date) == (release_type, NAMESPACE, date), path.name
        assert path.parent.relative_to(OUT).as_posix() == f"{release_type}/{rf2.folder_for(kind)}", path
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, f"{path}: BOM or CR"
        lines = data.decode("utf-8").split("\n")
        assert lines[-1] == "" and tuple(lines[0].split("\t")) == kind.columns, f"{path}: header or final LF"
        rows[kind.name] = [dict(zip(kind.columns, line.split("\t"), strict=True)) for line in lines[1:-1]]
    return rows


def reduce(rows: dict[str, list[dict[str, str]]], until: str) -> View:
    """A Full (or Snapshot + Delta) reduced to the latest version of each component at `until`."""
    view: View = {}
    for name, items in rows.items():
        latest: dict[str, dict[str, str]] = {}
        for row in items:
            time, current = row["effectiveTime"], latest.get(row["id"])
            if time > until:
                continue
            assert current is None or current["effectiveTime"] != time, f"two versions of {row['id']} at {time}"
            if current is None or time > current["effectiveTime"]:
                latest[row["id"]] = row
        view[name] = latest
    return view


def ancestors(parents: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for p in parents.get(todo.pop(), ()):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def check(view: View, label: str) -> dict[str, set[str]]:
    """The consistency promises for one release state; returns the inferred is-a parents of active concepts."""
    concepts = view["Concept"]
    active = {i for i, r in concepts.items() if r["active"] == "1"}
    descriptions = {**view["Description"], **view["TextDefinition"]}
    for name, rows in view.items():
        kind = rf2.KINDS[name]
        for ident, row in rows.items():
            where = f"{label} {name} {ident}"
            if kind.id_kind == "uuid":
                assert UUID.match(ident), where
            else:
                assert sctid_problem(ident, ID_KIND[kind.id_kind]) is None, where
            assert row["moduleId"] == str(MODULE) != str(snomed.CORE_MODULE), where
            assert row["active"] in ("0", "1") and re.fullmatch(r"\d{8}", row["effectiveTime"]), where
            for col in CONCEPT_COLUMNS[name]:
                assert row[col] in concepts, f"{where}: {col} {row[col]} is not a concept of the release"
                assert sctid_problem(row[col], ComponentKind.CONCEPT) is None, where
            if name == "Language":
                assert row["referencedComponentId"] in descriptions, where
            for col in ("rangeConstraint", "attributeRule"):
                for ref in re.findall(r"\d{6,18}", row.get(col, "")):
                    assert ref in concepts, f"{where}: {col} names {ref}"
            if row["active"] != "1":
                continue
            # Active rows point at active concepts; only history rows and descriptions may have an inactive subject.
            cols = CONCEPT_COLUMNS[name]
            if name in ("Association", "AttributeValue", "Description", "TextDefinition"):
                cols = tuple(c for c in cols if c not in ("referencedComponentId", "conceptId"))
            for col in cols:
                assert row[col] in active, f"{where}: active row points at inactive {col} {row[col]}"
            if name in REFSET_TYPE:
                assert row["refsetId"] in active, where

    # Hierarchy: every active concept reaches the root through active inferred (and stated) is-a relationships.
    parents: dict[str, set[str]] = defaultdict(set)
    for name in ("Relationship", "StatedRelationship"):
        these: dict[str, set[str]] = defaultdict(set)
        for r in view[name].values():
            if r["active"] == "1" and r["typeId"] == str(IS_A):
                these[r["sourceId"]].add(r["destinationId"])
        for concept in active - {str(ROOT)}:
            assert str(ROOT) in ancestors(these, concept), f"{label} {name}: {concept} does not reach the root"
            assert concept not in ancestors(these, concept), f"{label}: cycle through {concept}"
        if name == "Relationship":
            parents = these
    for r in view["Relationship"].values():
        assert r["characteristicTypeId"] == str(INFERRED) and r["modifierId"] == str(EXISTENTIAL)
        assert (r["typeId"] == str(IS_A)) == (r["relationshipGroup"] == "0") or r["typeId"] == str(LATERALITY)
    for r in view["StatedRelationship"].values():
        assert r["characteristicTypeId"] == str(STATED) and r["typeId"] == str(IS_A)
    for refset_file, top in REFSET_TYPE.items():
        for r in view[refset_file].values():
            assert str(top) in ancestors(parents, r["refsetId"]) or r["refsetId"] == str(top), (label, r)
    defining = {r["sourceId"] for r in view["Relationship"].values() if r["active"] == "1" and r["typeId"] != str(IS_A)}
    for i in active:
        if concepts[i]["definitionStatusId"] == str(FULLY_DEFINED):
            assert i in defining, f"{label}: fully defined {i} has no defining attributes"

    # Descriptions: one FSN and exactly one preferred synonym per active concept in each language refset.
    language: dict[str, dict[str, str]] = defaultdict(dict)  # description -> refset -> acceptability
    for r in view["Language"].values():
        if r["active"] == "1":
            language[r["referencedComponentId"]][r["refsetId"]] = r["acceptabilityId"]
    preferred: dict[tuple[str, str, str], int] = defaultdict(int)
    for ident, d in descriptions.items():
        if d["active"] != "1":
            continue
        assert set(language[ident]) == {str(EN_US), str(EN_GB)}, f"{label}: {ident} lacks a language row"
        if d["typeId"] == str(FSN_TYPE):
            assert re.search(r" \([a-zA-Z +/]+\)$", d["term"]), f"{label}: FSN without a semantic tag: {d['term']}"
            assert all(a == str(PREFERRED) for a in language[ident].values()), f"{label}: FSN {ident} not preferred"
        for refset, acc in language[ident].items():
            if acc == str(PREFERRED):
                preferred[(d["conceptId"], refset, d["typeId"])] += 1
    for concept in active:
        for refset in (EN_US, EN_GB):
            for type_id in (FSN_TYPE, SYNONYM_TYPE):
                n = preferred[(concept, str(refset), str(type_id))]
                assert n == 1, f"{label}: {concept} has {n} preferred {type_id} in {refset}"

    # History: every inactive concept has a reason; association targets are active concepts.
    reasons = {r["referencedComponentId"] for r in view["AttributeValue"].values() if r["active"] == "1"}
    assert set(concepts) - active <= reasons, f"{label}: inactive concepts without an inactivation reason"
    assert all(r["referencedComponentId"] not in active for r in view["Association"].values())
    return parents


def pt(view: View, concept: int, refset: int) -> str:
    prefs = {r["referencedComponentId"] for r in view["Language"].values()
             if r["active"] == "1" and r["refsetId"] == str(refset) and r["acceptabilityId"] == str(PREFERRED)}  # fmt: skip
    return next(d["term"] for i, d in view["Description"].items()
                if i in prefs and d["conceptId"] == str(concept) and d["typeId"] == str(SYNONYM_TYPE))  # fmt: skip


def verify(states: dict[str, State]) -> None:
    full = read_folder("Full", V2)
    snapshot_rows = read_folder("Snapshot", V2)
    delta_rows = read_folder("Delta", V3)
    snapshot = reduce(snapshot_rows, V2)
    assert all(len(snapshot[n]) == len(rows) for n, rows in snapshot_rows.items()), "duplicate ids in the Snapshot"

    # Full reduced at V2 is the Snapshot; at V1 it is the first release's state.
    assert reduce(full, V2) == snapshot, "Full at 20250301 differs from the Snapshot"
    older = reduce(full, V1)
    for name, rows in older.items():
        assert {i: stamp(tuple(r.values()), "") for i, r in rows.items()} == states[V1][name], name
    # Snapshot + Delta is the V3 state.
    later = reduce({n: snapshot_rows[n] + delta_rows[n] for n in snapshot_rows}, V3)
    for name, rows in later.items():
        assert {i: stamp(tuple(r.values()), "") for i, r in rows.items()} == states[V3][name], name
    assert all(r["effectiveTime"] == V3 for rows in delta_rows.values() for r in rows)

    hierarchy = {label: check(view, label) for label, view in (("20240901", older), ("20250301", snapshot),
                                                              ("20250901", later))}  # fmt: skip

    # The fixed ids carry the FSNs other files rely on.
    fixed = {
        19990001103: "snomap sample module (core metadata concept)",
        1009990001109: "Neoplastic disease (disorder)",
        1019990001106: "Malignant neoplastic disease (disorder)",
        1029990001104: "Secondary malignant neoplastic disease (disorder)",
        1039990001102: "Secondary malignant neoplasm of bone (disorder)",
        1049990001107: "Secondary malignant neoplasm of pelvic bone (disorder)",
        1059990001105: "Metastatic malignant neoplasm to ilium (disorder)",
        1069990001108: "Metastatic malignant neoplasm to sacrum (disorder)",
        1079990001100: "Metastatic malignant neoplasm to femur (disorder)",
        1089990001103: "Metastatic malignant neoplasm to vertebra (disorder)",
        1099990001101: "Metastatic malignant neoplasm to liver (disorder)",
        1109990001105: "Metastatic malignant neoplasm to lung (disorder)",
        1119990001107: "Ilium metastasis (disorder)",
    }
    fsn = {d["conceptId"]: d["term"] for d in snapshot["Description"].values() if d["typeId"] == str(FSN_TYPE)}
    for ident, term in fixed.items():
        assert fsn[str(ident)] == term, (ident, fsn.get(str(ident)))
    # Sample concepts are in namespace 9990001; the real ids (meta) are International metadata/top-level ids.
    for c in CONCEPTS:
        assert namespace(c.sctid) == (None if c.real else NS), c.fsn
    for state in (snapshot, older, later):
        for name in ("Description", "TextDefinition", "Relationship", "StatedRelationship",
                     "RelationshipConcreteValues"):  # fmt: skip
            assert all(namespace(i) == NS for i in state[name]), f"{name} id outside namespace {NS}"

    # The story the tests will tell.
    s, o, later_h = hierarchy["20250301"], hierarchy["20240901"], hierarchy["20250901"]
    expected = {SECONDARY_PELVIC, SECONDARY_BONE, SECONDARY_DISEASE, MALIGNANT_DISEASE, NEOPLASTIC, DISEASE,
                CLINICAL_FINDING, ROOT}  # fmt: skip
    assert ancestors(s, str(TO_ILIUM)) == {str(i) for i in expected}
    assert s[str(PATHOLOGICAL_FRACTURE)] == {str(SECONDARY_BONE), str(FRACTURE_OF_BONE)}
    assert o[str(SECONDARY_PELVIC)] == {str(SECONDARY_DISEASE)} and s[str(SECONDARY_PELVIC)] == {str(SECONDARY_BONE)}
    assert older["Concept"][str(ILIUM_DUPLICATE)]["active"] == "1"
    assert snapshot["Concept"][str(ILIUM_DUPLICATE)]["active"] == "0"
    assert later["Concept"][str(TO_FEMUR)]["active"] == "0" and str(TO_FEMORAL_SHAFT) in later_h
    assert pt(older, SECONDARY_BONE, EN_GB) == "Secondary malignant tumor of bone"
    assert pt(snapshot, SECONDARY_BONE, EN_GB) == "Secondary malignant tumour of bone"
    assert pt(snapshot, SECONDARY_BONE, EN_US) == "Secondary malignant tumor of bone"
    assert pt(snapshot, cid(117), EN_GB) != pt(snapshot, cid(117), EN_US)
    assert pt(older, SECONDARY_PELVIC, EN_US) == "Secondary malignant neoplasm of pelvic bones"
    assert pt(snapshot, SECONDARY_PELVIC, EN_US) == "Secondary malignant neoplasm of pelvic bone"
    history = {(r["referencedComponentId"], r["refsetId"], r["targetComponentId"])
               for r in later["Association"].values() if r["active"] == "1"}  # fmt: skip
    assert history == {
        (str(ILIUM_DUPLICATE), str(REPLACED_BY), str(TO_ILIUM)),
        (str(SACROILIAC_AMBIGUOUS), str(POSSIBLY_EQUIVALENT_TO), str(TO_ILIUM)),
        (str(SACROILIAC_AMBIGUOUS), str(POSSIBLY_EQUIVALENT_TO), str(TO_SACRUM)),
        (str(TO_FEMUR), str(REPLACED_BY), str(TO_FEMORAL_SHAFT)),
    }
    values = {r["value"] for r in snapshot["RelationshipConcreteValues"].values()}
    assert {"#500", "#0.5", '"tablet"'} <= values
    n_active = sum(r["active"] == "1" for r in snapshot["Concept"].values())
    print(f"ok: {len(snapshot['Concept'])} concepts ({n_active} active) in the 20250301 Snapshot, "
          f"{sum(len(v) for v in delta_rows.values())} Delta rows dated {V3}")  # fmt: skip


if __name__ == "__main__":
    verify(generate())
