"""OperationOutcome issues with the codes, tx-issue-type codings and message ids HL7's tools use.

Terminology clients (the FHIR validator, HL7's tx-ecosystem tests) read more than
the human text: the issue ``code``, the ``tx-issue-type`` coding in ``details``
and the ``operationoutcome-message-id`` extension naming the message in the FHIR
validator's message bundle.  The wording of each message here follows that bundle
(``messages.properties`` of org.hl7.fhir.core) so that clients matching on text
keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from loaders.errors import SnomapError

__all__ = ["FhirError", "Issue", "MESSAGES", "message", "operation_outcome"]

TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
MESSAGE_ID = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"

Severity = Literal["fatal", "error", "warning", "information"]

# message id -> template ({0}, {1}, ... as in the FHIR validator's bundle)
MESSAGES: dict[str, str] = {
    "Unknown_Code_in_Version": "Unknown code '{0}' in the CodeSystem '{1}' version '{2}'",
    "UNKNOWN_CODESYSTEM": "A definition for CodeSystem '{0}' could not be found, so the code cannot be validated",
    "UNKNOWN_CODESYSTEM_VERSION": (
        "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code cannot be validated. "
        "Valid versions: {2}"
    ),
    "None_of_the_provided_codes_are_in_the_value_set_one": "The provided code '{0}' was not found in the value set '{1}'",
    "None_of_the_provided_codes_are_in_the_value_set_other": "None of the provided codes [{0}] are in the value set '{1}'",
    "Unable_to_resolve_value_Set_": "A definition for the value Set '{0}' could not be found",
    "VALUESET_TOO_COSTLY": "The value set '{0}' expansion has too many codes to produce (>{1})",
    "INACTIVE_DISPLAY_FOUND": (
        "'{0}' is no longer considered a correct display for code '{1}' (status = {2}). The correct display is one of {3}."
    ),
    "INACTIVE_CONCEPT_FOUND": "The concept '{1}' has a status of {0} and its use should be reviewed",
    "Display_Name_for__should_be_one_of__instead_of_one": (
        "Wrong Display Name '{0}' for {1}#{2}. Valid display is {3} (for the language(s) '{4}')"
    ),
    "Display_Name_for__should_be_one_of__instead_of_other": (
        "Wrong Display Name '{0}' for {1}#{2}. Valid display is one of {5} choices: {3} (for the language(s) '{4}')"
    ),
    "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR": (
        "Wrong Display Name '{0}' for {1}#{2}. There are no valid display names found for language(s) '{3}'"
    ),
    "Terminology_TX_NoValid_2_CC": "None of the codings provided are in the value set '{0}'",
    "UNABLE_TO_INFER_CODESYSTEM": "The System URI could not be determined for the code '{0}' in the ValueSet '{1}'",
    "Terminology_TX_System_Relative": "Coding.system must be an absolute reference, not a local reference",
    "SUBSUMES_UNKNOWN_CODE": "Unknown code '{0}' in the CodeSystem '{1}'",
    "TRANSLATE_NO_MATCH": "No mappings could be found for {0}#{1} in the concept map '{2}'",
    "UNKNOWN_CONCEPTMAP": "A definition for the ConceptMap '{0}' could not be found",
    "UNSUPPORTED_FILTER": "The filter '{0} {1} {2}' is not supported for the code system '{3}'",
    "INVALID_FILTER": "The filter '{0} {1} {2}' on the code system '{3}' is not valid: {4}",
    "INVALID_ECL": "Invalid ECL expression: '{0}': {1}",
}


def message(message_id: str, *args: object) -> str:
    """The text of a message id with its arguments filled in."""
    text = MESSAGES[message_id]
    for i, a in enumerate(args):
        text = text.replace("{" + str(i) + "}", str(a))
    return text


@dataclass
class Issue:
    """One OperationOutcome issue; ``tx`` is the tx-issue-type code, ``message_id`` the bundle key."""

    severity: Severity
    code: str
    text: str
    tx: str | None = None
    message_id: str | None = None
    expression: list[str] = field(default_factory=list)
    location: bool = False  # R4 clients still read the deprecated `location`; some tests expect it
    diagnostics: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.message_id:
            out["extension"] = [{"url": MESSAGE_ID, "valueString": self.message_id}]
        out["severity"] = self.severity
        out["code"] = self.code
        details: dict[str, Any] = {}
        if self.tx:
            details["coding"] = [{"system": TX_ISSUE_TYPE, "code": self.tx}]
        details["text"] = self.text
        out["details"] = details
        if self.diagnostics:
            out["diagnostics"] = self.diagnostics
        if self.expression:
            if self.location:
                out["location"] = list(self.expression)
            out["expression"] = list(self.expression)
        return out

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_json() for i in issues]}


class FhirError(SnomapError):
    """An operation that cannot answer: the service returns the issues as an OperationOutcome with ``status``."""

    def __init__(self, status: int, issues: list[Issue] | Issue):
        self.status = status
        self.issues = issues if isinstance(issues, list) else [issues]
        super().__init__("; ".join(i.text for i in self.issues))

    @classmethod
    def invalid(cls, text: str, expression: str | None = None, status: int = 400) -> FhirError:
        """A request the server cannot read (missing or malformed parameter)."""
        return cls(
            status, Issue("error", "invalid", text, "invalid-data", expression=[expression] if expression else [])
        )

    @classmethod
    def invalid_ecl(cls, ecl: str, problem: str, position: int | None) -> FhirError:
        """An ECL constraint that does not parse or names an unknown concept: the value set is invalid.

        tx.fhir.org and Snowstorm answer ``invalid`` with the tx-issue-type ``vs-invalid`` and the
        message id ``INVALID_ECL`` (HL7's tx-ecosystem tests ``sct/ecl/expand-ecl-unknown-concept``,
        ``-missing-focus``, ``-trailing-tokens``, ``-invalid-sctid``, ``-ambiguous-precedence``).  The
        text names the expression; the 0-based character position is in the text and in
        ``diagnostics`` (``position=N``).
        """
        where = f" (at character {position})" if position is not None and f"character {position}" not in problem else ""
        text = message("INVALID_ECL", ecl, problem + where)
        diagnostics = f"position={position}" if position is not None else None
        return cls(400, Issue("error", "invalid", text, "vs-invalid", "INVALID_ECL", diagnostics=diagnostics))

    @classmethod
    def not_supported(cls, text: str, status: int = 400) -> FhirError:
        return cls(status, Issue("error", "not-supported", text, "not-supported"))

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)
