"""The names of the CDS Hooks settings; their defaults and parsers live in `service.config` with every other."""

from __future__ import annotations

TRUSTED_ISSUERS = "SNOMAP_CDS_TRUSTED_ISSUERS"
ALLOW_UNAUTHENTICATED = "SNOMAP_CDS_ALLOW_UNAUTHENTICATED"
PUBLIC_URL = "SNOMAP_CDS_PUBLIC_URL"
FHIR_TIMEOUT = "SNOMAP_CDS_FHIR_TIMEOUT"
