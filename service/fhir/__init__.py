"""The FHIR R4 terminology API (a Flask blueprint mounted at ``/fhir``)."""

from .blueprint import bp, fhir_context, register

__all__ = ["bp", "fhir_context", "register"]
