"""FHIR R4 terminology operations over SNOMED CT, without any web code.

Each operation takes a :class:`FhirContext` (the release and the server settings)
and the operation's :class:`Params` and returns the output resource as JSON, or
raises :class:`FhirError` carrying the OperationOutcome issues and HTTP status.
The Flask blueprint in ``service/fhir`` only parses requests and writes responses.
"""

from .capabilities import capability_statement, terminology_capabilities, versions
from .codesystem import lookup, subsumes
from .codesystem import validate_code as cs_validate_code
from .conceptmap import translate
from .context import FhirContext, FhirSettings
from .outcome import FhirError, Issue, operation_outcome
from .params import Coding, Params
from .valueset import expand, resolve_value_set
from .valueset import validate_code as vs_validate_code
from .versions import SNOMED, Edition, edition_of

__all__ = [
    "SNOMED",
    "Coding",
    "Edition",
    "FhirContext",
    "FhirError",
    "FhirSettings",
    "Issue",
    "Params",
    "capability_statement",
    "cs_validate_code",
    "edition_of",
    "expand",
    "lookup",
    "operation_outcome",
    "resolve_value_set",
    "subsumes",
    "terminology_capabilities",
    "translate",
    "versions",
    "vs_validate_code",
]
