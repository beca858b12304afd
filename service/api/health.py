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
    return ready_body(terminology())
