"""What the store hands out besides the loader's `GuidelineDocument`: tags with their history, ETags, revisions.

The repository protocol returns plain `GuidelineDocument`s (so `guidelines_for_concept` and the read API
work unchanged); authoring needs more per guideline (the ETag, who added each tag and when, the tag ids
the API deletes by), which `StoredGuideline` carries alongside the document rather than inside it, so the
document keeps comparing equal to what the Markdown file holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from loaders.guidelines import GuidelineDocument, TagSpec


@dataclass(frozen=True)
class TagRecord:
    """A tag as stored: the spec plus its id, provenance and the coverage it had when it was added."""

    id: int
    spec: TagSpec
    added_by: str
    added_at: dt.datetime
    baseline_count: int | None = None
    baseline_release: str | None = None


@dataclass(frozen=True)
class StoredGuideline:
    """A guideline with the metadata of its current revision; `doc.tags[i]` is `tags[i].spec`."""

    doc: GuidelineDocument
    etag: str
    revision: int
    created_at: dt.datetime
    created_by: str
    modified_at: dt.datetime
    modified_by: str
    tags: tuple[TagRecord, ...] = ()

    @property
    def id(self) -> str:
        return self.doc.id

    def tag(self, tag_id: int) -> TagRecord | None:
        return next((t for t in self.tags if t.id == tag_id), None)


@dataclass(frozen=True)
class Revision:
    """One immutable entry of a guideline's history: who, when, what, and the document it produced."""

    guideline_id: str
    n: int
    action: str
    author: str
    at: dt.datetime
    summary: str
    etag: str | None
    snapshot: dict[str, Any] | None = None


@dataclass(frozen=True)
class Baseline:
    """Coverage of a tag when it was added, kept so that a later release can be compared with it."""

    count: int | None
    release: str | None


@dataclass
class ImportReport:
    """What an import did; unchanged guidelines get no revision, which is what makes re-imports idempotent."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: len(v) for k, v in vars(self).items()} | {"changed": self.created + self.updated + self.deleted}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    role: str | None
    action: str
    outcome: str
    status: int | None
    method: str | None
    path: str | None
    guideline_id: str | None
    revision: int | None
    detail: dict[str, Any] | None
    client: str | None = None
    count: int = 1  # refusals aggregated into this row (same client, actor, action and status in one minute)


@dataclass(frozen=True)
class TokenInfo:
    """An authenticated caller: the token's name (used as the author of revisions) and its role."""

    id: str
    name: str
    role: str
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
