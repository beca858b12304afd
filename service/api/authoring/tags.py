"""A guideline's tags: list them, add one, remove one."""

from __future__ import annotations

from flask import request

from terminology.authoring.validation import baselines, check_tag

from ... import auth
from ...context import Answer, body, responds
from ...representations import source_body, tag_list_body
from ..schemas.authoring import GuidelineSourceOut, TagAddedOut, TagAddIn, TagListOut
from ._blueprint import actor, assess, bp, found, need_if_match, repo, source_answer, terminology
from .guidelines import tag_spec


@bp.get("/guidelines/<gid>/tags")
@responds(TagListOut)
def list_tags(gid: str) -> Answer:
    """A guideline's tags with ids (for DELETE), who added them, their size and warnings.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: query, name: lang, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: TagListOut}}}
        404: {description: "No such guideline"}
    """
    stored = found(gid)
    return Answer(tag_list_body(terminology(), stored, assess(stored), request.args.get("lang")), etag=stored.etag)


@bp.post("/guidelines/<gid>/tags")
@auth.require(*auth.WRITE_ROLES)
@responds(TagAddedOut)
def add_tag(gid: str) -> Answer:
    """Tag a guideline on a concept (and its descendants) or an ECL expression (If-Match required).
    ---
    post:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: TagAddIn}}}
      responses:
        201: {content: {application/json: {schema: TagAddedOut}}, description: "The new tag (with its size) and the guideline; warnings flag redundant or out-of-hierarchy tags"}
        400: {description: "Invalid body, or ECL that does not parse (with position)"}
        404: {description: "No such guideline"}
        409: {description: "The guideline already has this tag"}
        412: {description: "Stale ETag"}
        422: {description: "Concept not in the release, or inactive (the problem lists its replacements)"}
        428: {description: "If-Match missing"}
    """
    im = need_if_match(gid)
    spec = tag_spec(body(TagAddIn))
    t = terminology()
    check_tag(t, spec)
    stored, record = repo().add_tag(gid, spec, if_match=im, actor=actor(), baseline=baselines(t))
    source = source_body(t, stored, assess(stored))
    tag = next(x for x in source["tags"] if x["id"] == record.id)
    return Answer({"tag": tag, "guideline": source}, status=201, etag=stored.etag)


@bp.delete("/guidelines/<gid>/tags/<int:tag_id>")
@auth.require(*auth.WRITE_ROLES)
@responds(GuidelineSourceOut)
def remove_tag(gid: str, tag_id: int) -> Answer:
    """Remove one tag (If-Match required; the last tag cannot be removed).
    ---
    delete:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: tag_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        400: {description: "It is the guideline's only tag"}
        404: {description: "No such guideline or tag"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing"}
    """
    return source_answer(repo().remove_tag(gid, tag_id, if_match=need_if_match(gid), actor=actor()))
