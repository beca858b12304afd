"""The read pages: find, concept, guideline list and guideline (evidence summary)."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request
from markupsafe import Markup

from terminology import ConceptNotFoundError, InvalidSctidError, Terminology, UnanswerableError, parse_sctid
from terminology.ecl import EclEvaluationError, EclSyntaxError, EclTimeoutError, evaluate
from terminology.linking import guidelines_for_concept, resolve_code
from terminology.mapping import map_phrase
from terminology.text.search import search

from ..auth import can_see_drafts
from ..config import setting
from ..context import services
from ..problems import Problem
from ..representations import concept_body, concept_ref, concept_refs, guideline_body, links_body, summary_body
from . import bp
from .common import current_lang, url

# An ICD-10 code: a letter, two digits, optionally a dot and up to four more characters (C79.5, M84.50).
ICD10 = re.compile(r"[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?")
# Characters that only an expression has (ECL operators, refinements, |term| pipes, wildcards).
ECL_HINT = re.compile(r"[<>^:{}|=*!()]|\b(?:AND|OR|MINUS)\b")
MAX_PATHS = 10
MAX_CHILDREN = 200
MAX_ECL_ROWS = 200


def classify(q: str) -> str:
    """What the find box was given: an id, an ICD-10 code, an expression, or words."""
    s = q.strip()
    if s.isascii() and s.isdigit():
        return "id"
    if ICD10.fullmatch(s.upper()) and any(ch.isdigit() for ch in s):
        return "icd10"
    if ECL_HINT.search(s):
        return "ecl"
    return "text"


# ----------------------------------------------------------------------------- find


@bp.get("/")
def find():  # type: ignore[no-untyped-def]
    """Find: one box for an id, a term, free text, an ICD-10 code or an ECL expression."""
    q = (request.args.get("q") or "").strip()
    lang = current_lang()
    t = services().terminology
    ctx: dict[str, Any] = {"q": q, "kind": None}
    if not q:
        return render_template("web/find.html", **ctx)
    kind = classify(q)
    ctx["kind"] = kind
    if kind == "id":
        target = _concept_for_id(t, q)
        if target is not None:
            return redirect(url("web.concept", concept_id=target))
        ctx["error"] = f"{q} is not the id of a concept or description in this release."
        kind = "text"
    if kind == "icd10":
        res = resolve_code(t, q.upper(), "icd-10")
        if res.error is None and res.concepts:
            ctx["icd10"] = {
                "code": q.upper(),
                "concepts": concept_refs(t, res.concepts, lang),
                "more_specific": concept_refs(t, res.more_specific, lang),
                "partial": concept_refs(t, res.partial, lang),
            }
            return render_template("web/find.html", **ctx)
        ctx["notice"] = (
            f"No concept of this release maps to the ICD-10 code {q.upper()}; showing a text search instead."
        )
        kind = "text"
    if kind == "ecl":
        ctx.update(_ecl(t, q, lang))
        if "ecl_error" not in ctx:
            return render_template("web/find.html", **ctx)
        if not re.search(r"[0-9]", q):
            kind = "text"  # words with a stray symbol ("C/O pain?"): search them as text
    if kind == "text":
        ctx["kind"] = "text"
        hits = search(t, q, 20, lang)
        ctx["hits"] = hits
        result = map_phrase(t, q, limit=10, lang=lang)  # the engine POST /api/v1/map uses
        ctx["mapped"] = result.candidates
        ctx["matched"] = result.matched
    return render_template("web/find.html", **ctx)


def _concept_for_id(t: Terminology, q: str) -> int | None:
    """The concept a concept id or description id names (inactive concepts too: their page says so)."""
    try:
        sctid = parse_sctid(q, None)
    except InvalidSctidError:
        return None
    if q[-2] == "0":
        return sctid if t.has_concept(sctid) else None
    if q[-2] == "1":
        try:
            return t.description(sctid).concept_id
        except ConceptNotFoundError:
            return None
    return None


def _ecl(t: Terminology, q: str, lang: str | None) -> dict[str, Any]:
    try:
        result = evaluate(t, q, time_budget_s=setting("SNOMAP_ECL_TIME_BUDGET"))
    except EclSyntaxError as e:
        return {"ecl_error": e.message, "ecl_position": e.position}
    except (EclTimeoutError, EclEvaluationError) as e:
        return {"ecl_error": str(e), "ecl_position": None}
    return {
        "ecl": {
            "total": int(len(result.ids)),
            "items": concept_refs(t, result.ids[:MAX_ECL_ROWS].tolist(), lang),
            "warnings": list(result.warnings),
            "elapsed_ms": round(result.elapsed_ms, 1),
        }
    }


# ----------------------------------------------------------------------------- concept


def hierarchy_paths(t: Terminology, sctid: int, limit: int = MAX_PATHS) -> tuple[list[list[int]], bool]:
    """Every is-a path from the root down to the concept (shortest first, at most `limit`), and whether more exist."""
    if not t.is_active(sctid) or not t.parents(sctid):
        return [], False
    ancestors = [int(a) for a in t.ancestors(sctid).tolist()]
    roots = [a for a in ancestors if not t.parents(a)]
    paths: list[list[int]] = []
    more = False
    for root in roots:
        found = t.isa_paths(sctid, root, limit=limit + 1)
        paths.extend(list(reversed(p)) for p in found)
    paths.sort(key=len)
    if len(paths) > limit:
        paths, more = paths[:limit], True
    return paths, more


@bp.get("/concepts/<concept_id>")
def concept(concept_id: str):  # type: ignore[no-untyped-def]
    """A concept: terms in the dialect, all is-a paths, children, attributes, refsets, maps, history, guidelines."""
    lang = current_lang()
    t = services().terminology
    sctid = parse_sctid(concept_id, field="conceptId")
    body = concept_body(t, sctid, lang)
    paths, more_paths = hierarchy_paths(t, sctid)
    mentioned = sorted({c for p in paths for c in p})
    terms = t.preferred_terms(mentioned, lang)
    child_terms = t.preferred_terms(t.children(sctid), lang)
    children = sorted(child_terms, key=lambda c: ((child_terms[c] or "").casefold(), c))
    groups: dict[int, list[dict[str, Any]]] = {}
    for a in body["attributes"]:
        groups.setdefault(a["group"], []).append(a)
    definitions = [d.term for d in t.descriptions(sctid, active_only=True) if d.type == "definition"]
    try:
        # Drafts and retired guidelines are for signed-in authors; everyone else sees the published ones.
        statuses = None if can_see_drafts() else {"published"}
        links = links_body(t, guidelines_for_concept(t, services().guidelines, sctid, lang, statuses=statuses), lang)
        links_error = None
    except UnanswerableError as e:
        links, links_error = None, str(e)
    return render_template(
        "web/concept.html",
        c=body,
        definitions=definitions,
        paths=[[concept_ref(t, x, lang, terms) for x in p] for p in paths],
        more_paths=more_paths,
        children=[concept_ref(t, c, lang, child_terms) for c in children[:MAX_CHILDREN]],
        child_total=len(children),
        groups=sorted(groups.items()),
        refset_names={
            r: t.preferred_term(int(r), lang) for r in {m["refsetId"] for m in body["maps"]} if t.has_concept(int(r))
        },
        links=links,
        links_error=links_error,
    )


# ----------------------------------------------------------------------------- guidelines


@bp.get("/guidelines")
def guidelines():  # type: ignore[no-untyped-def]
    """Every guideline, by title, with the conditions it applies to."""
    lang = current_lang()
    t = services().terminology
    drafts = can_see_drafts()
    items = sorted(
        (g for g in services().guidelines.list() if drafts or g.status == "published"), key=lambda g: g.title.casefold()
    )
    return render_template("web/guidelines.html", items=[summary_body(t, g, lang) for g in items])


_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.-]*)\]")
_KEY_RECOMMENDATIONS = re.compile(r"^key recommendations?$", re.IGNORECASE)


def link_citations(html: str, refs: dict[str, int]) -> Markup:
    """`[mirels1989]` in sanitised section HTML becomes a link to that reference (ids are [A-Za-z0-9_.-] only)."""

    def sub(m: re.Match[str]) -> str:
        rid = m.group(1)
        if rid not in refs:
            return m.group(0)
        return f'<a class="cite" href="#ref-{rid}" aria-label="reference {refs[rid]}">[{refs[rid]}]</a>'

    return Markup(_CITATION.sub(sub, html))  # the input is nh3-sanitised; only fixed markup is added


def last_revision(gid: str) -> dict[str, Any] | None:
    """Revision, time and author of the current version, when the store keeps a history."""
    record = getattr(services().guidelines, "record", None)
    if record is None:
        return None
    stored = record(gid)
    if stored is None:
        return None
    return {"revision": stored.revision, "at": stored.modified_at, "by": stored.modified_by}


@bp.get("/guidelines/<gid>")
def guideline(gid: str):  # type: ignore[no-untyped-def]
    """The evidence summary of one guideline."""
    lang = current_lang()
    g = services().guidelines.get(gid)
    if g is None or (g.status != "published" and not can_see_drafts()):
        raise Problem(404, "Not found", f"There is no guideline {gid!r}.", "gid", "not-found")
    body = guideline_body(services().terminology, g, lang)
    refs = {r["id"]: i for i, r in enumerate(body["references"], start=1)}
    sections = [
        {"heading": s["heading"], "html": link_citations(s["html"], refs)}
        for s in body["sections"]
        if not (body["recommendations"] and _KEY_RECOMMENDATIONS.match(s["heading"].strip()))
    ]
    return render_template("web/guideline.html", g=body, sections=sections, revision=last_revision(gid))
