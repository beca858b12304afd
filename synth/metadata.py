"""The metadata and anchor concepts of a synthetic release: the root, the top-level concepts and the
attribute values, with their terms, semantic tags and parents."""

from __future__ import annotations

from loaders import snomed
from loaders.snomed import (
    ACCEPTABLE,
    CASE_INSENSITIVE,
    CASE_SENSITIVE,
    CONCEPT_INACTIVATION_REFSET,
    CORE_MODULE,
    DEFINITION_TYPE,
    DESCRIPTION_INACTIVATION_REFSET,
    EN_GB,
    EN_US,
    EXISTENTIAL,
    FSN_TYPE,
    FULLY_DEFINED,
    HISTORICAL_ASSOCIATIONS,
    INACTIVATION_REASONS,
    INFERRED,
    IS_A,
    MODEL_MODULE,
    MODULE_DEPENDENCY_REFSET,
    PREFERRED,
    PRIMITIVE,
    ROOT,
    SYNONYM_TYPE,
    TOP_LEVEL_HIERARCHIES,
)

from .ids import (
    ACTION,
    ACUTE,
    ALL_CONTENT,
    ANATOMICAL_STRUCTURE,
    ASSOCIATED_FINDING,
    ASSOCIATED_MORPHOLOGY,
    BODY_STRUCTURE,
    CAUSATIVE_AGENT,
    CHRONIC,
    CLINICAL_COURSE,
    CLINICAL_FINDING,
    COMPONENT,
    CONCEPT_NON_CURRENT,
    CONTENT_TYPE,
    COUNT_OF_BASE,
    COURSES,
    DISEASE,
    DOSE_FORM,
    DOSE_FORM_IDS,
    DOSE_FORMS,
    DUE_TO,
    FINDING_CONTEXT,
    FINDING_CONTEXT_VALUE,
    FINDING_SITE,
    HAS_ACTIVE_INGREDIENT,
    HAS_DOSE_FORM,
    HAS_INTERPRETATION,
    ICD10_MAP_REFSET,
    INTERPRETS,
    KNOWN_ABSENT,
    KNOWN_PRESENT,
    LATERALITY,
    LATERALIZABLE_REFSET,
    LEFT,
    MANDATORY_RULE,
    MAP_CATEGORY_VALUE,
    MAP_CORRELATION_NOT_SPECIFIED,
    MAP_SOURCE_PROPERLY_CLASSIFIED,
    METHOD,
    MILD,
    MODEL_COMPONENT,
    MODERATE,
    MORPHOLOGIC_ABNORMALITY,
    MRCM_ATTRIBUTE_DOMAIN_REFSET,
    MRCM_ATTRIBUTE_RANGE_REFSET,
    MRCM_DOMAIN_REFSET,
    PATHOLOGICAL_PROCESS,
    PROCEDURE_SITE,
    QUALIFIER_VALUE,
    RIGHT,
    RIGHT_AND_LEFT,
    RULE_STRENGTH,
    SEVERE,
    SEVERITIES,
    SEVERITY,
    SIDE,
    STRENGTH_NUMERATOR_VALUE,
    TEXT_ATTRIBUTE,
    USING_DEVICE,
)

_TOP_TAGS = {
    123037004: "body structure",
    404684003: "finding",
    308916002: "environment / location",
    272379006: "event",
    363787002: "observable entity",
    410607006: "organism",
    373873005: "product",
    78621006: "physical force",
    260787004: "physical object",
    71388002: "procedure",
    362981000: "qualifier value",
    419891008: "record artifact",
    243796009: "situation",
    900000000000441003: "metadata",
    48176007: "social concept",
    370115009: "special concept",
    123038009: "specimen",
    254291000: "staging scale",
    105590001: "substance",
}

Meta = tuple[int, str, str, tuple[int, ...]]  # id, term, semantic tag, parents


def metadata_concepts() -> list[Meta]:
    """Every real or synthetic metadata/anchor concept, parents before children."""
    rows: list[Meta] = [(ROOT, "SNOMED CT Concept", "SNOMED RT+CTV3", ())]
    rows += [(cid, name, _TOP_TAGS[cid], (ROOT,)) for cid, name in TOP_LEVEL_HIERARCHIES.items()]

    def under(parent: int, tag: str, *items: tuple[int, str]) -> None:
        rows.extend((cid, term, tag, (parent,)) for cid, term in items)

    under(MODEL_COMPONENT, "linkage concept", (106237007, "Linkage concept"))
    under(106237007, "attribute", (410662002, "Concept model attribute"))
    under(410662002, "attribute", (762705008, "Concept model object attribute"))
    under(410662002, "attribute", (762706009, "Concept model data attribute"))
    under(762705008, "attribute", (IS_A, "Is a"), (246061005, "Attribute"), (609096000, "Role group"))
    under(
        246061005,
        "attribute",
        (FINDING_SITE, "Finding site"),
        (ASSOCIATED_MORPHOLOGY, "Associated morphology"),
        (PROCEDURE_SITE, "Procedure site"),
        (METHOD, "Method"),
        (CAUSATIVE_AGENT, "Causative agent"),
        (LATERALITY, "Laterality"),
        (CLINICAL_COURSE, "Clinical course"),
        (SEVERITY, "Severity"),
        (DUE_TO, "Due to"),
        (USING_DEVICE, "Using device"),
        (INTERPRETS, "Interprets"),
        (HAS_INTERPRETATION, "Has interpretation"),
        (HAS_ACTIVE_INGREDIENT, "Has active ingredient"),
        (HAS_DOSE_FORM, "Has manufactured dose form"),
        (COMPONENT, "Component"),
        (ASSOCIATED_FINDING, "Associated finding"),
        (FINDING_CONTEXT, "Finding context"),
        (PATHOLOGICAL_PROCESS, "Pathological process"),
    )
    under(
        762706009,
        "attribute",
        (COUNT_OF_BASE, "Count of base of active ingredient"),
        (STRENGTH_NUMERATOR_VALUE, "Has presentation strength numerator value"),
        (TEXT_ATTRIBUTE, "Has product characteristic text"),
    )
    core, found = "core metadata concept", "foundation metadata concept"
    under(MODEL_COMPONENT, core, (900000000000442005, "Core metadata concept"))
    under(MODEL_COMPONENT, found, (900000000000454005, "Foundation metadata concept"))
    under(
        900000000000442005,
        core,
        (900000000000443000, "Module"),
        (900000000000444006, "Definition status"),
        (900000000000446008, "Description type"),
        (900000000000447004, "Case significance"),
        (900000000000449001, "Characteristic type"),
        (900000000000450001, "Modifier"),
    )
    under(
        900000000000443000,
        core,
        (900000000000445007, "International Health Terminology Standards Development Organisation maintained module"),
    )
    under(
        900000000000445007,
        core,
        (CORE_MODULE, "SNOMED CT core module"),
        (MODEL_MODULE, "SNOMED CT model component module"),
    )
    under(900000000000444006, core, (PRIMITIVE, "Primitive"), (FULLY_DEFINED, "Defined"))
    under(
        900000000000446008,
        core,
        (FSN_TYPE, "Fully specified name"),
        (SYNONYM_TYPE, "Synonym"),
        (DEFINITION_TYPE, "Definition"),
    )
    under(
        900000000000447004,
        core,
        (CASE_INSENSITIVE, "Entire term case insensitive"),
        (CASE_SENSITIVE, "Entire term case sensitive"),
        (snomed.INITIAL_CHARACTER_CASE_INSENSITIVE, "Only initial character case insensitive"),
    )
    under(
        900000000000449001,
        core,
        (900000000000006009, "Defining relationship"),
        (snomed.ADDITIONAL, "Additional relationship"),
    )
    under(900000000000006009, core, (INFERRED, "Inferred relationship"), (snomed.STATED, "Stated relationship"))
    under(900000000000450001, core, (EXISTENTIAL, "Existential restriction modifier"))
    under(
        900000000000454005,
        found,
        (900000000000455006, "Reference set"),
        (900000000000511003, "Acceptability"),
        (900000000000491004, "Attribute value"),
        (RULE_STRENGTH, "Concept model rule strength"),
        (CONTENT_TYPE, "Concept model content type"),
    )
    under(
        900000000000455006,
        found,
        (900000000000506000, "Language type reference set"),
        (446609009, "Simple type reference set"),
        (609331003, "Extended map type reference set"),
        (900000000000521006, "Association type reference set"),
        (900000000000480006, "Attribute value type reference set"),
        (MODULE_DEPENDENCY_REFSET, "Module dependency reference set"),
        (MRCM_DOMAIN_REFSET, "MRCM domain international reference set"),
        (MRCM_ATTRIBUTE_DOMAIN_REFSET, "MRCM attribute domain international reference set"),
        (MRCM_ATTRIBUTE_RANGE_REFSET, "MRCM attribute range international reference set"),
    )
    under(
        900000000000506000,
        found,
        (EN_US, "United States of America English language reference set"),
        (EN_GB, "Great Britain English language reference set"),
    )
    under(446609009, found, (LATERALIZABLE_REFSET, "Lateralizable body structure reference set"))
    under(609331003, found, (ICD10_MAP_REFSET, "ICD-10 complex map reference set"))
    under(
        900000000000521006,
        found,
        *((cid, f"{name} association reference set") for cid, name in HISTORICAL_ASSOCIATIONS.items()),
    )
    under(
        900000000000480006,
        found,
        (CONCEPT_INACTIVATION_REFSET, "Concept inactivation indicator attribute value reference set"),
        (DESCRIPTION_INACTIVATION_REFSET, "Description inactivation indicator attribute value reference set"),
    )
    under(900000000000511003, found, (PREFERRED, "Preferred"), (ACCEPTABLE, "Acceptable"))
    under(
        900000000000491004,
        found,
        (900000000000481005, "Concept inactivation value"),
        (900000000000493001, "Description inactivation value"),
        (447247004, "SNOMED CT source code to target map code correlation value"),
        (MAP_CATEGORY_VALUE, "ICD-10 map category value"),
    )
    under(
        900000000000481005,
        found,
        *((cid, name.capitalize() + " component") for cid, name in INACTIVATION_REASONS.items()),
    )
    under(900000000000493001, found, (CONCEPT_NON_CURRENT, "Concept non-current"))
    under(
        447247004,
        found,
        (MAP_CORRELATION_NOT_SPECIFIED, "SNOMED CT source code to target map code correlation not specified"),
    )
    under(MAP_CATEGORY_VALUE, found, (MAP_SOURCE_PROPERLY_CLASSIFIED, "Map source concept is properly classified"))
    under(RULE_STRENGTH, found, (MANDATORY_RULE, "Mandatory concept model rule"))
    under(CONTENT_TYPE, found, (ALL_CONTENT, "All SNOMED CT content"))
    # Clinical anchors and the qualifier values attributes point to.
    under(CLINICAL_FINDING, "disorder", (DISEASE, "Disease"))
    under(BODY_STRUCTURE, "body structure", (ANATOMICAL_STRUCTURE, "Anatomical structure"))
    under(BODY_STRUCTURE, "morphologic abnormality", (MORPHOLOGIC_ABNORMALITY, "Morphologically abnormal structure"))
    qv = "qualifier value"
    under(
        QUALIFIER_VALUE,
        qv,
        (SIDE, "Side"),
        (ACTION, "Action"),
        (COURSES, "Courses"),
        (SEVERITIES, "Severities"),
        (FINDING_CONTEXT_VALUE, "Finding context value"),
        (DOSE_FORM, "Pharmaceutical dose form"),
    )
    under(SIDE, qv, (LEFT, "Left"), (RIGHT, "Right"), (RIGHT_AND_LEFT, "Right and left"))
    under(COURSES, qv, (CHRONIC, "Chronic"), (ACUTE, "Sudden onset AND/OR short duration"))
    under(SEVERITIES, qv, (SEVERE, "Severe"), (MODERATE, "Moderate"), (MILD, "Mild"))
    under(FINDING_CONTEXT_VALUE, qv, (KNOWN_PRESENT, "Known present"), (KNOWN_ABSENT, "Known absent"))
    under(DOSE_FORM, qv, *zip(DOSE_FORM_IDS, DOSE_FORMS, strict=True))
    return rows
