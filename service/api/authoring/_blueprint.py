"""The authoring blueprint and what its resources share: the writable store, the caller, If-Match."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from terminology import Terminology
from terminology.authoring import (
    Actor,
    GuidelineNotFoundError,
    PreconditionRequiredError,
    SqlGuidelineRepository,
    StoredGuideline,
)
from terminology.authoring.validation import TagAssessment, assess_tags

from ... import auth
from ...config import setting
from ...context import Answer, services
from ...problems import Problem
from ...representations import source_body

bp = Blueprint("authoring", __name__, url_prefix="/api/v1")


def repo() -> SqlGuidelineRepository:
    """The writable guideline store; 501 when guidelines are served from read-only files."""
    r = services().guidelines
    if not isinstance(r, SqlGuidelineRepository):
        raise Problem(
            501,
            "Authoring unavailable",
            "guidelines are served from read-only files; authoring needs the database store (see docs/authoring.md)",
            kind="authoring-unavailable",
        )
    return r


def terminology() -> Terminology:
    return services().terminology


def actor() -> Actor:
    who = auth.principal(required=True)
    assert who is not None
    return Actor(who.name, who.role, request.method, request.path, auth.client_address())


def if_match() -> Any:
    """The If-Match header as the store takes it: None (absent), "*" or the list of ETags."""
    im = request.if_match
    if im.star_tag:
        return "*"
    tags = list(im.as_set())
    return tags or None


def need_if_match(gid: str) -> Any:
    """If-Match for a change to an existing guideline: 404 when there is none, 428 when the header is missing."""
    im = if_match()
    if im is None:
        found(gid)
        raise PreconditionRequiredError(
            f"changing guideline {gid!r} needs If-Match with its current ETag (from GET /api/v1/guidelines/{gid})"
        )
    return im


def found(gid: str) -> StoredGuideline:
    stored = repo().record(gid)
    if stored is None:
        raise GuidelineNotFoundError(f"guideline {gid!r} does not exist", "gid")
    return stored


def assess(stored: StoredGuideline) -> list[TagAssessment]:
    """Sizes and warnings of a guideline's tags in the served release."""
    return assess_tags(terminology(), stored.doc.tags, setting("SNOMAP_TAG_HIERARCHIES"))


def source_answer(stored: StoredGuideline, status: int = 200, **kw: Any) -> Answer:
    """A stored guideline's editable form with its ETag."""
    return Answer(source_body(terminology(), stored, assess(stored)), status=status, etag=stored.etag, **kw)
