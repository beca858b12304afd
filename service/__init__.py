"""The thin Flask layer over `terminology`: blueprints, marshmallow schemas, problem+json errors."""

from .app import create_app

__all__ = ["create_app"]
