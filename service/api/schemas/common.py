"""Schemas every resource shares: the dialect and paging parameters, a concept reference, a page of them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, utils, validate

MAX_PAGE = 1000
# The largest integer a query parameter (or path segment, ``service.app``) may hold: what the databases'
# BIGINT and numpy's int64 hold, so a larger one is a 400 (404 in a path), not an overflow in a query.
MAX_INT64 = 2**63 - 1


class BoundedList(fields.List):
    """A list whose length is checked before its items are deserialized (a long list is refused at once).

    ``validate=Length`` alone runs after every item has been deserialized; this refuses first, with the
    same message, and keeps the validator so the OpenAPI document still says minItems/maxItems.
    """

    def __init__(self, cls_or_instance: Any, *, min_length: int | None = None, max_length: int, **kwargs: Any):
        super().__init__(cls_or_instance, validate=validate.Length(min_length, max_length), **kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if utils.is_collection(value) and len(value) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        return super()._deserialize(value, attr, data, **kwargs)


class LangQuery(Schema):
    lang = fields.Str(
        load_default=None,
        metadata={"description": "Dialect for terms: en-US (default), en-GB, or a language refset id"},
    )


class PageQuery(LangQuery):
    limit = fields.Int(load_default=50, validate=validate.Range(1, MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0, MAX_INT64))


class ConceptRef(Schema):
    conceptId = fields.Str(required=True)
    pt = fields.Str(allow_none=True)


class Page(Schema):
    total = fields.Int(required=True)
    limit = fields.Int(required=True)
    offset = fields.Int(required=True)
    items = fields.List(fields.Nested(ConceptRef), required=True)
