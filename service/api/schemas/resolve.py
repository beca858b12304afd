"""Schemas of batch resolution (``POST /api/v1/resolve``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields

from .common import BoundedList, ConceptRef

MAX_CODES = 1000


class CodingIn(fields.Field):
    """A code to resolve: an SCTID string/number, or {system, code} for a code of another system."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(value, int | str) and not isinstance(value, bool):
            return {"code": str(value), "system": None}
        if isinstance(value, dict) and isinstance(value.get("code"), str | int):
            system = value.get("system")
            if system is not None and not isinstance(system, str):
                raise ValidationError("system must be a string URI")
            return {"code": str(value["code"]), "system": system}
        raise ValidationError("each code is an SCTID or an object {system, code}")


class ResolveIn(Schema):
    # Items are read one by one by the handler (CodingIn), so one bad item is that item's error; the count is
    # checked before any item is read.
    codes = BoundedList(
        fields.Raw(allow_none=True),
        required=True,
        min_length=1,
        max_length=MAX_CODES,
        metadata={"description": "SCTIDs or {system, code}"},
    )
    lang = fields.Str(load_default=None)


class ResolvedOut(Schema):
    input = fields.Raw()
    concepts = fields.List(fields.Nested(ConceptRef))
    how = fields.Str(
        allow_none=True,
        metadata={"description": "direct, description, REPLACED BY, SAME AS, ..., or how a map was read"},
    )
    moreSpecific = fields.List(
        fields.Nested(ConceptRef),
        metadata={
            "description": "for a code of another system: concepts mapping to it as their whole meaning, subsumed by one in `concepts`"
        },
    )
    partial = fields.List(
        fields.Nested(ConceptRef),
        metadata={
            "description": "for a code of another system: concepts it is only part of the map of (a later map group, or under a rule)"
        },
    )
    guidelineCount = fields.Int(
        metadata={"description": "guidelines that apply to `concepts` (not to the more specific or partial ones)"}
    )
    error = fields.Dict(allow_none=True)


class ResolveOut(Schema):
    results = fields.List(fields.Nested(ResolvedOut))
