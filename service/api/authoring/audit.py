"""The audit log (``GET /api/v1/audit``), and an audit row for every refused write."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from terminology.authoring import Actor, SqlGuidelineRepository

from ... import auth
from ...context import accepts, responds, services
from ...representations import audit_page_body
from ..schemas.authoring import AuditPageOut, AuditQuery
from ._blueprint import bp, repo

_WRITES = ("POST", "PUT", "PATCH", "DELETE")


@bp.after_request
def _audit_refused(response: Response) -> Response:
    """A refused write (401, 403, 412, 422 ...) leaves an audit row too: who tried what, from where, and the status.

    A refused token is recorded under its name when the store knows it (a revoked or mistyped token), with
    why in `detail`. Refusals without an accepted token (anyone can send those by the thousand) are
    aggregated: one row per client, actor, action and status per minute, with a `count`.
    """
    if request.method in _WRITES and response.status_code >= 400:
        store = services().guidelines
        if isinstance(store, SqlGuidelineRepository):
            who = g.get("snomap_principal")
            refused = g.get("snomap_refused")
            name = who.name if who else (refused.name if refused and refused.name else "anonymous")
            role = who.role if who else (refused.role if refused else None)
            detail = {"token": refused.reason} if who is None and refused is not None else None
            try:
                store.record_audit(
                    Actor(name, role, request.method, request.path, auth.client_address()),
                    request.endpoint.split(".")[-1] if request.endpoint else "unknown",
                    "refused",
                    status=response.status_code,
                    guideline_id=(request.view_args or {}).get("gid"),
                    detail=detail,
                    aggregate=who is None,
                )
            except Exception:  # noqa: BLE001 - the answer to the client matters more than this row
                current_app.logger.exception("could not write the audit row of a refused write")
    return response


@bp.get("/audit")
@auth.require(*auth.ADMIN_ROLES)
@accepts(AuditQuery)
@responds(AuditPageOut)
def audit_log(args: dict[str, Any]) -> dict[str, Any]:
    """The audit log of every write, accepted or refused, newest first (admin only).
    ---
    get:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: query, name: limit, schema: {type: integer, default: 100}}
        - {in: query, name: offset, schema: {type: integer, default: 0}}
        - {in: query, name: guideline, schema: {type: string}}
        - {in: query, name: actor, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: AuditPageOut}}}
        400: {description: "Invalid parameter"}
        401: {description: "No valid token"}
        403: {description: "Not an admin"}
    """
    total, entries = repo().audit(args["limit"], args["offset"], args["guideline"], args["actor"])
    return audit_page_body(total, args["limit"], args["offset"], entries)
