"""The terminology's exception hierarchy; the service maps each class onto one error response."""

from __future__ import annotations

from loaders.errors import SnomapError


class TerminologyError(SnomapError):
    """Base of every error a terminology query raises on bad input."""


class InvalidSctidError(TerminologyError, ValueError):
    """A malformed identifier: not numeric, wrong check digit, or the wrong partition."""

    def __init__(self, value: object, reason: str, field: str | None = None):
        self.value = value
        self.reason = reason
        self.field = field
        super().__init__(f"invalid SCTID {value!r}: {reason}")


class ConceptNotFoundError(TerminologyError, LookupError):
    """A well-formed SCTID that is not in the loaded release."""

    def __init__(self, sctid: int, what: str = "concept"):
        self.sctid = sctid
        self.what = what
        super().__init__(f"{what} {sctid} is not in the release")


class IndexFormatError(TerminologyError):
    """An index that is missing, damaged or of an incompatible format version."""


class UnanswerableError(TerminologyError):
    """A well-formed request that the release cannot answer (e.g. an inactive concept with no replacement)."""
