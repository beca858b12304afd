"""Guidelines linked through the hierarchy: the product's main job."""

from __future__ import annotations

from typing import Any

import nh3
from flask import Blueprint, jsonify, request
from markdown_it import MarkdownIt

from loaders.guidelines import GuidelineDocument
from terminology import Terminology, parse_sctid
from terminology.linking.guidelines import guidelines_for_concept

from ..composition_schemas import GuidelinesForExpressionOut, expression_links_body  # expression guidelines
from ..context import built, query, services
from ..guideline_schemas import GuidelineListOut, GuidelineOut, GuidelinesForConceptOut, GuidelinesQuery
from ..problems import Problem
from .concepts import ref

bp = Blueprint("guidelines", __name__, url_prefix="/api/v1")
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


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


def tags_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> list[dict[str, Any]]:
    out = []
    for tag in g.tags:
        concept = ref(t, tag.concept, lang) if tag.concept else {"conceptId": None, "pt": None}
        out.append({**concept, "ecl": tag.ecl, "exclude": [ref(t, e, lang) for e in tag.exclude]})
    return out


def summary_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> dict[str, Any]:
    return {"id": g.id, "title": g.title, "status": g.status, "updated": g.updated, "tags": tags_body(t, g, lang)}


def guideline_body(t: Terminology, g: GuidelineDocument, lang: str | None) -> dict[str, Any]:
    return {
        **summary_body(t, g, lang),
        "sections": [{"heading": h, "markdown": body, "html": render_markdown(body)} for h, body in g.sections.items() if h],
        "recommendations": [{"id": r.id, "text": r.text, "strength": r.strength} for r in g.recommendations],
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


def links_body(t: Terminology, sctid: int, lang: str | None, statuses: frozenset[str] | None = None) -> dict[str, Any]:
    """The guidelines for a concept with the reason each applies (shared by the API and the pages)."""
    links = guidelines_for_concept(t, services().guidelines, sctid, lang, statuses=statuses)
    terms = links.terms or {}

    def r(c: int) -> dict[str, Any]:
        return {"conceptId": str(c), "pt": terms[c] if c in terms else t.preferred_term(c, lang)}

    items = [
        {
            "id": link.guideline.id,
            "title": link.guideline.title,
            "status": link.guideline.status,
            "via": r(link.via),
            "distance": link.distance,
            "path": [r(c) for c in link.path],
            "keyRecommendations": [{"id": x.id, "text": x.text, "strength": x.strength} for x in link.guideline.recommendations],
        }
        for link in links
    ]
    return {
        "concept": r(links.concept_id),
        "resolvedFrom": r(links.resolved_from) if links.resolved_from else None,
        "resolution": links.resolution,
        "concepts": [r(c) for c in links.concepts],
        "total": len(items),
        "items": items,
    }


@bp.get("/guidelines")
def list_or_link():  # type: ignore[no-untyped-def]
    """Guidelines for a concept (tagged on it or any ancestor, most specific first), or all guidelines.
    ---
    get:
      tags: [guidelines]
      parameters:
        - {in: query, name: concept, schema: {type: string}, description: "SCTID of the diagnosis; inactive ids are resolved through historical associations"}
        - {in: query, name: expression, schema: {type: string}, description: "A post-coordinated expression (compositional grammar, e.g. from POST /map): the guidelines of its closest precoordinated ancestors"}
        - {in: query, name: lang, schema: {type: string}}
        - {in: query, name: status, schema: {type: string}, description: "With concept: link only guidelines of these statuses, comma-separated (draft, published, retired); default every status"}
      responses:
        200:
          description: With `concept`, GuidelinesForConceptOut; without it, GuidelineListOut
          content:
            application/json:
              schema:
                oneOf: [GuidelinesForConceptOut, GuidelinesForExpressionOut, GuidelineListOut]
        400: {description: Invalid SCTID or expression}
        404: {description: Concept not in the release}
        422: {description: Inactive concept with no active replacement}
    """
    args = query(GuidelinesQuery)
    t = services().terminology
    # --- guidelines of a post-coordinated expression (terminology/composition.py)
    expression = request.args.get("expression")
    if expression and args["concept"] is None:
        body = expression_links_body(t, services().guidelines, expression, args["lang"])
        return jsonify(built(GuidelinesForExpressionOut, body))
    # --- end of expression guidelines
    if args["concept"] is not None:
        sctid = parse_sctid(args["concept"], field="concept")
        return jsonify(built(GuidelinesForConceptOut, links_body(t, sctid, args["lang"], args["status"])))
    items = sorted(services().guidelines.list(), key=lambda g: g.title.lower())
    return jsonify(built(GuidelineListOut, {"total": len(items), "items": [summary_body(t, g, args["lang"]) for g in items]}))


@bp.get("/guidelines/<gid>")
def get_guideline(gid: str):  # type: ignore[no-untyped-def]
    """One guideline: sections (Markdown and sanitised HTML), key recommendations, references, tags with terms.
    ---
    get:
      tags: [guidelines]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: query, name: lang, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineOut}}}
        404: {description: No such guideline}
    """
    args = query(GuidelinesQuery)
    g = services().guidelines.get(gid)
    if g is None:
        raise Problem(404, "Not found", f"guideline {gid!r} does not exist", "gid", "not-found")
    return jsonify(built(GuidelineOut, guideline_body(services().terminology, g, args["lang"])))
