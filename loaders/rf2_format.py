"""The RF2 release format, described once.

The loaders read files by these descriptions and the synthetic-release writer
(`loaders.synth`) writes files by them, so the two can never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ReleaseType = Literal["Snapshot", "Full", "Delta"]

# Well-known metadata identifiers the format relies on.
IS_A = 116680003
ROOT = 138875005
CORE_MODULE = 900000000000207008
MODEL_MODULE = 900000000000012004
FSN_TYPE = 900000000000003001
SYNONYM_TYPE = 900000000000013009
DEFINITION_TYPE = 900000000000550004
# The longest term, in characters, a description of each type may have: the descriptionLength of the
# International Edition's Description format reference set (900000000000538005): 255 for fully specified
# names and synonyms, 4096 for text definitions. "By default the term is a UTF-8 string of up to 255
# characters" (SNOMED CT Release File Specification, Glossary: descriptionLength,
# https://confluence.ihtsdotools.org/pages/viewpage.action?pageId=28739269). Other description types
# (an extension's own) are held to the largest of these.
TERM_MAX_LENGTH = {FSN_TYPE: 255, SYNONYM_TYPE: 255, DEFINITION_TYPE: 4096}
OTHER_TERM_MAX_LENGTH = 4096
PREFERRED = 900000000000548007
ACCEPTABLE = 900000000000549004
EN_US = 900000000000509007
EN_GB = 900000000000508004
PRIMITIVE = 900000000000074008
FULLY_DEFINED = 900000000000073002
INFERRED = 900000000000011006
STATED = 900000000000010007
ADDITIONAL = 900000000000227009
EXISTENTIAL = 900000000000451002
CASE_INSENSITIVE = 900000000000448009
CASE_SENSITIVE = 900000000000017005
INITIAL_CHARACTER_CASE_INSENSITIVE = 900000000000020002

# Edition module -> name, for editions published by SNOMED International or a member.
EDITION_MODULES: dict[int, str] = {
    900000000000207008: "International Edition",
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

MODULE_DEPENDENCY_REFSET = 900000000000534007
CONCEPT_INACTIVATION_REFSET = 900000000000489007
DESCRIPTION_INACTIVATION_REFSET = 900000000000490003
OWL_AXIOM_REFSET = 733073007

# Historical association refsets (concept -> concept).
HISTORICAL_ASSOCIATIONS: dict[int, str] = {
    900000000000527005: "SAME AS",
    900000000000526001: "REPLACED BY",
    900000000000523009: "POSSIBLY EQUIVALENT TO",
    900000000000524003: "MOVED TO",
    900000000000525002: "MOVED FROM",
    900000000000528000: "WAS A",
    900000000000530003: "ALTERNATIVE",
    900000000000531004: "REFERS TO",
    1186921001: "POSSIBLY REPLACED BY",
    1186924009: "PARTIALLY EQUIVALENT TO",
    734138000: "ANATOMY STRUCTURE AND ENTIRE PART OF",
    734139008: "ANATOMY STRUCTURE AND PART ASSOCIATION",
}

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

# Language refsets by dialect tag, in the default preference order.
DIALECTS: dict[str, int] = {"en-US": EN_US, "en-GB": EN_GB}

TOP_LEVEL_HIERARCHIES: dict[int, str] = {
    123037004: "Body structure",
    404684003: "Clinical finding",
    308916002: "Environment or geographical location",
    272379006: "Event",
    363787002: "Observable entity",
    410607006: "Organism",
    373873005: "Pharmaceutical / biologic product",
    78621006: "Physical force",
    260787004: "Physical object",
    71388002: "Procedure",
    362981000: "Qualifier value",
    419891008: "Record artifact",
    243796009: "Situation with explicit context",
    900000000000441003: "SNOMED CT Model Component",
    48176007: "Social context",
    370115009: "Special concept",
    123038009: "Specimen",
    254291000: "Staging and scales",
    105590001: "Substance",
}

COMMON = ("id", "effectiveTime", "active", "moduleId")
REFSET_COMMON = (*COMMON, "refsetId", "referencedComponentId")


@dataclass(frozen=True)
class FileKind:
    """One kind of RF2 file: how to recognise it and which columns it has."""

    name: str
    columns: tuple[str, ...]
    # Columns holding SCTIDs of concepts that must exist in the release.
    concept_columns: tuple[str, ...] = ()
    # "concept" | "description" | "relationship" | "uuid": the kind of the id column.
    id_kind: str = "uuid"
    # For refsets: the field pattern letters (c, i, s) after referencedComponentId; None = exact columns.
    refset_pattern: str | None = None


CONCEPT = FileKind("Concept", (*COMMON, "definitionStatusId"), ("moduleId", "definitionStatusId"), "concept")
DESCRIPTION = FileKind(
    "Description",
    (*COMMON, "conceptId", "languageCode", "typeId", "term", "caseSignificanceId"),
    ("conceptId", "typeId"),
    "description",
)
TEXT_DEFINITION = FileKind("TextDefinition", DESCRIPTION.columns, DESCRIPTION.concept_columns, "description")
_REL_COLUMNS = (
    *COMMON,
    "sourceId",
    "destinationId",
    "relationshipGroup",
    "typeId",
    "characteristicTypeId",
    "modifierId",
)
RELATIONSHIP = FileKind("Relationship", _REL_COLUMNS, ("sourceId", "destinationId", "typeId"), "relationship")
STATED_RELATIONSHIP = FileKind(
    "StatedRelationship", _REL_COLUMNS, ("sourceId", "destinationId", "typeId"), "relationship"
)
CONCRETE_VALUES = FileKind(
    "RelationshipConcreteValues",
    (*COMMON, "sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"),
    ("sourceId", "typeId"),
    "relationship",
)
OWL_EXPRESSION = FileKind("OWLExpression", (*REFSET_COMMON, "owlExpression"), ("referencedComponentId",), "uuid", "s")
LANGUAGE = FileKind("Language", (*REFSET_COMMON, "acceptabilityId"), ("acceptabilityId",), "uuid", "c")
ASSOCIATION = FileKind(
    "Association", (*REFSET_COMMON, "targetComponentId"), ("referencedComponentId", "targetComponentId"), "uuid", "c"
)
ATTRIBUTE_VALUE = FileKind("AttributeValue", (*REFSET_COMMON, "valueId"), ("valueId",), "uuid", "c")
SIMPLE = FileKind("Simple", REFSET_COMMON, ("refsetId",), "uuid", "")
SIMPLE_MAP = FileKind("SimpleMap", (*REFSET_COMMON, "mapTarget"), ("referencedComponentId",), "uuid", "s")
EXTENDED_MAP = FileKind(
    "ExtendedMap",
    (
        *REFSET_COMMON,
        "mapGroup",
        "mapPriority",
        "mapRule",
        "mapAdvice",
        "mapTarget",
        "correlationId",
        "mapCategoryId",
    ),
    ("referencedComponentId",),
    "uuid",
    "iissscc",
)
COMPLEX_MAP = FileKind(
    "ComplexMap",
    (*REFSET_COMMON, "mapGroup", "mapPriority", "mapRule", "mapAdvice", "mapTarget", "correlationId"),
    ("referencedComponentId",),
    "uuid",
    "iisssc",
)
MRCM_DOMAIN = FileKind(
    "MRCMDomain",
    (
        *REFSET_COMMON,
        "domainConstraint",
        "parentDomain",
        "proximalPrimitiveConstraint",
        "proximalPrimitiveRefinement",
        "domainTemplateForPrecoordination",
        "domainTemplateForPostcoordination",
        "guideURL",
    ),
    (),
    "uuid",
    "sssssss",
)
MRCM_ATTRIBUTE_DOMAIN = FileKind(
    "MRCMAttributeDomain",
    (
        *REFSET_COMMON,
        "domainId",
        "grouped",
        "attributeCardinality",
        "attributeInGroupCardinality",
        "ruleStrengthId",
        "contentTypeId",
    ),
    (),
    "uuid",
    "cisscc",
)
MRCM_ATTRIBUTE_RANGE = FileKind(
    "MRCMAttributeRange",
    (*REFSET_COMMON, "rangeConstraint", "attributeRule", "ruleStrengthId", "contentTypeId"),
    (),
    "uuid",
    "sscc",
)
MRCM_MODULE_SCOPE = FileKind("MRCMModuleScope", (*REFSET_COMMON, "mrcmRuleRefsetId"), (), "uuid", "c")
MODULE_DEPENDENCY = FileKind(
    "ModuleDependency", (*REFSET_COMMON, "sourceEffectiveTime", "targetEffectiveTime"), (), "uuid", "ss"
)
DESCRIPTION_TYPE = FileKind(
    "DescriptionType", (*REFSET_COMMON, "descriptionFormat", "descriptionLength"), (), "uuid", "ci"
)
REFSET_DESCRIPTOR = FileKind(
    "RefsetDescriptor", (*REFSET_COMMON, "attributeDescription", "attributeType", "attributeOrder"), (), "uuid", "cci"
)

KINDS: dict[str, FileKind] = {
    k.name: k
    for k in (
        CONCEPT,
        DESCRIPTION,
        TEXT_DEFINITION,
        RELATIONSHIP,
        STATED_RELATIONSHIP,
        CONCRETE_VALUES,
        OWL_EXPRESSION,
        LANGUAGE,
        ASSOCIATION,
        ATTRIBUTE_VALUE,
        SIMPLE,
        SIMPLE_MAP,
        EXTENDED_MAP,
        COMPLEX_MAP,
        MRCM_DOMAIN,
        MRCM_ATTRIBUTE_DOMAIN,
        MRCM_ATTRIBUTE_RANGE,
        MRCM_MODULE_SCOPE,
        MODULE_DEPENDENCY,
        DESCRIPTION_TYPE,
        REFSET_DESCRIPTOR,
    )
}

# sct2_Concept_Snapshot_INT_20250909.txt, der2_cRefset_LanguageSnapshot-en_INT_20250909.txt,
# sct2_sRefset_OWLExpressionSnapshot_INT_20250909.txt, der2_iisssccRefset_ExtendedMapFull_US1000124_20250301.txt
FILE_NAME = re.compile(
    r"^x?(?P<file_type>sct2|der2)_(?:(?P<pattern>[a-z]*Refset)_)?(?P<content>[A-Za-z]+?)_?"
    r"(?P<release>Snapshot|Full|Delta)(?:-(?P<language>[A-Za-z-]+))?_(?P<namespace>[A-Za-z0-9-]+)_"
    r"(?P<date>\d{8})\.txt$"
)


@dataclass(frozen=True)
class FileName:
    """What an RF2 file name says about its content."""

    kind: FileKind | None
    content: str
    pattern: str
    release: ReleaseType
    language: str | None
    namespace: str
    date: str


def parse_file_name(name: str) -> FileName | None:
    """Recognise an RF2 file by its name; None when the name is not an RF2 data file."""
    m = FILE_NAME.match(name)
    if not m:
        return None
    content = m["content"]
    pattern = (m["pattern"] or "").removesuffix("Refset")
    kind = KINDS.get(content)
    if kind is None and m["pattern"] is not None:
        # An unknown refset: its columns follow from the pattern letters.
        kind = None
    return FileName(kind, content, pattern, m["release"], m["language"], m["namespace"], m["date"])  # type: ignore[arg-type]


def file_name(kind: FileKind, release: ReleaseType, namespace: str, date: str, language: str | None = None) -> str:
    """The conventional file name for `kind` (used by the synthetic-release writer)."""
    lang = f"-{language}" if language else ""
    if kind.refset_pattern is None:
        return f"sct2_{kind.name}_{release}{lang}_{namespace}_{date}.txt"
    prefix = "sct2" if kind is OWL_EXPRESSION else "der2"
    return f"{prefix}_{kind.refset_pattern}Refset_{kind.name}{release}{lang}_{namespace}_{date}.txt"


def folder_for(kind: FileKind) -> str:
    """The standard sub-folder of Snapshot/Full/Delta where `kind` lives."""
    if kind.refset_pattern is None or kind is OWL_EXPRESSION:
        return "Terminology"
    if kind is LANGUAGE:
        return "Refset/Language"
    if kind in (SIMPLE_MAP, EXTENDED_MAP, COMPLEX_MAP):
        return "Refset/Map"
    if kind in (ASSOCIATION, ATTRIBUTE_VALUE, SIMPLE):
        return "Refset/Content"
    return "Refset/Metadata"
