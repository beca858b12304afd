"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..context import responds, terminology
from ..representations import ready_body
from .schemas.health import ReadyOut

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@responds()
def healthz() -> dict[str, Any]:
    """Liveness: the process answers.
    ---
    get:
      tags: [health]
      responses:
        200:
          description: alive
    """
    return {"status": "ok"}


@bp.get("/readyz")
@responds(ReadyOut)
def readyz() -> dict[str, Any]:
    """Readiness: the index is open; reports the release's edition, version and edition URI (as FHIR names it).

    ``versions`` lists every loaded edition URI, the default first; ``?version=`` or
    ``Accept-Version`` chooses among them here as on every REST endpoint.
    ---
    get:
      tags: [health]
      responses:
        200:
          content:
            application/json:
              schema: ReadyOut
    """
    from ..fhir.blueprint import fhir_context

    t = terminology()
    loaded = fhir_context().loaded
    uri = next((c.edition.uri for c in loaded if c.terminology is t), t.release.uri)
    return ready_body(t, uri, [c.edition.uri for c in loaded])
