"""CodeSystem operations on SNOMED CT: ``$lookup``, ``$validate-code`` and ``$subsumes``.

Each takes the operation's :class:`~.params.Params` and returns the output
Parameters resource as JSON, or raises :class:`~.outcome.FhirError` for requests it
cannot answer (the service turns that into an OperationOutcome).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..dialects import NAMES, language_refset_order
from ..expressions import ConceptRef, Concrete, Expression, normal_form_text, subsumption
from ..model import ConcreteValue, Relationship
from ..terminology import Terminology
from .codes import CheckedCode, check_code
from .context import FhirContext
from .outcome import FhirError, Issue, message, operation_outcome
from .params import Coding, Params
from .versions import SNOMED

__all__ = ["DEFAULT_PROPERTIES", "LOOKUP_PROPERTIES", "lookup", "subsumes", "validate_code", "validation_output"]

HL7_TERM_MAINT = "http://terminology.hl7.org/CodeSystem/hl7TermMaintInfra"
DESCRIPTION_USE = {
    900000000000003001: "Fully specified name",
    900000000000013009: "Synonym",
    900000000000550004: "Definition",
}
# What $lookup returns when the client names no property (as tx.fhir.org does); others on request.
DEFAULT_PROPERTIES = ("inactive", "effectiveTime", "parent", "child", "attributes")
LOOKUP_PROPERTIES = (
    "inactive",
    "sufficientlyDefined",
    "moduleId",
    "module",
    "effectiveTime",
    "normalForm",
    "normalFormTerse",
    "parent",
    "child",
)


def _param(name: str, kind: str, value: Any) -> dict[str, Any]:
    return {"name": name, f"value{kind}": value}


def _parameters(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": items}


def use_coding(t: Terminology, type_id: int) -> dict[str, Any]:
    """The designation ``use`` of a description type, with the type's preferred term as display."""
    term = t.preferred_term(type_id) if t.has_concept(type_id) else None
    return {"system": SNOMED, "code": str(type_id), "display": term or DESCRIPTION_USE.get(type_id, str(type_id))}


def _pt(t: Terminology, sctid: int, lang: str | None) -> str | None:
    return t.preferred_term(sctid, lang) if t.has_concept(sctid) else None


def _designation(language: str, use: dict[str, Any] | None, value: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [_param("language", "Code", language)]
    if use is not None:
        parts.append({"name": "use", "valueCoding": use})
    parts.append(_param("value", "String", value))
    return {"name": "designation", "part": parts}


def _property(
    code: str, value: dict[str, Any], description: str | None = None, code_display: str | None = None
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [_param("code", "Code", code)]
    if code_display:
        parts.append(_param("code-display", "String", code_display))
    if description:
        parts.append(_param("description", "String", description))
    parts.append({"name": "value", **value})
    return {"name": "property", "part": parts}


def _attribute_value(a: Relationship | ConcreteValue) -> dict[str, Any]:
    if isinstance(a, Relationship):
        return {"valueCode": str(a.destination_id)}
    v = a.value
    if isinstance(v, bool):
        return {"valueBoolean": v}
    if isinstance(v, int):
        return {"valueInteger": v}
    if isinstance(v, float):
        return {"valueDecimal": v}
    return {"valueString": v}


def _coding_input(params: Params, system_names: tuple[str, ...] = ("system",)) -> Coding:
    """The code to work on: ``code``+``system``+``version`` or ``coding``."""
    coding = params.coding("coding")
    if coding is not None:
        return coding
    system = next((params.str(n) for n in system_names if params.has(n)), None)
    return Coding(system, params.str("code"), params.str("version"), params.str("display"))


# --------------------------------------------------------------------------- $lookup


def _version_text(ctx: FhirContext, checked: CheckedCode) -> str:
    """The version a code was looked for in, for Unknown_Code_in_Version."""
    return (checked.edition or ctx).edition.uri


def lookup(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``CodeSystem/$lookup``: display, designations and properties of a concept or an expression."""
    lang = params.str("displayLanguage") or lang
    coding = _coding_input(params)
    if not coding.code:
        raise FhirError.invalid("$lookup needs a code and a system, or a coding", "code")
    if coding.system is None:
        raise FhirError.invalid("$lookup needs the system of the code", "system")
    checked = check_code(
        ctx, coding.system, coding.code, coding.version or params.str("version"), None, lang, "", False
    )
    if not checked.valid:
        status = 404
        issues = [i for i in checked.issues if i.is_error] or checked.issues
        for i in issues:
            if i.message_id == "Unknown_Code_in_Version":
                i.code, i.tx = "not-found", "not-found"
                i.text = message("Unknown_Code_in_Version", coding.code, SNOMED, _version_text(ctx, checked))
        raise FhirError(status, issues + [i for i in checked.issues if not i.is_error])
    ctx = checked.edition or ctx
    wanted = set(params.strs("property"))
    out: list[dict[str, Any]] = [
        _param("code", "Code", coding.code),
        _param("system", "Uri", SNOMED),
        _param("version", "String", ctx.edition.uri),
        _param("name", "String", f"{SNOMED}|{ctx.edition.uri}"),
        _param("display", "String", checked.display or ""),
    ]
    if checked.expression is not None:
        out.extend(_expression_lookup(ctx, checked.expression, checked.display or "", wanted, lang))
    else:
        assert checked.concept_id is not None
        out.extend(_concept_lookup(ctx, checked.concept_id, wanted, lang))
    return _parameters(out)


def _wants(wanted: set[str], name: str) -> bool:
    if not wanted:
        return name in DEFAULT_PROPERTIES
    return "*" in wanted or name in wanted


def _concept_lookup(ctx: FhirContext, sctid: int, wanted: set[str], lang: str | None) -> list[dict[str, Any]]:
    t = ctx.terminology
    out: list[dict[str, Any]] = []
    if not wanted or "designation" in wanted or "*" in wanted:
        for d in sorted(t.descriptions(sctid, active_only=True), key=lambda d: d.id):
            if d.type == "definition":
                continue
            out.append(_designation(d.language_code, use_coding(t, d.type_id), d.term))
    c = t.concept(sctid)
    out.extend(_concept_properties(ctx, sctid, wanted, lang, t.role_groups(sctid)))
    if _wants(wanted, "normalForm"):
        out.append(_property("normalForm", {"valueString": normal_form_text(t, sctid, True, lang)}))
    if _wants(wanted, "normalFormTerse"):
        out.append(_property("normalFormTerse", {"valueString": normal_form_text(t, sctid, False)}))
    if _wants(wanted, "sufficientlyDefined"):
        out.append(_property("sufficientlyDefined", {"valueBoolean": c.definition_status == "fully-defined"}))
    return out


def _concept_properties(
    ctx: FhirContext,
    sctid: int,
    wanted: set[str],
    lang: str | None,
    groups: dict[int, list[Relationship | ConcreteValue]],
) -> list[dict[str, Any]]:
    t = ctx.terminology
    c = t.concept(sctid)
    out: list[dict[str, Any]] = []
    if _wants(wanted, "inactive"):
        out.append(_property("inactive", {"valueBoolean": not c.active}))
    if _wants(wanted, "effectiveTime"):
        et = c.effective_time
        out.append(_property("effectiveTime", {"valueDateTime": f"{et[:4]}-{et[4:6]}-{et[6:8]}"}))
    for name in ("moduleId", "module"):
        if name in wanted or ("*" in wanted and name == "moduleId"):
            out.append(_property(name, {"valueCode": str(c.module_id)}, _pt(t, c.module_id, lang)))
    if _wants(wanted, "parent"):
        for p in t.parents(sctid):
            out.append(_property("parent", {"valueCode": str(p)}, _pt(t, p, lang)))
    if _wants(wanted, "child"):
        for ch in t.children(sctid):
            out.append(_property("child", {"valueCode": str(ch)}, _pt(t, ch, lang)))
    seen: set[tuple[int, str]] = set()
    for rels in groups.values():
        for a in rels:
            if not (_wants(wanted, "attributes") or str(a.type_id) in wanted):
                continue
            value = _attribute_value(a)
            key = (a.type_id, repr(value))
            if key in seen:
                continue
            seen.add(key)
            desc = _pt(t, a.destination_id, lang) if isinstance(a, Relationship) else None
            out.append(_property(str(a.type_id), value, desc, _pt(t, a.type_id, lang)))
    return out


def _expression_lookup(
    ctx: FhirContext, expr: Expression, display: str, wanted: set[str], lang: str | None
) -> list[dict[str, Any]]:
    """Lookup of an expression: its display as the only designation, the focus concept's properties
    with the refinement's attributes added (as tx.fhir.org reports them), and the normal form."""
    t = ctx.terminology
    refsets = language_refset_order(lang, t.language_refsets)
    language = NAMES.get(refsets[0], "en") if refsets else "en"
    use = {"system": HL7_TERM_MAINT, "code": "preferredForLanguage", "display": "Preferred For Language"}
    out: list[dict[str, Any]] = [_designation(language, use, display)]
    groups: dict[int, list[Relationship | ConcreteValue]] = {}
    focus = list(expr.focus_ids)
    for f in focus:
        for g, rels in t.role_groups(f).items():
            groups.setdefault(g, []).extend(rels)
    assert expr.sub.refinement is not None
    extra: list[Relationship | ConcreteValue] = []
    for a in expr.sub.refinement.attributes():
        v = a.value
        if isinstance(v, ConceptRef):
            extra.append(Relationship(-1, a.name.id, v.id))
        elif isinstance(v, Concrete) and not isinstance(v.value, Decimal):
            extra.append(ConcreteValue(-1, a.name.id, v.value))
        elif isinstance(v, Concrete):
            extra.append(ConcreteValue(-1, a.name.id, float(v.value)))
    groups[-1] = extra
    if len(focus) == 1:
        out.extend(_concept_properties(ctx, focus[0], wanted, lang, groups))
    else:
        for f in focus:
            if _wants(wanted, "parent"):
                out.append(_property("parent", {"valueCode": str(f)}, _pt(t, f, lang)))
        for g in groups.values():
            for a in g:
                if _wants(wanted, "attributes") or str(a.type_id) in wanted:
                    desc = _pt(t, a.destination_id, lang) if isinstance(a, Relationship) else None
                    out.append(_property(str(a.type_id), _attribute_value(a), desc, _pt(t, a.type_id, lang)))
    if _wants(wanted, "normalForm"):
        out.append(_property("normalForm", {"valueString": normal_form_text(t, expr, True, lang)}))
    if _wants(wanted, "normalFormTerse"):
        out.append(_property("normalFormTerse", {"valueString": normal_form_text(t, expr, False)}))
    return out


# --------------------------------------------------------------------------- $validate-code


def validation_output(
    checked: list[CheckedCode], result: bool, extra_issues: list[Issue], cc: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The $validate-code output Parameters for one code (or a CodeableConcept's codings)."""
    first = next((c for c in checked if c.valid), checked[0] if checked else None)
    out: list[dict[str, Any]] = []
    issues = [i for c in checked for i in c.issues] + extra_issues
    if first is not None and first.code and cc is None:
        out.append(_param("code", "Code", first.code))
    if first is not None and first.display:
        out.append(_param("display", "String", first.display))
    if cc is not None:
        out.append({"name": "codeableConcept", "valueCodeableConcept": cc})
    if first is not None and first.inactive:
        out.append(_param("inactive", "Boolean", True))
    if issues:
        out.append({"name": "issues", "resource": operation_outcome(issues)})
    errors = [i.text for i in issues if i.is_error]
    if errors:
        out.append(_param("message", "String", "; ".join(errors)))
    out.append(_param("result", "Boolean", result))
    if first is not None and first.system and cc is None:
        out.append(_param("system", "Uri", first.system))
    if first is not None and first.version and cc is None:
        out.append(_param("version", "String", first.version))
    unknown = [c for c in checked if not c.system_known or not c.version_known]
    for c in unknown:
        ref = c.system if not c.system_known else f"{SNOMED}|{c.requested_version or ''}"
        out.append(_param("x-caused-by-unknown-system", "Canonical", ref))
    return _parameters(out)


def codings_to_check(
    params: Params, system_names: tuple[str, ...]
) -> tuple[list[tuple[Coding, str]], dict[str, Any] | None]:
    """The codings a $validate-code request asks about, each with its issue-path prefix."""
    cc = params.codeable_concept("codeableConcept")
    if cc is not None:
        codings, _text = cc
        raw = next(v for k, v in params.all("codeableConcept"))
        return [(c, f"CodeableConcept.coding[{i}].") for i, c in enumerate(codings)], raw
    coding = params.coding("coding")
    if coding is not None:
        return [(coding, "Coding.")], None
    system = next((params.str(n) for n in system_names if params.has(n)), None)
    return [(Coding(system, params.str("code"), params.str("version"), params.str("display")), "")], None


def validate_code(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``CodeSystem/$validate-code``: is the code (or expression) valid in the loaded SNOMED CT edition."""
    lang = params.str("displayLanguage") or lang
    items, cc = codings_to_check(params, ("url", "system"))
    if not items or not any(c.code for c, _ in items):
        raise FhirError.invalid("$validate-code needs a code, a coding or a codeableConcept", "code")
    default_version = params.str("version")
    checked = []
    for coding, path in items:
        system = coding.system or params.str("url") or params.str("system")
        if system is None:
            raise FhirError.invalid("$validate-code on a CodeSystem needs its url (or the coding's system)", "url")
        checked.append(
            check_code(ctx, system, coding.code, coding.version or default_version, coding.display, lang, path, True)
        )
    result = any(c.valid and not any(i.is_error for i in c.issues) for c in checked)
    return validation_output(checked, result, [], cc)


# --------------------------------------------------------------------------- $subsumes


def subsumes(ctx: FhirContext, params: Params) -> dict[str, Any]:
    """``CodeSystem/$subsumes``: the relation of A to B, for concepts and expressions."""
    system = params.str("system")
    version = params.str("version")
    nodes = []
    editions: list[FhirContext] = []
    warnings: list[Issue] = []
    for side in ("A", "B"):
        coding = params.coding(f"coding{side}")
        code = coding.code if coding else params.str(f"code{side}")
        sys_ = (coding.system if coding else None) or system
        if not code:
            raise FhirError.invalid(f"$subsumes needs code{side} (or coding{side})", f"code{side}")
        if sys_ is None:
            raise FhirError.invalid("$subsumes needs the system", "system")
        checked = check_code(ctx, sys_, code, (coding.version if coding else None) or version, None, None, "", False)
        if not checked.valid:
            issues = [i for i in checked.issues if i.is_error]
            for i in issues:
                if i.message_id == "Unknown_Code_in_Version":
                    i.text = message("Unknown_Code_in_Version", code, SNOMED, _version_text(ctx, checked))
                    i.expression = [f"code{side}"]
            raise FhirError(404 if any(i.code in ("not-found", "code-invalid") for i in issues) else 400, issues)
        # An inactive concept is related to nothing but itself; say so (tx.fhir.org's warning,
        # INACTIVE_CONCEPT_FOUND, as $validate-code reports it), in an `issues` parameter.
        for i in checked.issues:
            if i.message_id == "INACTIVE_CONCEPT_FOUND":
                i.expression = [f"coding{side}" if coding else f"code{side}"]
                warnings.append(i)
        nodes.append(checked.concept_id if checked.concept_id is not None else checked.expression)
        editions.append(checked.edition or ctx)
    if editions[0] is not editions[1]:
        text = (
            f"codeA is in {editions[0].edition.uri} and codeB in {editions[1].edition.uri}: "
            "subsumption is only decided within one version"
        )
        raise FhirError(400, Issue("error", "invalid", text, "invalid-data", expression=["version"]))
    outcome = subsumption(editions[0].terminology, nodes[0], nodes[1])  # type: ignore[arg-type]
    out = [_param("outcome", "Code", outcome)]
    if warnings:
        out.append({"name": "issues", "resource": operation_outcome(warnings)})
    return _parameters(out)
