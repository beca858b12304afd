"""Guidelines linked through the hierarchy: the product's main job."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from terminology import parse_sctid
from terminology.authoring import SqlGuidelineRepository
from terminology.linking import guidelines_for_concept, guidelines_for_expression

from .. import auth
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
PUBLISHED = frozenset({"published"})


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
        - {in: query, name: status, schema: {type: string}, description: "Only guidelines of these statuses, comma-separated (draft, published, retired). Default: published, or every status for an author token; draft and retired need an author token"}
      responses:
        200:
          description: With `concept`, GuidelinesForConceptOut; without it, GuidelineListOut
          content:
            application/json:
              schema:
                anyOf: [GuidelinesForConceptOut, GuidelinesForExpressionOut, GuidelineListOut]
        400: {description: Invalid SCTID or expression}
        403: {description: "status asks for draft or retired guidelines without an author token"}
        404: {description: Concept not in the release}
        422: {description: Inactive concept with no active replacement}
    """
    t = services().terminology
    repo = services().guidelines
    statuses = statuses_for_caller(args["status"])
    expression = request.args.get("expression")
    if expression and args["concept"] is None:
        anc, found, terms = guidelines_for_expression(t, repo, expression, args["lang"])
        # Each guideline's distance is its own, so keeping only the visible ones after linking is exact.
        found = (anc, [x for x in found if statuses is None or x.link.guideline.status in statuses], terms)
        return Answer(expression_links_body(t, expression, found, args["lang"]), schema=GuidelinesForExpressionOut)
    if args["concept"] is not None:
        sctid = parse_sctid(args["concept"], field="concept")
        links = guidelines_for_concept(t, repo, sctid, args["lang"], statuses=statuses)
        return Answer(links_body(t, links, args["lang"]), schema=GuidelinesForConceptOut)
    return guideline_list_body(t, [g for g in repo.list() if statuses is None or g.status in statuses], args["lang"])


def statuses_for_caller(asked: frozenset[str] | None) -> frozenset[str] | None:
    """The statuses a caller sees: published by default for everyone but authors (who see every status by
    default); asking for draft or retired ones needs an author token (403 otherwise)."""
    author = auth.can_see_drafts()
    if asked is None:
        return None if author else PUBLISHED
    if not author and asked - PUBLISHED:
        raise Problem(
            403,
            "Forbidden",
            f"only authors see {', '.join(sorted(asked - PUBLISHED))} guidelines: send an author token, or ask for status=published",
            "status",
            "forbidden",
        )
    return asked


def visible(status: str) -> bool:
    """Whether this caller may see a guideline of this status (drafts and retired ones are for authors)."""
    return status == "published" or auth.can_see_drafts()


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
        - {in: header, name: If-None-Match, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineOut}}, description: "The guideline, with its ETag (authoring store)"}
        304: {description: "Not modified (If-None-Match holds the current ETag)"}
        404: {description: "No such guideline (drafts and retired guidelines are only found with an author token)"}
    """
    repo = services().guidelines
    # A store that versions guidelines gives the ETag of the very record rendered (one read: a write between
    # a second read and this body would hand out revision N's body with N+1's ETag, and a PUT with it would
    # overwrite N+1 unseen), so a client can cache and then edit.
    stored = repo.record(gid) if isinstance(repo, SqlGuidelineRepository) else None
    g = stored.doc if stored is not None else (None if isinstance(repo, SqlGuidelineRepository) else repo.get(gid))
    if g is None or not visible(g.status):
        raise Problem(404, "Not found", f"guideline {gid!r} does not exist", "gid", "not-found")
    etag = stored.etag if stored is not None else None
    return Answer(guideline_body(services().terminology, g, args["lang"]), etag=etag, conditional=etag is not None)
