"""Guidelines linked through the hierarchy: the product's main job."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from terminology import parse_sctid
from terminology.authoring import SqlGuidelineRepository
from terminology.linking import guidelines_for_concept, guidelines_for_expression

from ..context import Answer, accepts, responds, services
from ..problems import Problem
from ..representations import expression_links_body, guideline_body, guideline_list_body, links_body
from .schemas.guidelines import (
    GuidelineListOut,
    GuidelineOut,
    GuidelinesForConceptOut,
    GuidelinesForExpressionOut,
    GuidelinesQuery,
)

bp = Blueprint("guidelines", __name__, url_prefix="/api/v1")


@bp.get("/guidelines")
@accepts(GuidelinesQuery)
@responds(GuidelineListOut)
def list_or_link(args: dict[str, Any]) -> Answer | dict[str, Any]:
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
                anyOf: [GuidelinesForConceptOut, GuidelinesForExpressionOut, GuidelineListOut]
        400: {description: Invalid SCTID or expression}
        404: {description: Concept not in the release}
        422: {description: Inactive concept with no active replacement}
    """
    t = services().terminology
    repo = services().guidelines
    expression = request.args.get("expression")
    if expression and args["concept"] is None:
        found = guidelines_for_expression(t, repo, expression, args["lang"])
        return Answer(expression_links_body(t, expression, found, args["lang"]), schema=GuidelinesForExpressionOut)
    if args["concept"] is not None:
        sctid = parse_sctid(args["concept"], field="concept")
        links = guidelines_for_concept(t, repo, sctid, args["lang"], statuses=args["status"])
        return Answer(links_body(t, links, args["lang"]), schema=GuidelinesForConceptOut)
    return guideline_list_body(t, repo.list(), args["lang"])


@bp.get("/guidelines/<gid>")
@accepts(GuidelinesQuery)
@responds(GuidelineOut)
def get_guideline(gid: str, args: dict[str, Any]) -> Answer:
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
    repo = services().guidelines
    g = repo.get(gid)
    if g is None:
        raise Problem(404, "Not found", f"guideline {gid!r} does not exist", "gid", "not-found")
    # A store that versions guidelines gives the current ETag, so a client can cache and then edit.
    etag = repo.etag(gid) if isinstance(repo, SqlGuidelineRepository) else None
    return Answer(guideline_body(services().terminology, g, args["lang"]), etag=etag, conditional=etag is not None)
