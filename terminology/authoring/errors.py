"""Errors of the guideline store and of tag validation.

They carry what an API needs to answer precisely (the current ETag, the offending field, the
replacements of an inactive concept, the position of an ECL error) but no HTTP: the service maps
each class onto one status, the CLI onto one message, so the store never has to know who called it.
"""

from __future__ import annotations

from typing import Any

from loaders.errors import SnomapError


class AuthoringError(SnomapError):
    """Base of every error raised by the guideline store and its validation."""

    status = 400

    def __init__(self, detail: str, field: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class GuidelineNotFoundError(AuthoringError):
    status = 404


class RevisionNotFoundError(AuthoringError):
    status = 404


class TagNotFoundError(AuthoringError):
    status = 404


class GuidelineExistsError(AuthoringError):
    """A create for an id already in use (ids are slugs chosen by the author, so this is a real conflict)."""

    status = 409


class DuplicateTagError(AuthoringError):
    status = 409


class PreconditionFailedError(AuthoringError):
    """The If-Match ETag is not the guideline's current one: someone else wrote first."""

    status = 412


class PreconditionRequiredError(AuthoringError):
    """A change to an existing guideline without If-Match: it would blindly overwrite whatever is there."""

    status = 428


class InvalidGuidelineError(AuthoringError):
    """Content the file format cannot hold (so it could not be exported), with the field at fault."""

    status = 400


class InvalidEclError(AuthoringError):
    """An ECL tag that does not parse; `extra` has position, line, column and expected tokens."""

    status = 400


class TagRejectedError(AuthoringError):
    """A tag the terminology refuses: concept not in the release, or inactive (with its replacements)."""

    status = 422


class TooManyTagsError(AuthoringError):
    """A guideline with more tags than ``validation.MAX_TAGS``: refused before anything is written."""

    status = 413


class StoreConfigurationError(AuthoringError):
    """A database URL or store the service cannot use."""

    status = 500
