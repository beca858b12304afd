"""What a guideline covers (``/guidelines/{gid}/coverage``) and what a new release breaks (``/guidelines/check``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from terminology.authoring.coverage import coverage
from terminology.authoring.release_check import check_release

from ...context import accepts, responds
from ...representations import coverage_body, release_check_body
from ..schemas.authoring import CoverageOut, CoverageQuery, ReleaseCheckOut, ReleaseCheckQuery
from ._blueprint import bp, found, repo, terminology


@bp.get("/guidelines/<gid>/coverage")
@accepts(CoverageQuery)
@responds(CoverageOut)
def guideline_coverage(gid: str, args: dict[str, Any]) -> dict[str, Any]:
    """How many active concepts the guideline applies to (union of its tags minus exclusions), with a sample.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: query, name: sample, schema: {type: integer, default: 20}}
        - {in: query, name: lang, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: CoverageOut}}}
        400: {description: "Invalid parameter"}
        404: {description: "No such guideline"}
    """
    t = terminology()
    return coverage_body(t, gid, coverage(t, found(gid), args["sample"]), args["lang"])


@bp.get("/guidelines/check", provide_automatic_options=False)  # OPTIONS: release_check_options
@accepts(ReleaseCheckQuery)
@responds(ReleaseCheckOut)
def release_check(args: dict[str, Any]) -> dict[str, Any]:
    """Tags the served release breaks (inactive or missing concepts, with replacements) or reshapes (coverage changed).
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: query, name: ratio, schema: {type: number, default: 0.2}, description: "Relative change in coverage that counts as a lot"}
        - {in: query, name: minChange, schema: {type: integer, default: 5}, description: "...and at least this many concepts"}
      responses:
        200: {content: {application/json: {schema: ReleaseCheckOut}}}
        400: {description: "Invalid parameter"}
    """
    return release_check_body(check_release(repo(), terminology(), args["ratio"], args["minChange"]))


@bp.route("/guidelines/check", methods=["OPTIONS"], provide_automatic_options=False)
def release_check_options() -> Response:
    """``/guidelines/check`` also matches ``/guidelines/<gid>``: Allow names only this resource's methods."""
    return Response(status=200, headers={"Allow": "GET, HEAD, OPTIONS"})
