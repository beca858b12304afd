"""A guideline's history: every revision, one revision with its document, and restoring one."""

from __future__ import annotations

from typing import Any

from terminology.authoring import GuidelineNotFoundError, RevisionNotFoundError

from ... import auth
from ...context import Answer, responds
from ...representations import revision_body
from ..schemas.authoring import GuidelineSourceOut, RevisionListOut, RevisionOut
from ._blueprint import actor, bp, if_match, repo, source_answer


@bp.get("/guidelines/<gid>/revisions")
@responds(RevisionListOut)
def list_revisions(gid: str) -> dict[str, Any]:
    """Every revision of a guideline, oldest first: who, when, what (also after it was deleted).
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: RevisionListOut}}}
        404: {description: "No guideline with this id ever existed"}
    """
    items = repo().revisions(gid)
    if not items:
        raise GuidelineNotFoundError(f"guideline {gid!r} has no revisions (it never existed)", "gid")
    return {"guidelineId": gid, "total": len(items), "items": [revision_body(r) for r in items]}


@bp.get("/guidelines/<gid>/revisions/<int:n>")
@responds(RevisionOut)
def get_revision(gid: str, n: int) -> dict[str, Any]:
    """One revision with the full document it produced.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: n, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: RevisionOut}}}
        404: {description: "No such revision (a draft or retired revision's document is only found with an author token)"}
    """
    rev = repo().revision(gid, n)
    status = ((rev.snapshot or {}).get("doc") or {}).get("status")
    if status != "published" and not auth.can_see_drafts():
        raise RevisionNotFoundError(f"guideline {gid!r} has no revision {n}", "n")
    return revision_body(rev, with_snapshot=True)


@bp.post("/guidelines/<gid>/revisions/<int:n>/restore")
@auth.require(*auth.WRITE_ROLES)
@responds(GuidelineSourceOut)
def restore_revision(gid: str, n: int) -> Answer:
    """Make revision n current again, as a new revision (If-Match required unless the guideline was deleted).
    ---
    post:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: n, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        404: {description: "No such revision"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing (the guideline exists)"}
    """
    return source_answer(repo().restore(gid, n, if_match=if_match(), actor=actor()))
