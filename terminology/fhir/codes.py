"""Checking one SNOMED CT code (a concept id or a post-coordinated expression) for the FHIR operations.

``$validate-code`` on a CodeSystem or a ValueSet, ``$lookup`` and ``$subsumes`` all
start the same way: is the system SNOMED CT, is the requested version the loaded
one, is the code a concept of the release or a valid expression, what is its
display, is the display the client sent acceptable.  :func:`check_code` answers all
of that once and returns the issues in the form the tests expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import TerminologyError
from ..expressions import (
    Expression,
    ExpressionSyntaxError,
    parse_expression,
    render,
    validate_expression,
)
from ..model import Description
from ..terminology import Terminology
from .context import FhirContext
from .outcome import Issue, message
from .versions import SNOMED

__all__ = ["CheckedCode", "check_code", "description_language_ok", "unknown_system_issue", "version_issue"]

MRCM_NOT_CHECKED = (
    "The expression is grammatically correct and the concepts are valid, but the expression has not been "
    "checked against the SNOMED CT concept model (MRCM)"
)
MRCM_CHECKED = (
    "The expression is grammatically correct, the concepts are valid and the expression conforms to the "
    "SNOMED CT concept model (MRCM)"
)


@dataclass
class CheckedCode:
    """What is known about one code after checking it against the loaded release."""

    system: str | None
    code: str
    version: str | None = None  # the edition URI when the system and version are the loaded ones
    edition: FhirContext | None = None  # the loaded edition the code was checked in
    concept_id: int | None = None
    expression: Expression | None = None
    valid: bool = False
    inactive: bool = False
    display: str | None = None
    issues: list[Issue] = field(default_factory=list)
    system_known: bool = True
    version_known: bool = True
    requested_version: str | None = None

    @property
    def coding_text(self) -> str:
        """``system#code`` as the validator's messages write a coding."""
        return f"{self.system}#{self.code}" if self.system else self.code


def unknown_system_issue(system: str, path: str) -> Issue:
    return Issue("error", "not-found", message("UNKNOWN_CODESYSTEM", system), "not-found", "UNKNOWN_CODESYSTEM", [path])


def version_issue(ctx: FhirContext, requested: str, path: str) -> Issue:
    text = message("UNKNOWN_CODESYSTEM_VERSION", SNOMED, requested, ctx.valid_versions)
    return Issue("error", "not-found", text, "not-found", "UNKNOWN_CODESYSTEM_VERSION", [path])


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def description_language_ok(d: Description, lang: str | None) -> bool:
    """Whether a description is in one of the requested languages (``en`` matches ``en-US`` and ``en-GB``)."""
    if not lang:
        return True
    tags = [p.split(";")[0].strip().lower() for p in lang.split(",") if p.strip()]
    code = d.language_code.lower()
    return any(tag == "*" or tag.split("-")[0] == code.split("-")[0] or tag.isdigit() for tag in tags)


def _quote_list(terms: list[str]) -> str:
    return ",".join(f'"{x}"' if re.search(r"[\s,\"]", x) else x for x in terms)


def check_code(
    ctx: FhirContext,
    system: str | None,
    code: str | None,
    version: str | None = None,
    display: str | None = None,
    lang: str | None = None,
    path: str = "",
    code_system_mode: bool = True,
) -> CheckedCode:
    """Check a code; ``path`` prefixes issue expressions (``""`` for the code/display parameters,
    ``"Coding."`` or ``"CodeableConcept.coding[0]."`` for codings).

    ``code_system_mode`` adds the information issue about the MRCM to valid
    expressions, as a CodeSystem ``$validate-code`` does (a ValueSet one does not).
    """
    code_path, display_path, system_path = f"{path}code", f"{path}display", f"{path}system"
    out = CheckedCode(system, code or "")
    if not code:
        out.issues.append(Issue("error", "invalid", "No code was provided", "invalid-data", expression=[code_path]))
        return out
    if system is not None and system != SNOMED:
        out.system_known = False
        out.issues.append(unknown_system_issue(system, system_path))
        return out
    selected = ctx.select(version)
    if selected is None:
        out.version_known, out.requested_version = False, version
        out.issues.append(version_issue(ctx, version or "", f"{path}version"))
        return out
    ctx = selected
    t = ctx.terminology
    out.version, out.edition = ctx.edition.uri, ctx
    unknown = message("Unknown_Code_in_Version", code, SNOMED, ctx.edition.uri) + f" ({ctx.edition.name})"

    def invalid(details: list[str]) -> CheckedCode:
        out.issues.append(
            Issue("error", "code-invalid", unknown, "invalid-code", "Unknown_Code_in_Version", [code_path])
        )
        for d in details:
            out.issues.append(
                Issue(
                    "information",
                    "code-invalid",
                    f"Not a valid expression: {d}",
                    "invalid-code",
                    expression=[code_path],
                )
            )
        return out

    stripped = code.strip()
    concept: int | None = None
    if stripped.isdigit():
        concept = int(stripped)
    else:
        try:
            expr = parse_expression(stripped)
        except ExpressionSyntaxError as exc:
            return invalid([str(exc)])
        if expr.is_single_concept:
            concept = expr.sub.focus[0].id
        else:
            problems = validate_expression(t, expr, mrcm=ctx.settings.mrcm)
            if problems:
                return invalid([p.message for p in problems])
            out.expression, out.valid = expr, True
            out.display = render(t, expr, lang)
            if code_system_mode:
                note = MRCM_CHECKED if ctx.settings.mrcm else MRCM_NOT_CHECKED
                out.issues.append(Issue("information", "informational", note, "process-note", expression=[code_path]))
            if display is not None and _normal(display) not in (
                _normal(out.display),
                _normal(render(t, expr, terms=False)),
            ):
                text = f"'{display}' is not a display of the expression; its display is '{out.display}'"
                out.issues.append(
                    Issue("warning", "invalid", text, "display-comment", expression=[display_path], location=True)
                )
            return out
    if concept is None or not t.has_concept(concept):
        out.issues.append(
            Issue("error", "code-invalid", unknown, "invalid-code", "Unknown_Code_in_Version", [code_path])
        )
        return out
    out.concept_id, out.valid = concept, True
    out.display = t.preferred_term(concept, lang)
    if not t.is_active(concept):
        out.inactive = True
        text = message("INACTIVE_CONCEPT_FOUND", "inactive", code)
        out.issues.append(
            Issue("warning", "business-rule", text, "code-comment", "INACTIVE_CONCEPT_FOUND", [code_path])
        )
    if display is not None:
        out.issues.extend(_display_issues(t, concept, code, display, lang, display_path))
    return out


def _display_issues(t: Terminology, concept: int, code: str, display: str, lang: str | None, path: str) -> list[Issue]:
    try:
        descriptions = [d for d in t.descriptions(concept) if d.type in ("fsn", "synonym")]
    except TerminologyError:
        return []
    in_lang = [d for d in descriptions if description_language_ok(d, lang)] or descriptions
    active = sorted({d.term for d in in_lang if d.active})
    wanted = _normal(display)
    if any(_normal(term) == wanted for term in active):
        return []
    if any(_normal(d.term) == wanted for d in in_lang if not d.active):
        text = message("INACTIVE_DISPLAY_FOUND", display, code, "inactive", _quote_list(active))
        return [Issue("warning", "invalid", text, "display-comment", "INACTIVE_DISPLAY_FOUND", [path], location=True)]
    languages = ",".join(sorted({d.language_code for d in in_lang})) or (lang or "en")
    choices = ", ".join(f"'{term}'" for term in active)
    key = "Display_Name_for__should_be_one_of__instead_of_" + ("one" if len(active) == 1 else "other")
    text = message(key, display, SNOMED, code, choices, languages, len(active))
    return [Issue("error", "invalid", text, "invalid-display", key, [path], location=True)]
