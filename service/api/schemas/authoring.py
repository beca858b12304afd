"""Marshmallow schemas of the authoring endpoints: request bodies with field-level errors, and responses.

Input is checked here for shape (types, slugs, enumerations, SCTID check digits, at least one tag and
one recommendation, unique ids); what needs the terminology (active concepts, ECL syntax, hierarchy)
is checked afterwards in `terminology.authoring.validation`, and what needs the file format (citations
resolve, sections survive a round trip) by the loader itself, so the three never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loaders.guidelines import SLUG, STATUSES, STRENGTHS
from loaders.sctid import ComponentKind, sctid_problem

from .common import MAX_INT64, ConceptRef

# "check" would be shadowed by GET /api/v1/guidelines/check.
RESERVED_IDS = ("check",)


class Sctid(fields.Field):
    """A concept SCTID given as a string (preferred: 18 digits exceed JavaScript's exact integers) or integer."""

    default_error_messages = {"invalid": "must be a concept SCTID (a string of digits)"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.make_error("invalid")
        problem = sctid_problem(value, ComponentKind.CONCEPT)
        if problem:
            raise ValidationError(f"{value!r} is not a valid concept SCTID: {problem}")
        return int(str(value).strip())

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be empty")


def _iso_date(value: str) -> None:
    try:
        if len(value) != 10:
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("must be a date YYYY-MM-DD") from None


def _unique_ids(items: list[dict[str, Any]] | None, name: str, errors: dict[str, Any]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items or []):
        if item["id"] in seen:
            errors[f"{name}[{i}].id"] = [f"duplicate id {item['id']!r}"]
        seen.add(item["id"])


class TagIn(Schema):
    concept = Sctid(
        load_default=None, allow_none=True, metadata={"description": "Applies to this concept and its descendants"}
    )
    ecl = fields.Str(
        load_default=None, allow_none=True, validate=_not_blank, metadata={"description": "Or: an ECL expression"}
    )
    term = fields.Str(
        load_default=None, allow_none=True, metadata={"description": "Label for people; never matched on"}
    )
    exclude = fields.List(
        Sctid(), load_default=list, metadata={"description": "Concepts whose subtrees the tag leaves out"}
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("concept") is None) == (data.get("ecl") is None):
            raise ValidationError("a tag needs exactly one of 'concept' (an SCTID) or 'ecl' (an expression)", "concept")
        if data.get("concept") is not None and data["concept"] in (data.get("exclude") or []):
            raise ValidationError("a tag cannot exclude its own concept", "exclude")


class RecommendationIn(Schema):
    id = fields.Str(required=True, validate=_not_blank)
    text = fields.Str(required=True, validate=_not_blank)
    strength = fields.Str(required=True, validate=validate.OneOf(STRENGTHS))


class ReferenceIn(Schema):
    id = fields.Str(required=True, validate=_not_blank)
    authors = fields.List(fields.Str(validate=_not_blank), required=True, validate=validate.Length(min=1))
    title = fields.Str(required=True, validate=_not_blank)
    journal = fields.Str(required=True, validate=_not_blank)
    year = fields.Int(required=True, strict=True, validate=validate.Range(1000, 3000))
    volume = fields.Str(load_default=None, allow_none=True, validate=_not_blank)
    pmid = fields.Str(load_default=None, allow_none=True, validate=_not_blank)
    doi = fields.Str(load_default=None, allow_none=True, validate=_not_blank)
    url = fields.Str(load_default=None, allow_none=True, validate=_not_blank)


class SectionIn(Schema):
    heading = fields.Str(
        required=True, metadata={"description": 'The `## ` heading; "" only first, for text before any heading'}
    )
    markdown = fields.Str(required=True)


class GuidelineIn(Schema):
    """A whole guideline (POST, PUT; PATCH takes any subset of these fields)."""

    id = fields.Str(
        required=True,
        validate=[
            validate.Regexp(
                f"^{SLUG.pattern}$", error="use lower-case letters, digits and '-', starting with a letter or digit"
            ),
            validate.Length(max=200),
            validate.NoneOf(RESERVED_IDS, error="is reserved"),
        ],
    )
    title = fields.Str(required=True, validate=_not_blank)
    status = fields.Str(required=True, validate=validate.OneOf(STATUSES))
    updated = fields.Str(load_default=None, allow_none=True, validate=_iso_date)
    sections = fields.List(fields.Nested(SectionIn), load_default=list)
    recommendations = fields.List(fields.Nested(RecommendationIn), required=True, validate=validate.Length(min=1))
    references = fields.List(fields.Nested(ReferenceIn), load_default=list)
    tags = fields.List(fields.Nested(TagIn), required=True, validate=validate.Length(min=1))
    extra = fields.Dict(
        keys=fields.Str(), load_default=dict, metadata={"description": "Other front-matter keys, kept on export"}
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        _unique_ids(data.get("recommendations"), "recommendations", errors)
        _unique_ids(data.get("references"), "references", errors)
        seen: set[str] = set()
        for i, s in enumerate(data.get("sections") or []):
            h = s["heading"].strip()
            if h in seen:
                errors[f"sections[{i}].heading"] = [f"duplicate section {h!r}"]
            if h == "" and i > 0:
                errors[f"sections[{i}].heading"] = ["only the first section may have no heading"]
            seen.add(h)
        if errors:
            raise ValidationError(errors)


class GuidelinePutIn(GuidelineIn):
    """PUT: the id comes from the URL (a body id, if sent, must match it)."""

    id = fields.Str(load_default=None)


class TagAddIn(TagIn):
    pass


class TagRecordOut(Schema):
    id = fields.Int()
    conceptId = fields.Str(allow_none=True)
    pt = fields.Str(allow_none=True)
    ecl = fields.Str(allow_none=True)
    term = fields.Str(allow_none=True)
    exclude = fields.List(fields.Nested(ConceptRef))
    addedBy = fields.Str()
    addedAt = fields.Str()
    baselineCount = fields.Int(allow_none=True, metadata={"description": "Concepts covered when the tag was added"})
    baselineRelease = fields.Str(allow_none=True)
    size = fields.Int(allow_none=True, metadata={"description": "Active concepts the tag covers in the served release"})
    sizeNote = fields.Str(allow_none=True)


class WarningOut(Schema):
    code = fields.Str(metadata={"description": "hierarchy, redundant, exclusion-no-effect or ecl-size-unknown"})
    detail = fields.Str()
    tag = fields.Int(metadata={"description": "Index of the tag in `tags`"})
    conceptId = fields.Str(allow_none=True)


class GuidelineSourceOut(Schema):
    """The editable form of a guideline (Markdown, tag ids and provenance), as PUT takes it back."""

    id = fields.Str()
    title = fields.Str()
    status = fields.Str()
    updated = fields.Str(allow_none=True)
    sections = fields.List(fields.Dict())
    recommendations = fields.List(fields.Dict())
    references = fields.List(fields.Dict())
    tags = fields.List(fields.Nested(TagRecordOut))
    extra = fields.Dict()
    etag = fields.Str()
    revision = fields.Int()
    createdAt = fields.Str()
    createdBy = fields.Str()
    modifiedAt = fields.Str()
    modifiedBy = fields.Str()
    warnings = fields.List(fields.Nested(WarningOut))


class TagListOut(Schema):
    guidelineId = fields.Str()
    etag = fields.Str()
    items = fields.List(fields.Nested(TagRecordOut))
    warnings = fields.List(fields.Nested(WarningOut))


class TagAddedOut(Schema):
    tag = fields.Nested(TagRecordOut)
    guideline = fields.Nested(GuidelineSourceOut)


class RevisionOut(Schema):
    n = fields.Int()
    action = fields.Str()
    author = fields.Str()
    at = fields.Str()
    summary = fields.Str()
    etag = fields.Str(allow_none=True)
    snapshot = fields.Dict(allow_none=True, metadata={"description": "Only on GET of one revision"})


class RevisionListOut(Schema):
    guidelineId = fields.Str()
    total = fields.Int()
    items = fields.List(fields.Nested(RevisionOut))


class DeletedOut(Schema):
    deleted = fields.Str()
    revision = fields.Int(metadata={"description": "Restore it with POST .../revisions/{revision}/restore"})


class CoverageTagOut(Schema):
    tagId = fields.Int()
    conceptId = fields.Str(allow_none=True)
    ecl = fields.Str(allow_none=True)
    count = fields.Int(allow_none=True)
    note = fields.Str()


class CoverageOut(Schema):
    guidelineId = fields.Str()
    total = fields.Int(metadata={"description": "Active concepts covered by the union of all tags"})
    tags = fields.List(fields.Nested(CoverageTagOut))
    sample = fields.List(fields.Nested(ConceptRef))
    eclEvaluation = fields.Str()


class CoverageQuery(Schema):
    sample = fields.Int(load_default=20, validate=validate.Range(0, 1000))
    lang = fields.Str(load_default=None)


class FindingOut(Schema):
    guidelineId = fields.Str()
    guidelineTitle = fields.Str()
    tagId = fields.Int()
    kind = fields.Str()
    detail = fields.Str()
    decision = fields.Str(metadata={"description": "migrate (one replacement), decide (a person chooses) or review"})
    conceptId = fields.Str(allow_none=True)
    ecl = fields.Str(allow_none=True)
    subject = fields.Str(allow_none=True, metadata={"description": "The inactive concept the finding is about"})
    baselineCount = fields.Int(allow_none=True)
    baselineRelease = fields.Str(allow_none=True)
    currentCount = fields.Int(allow_none=True)
    replacements = fields.List(fields.Dict())


class ReleaseCheckQuery(Schema):
    ratio = fields.Float(load_default=0.2, validate=validate.Range(0, 100))
    minChange = fields.Int(load_default=5, validate=validate.Range(0, MAX_INT64))


class ReleaseCheckOut(Schema):
    release = fields.Str()
    summary = fields.Dict()
    findings = fields.List(fields.Nested(FindingOut))


class AuditQuery(Schema):
    limit = fields.Int(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(0, MAX_INT64))
    guideline = fields.Str(load_default=None)
    actor = fields.Str(load_default=None)


class AuditEntryOut(Schema):
    id = fields.Int()
    at = fields.Str()
    actor = fields.Str()
    role = fields.Str(allow_none=True)
    action = fields.Str()
    outcome = fields.Str()
    status = fields.Int(allow_none=True)
    method = fields.Str(allow_none=True)
    path = fields.Str(allow_none=True)
    guidelineId = fields.Str(allow_none=True)
    revision = fields.Int(allow_none=True)
    detail = fields.Dict(allow_none=True)
    client = fields.Str(allow_none=True, metadata={"description": "The caller's address"})
    count = fields.Int(
        metadata={
            "description": "How many refusals this row stands for (same client, actor, action and status in one minute)"
        }
    )


class AuditPageOut(Schema):
    total = fields.Int()
    limit = fields.Int()
    offset = fields.Int()
    items = fields.List(fields.Nested(AuditEntryOut))
