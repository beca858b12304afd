"""Guideline authoring: a SQL store (SQLite by default, PostgreSQL by URL) behind the guideline repository.

`open_repository(url)` gives a `SqlGuidelineRepository`: the same read protocol as the file store (so
`guidelines_for_concept` is unchanged) plus writes with optimistic concurrency, immutable revisions,
tokens, an audit log, import/export of the Markdown files, coverage and the new-release check.
No web code here: the Flask blueprint is `service/api/authoring.py`.
"""

from .errors import (
    AuthoringError,
    DuplicateTagError,
    GuidelineExistsError,
    GuidelineNotFoundError,
    InvalidEclError,
    InvalidGuidelineError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RevisionNotFoundError,
    StoreConfigurationError,
    TagNotFoundError,
    TagRejectedError,
    TooManyTagsError,
)
from .model import AuditEntry, Baseline, ImportReport, Revision, StoredGuideline, TagRecord, TokenInfo
from .store import Actor, SqlGuidelineRepository, check_exportable, open_repository

__all__ = [
    "Actor",
    "AuditEntry",
    "AuthoringError",
    "Baseline",
    "DuplicateTagError",
    "GuidelineExistsError",
    "GuidelineNotFoundError",
    "ImportReport",
    "InvalidEclError",
    "InvalidGuidelineError",
    "PreconditionFailedError",
    "PreconditionRequiredError",
    "Revision",
    "RevisionNotFoundError",
    "SqlGuidelineRepository",
    "StoreConfigurationError",
    "StoredGuideline",
    "TagNotFoundError",
    "TagRecord",
    "TagRejectedError",
    "TooManyTagsError",
    "TokenInfo",
    "check_exportable",
    "open_repository",
]
