"""``metadata``: the CapabilityStatement, the TerminologyCapabilities and ``$versions`` (R4)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from .context import FhirContext
from .resources import READABLE, SEARCH_PARAMS
from .valueset import SUPPORTED_FILTERS
from .versions import SNOMED

__all__ = ["capability_statement", "terminology_capabilities", "versions"]

FHIR_VERSION = "4.0.1"
OPERATIONS = {
    "CodeSystem": [
        ("lookup", "CodeSystem-lookup"),
        ("validate-code", "CodeSystem-validate-code"),
        ("subsumes", "CodeSystem-subsumes"),
    ],
    "ValueSet": [("expand", "ValueSet-expand"), ("validate-code", "ValueSet-validate-code")],
    "ConceptMap": [("translate", "ConceptMap-translate")],
}


def _software() -> dict[str, str]:
    try:
        v = package_version("snomap")
    except PackageNotFoundError:
        v = "0"
    return {"name": "snomap", "version": v}


def capability_statement(ctx: FhirContext, base_url: str) -> dict[str, Any]:
    """What the server does: read and search of CodeSystem, ValueSet and ConceptMap, and the terminology operations.

    Clients read this before they search or read a resource, so it lists only the
    interactions the server answers: ValueSets have no id, so they are searched, not read.
    """
    resources = []
    for rtype, ops in OPERATIONS.items():
        interactions = (["read"] if rtype in READABLE else []) + ["search-type"]
        resources.append(
            {
                "type": rtype,
                "interaction": [{"code": code} for code in interactions],
                "searchParam": [
                    {"name": p.name, "definition": p.definition, "type": p.type, "documentation": p.documentation}
                    for p in SEARCH_PARAMS[rtype]
                ],
                "operation": [
                    {"name": name, "definition": f"http://hl7.org/fhir/OperationDefinition/{definition}"}
                    for name, definition in ops
                ],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": f"{ctx.edition.version[:4]}-{ctx.edition.version[4:6]}-{ctx.edition.version[6:]}",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "software": _software(),
        "implementation": {"description": f"snomap FHIR terminology service ({ctx.edition.uri})", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "resource": resources,
                "operation": [
                    {
                        "name": "versions",
                        "definition": "http://hl7.org/fhir/OperationDefinition/CapabilityStatement-versions",
                    }
                ],
            }
        ],
    }


def _version_entry(ctx: FhirContext, default: bool, filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "code": ctx.edition.uri,
        "isDefault": default,
        "compositional": True,
        "language": sorted({"en", *ctx.terminology.manifest.get("languages", [])}),
        "filter": filters,
        "property": [
            "inactive",
            "sufficientlyDefined",
            "moduleId",
            "effectiveTime",
            "normalForm",
            "normalFormTerse",
            "parent",
            "child",
        ],
    }


def terminology_capabilities(ctx: FhirContext, base_url: str) -> dict[str, Any]:
    """The loaded SNOMED CT editions (the default first), their filters and properties, and how expansion behaves."""
    ctx = ctx.default
    e = ctx.edition
    filters = [{"code": prop, "op": list(ops)} for prop, ops in SUPPORTED_FILTERS.items()]
    return {
        "resourceType": "TerminologyCapabilities",
        "status": "active",
        "date": f"{e.version[:4]}-{e.version[4:6]}-{e.version[6:]}",
        "kind": "instance",
        "software": _software(),
        "implementation": {"description": "snomap FHIR terminology service", "url": base_url},
        "codeSystem": [
            {
                "uri": SNOMED,
                "version": [_version_entry(c, c is ctx.default, filters) for c in ctx.loaded],
            }
        ],
        "expansion": {
            "hierarchical": False,
            "paging": True,
            "incomplete": False,
            "parameter": [
                {"name": n}
                for n in (
                    "activeOnly",
                    "count",
                    "displayLanguage",
                    "filter",
                    "includeDesignations",
                    "offset",
                    "property",
                    "system-version",
                )
            ],
            "textFilter": "Each word of the filter must start a word of an active description of the concept.",
        },
        "codeSearch": "all",
        "validateCode": {"translations": False},
        "translation": {"needsMap": True},
        "closure": {"translation": False},
    }


def versions() -> dict[str, Any]:
    """``$versions``: the FHIR versions this endpoint speaks."""
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "version", "valueString": "4.0"}, {"name": "default", "valueString": "4.0"}],
    }
