"""The MRCM domain, attribute domain and attribute range refsets for the attributes the release uses."""

from __future__ import annotations

import numpy as np

from loaders import rf2_format as rf
from loaders.snomed import MODEL_MODULE

from .history import Content
from .ids import (
    ACTION,
    ALL_CONTENT,
    ASSOCIATED_FINDING,
    ASSOCIATED_MORPHOLOGY,
    BODY_STRUCTURE,
    CAUSATIVE_AGENT,
    CLINICAL_COURSE,
    CLINICAL_FINDING,
    COMPONENT,
    COUNT_OF_BASE,
    COURSES,
    DOSE_FORM,
    DUE_TO,
    FINDING_CONTEXT,
    FINDING_CONTEXT_VALUE,
    FINDING_SITE,
    HAS_ACTIVE_INGREDIENT,
    HAS_DOSE_FORM,
    HAS_INTERPRETATION,
    INTERPRETS,
    LATERALITY,
    MANDATORY_RULE,
    METHOD,
    MORPHOLOGIC_ABNORMALITY,
    MRCM_ATTRIBUTE_DOMAIN_REFSET,
    MRCM_ATTRIBUTE_RANGE_REFSET,
    MRCM_DOMAIN_REFSET,
    OBSERVABLE,
    ORGANISM,
    PATHOLOGICAL_PROCESS,
    PHYSICAL_OBJECT,
    PROCEDURE,
    PROCEDURE_SITE,
    PRODUCT,
    QUALIFIER_VALUE,
    SEVERITIES,
    SEVERITY,
    SIDE,
    SITUATION,
    STRENGTH_NUMERATOR_VALUE,
    SUBSTANCE,
    USING_DEVICE,
)
from .writer import Writer, common_columns, uuids

# (attribute, domain, range, grouped) for the MRCM refsets.
_MRCM: tuple[tuple[int, int, str, bool], ...] = (
    (FINDING_SITE, CLINICAL_FINDING, f"<< {BODY_STRUCTURE}", True),
    (ASSOCIATED_MORPHOLOGY, CLINICAL_FINDING, f"<< {MORPHOLOGIC_ABNORMALITY}", True),
    (CAUSATIVE_AGENT, CLINICAL_FINDING, f"<< {ORGANISM} OR << {SUBSTANCE}", True),
    (PATHOLOGICAL_PROCESS, CLINICAL_FINDING, f"<< {QUALIFIER_VALUE}", True),
    (INTERPRETS, CLINICAL_FINDING, f"<< {OBSERVABLE}", True),
    (HAS_INTERPRETATION, CLINICAL_FINDING, f"<< {QUALIFIER_VALUE}", True),
    (CLINICAL_COURSE, CLINICAL_FINDING, f"<< {COURSES}", False),
    (SEVERITY, CLINICAL_FINDING, f"<< {SEVERITIES}", False),
    (DUE_TO, CLINICAL_FINDING, f"<< {CLINICAL_FINDING}", False),
    (PROCEDURE_SITE, PROCEDURE, f"<< {BODY_STRUCTURE}", True),
    (METHOD, PROCEDURE, f"<< {ACTION}", True),
    (USING_DEVICE, PROCEDURE, f"<< {PHYSICAL_OBJECT}", True),
    (LATERALITY, BODY_STRUCTURE, f"<< {SIDE}", False),
    (HAS_ACTIVE_INGREDIENT, PRODUCT, f"<< {SUBSTANCE}", True),
    (HAS_DOSE_FORM, PRODUCT, f"<< {DOSE_FORM}", False),
    (STRENGTH_NUMERATOR_VALUE, PRODUCT, "dec(>#0..)", True),
    (COUNT_OF_BASE, PRODUCT, "int(>#0..)", False),
    (COMPONENT, OBSERVABLE, f"<< {SUBSTANCE}", True),
    (ASSOCIATED_FINDING, SITUATION, f"<< {CLINICAL_FINDING}", True),
    (FINDING_CONTEXT, SITUATION, f"<< {FINDING_CONTEXT_VALUE}", True),
)


def write_mrcm(w: Writer, r: Content, rng: np.random.Generator) -> None:
    """Small MRCM domain / attribute domain / attribute range refsets for the attributes used."""
    name = {r.meta[i][0]: f"{r.meta[i][1]} ({r.meta[i][2]})" for i in range(r.n_meta)}

    def label(cid: int) -> str:
        return f"{cid} |{name[cid]}|"

    domains = sorted({d for _, d, _, _ in _MRCM})
    constraint = [f"<< {label(d)}" for d in domains]
    w.write(
        rf.MRCM_DOMAIN,
        {
            **common_columns(uuids(rng, len(domains)), 1, MODEL_MODULE),
            "refsetId": MRCM_DOMAIN_REFSET,
            "referencedComponentId": domains,
            "domainConstraint": constraint,
            "parentDomain": "",
            "proximalPrimitiveConstraint": constraint,
            "proximalPrimitiveRefinement": "",
            "domainTemplateForPrecoordination": "",
            "domainTemplateForPostcoordination": "",
            "guideURL": "",
        },
    )
    attrs = [a for a, _, _, _ in _MRCM]
    w.write(
        rf.MRCM_ATTRIBUTE_DOMAIN,
        {
            **common_columns(uuids(rng, len(attrs)), 1, MODEL_MODULE),
            "refsetId": MRCM_ATTRIBUTE_DOMAIN_REFSET,
            "referencedComponentId": attrs,
            "domainId": [d for _, d, _, _ in _MRCM],
            "grouped": [int(g) for _, _, _, g in _MRCM],
            "attributeCardinality": "0..*",
            "attributeInGroupCardinality": ["0..1" if g else "0..0" for _, _, _, g in _MRCM],
            "ruleStrengthId": MANDATORY_RULE,
            "contentTypeId": ALL_CONTENT,
        },
    )
    ranges = [
        " OR ".join(part if "(" in part else f"{part} |{name[int(part.split()[-1])]}|" for part in rng_.split(" OR "))
        for _, _, rng_, _ in _MRCM
    ]
    rules = [
        f"<< {label(d)}: [0..*] " + ("{ " if g else "") + f"[0..1] {label(a)} = {rg}" + (" }" if g else "")
        for (a, d, _, g), rg in zip(_MRCM, ranges, strict=True)
    ]
    w.write(
        rf.MRCM_ATTRIBUTE_RANGE,
        {
            **common_columns(uuids(rng, len(attrs)), 1, MODEL_MODULE),
            "refsetId": MRCM_ATTRIBUTE_RANGE_REFSET,
            "referencedComponentId": attrs,
            "rangeConstraint": ranges,
            "attributeRule": rules,
            "ruleStrengthId": MANDATORY_RULE,
            "contentTypeId": ALL_CONTENT,
        },
    )
