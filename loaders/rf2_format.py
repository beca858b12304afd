"""The RF2 release format, described once.

The loaders read files by these descriptions and the synthetic-release writer
(the `synth` package) writes files by them, so the two can never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .snomed import DEFINITION_TYPE, FSN_TYPE, SYNONYM_TYPE

ReleaseType = Literal["Snapshot", "Full", "Delta"]

# The longest term, in characters, a description of each type may have: the descriptionLength of the
# International Edition's Description format reference set (900000000000538005): 255 for fully specified
# names and synonyms, 4096 for text definitions. "By default the term is a UTF-8 string of up to 255
# characters" (SNOMED CT Release File Specification, Glossary: descriptionLength,
# https://confluence.ihtsdotools.org/pages/viewpage.action?pageId=28739269). Other description types
# (an extension's own) are held to the largest of these.
TERM_MAX_LENGTH = {FSN_TYPE: 255, SYNONYM_TYPE: 255, DEFINITION_TYPE: 4096}
OTHER_TERM_MAX_LENGTH = 4096
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
