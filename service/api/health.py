"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the process answers.
    ---
    get:
      tags: [health]
      responses:
        200:
          description: alive
    """
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: the index is open; reports the release's edition and version.
    ---
    get:
      tags: [health]
      responses:
        200:
          content:
            application/json:
              schema: ReadyOut
    """
    t = services().terminology
    r = t.release
    return jsonify(
        status="ready",
        release={
            "edition": str(r.edition_module),
            "version": r.version,
            "uri": r.uri,
            "concepts": r.counts.get("concepts"),
            "activeConcepts": r.counts.get("active_concepts"),
        },
    )
