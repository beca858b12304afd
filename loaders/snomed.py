"""Well-known SNOMED CT concept ids, defined once.

Metadata concepts the release format relies on (description types, acceptability, definition
status, characteristic types, case significance, modules, language and history refsets), the
top-level hierarchies, and the concept-model attributes the mapper and the validators name.
The lowest layer: it imports nothing, so loaders, the synthetic-release writer, terminology and the
benchmarks all import their ids from here.
"""

from __future__ import annotations

# ----- the hierarchy
ROOT = 138875005  # SNOMED CT Concept
IS_A = 116680003

# ----- modules
CORE_MODULE = 900000000000207008  # SNOMED CT core module (the International Edition's module)
MODEL_MODULE = 900000000000012004  # SNOMED CT model component module

# ----- concepts: definition status
PRIMITIVE = 900000000000074008
FULLY_DEFINED = 900000000000073002

# ----- descriptions: type, case significance
FSN_TYPE = 900000000000003001  # Fully specified name
SYNONYM_TYPE = 900000000000013009
DEFINITION_TYPE = 900000000000550004
CASE_INSENSITIVE = 900000000000448009  # Entire term case insensitive
CASE_SENSITIVE = 900000000000017005  # Entire term case sensitive
INITIAL_CHARACTER_CASE_INSENSITIVE = 900000000000020002

# ----- language refsets and acceptability
EN_US = 900000000000509007  # United States of America English language reference set
EN_GB = 900000000000508004  # Great Britain English language reference set
PREFERRED = 900000000000548007
ACCEPTABLE = 900000000000549004
# Language refsets by dialect tag, in the default preference order.
DIALECTS: dict[str, int] = {"en-US": EN_US, "en-GB": EN_GB}

# ----- relationships: characteristic type, modifier
INFERRED = 900000000000011006
STATED = 900000000000010007
ADDITIONAL = 900000000000227009
EXISTENTIAL = 900000000000451002  # Existential restriction modifier

# ----- refsets
REFSET_ROOT = 900000000000455006  # Reference set
MODULE_DEPENDENCY_REFSET = 900000000000534007
CONCEPT_INACTIVATION_REFSET = 900000000000489007
DESCRIPTION_INACTIVATION_REFSET = 900000000000490003
OWL_AXIOM_REFSET = 733073007

# ----- history: association refsets (an inactive concept -> where its meaning went)
SAME_AS = 900000000000527005
REPLACED_BY = 900000000000526001
POSSIBLY_EQUIVALENT_TO = 900000000000523009
MOVED_TO = 900000000000524003
MOVED_FROM = 900000000000525002
WAS_A = 900000000000528000
ALTERNATIVE = 900000000000530003
REFERS_TO = 900000000000531004
POSSIBLY_REPLACED_BY = 1186921001
PARTIALLY_EQUIVALENT_TO = 1186924009
ANATOMY_STRUCTURE_AND_ENTIRE_PART_OF = 734138000
ANATOMY_STRUCTURE_AND_PART_ASSOCIATION = 734139008

HISTORICAL_ASSOCIATIONS: dict[int, str] = {
    SAME_AS: "SAME AS",
    REPLACED_BY: "REPLACED BY",
    POSSIBLY_EQUIVALENT_TO: "POSSIBLY EQUIVALENT TO",
    MOVED_TO: "MOVED TO",
    MOVED_FROM: "MOVED FROM",
    WAS_A: "WAS A",
    ALTERNATIVE: "ALTERNATIVE",
    REFERS_TO: "REFERS TO",
    POSSIBLY_REPLACED_BY: "POSSIBLY REPLACED BY",
    PARTIALLY_EQUIVALENT_TO: "PARTIALLY EQUIVALENT TO",
    ANATOMY_STRUCTURE_AND_ENTIRE_PART_OF: "ANATOMY STRUCTURE AND ENTIRE PART OF",
    ANATOMY_STRUCTURE_AND_PART_ASSOCIATION: "ANATOMY STRUCTURE AND PART ASSOCIATION",
}

# The refset whose descendants are the historical association refsets (ECL's HISTORY-MAX), and those
# refsets by id, for releases that do not carry the metadata hierarchy (subsets, samples).
HISTORICAL_ASSOCIATION_REFSET = 900000000000522004
HISTORY_REFSETS = frozenset(
    {
        SAME_AS,
        REPLACED_BY,
        POSSIBLY_EQUIVALENT_TO,
        MOVED_TO,
        MOVED_FROM,
        WAS_A,
        ALTERNATIVE,
        REFERS_TO,
        POSSIBLY_REPLACED_BY,
        PARTIALLY_EQUIVALENT_TO,
    }
)

# Inactivation reasons (values of the concept inactivation indicator refset).
INACTIVATION_REASONS: dict[int, str] = {
    900000000000482003: "DUPLICATE",
    900000000000483008: "OUTDATED",
    900000000000484002: "AMBIGUOUS",
    900000000000485001: "ERRONEOUS",
    900000000000486000: "LIMITED",
    900000000000487009: "MOVED ELSEWHERE",
    900000000000492006: "PENDING MOVE",
    1186917008: "CLASSIFICATION DERIVED COMPONENT",
    1186919006: "MEANING OF COMPONENT UNKNOWN",
    723277005: "NONCONFORMANCE TO EDITORIAL POLICY",
}

# ----- top-level hierarchies
BODY_STRUCTURE = 123037004
CLINICAL_FINDING = 404684003
ENVIRONMENT_OR_GEOGRAPHICAL_LOCATION = 308916002
EVENT = 272379006
OBSERVABLE_ENTITY = 363787002
ORGANISM = 410607006
PHARMACEUTICAL_BIOLOGIC_PRODUCT = 373873005
PHYSICAL_FORCE = 78621006
PHYSICAL_OBJECT = 260787004
PROCEDURE = 71388002
QUALIFIER_VALUE = 362981000
RECORD_ARTIFACT = 419891008
SITUATION_WITH_EXPLICIT_CONTEXT = 243796009
MODEL_COMPONENT = 900000000000441003  # SNOMED CT Model Component
SOCIAL_CONTEXT = 48176007
SPECIAL_CONCEPT = 370115009
SPECIMEN = 123038009
STAGING_AND_SCALES = 254291000
SUBSTANCE = 105590001

TOP_LEVEL_HIERARCHIES: dict[int, str] = {
    BODY_STRUCTURE: "Body structure",
    CLINICAL_FINDING: "Clinical finding",
    ENVIRONMENT_OR_GEOGRAPHICAL_LOCATION: "Environment or geographical location",
    EVENT: "Event",
    OBSERVABLE_ENTITY: "Observable entity",
    ORGANISM: "Organism",
    PHARMACEUTICAL_BIOLOGIC_PRODUCT: "Pharmaceutical / biologic product",
    PHYSICAL_FORCE: "Physical force",
    PHYSICAL_OBJECT: "Physical object",
    PROCEDURE: "Procedure",
    QUALIFIER_VALUE: "Qualifier value",
    RECORD_ARTIFACT: "Record artifact",
    SITUATION_WITH_EXPLICIT_CONTEXT: "Situation with explicit context",
    MODEL_COMPONENT: "SNOMED CT Model Component",
    SOCIAL_CONTEXT: "Social context",
    SPECIAL_CONCEPT: "Special concept",
    SPECIMEN: "Specimen",
    STAGING_AND_SCALES: "Staging and scales",
    SUBSTANCE: "Substance",
}

# ----- concepts below the top level that code names
DISEASE = 64572001
CONCEPT_MODEL_ATTRIBUTE = 410662002
LINKAGE_CONCEPT = 106237007

# ----- concept-model attributes
ASSOCIATED_MORPHOLOGY = 116676008
FINDING_SITE = 363698007
CAUSATIVE_AGENT = 246075003
LATERALITY = 272741003
PATHOLOGICAL_PROCESS = 370135005
CLINICAL_COURSE = 263502005
SEVERITY = 246112005
OCCURRENCE = 246454002
PROCEDURE_SITE = 363704007
DUE_TO = 42752001
AFTER = 255234002

# ----- situations with explicit context
FAMILY_HISTORY_OF_CLINICAL_FINDING = 416471007

# ----- MRCM content types
ALL_CONTENT = 723596005
POSTCOORDINATED_CONTENT = 723595009

# Edition module -> name, for editions published by SNOMED International or a member.
EDITION_MODULES: dict[int, str] = {
    CORE_MODULE: "International Edition",
    731000124108: "US Edition",
    83821000000107: "UK Edition",
    999000041000000102: "UK Clinical Edition",
    999000021000000109: "UK Drug Extension",
    32506021000036107: "Australian Edition",
    20611000087101: "Canadian Edition",
    11000146104: "Netherlands Edition",
    45991000052106: "Swedish Edition",
    554471000005108: "Danish Edition",
    11000172109: "Belgian Edition",
    449081005: "Spanish Language Edition",
    900000001000122104: "Spanish National Edition",
    21000210109: "New Zealand Edition",
    11000220105: "Irish Edition",
    2011000195101: "Swiss Edition",
    11000181102: "Estonian Edition",
    51000202101: "Norwegian Edition",
    11000279109: "Czech Edition",
    5631000179106: "Uruguay Edition",
    11000221109: "Argentine Edition",
    11000318109: "Jamaican Edition",
    827022005: "IPS Terminology",
    332351000009108: "Veterinary Extension",
}
