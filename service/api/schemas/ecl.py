"""Marshmallow schemas of the ECL endpoint (``GET``/``POST /api/v1/ecl``)."""

from __future__ import annotations

from marshmallow import Schema, validate
from marshmallow import fields as mf

from terminology.ecl import MAX_PAGE

from .common import MAX_INT64, ConceptRef

MAX_ECL_LENGTH = 20_000


class EclQuery(Schema):
    """The query string of ``GET /api/v1/ecl`` (and, with the same names, the body of ``POST``)."""

    ecl = mf.Str(
        required=True,
        validate=validate.Length(1, MAX_ECL_LENGTH),
        metadata={"description": "An ECL 2.2 expression constraint"},
    )
    limit = mf.Int(
        load_default=50,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"Page size (at most {MAX_PAGE})"},
    )
    offset = mf.Int(load_default=0, validate=validate.Range(0, MAX_INT64))
    countOnly = mf.Bool(load_default=False, metadata={"description": "Return the total only (no items)"})
    lang = mf.Str(
        load_default=None,
        metadata={"description": "Dialect for terms: en-US (default), en-GB, or a language refset id"},
    )


class EclBody(EclQuery):
    """The JSON body of ``POST /api/v1/ecl`` (long expressions do not fit a URL)."""


class EclOut(Schema):
    total = mf.Int(required=True, metadata={"description": "Number of concepts (or records, for a field selection)"})
    limit = mf.Int(required=True)
    offset = mf.Int(required=True)
    items = mf.List(
        mf.Nested(ConceptRef), required=True, metadata={"description": "One page, in SCTID order; empty with countOnly"}
    )
    warnings = mf.List(
        mf.Str(), required=True, metadata={"description": "e.g. concept X is not in the release / is inactive"}
    )
    fields = mf.List(
        mf.Str(), metadata={"description": "Only for a refset field selection (^ [f1, f2] refset): the fields"}
    )
    records = mf.List(
        mf.Dict(), metadata={"description": "Only for a refset field selection: one page of the selected values"}
    )


class EclProblemOut(Schema):
    """A problem+json body of an ECL syntax error (status 400)."""

    type = mf.Str()
    title = mf.Str()
    status = mf.Int()
    detail = mf.Str()
    field = mf.Str(metadata={"description": "ecl"})
    position = mf.Int(metadata={"description": "0-based character offset of the error"})
    line = mf.Int(metadata={"description": "1-based line"})
    column = mf.Int(metadata={"description": "1-based column"})
    expected = mf.List(mf.Str(), metadata={"description": "What could have come next"})
    errors = mf.Dict(
        metadata={"description": "For an invalid parameter (not an ECL syntax error): the messages by field"}
    )
