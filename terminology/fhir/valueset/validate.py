"""``ValueSet/$validate-code``: is a code (coding, codeable concept) valid and in the value set."""

from __future__ import annotations

from typing import Any

from ..codes import CheckedCode, check_code
from ..codesystem import codings_to_check, validation_output
from ..context import FhirContext
from ..outcome import FhirError, Issue, message
from ..params import Coding, Params
from ..versions import SNOMED
from .compose import CodeInEdition, Evaluator
from .resolve import resolve_value_set, version_params

__all__ = ["validate_code"]


def _code_in_editions(
    first: CheckedCode, system: str, code: str | None, display: str | None, lang: str | None, path: str
) -> CodeInEdition:
    """Check the code in whichever loaded edition a value set's include asks about, once per edition."""
    done: dict[int, CheckedCode] = {}
    if first.edition is not None:
        done[id(first.edition)] = first

    def code_in(edition: FhirContext) -> CheckedCode:
        if id(edition) not in done:
            done[id(edition)] = check_code(edition, system, code, edition.edition.uri, display, lang, path, False)
        return done[id(edition)]

    return code_in


def validate_code(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``ValueSet/$validate-code``: is the code valid and in the value set."""
    lang = params.str("displayLanguage") or lang
    tx = params.resources("tx-resource")
    requested, forced = version_params(ctx, params)
    items, cc = codings_to_check(params, ("system",))
    if not items or not any(c.code for c, _ in items):
        raise FhirError.invalid("$validate-code needs a code, a coding or a codeableConcept", "code")

    def named(coding: Coding, path: str) -> str | None:
        """The version a coding names (else the request): it applies to the includes that name none."""
        return (
            coding.version or params.str("systemVersion") or (params.str("version") if not path else None) or requested
        )

    # One evaluator per version the codings name (a CodeableConcept's codings may name different ones).
    evaluators: dict[str | None, Evaluator] = {}

    def evaluator_for(version: str | None) -> Evaluator:
        if version not in evaluators:
            evaluators[version] = Evaluator(ctx, tx, version, lang, forced)
        return evaluators[version]

    first = evaluator_for(named(*items[0]))
    vs = resolve_value_set(
        first.unpinned(), params.str("url"), params.str("valueSetVersion"), params.resource("valueSet"), tx
    )
    # A version the value set pins but the server lacks is reported on the code, not as a 404.
    pinned = next(
        (inc.get("version") for inc in vs.includes if inc.get("system") == SNOMED and inc.get("version")), None
    )
    missing = pinned if pinned is not None and ctx.select(pinned) is None else None
    checked: list[CheckedCode] = []
    found = []
    for coding, path in items:
        system = coding.system
        if system is None and params.bool("inferSystem"):
            system = SNOMED
        if system is None:
            text = message("UNABLE_TO_INFER_CODESYSTEM", coding.code, vs.reference)
            issue = Issue("error", "invalid", text, "invalid-data", "UNABLE_TO_INFER_CODESYSTEM", [f"{path}system"])
            checked.append(CheckedCode(None, coding.code or "", issues=[issue], system_known=True))
            found.append(False)
            continue
        version = forced or named(coding, path) or missing
        c = check_code(ctx, system, coding.code, version, coding.display, lang, path, False)
        if not (c.system_known and c.version_known):
            checked.append(c)
            found.append(False)
            continue
        code_in = _code_in_editions(c, system, coding.code, coding.display, lang, path)
        edition = evaluator_for(named(coding, path)).contains(vs, code_in, params.bool("activeOnly"))
        # A code the value set holds is reported as the version that holds it; one it does
        # not hold, as the version it was checked in (the requested or default one).
        checked.append(code_in(edition) if edition is not None else c)
        found.append(edition is not None)
    extra: list[Issue] = []
    if not any(found):

        def shown(c: CheckedCode, coding_display: str | None) -> str:
            return f"{c.coding_text} ('{coding_display}')" if coding_display else c.coding_text

        labels = [shown(c, coding.display) for c, (coding, _p) in zip(checked, items, strict=True)]
        paths = [f"{p}code" for _c, p in items]
        if len(labels) == 1:
            text = message("None_of_the_provided_codes_are_in_the_value_set_one", labels[0], vs.reference)
            key = "None_of_the_provided_codes_are_in_the_value_set_one"
        else:
            text = message("None_of_the_provided_codes_are_in_the_value_set_other", ", ".join(labels), vs.reference)
            key = "None_of_the_provided_codes_are_in_the_value_set_other"
        if any(c.system_known and c.version_known for c in checked):
            extra.append(Issue("error", "code-invalid", text, "not-in-vs", key, paths))
    result = any(f and c.valid and not any(i.is_error for i in c.issues) for f, c in zip(found, checked, strict=True))
    return validation_output(checked, result, extra, cc)
