"""The API's marshmallow schemas, one module per resource; `service.openapi` walks every module here.

A schema documents its resource (OpenAPI) and validates what comes in (`@accepts`); what goes out is
built in `service.representations` in the schema's shape and checked against it under TESTING
(`@responds`).
"""
