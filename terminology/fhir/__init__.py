"""FHIR R4 terminology operations over SNOMED CT, without any web code.

Each operation takes a :class:`FhirContext` (the release and the server settings)
and the operation's :class:`Params` and returns the output resource as JSON, or
raises :class:`FhirError` carrying the OperationOutcome issues and HTTP status.
:func:`read_resource` and :func:`search_resources` answer the resource interactions on the SNOMED CT
CodeSystem, its implicit ValueSets and ConceptMaps (built from the loaded editions).
The Flask blueprint in ``service/fhir`` only parses requests and writes responses.
"""

from .capabilities import capability_statement, terminology_capabilities, versions
from .codesystem import lookup, subsumes
from .codesystem import validate_code as cs_validate_code
from .conceptmap import translate
from .context import FhirContext, FhirSettings
from .outcome import FhirError, Issue, operation_outcome
from .params import Coding, Params
from .resources import (
    READABLE,
    RESOURCE_TYPES,
    SEARCH_PARAMS,
    code_system,
    concept_map,
    read_resource,
    search_resources,
)
from .valueset import expand, resolve_value_set
from .valueset import validate_code as vs_validate_code
from .versions import SNOMED, Edition, edition_of

__all__ = [
    "READABLE",
    "RESOURCE_TYPES",
    "SEARCH_PARAMS",
    "SNOMED",
    "Coding",
    "Edition",
    "FhirContext",
    "FhirError",
    "FhirSettings",
    "Issue",
    "Params",
    "capability_statement",
    "code_system",
    "concept_map",
    "cs_validate_code",
    "edition_of",
    "expand",
    "lookup",
    "operation_outcome",
    "read_resource",
    "resolve_value_set",
    "search_resources",
    "subsumes",
    "terminology_capabilities",
    "translate",
    "versions",
    "vs_validate_code",
]
