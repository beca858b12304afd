"""CDS Hooks 2.0 request and response shapes (field names as the specification spells them)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE  # the specification reserves `extension` and may add fields: unknown ones are ignored


class CdsCoding(Schema):
    code = fields.Str(required=True)
    system = fields.Str(required=True)
    display = fields.Str()


class CdsServiceOut(Schema):
    hook = fields.Str(required=True)
    title = fields.Str()
    description = fields.Str(required=True)
    id = fields.Str(required=True)
    prefetch = fields.Dict(keys=fields.Str(), values=fields.Str())
    usageRequirements = fields.Str()


class CdsServicesOut(Schema):
    services = fields.List(fields.Nested(CdsServiceOut), required=True)


class FhirAuthorizationIn(_Lenient):
    access_token = fields.Str(required=True, validate=validate.Length(min=1))
    token_type = fields.Str(required=True, validate=validate.OneOf(["Bearer", "bearer"]))
    expires_in = fields.Int(required=True)
    scope = fields.Str(required=True)
    subject = fields.Str(required=True)
    patient = fields.Str()


class CdsRequestIn(_Lenient):
    hook = fields.Str(required=True)
    hookInstance = fields.Str(required=True, validate=validate.Length(min=1))
    fhirServer = fields.Url(require_tld=False, schemes={"http", "https"})
    fhirAuthorization = fields.Nested(FhirAuthorizationIn)
    context = fields.Dict(keys=fields.Str(), required=True)
    prefetch = fields.Dict(keys=fields.Str(), values=fields.Raw(allow_none=True))
    extension = fields.Dict(keys=fields.Str())

    @validates_schema
    def _server_with_authorization(self, data: dict[str, Any], **_: Any) -> None:
        if "fhirAuthorization" in data and "fhirServer" not in data:
            raise ValidationError("fhirServer is required when fhirAuthorization is given", "fhirServer")


class CdsSourceOut(Schema):
    label = fields.Str(required=True)
    url = fields.Str()
    icon = fields.Str()
    topic = fields.Nested(CdsCoding)


class CdsLinkOut(Schema):
    label = fields.Str(required=True)
    url = fields.Str(required=True)
    type = fields.Str(required=True, validate=validate.OneOf(["absolute", "smart"]))
    appContext = fields.Str()
    autolaunchable = fields.Bool()


class CdsSuggestionOut(Schema):
    label = fields.Str(required=True)
    uuid = fields.Str()
    isRecommended = fields.Bool()
    actions = fields.List(fields.Dict())


class CdsCardOut(Schema):
    uuid = fields.Str()
    summary = fields.Str(required=True, validate=validate.Length(max=139))
    detail = fields.Str(metadata={"description": "GitHub Flavored Markdown"})
    indicator = fields.Str(required=True, validate=validate.OneOf(["info", "warning", "critical"]))
    source = fields.Nested(CdsSourceOut, required=True)
    suggestions = fields.List(fields.Nested(CdsSuggestionOut))
    selectionBehavior = fields.Str(validate=validate.OneOf(["at-most-one", "any"]))
    overrideReasons = fields.List(fields.Nested(CdsCoding))
    links = fields.List(fields.Nested(CdsLinkOut))


class CdsResponseOut(Schema):
    cards = fields.List(fields.Nested(CdsCardOut), required=True)
    extension = fields.Dict(
        keys=fields.Str(), metadata={"description": "dev.snomap.notes: Conditions skipped and codes not read, and why"}
    )


class CdsAcceptedSuggestionIn(_Lenient):
    id = fields.Str(required=True)


class CdsOverrideReasonIn(_Lenient):
    reason = fields.Nested(CdsCoding)
    userComment = fields.Str()


class CdsFeedbackItemIn(_Lenient):
    card = fields.Str(required=True, validate=validate.Length(min=1))
    outcome = fields.Str(required=True, validate=validate.OneOf(["accepted", "overridden"]))
    acceptedSuggestions = fields.List(fields.Nested(CdsAcceptedSuggestionIn))
    overrideReason = fields.Nested(CdsOverrideReasonIn)
    outcomeTimestamp = fields.AwareDateTime(required=True, format="iso")


class CdsFeedbackIn(_Lenient):
    feedback = fields.List(fields.Nested(CdsFeedbackItemIn), required=True, validate=validate.Length(min=1, max=1000))


class CdsFeedbackOut(Schema):
    recorded = fields.Int(required=True)


class OverrideReasonCountOut(Schema):
    system = fields.Str(allow_none=True)
    code = fields.Str(allow_none=True)
    display = fields.Str(allow_none=True)
    count = fields.Int(required=True)


class GuidelineFeedbackOut(Schema):
    guidelineId = fields.Str(required=True)
    accepted = fields.Int(required=True)
    overridden = fields.Int(required=True)
    total = fields.Int(required=True)
    comments = fields.Int(required=True, metadata={"description": "Overrides that carried a user comment"})
    overrideReasons = fields.List(fields.Nested(OverrideReasonCountOut), required=True)
