"""Identifiers of a synthetic release: its date and namespace tag, the real ids it refers to, and its own.

Real ids are used for the root, the top-level concepts and every metadata concept the rows refer to;
every other concept gets a short-format SCTID with an item number from `ITEM_BASE` on, far above the
items used by the real International Edition.
"""

from __future__ import annotations

from loaders.sctid import ComponentKind, make_sctid
from loaders.snomed import HISTORICAL_ASSOCIATIONS, INACTIVATION_REASONS

EFFECTIVE_TIME = "20250301"
NAMESPACE_TAG = "INT"
# First synthetic item number: ids like 90000123004, well clear of the real International items.
ITEM_BASE = 90_000_000
# Inactive concepts as a share of ALL concepts (added on top of the requested active ones).
INACTIVE_SHARE = 0.25
# Fewest active concepts for which every hierarchy still gets a few levels.
MIN_CONCEPTS = 1_000

_C = ComponentKind.CONCEPT


def synthetic_id(k: int) -> int:
    return make_sctid(ITEM_BASE + k, None, _C)


# Real ids of the metadata and anchor concepts the synthetic content refers to.
MODEL_COMPONENT = 900000000000441003
FINDING_SITE = 363698007
ASSOCIATED_MORPHOLOGY = 116676008
PROCEDURE_SITE = 363704007
METHOD = 260686004
CAUSATIVE_AGENT = 246075003
LATERALITY = 272741003
CLINICAL_COURSE = 263502005
SEVERITY = 246112005
DUE_TO = 42752001
USING_DEVICE = 424226004
INTERPRETS = 363714003
HAS_INTERPRETATION = 363713009
HAS_ACTIVE_INGREDIENT = 127489000
HAS_DOSE_FORM = 411116001
COMPONENT = 246093002
ASSOCIATED_FINDING = 246090004
FINDING_CONTEXT = 408729009
PATHOLOGICAL_PROCESS = 370135005
COUNT_OF_BASE = 1142139005
STRENGTH_NUMERATOR_VALUE = 1142135004
CLINICAL_FINDING = 404684003
DISEASE = 64572001
BODY_STRUCTURE = 123037004
ANATOMICAL_STRUCTURE = 91723000
MORPHOLOGIC_ABNORMALITY = 49755003
PROCEDURE = 71388002
ORGANISM = 410607006
SUBSTANCE = 105590001
PRODUCT = 373873005
OBSERVABLE = 363787002
SITUATION = 243796009
PHYSICAL_OBJECT = 260787004
QUALIFIER_VALUE = 362981000
SIDE, LEFT, RIGHT, RIGHT_AND_LEFT = 182353008, 7771000, 24028007, 51440002
ACTION = 129264002
COURSES, CHRONIC, ACUTE = 288524001, 90734009, 424124008
SEVERITIES, SEVERE, MODERATE, MILD = 272141005, 24484000, 6736007, 255604002
FINDING_CONTEXT_VALUE, KNOWN_PRESENT, KNOWN_ABSENT = 410514004, 410515003, 410516002
LATERALIZABLE_REFSET = 723264001
ICD10_MAP_REFSET = 447562003
MAP_CORRELATION_NOT_SPECIFIED = 447561005
MAP_SOURCE_PROPERLY_CLASSIFIED = 447637006
MRCM_DOMAIN_REFSET = 723560006
MRCM_ATTRIBUTE_DOMAIN_REFSET = 723561005
MRCM_ATTRIBUTE_RANGE_REFSET = 723562003
MANDATORY_RULE = 723597001
ALL_CONTENT = 723596005
CONCEPT_NON_CURRENT = 900000000000495008

# Synthetic metadata (no real counterpart we are sure of).
TEXT_ATTRIBUTE = synthetic_id(1)
MAP_CATEGORY_VALUE = synthetic_id(2)
RULE_STRENGTH = synthetic_id(3)
CONTENT_TYPE = synthetic_id(4)
DOSE_FORM = synthetic_id(5)
DOSE_FORMS = [
    "Oral tablet",
    "Oral capsule",
    "Oral solution",
    "Oral suspension",
    "Solution for injection",
    "Powder for solution for injection",
    "Cutaneous cream",
    "Cutaneous ointment",
    "Eye drops",
    "Ear drops",
    "Nasal spray",
    "Inhalation powder",
    "Pressurized inhalation suspension",
    "Rectal suppository",
    "Transdermal patch",
    "Prolonged-release oral tablet",
    "Gastro-resistant oral capsule",
    "Vaginal cream",
    "Oral granules",
    "Chewable tablet",
]
DOSE_FORM_IDS = tuple(synthetic_id(10 + i) for i in range(len(DOSE_FORMS)))
BULK_ITEM_OFFSET = 1_000

REASON = {name: cid for cid, name in INACTIVATION_REASONS.items()}
_ASSOCIATION = {name: cid for cid, name in HISTORICAL_ASSOCIATIONS.items()}
SAME_AS = _ASSOCIATION["SAME AS"]
REPLACED_BY = _ASSOCIATION["REPLACED BY"]
POSSIBLY_EQUIVALENT_TO = _ASSOCIATION["POSSIBLY EQUIVALENT TO"]
POSSIBLY_REPLACED_BY = _ASSOCIATION["POSSIBLY REPLACED BY"]
