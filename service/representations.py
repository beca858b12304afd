"""Every response body of the service, built once: the API views and the pages both call these.

Each builder returns plain dicts and lists in its schema's shape (`service/api/schemas/`), so a view
returns them as they are (`@responds` checks the shape under TESTING). `concept_ref` is the one way
a concept is referred to in any body: ``{"conceptId": "<sctid>", "pt": <preferred term or None>}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt

from loaders.guidelines import GuidelineDocument
from terminology import ConcreteValue, Terminology
from terminology.authoring import StoredGuideline
from terminology.authoring.codec import iso
from terminology.authoring.validation import TagAssessment
from terminology.mapping import Composition
from terminology.maps import MapGroupResult, canonical_system, targets_of
from terminology.text import semantic_tag

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
MAX_ANCESTORS = 25


# ----------------------------------------------------------------------------- concept references


def concept_ref(
    t: Terminology, concept: int, lang: str | None = None, terms: Mapping[int, str | None] | None = None
) -> dict[str, Any]:
    """A reference to a concept: its id and preferred term (from `terms` when given, None when not in the release)."""
    c = int(concept)
    if terms is not None and c in terms:
        return {"conceptId": str(c), "pt": terms[c]}
    return {"conceptId": str(c), "pt": t.preferred_term(c, lang) if t.has_concept(c) else None}


def concept_refs(t: Terminology, concepts: Iterable[int], lang: str | None = None) -> list[dict[str, Any]]:
    """References to many concepts, their terms looked up in one go."""
    ids = [int(c) for c in concepts]
    terms = t.preferred_terms(ids, lang)
    return [concept_ref(t, c, lang, terms) for c in ids]


def page_body(t: Terminology, ids: Any, limit: int, offset: int, lang: str | None) -> dict[str, Any]:
    """One page of concepts (Page)."""
    return {
        "total": len(ids),
        "limit": limit,
        "offset": offset,
        "items": concept_refs(t, ids[offset : offset + limit], lang),
    }


# ----------------------------------------------------------------------------- concepts


def concept_body(t: Terminology, sctid: int, lang: str | None) -> dict[str, Any]:
    """The full concept view (ConceptOut), used by the API and the concept page."""
    c = t.concept(sctid)
    dialect = t.dialect_refset(lang)
    attrs = []
    for group, items in t.role_groups(sctid).items():
        for a in items:
            if isinstance(a, ConcreteValue):
                attrs.append(
                    {"group": group, "type": concept_ref(t, a.type_id, lang), "value": None, "concreteValue": a.value}
                )
            else:
                attrs.append(
                    {
                        "group": group,
                        "type": concept_ref(t, a.type_id, lang),
                        "value": concept_ref(t, a.destination_id, lang),
                        "concreteValue": None,
                    }
                )
    body: dict[str, Any] = {
        "conceptId": str(sctid),
        "active": c.active,
        "moduleId": str(c.module_id),
        "definitionStatus": c.definition_status,
        "effectiveTime": c.effective_time,
        "fsn": t.fsn(sctid, lang),
        "pt": t.preferred_term(sctid, lang),
        "synonyms": [
            {
                "descriptionId": str(d.id),
                "term": d.term,
                "type": d.type,
                "languageCode": d.language_code,
                "acceptability": d.acceptability.get(dialect) if dialect else None,
            }
            for d in t.synonyms(sctid, lang)
        ],
        "parents": [concept_ref(t, p, lang) for p in t.parents(sctid)],
        "childCount": t.child_count(sctid),
        "attributes": attrs,
        "refsets": [concept_ref(t, r, lang) for r in t.refset_memberships(sctid)],
        "maps": [
            {
                "refsetId": str(m.refset_id),
                "mapTarget": m.map_target,
                "mapGroup": m.map_group,
                "mapPriority": m.map_priority,
                "mapRule": m.map_rule,
                "mapAdvice": m.map_advice,
            }
            for m in t.map_targets(sctid)
        ],
    }
    if not c.active:
        reason = t.inactivation_reason(sctid)
        body["inactivationReason"] = reason[1] if reason else None
        body["associations"] = [
            {"type": a.name, "refsetId": str(a.refset_id), "target": concept_ref(t, a.target_id, lang)}
            for a in t.associations(sctid)
        ]
    return body


def search_body(t: Terminology, hits: Iterable[Any], lang: str | None = None) -> dict[str, Any]:
    """Term search hits (SearchOut), each with its FSN and semantic tag so that same-named
    concepts ("Hepatoblastoma" the disorder and the morphology) can be told apart."""
    items = []
    for h in hits:
        fsn = t.fsn(h.concept_id, lang)
        items.append(
            {
                "conceptId": str(h.concept_id),
                "pt": h.pt,
                "fsn": fsn,
                "semanticTag": semantic_tag(fsn),
                "term": h.term,
                "descriptionId": str(h.description_id),
                "score": round(h.score, 4),
            }
        )
    return {"items": items}


def nearest_ancestors(t: Terminology, sctid: int, lang: str | None, limit: int = MAX_ANCESTORS) -> list[dict[str, Any]]:
    """The nearest ancestors first (fewest is-a steps), at most `limit`: the closest groupings are
    what a reader needs, and listing every ancestor of every candidate dominated the map response
    time at full size (measured: 53% of its CPU). `/concepts/{id}/ancestors` pages through all."""
    dist = t.ancestor_distances(sctid)
    ordered = sorted((d, c) for c, d in dist.items() if c != sctid)[:limit]
    return concept_refs(t, [c for _, c in ordered], lang)


def map_body(t: Terminology, result: Any, lang: str | None) -> dict[str, Any]:
    """Candidates of a compositional mapping, each with its nearest ancestors (CompositeMapOut).

    The text's context flags (negated, hypothetical, historical, family, uncertain) are given at the top
    level and on each candidate: they say in what context the text names the candidate.
    """
    ctx = result.context
    flags = ctx.flags()
    candidates = [
        {
            "conceptId": str(c.concept_id),
            "term": c.term,
            "pt": c.term,
            "score": round(c.score, 4),
            "matchedTerm": c.matched_term,
            "explanation": c.explanation,
            "ancestors": nearest_ancestors(t, c.concept_id, lang),
            "ancestorCount": t.ancestors(c.concept_id).size,
            "sources": list(c.sources),
            "kind": c.explanation.get("kind", "other"),
            **flags,
        }
        for c in result.candidates
    ]
    return {
        "candidates": candidates,
        "matched": result.matched,
        "threshold": result.threshold,
        "composition": composition_body(t, result.composition, lang) if result.composition else None,
        "names": getattr(result, "names", "finding"),
        "readings": getattr(result, "readings", []),
        "ambiguous": getattr(result, "ambiguous", []),
        **flags,
        "contextTriggers": list(ctx.triggers),
        "contextCore": ctx.core,
    }


def composition_body(t: Terminology, c: Composition, lang: str | None) -> dict[str, Any]:
    """Parts, exact and closest concepts, and the expression of a composition (CompositionOut)."""
    terms = t.preferred_terms(sorted({*c.exact, *c.closest}), lang)
    return {
        "parts": [p.as_dict(t, lang) for p in c.parts],
        "unmatched": c.unmatched,
        "coverage": c.coverage,
        "score": c.score,
        "complete": c.complete,
        "exact": [concept_ref(t, x, lang, terms) for x in c.exact],
        "closest": [concept_ref(t, x, lang, terms) for x in c.closest],
        "expression": c.expression,
        "expressionValid": c.expression_valid,
        "problems": c.problems,
        "unrepresented": [p.as_dict(t, lang) for p in c.unrepresented],
        "ecl": c.ecl,
        "explanation": c.explanation,
    }


def ecl_body(
    t: Terminology, result: Any, limit: int, offset: int, count_only: bool, lang: str | None
) -> dict[str, Any]:
    """One page of an ECL result: concepts, or the selected refset fields (EclOut)."""
    lo, hi = offset, offset + limit
    out: dict[str, Any] = {
        "total": result.total,
        "limit": limit,
        "offset": offset,
        "items": [],
        "warnings": list(result.warnings),
    }
    if result.records is not None:
        out["fields"] = list(result.fields or ())
        out["records"] = (
            []
            if count_only
            else [{k: None if v is None else str(v) for k, v in r.items()} for r in result.records[lo:hi]]
        )
    elif not count_only:
        out["items"] = [concept_ref(t, int(i), lang) for i in result.ids[lo:hi].tolist()]
    return out


def annotate_body(mentions: list[Any], elapsed_ms: float) -> dict[str, Any]:
    """Concept mentions in a text (AnnotateOut)."""
    return {"mentions": [m.as_dict() for m in mentions], "total": len(mentions), "elapsedMs": elapsed_ms}


def maps_body(sctid: int, system: str, groups: Sequence[MapGroupResult]) -> dict[str, Any]:
    """A concept's map groups to one code system with the targets chosen for a patient (MapsOut)."""
    return {
        "conceptId": str(sctid),
        "system": canonical_system(system) or system,
        "groups": [
            {
                "refsetId": str(g.refset_id),
                "group": g.group,
                "decided": g.decided,
                "target": g.target,
                "rule": g.rule,
                "advice": g.advice,
                "rows": [
                    {
                        "priority": r.map_priority,
                        "rule": r.map_rule,
                        "advice": r.map_advice,
                        "target": r.map_target,
                        "correlationId": None if r.correlation_id is None else str(r.correlation_id),
                    }
                    for r in g.rows
                ],
            }
            for g in groups
        ],
        "targets": targets_of(groups),
    }


def resolved_body(item: dict[str, Any], how: str | None) -> dict[str, Any]:
    """One input of a batch resolution, before its concepts or its error are filled in (ResolvedOut)."""
    return {
        "input": item if item["system"] else item["code"],
        "concepts": [],
        "how": how,
        "moreSpecific": [],
        "partial": [],
        "guidelineCount": 0,
        "error": None,
    }


def ready_body(t: Terminology, uri: str, versions: list[str]) -> dict[str, Any]:
    """The readiness answer: the served release and every loaded version (ReadyOut).

    ``uri`` is the edition URI exactly as the FHIR API reports it (``xsct`` for an unpublished
    edition), so the two APIs name a release the same way."""
    r = t.release
    return {
        "status": "ready",
        "versions": versions,
        "release": {
            "edition": str(r.edition_module),
            "version": r.version,
            "uri": uri,
            "concepts": r.counts.get("concepts"),
            "activeConcepts": r.counts.get("active_concepts"),
        },
    }


# ----------------------------------------------------------------------------- guidelines


def render_markdown(text: str) -> str:
    """Markdown to HTML, sanitised (raw HTML is not rendered, and the output is cleaned again)."""
    return nh3.clean(_md.render(text))


def reference_links(r: Any) -> dict[str, str]:
    links = {}
    if r.pmid:
        links["pubmed"] = f"https://pubmed.ncbi.nlm.nih.gov/{r.pmid}/"
    if r.doi:
        links["doi"] = f"https://doi.org/{r.doi}"
    if r.url and r.url.lower().startswith(("https://", "http://")):
        links["url"] = r.url
    return links


def recommendations_body(g: GuidelineDocument) -> list[dict[str, Any]]:
    return [{"id": r.id, "text": r.text, "strength": r.strength} for r in g.recommendations]


def tags_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> list[dict[str, Any]]:
    out = []
    for tag in g.tags:
        concept = concept_ref(t, tag.concept, lang) if tag.concept else {"conceptId": None, "pt": None}
        out.append({**concept, "ecl": tag.ecl, "exclude": [concept_ref(t, e, lang) for e in tag.exclude]})
    return out


def summary_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> dict[str, Any]:
    """A guideline in a list (GuidelineSummaryOut)."""
    return {"id": g.id, "title": g.title, "status": g.status, "updated": g.updated, "tags": tags_body(t, g, lang)}


def guideline_list_body(t: Terminology, guidelines: Iterable[GuidelineDocument], lang: str | None) -> dict[str, Any]:
    """Every guideline, by title (GuidelineListOut)."""
    items = sorted(guidelines, key=lambda g: g.title.lower())
    return {"total": len(items), "items": [summary_body(t, g, lang) for g in items]}


def guideline_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> dict[str, Any]:
    """One guideline to read: sections as Markdown and sanitised HTML, recommendations, references (GuidelineOut)."""
    return {
        **summary_body(t, g, lang),
        "sections": [
            {"heading": h, "markdown": body, "html": render_markdown(body)} for h, body in g.sections.items() if h
        ],
        "recommendations": recommendations_body(g),
        "references": [
            {
                "id": r.id,
                "authors": list(r.authors),
                "title": r.title,
                "journal": r.journal,
                "year": r.year,
                "volume": r.volume,
                "pmid": r.pmid,
                "doi": r.doi,
                "url": r.url,
                "links": reference_links(r),
            }
            for r in g.references
        ],
    }


def _linked(link: Any, distance: int, ref: Any) -> dict[str, Any]:
    return {
        "id": link.guideline.id,
        "title": link.guideline.title,
        "status": link.guideline.status,
        "via": ref(link.via),
        "distance": distance,
        "path": [ref(c) for c in link.path],
        "keyRecommendations": recommendations_body(link.guideline),
    }


def links_body(t: Terminology, links: Any, lang: str | None) -> dict[str, Any]:
    """The guidelines for a concept with the reason each applies (GuidelinesForConceptOut)."""
    terms = links.terms or {}

    def ref(c: int) -> dict[str, Any]:
        return concept_ref(t, c, lang, terms)

    items = [_linked(link, link.distance, ref) for link in links]
    return {
        "concept": ref(links.concept_id),
        "resolvedFrom": ref(links.resolved_from) if links.resolved_from else None,
        "resolution": links.resolution,
        "concepts": [ref(c) for c in links.concepts],
        "total": len(items),
        "items": items,
    }


def expression_links_body(t: Terminology, expression: str, found: Any, lang: str | None) -> dict[str, Any]:
    """The guidelines of a post-coordinated expression (GuidelinesForExpressionOut).

    `found` is what `terminology.linking.guidelines_for_expression` returns: the expression's
    closest ancestors, the guidelines found through them, and their terms.
    """
    anc, guidelines, terms = found

    def ref(c: int) -> dict[str, Any]:
        return concept_ref(t, c, lang, terms)

    items = [{**_linked(g.link, g.distance, ref), "fromConcept": ref(g.from_concept)} for g in guidelines]
    return {
        "expression": expression,
        "focus": [ref(c) for c in anc.focus],
        "closest": [ref(c) for c in anc.closest],
        "total": len(items),
        "items": items,
    }


# ----------------------------------------------------------------------------- authoring


def warnings_body(assessments: list[TagAssessment]) -> list[dict[str, Any]]:
    return [
        {
            "code": w.code,
            "detail": w.detail,
            "tag": w.tag,
            "conceptId": str(w.concept) if w.concept is not None else None,
        }
        for a in assessments
        for w in a.warnings
    ]


def tag_records_body(
    t: Terminology, stored: StoredGuideline, assessments: list[TagAssessment], lang: str | None = None
) -> list[dict[str, Any]]:
    """A stored guideline's tags with ids, provenance and sizes (TagRecordOut)."""
    out = []
    for r, a in zip(stored.tags, assessments, strict=True):
        c = r.spec.concept
        ref = concept_ref(t, c, lang) if c is not None else {"conceptId": None, "pt": None}
        out.append(
            {
                "id": r.id,
                **ref,
                "ecl": r.spec.ecl,
                "term": r.spec.term,
                "exclude": [concept_ref(t, x, lang) for x in r.spec.exclude],
                "addedBy": r.added_by,
                "addedAt": iso(r.added_at),
                "baselineCount": r.baseline_count,
                "baselineRelease": r.baseline_release,
                "size": a.size,
                "sizeNote": a.size_note,
            }
        )
    return out


def source_body(
    t: Terminology, stored: StoredGuideline, assessments: list[TagAssessment], lang: str | None = None
) -> dict[str, Any]:
    """The editable representation: what PUT accepts, plus ETag, revision, provenance, sizes and warnings (GuidelineSourceOut)."""
    d = stored.doc
    return {
        "id": d.id,
        "title": d.title,
        "status": d.status,
        "updated": d.updated,
        "sections": [{"heading": h, "markdown": m} for h, m in d.sections.items()],
        "recommendations": recommendations_body(d),
        "references": [dict(vars(r)) for r in d.references],
        "tags": tag_records_body(t, stored, assessments, lang),
        "extra": dict(d.extra),
        "etag": stored.etag,
        "revision": stored.revision,
        "createdAt": iso(stored.created_at),
        "createdBy": stored.created_by,
        "modifiedAt": iso(stored.modified_at),
        "modifiedBy": stored.modified_by,
        "warnings": warnings_body(assessments),
    }


def tag_list_body(
    t: Terminology, stored: StoredGuideline, assessments: list[TagAssessment], lang: str | None
) -> dict[str, Any]:
    """A guideline's tags (TagListOut)."""
    return {
        "guidelineId": stored.id,
        "etag": stored.etag,
        "items": tag_records_body(t, stored, assessments, lang),
        "warnings": warnings_body(assessments),
    }


def revision_body(r: Any, with_snapshot: bool = False) -> dict[str, Any]:
    """One revision (RevisionOut); the document it produced only when asked for."""
    body = {"n": r.n, "action": r.action, "author": r.author, "at": iso(r.at), "summary": r.summary, "etag": r.etag}
    if with_snapshot:
        body["snapshot"] = r.snapshot
    return body


def coverage_body(t: Terminology, gid: str, c: Any, lang: str | None) -> dict[str, Any]:
    """How many concepts a guideline applies to, with a sample (CoverageOut)."""
    return {
        "guidelineId": gid,
        "total": c.total,
        "tags": c.by_tag,
        "sample": [concept_ref(t, x, lang) for x in c.sample],
        "eclEvaluation": c.ecl_evaluation,
    }


def finding_body(f: Any) -> dict[str, Any]:
    """One finding of the release check (FindingOut)."""
    return {
        "guidelineId": f.guideline_id,
        "guidelineTitle": f.guideline_title,
        "tagId": f.tag_id,
        "kind": f.kind,
        "detail": f.detail,
        "decision": f.decision,
        "conceptId": str(f.concept) if f.concept is not None else None,
        "ecl": f.ecl,
        "subject": str(f.subject) if f.subject is not None else None,
        "baselineCount": f.baseline_count,
        "baselineRelease": f.baseline_release,
        "currentCount": f.current_count,
        "replacements": list(f.replacements),
    }


def release_check_body(check: Any) -> dict[str, Any]:
    """Tags a release breaks or reshapes (ReleaseCheckOut)."""
    return {"release": check.release, "summary": check.summary(), "findings": [finding_body(f) for f in check.findings]}


def audit_page_body(total: int, limit: int, offset: int, entries: Iterable[Any]) -> dict[str, Any]:
    """A page of the audit log (AuditPageOut)."""
    items = [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "role": e.role,
            "action": e.action,
            "outcome": e.outcome,
            "status": e.status,
            "method": e.method,
            "path": e.path,
            "guidelineId": e.guideline_id,
            "revision": e.revision,
            "detail": e.detail,
            "client": e.client,
            "count": e.count,
        }
        for e in entries
    ]
    return {"total": total, "limit": limit, "offset": offset, "items": items}
