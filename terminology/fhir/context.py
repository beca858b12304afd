"""What every FHIR operation needs: the release, the loaded edition and the server's settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from ..terminology import Terminology
from .versions import Edition, edition_of

__all__ = ["DEFAULT_EXPANSION_LIMIT", "FhirContext", "FhirSettings"]

DEFAULT_EXPANSION_LIMIT = 10_000


def _bool(value: object, default: bool) -> bool:
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class FhirSettings:
    """Server behaviour a deployment may change.

    * ``unpublished``: present the edition as ``xsct`` (True), ``sct`` (False), or decide
      from the module (None, see :mod:`.versions`).  ``SNOMAP_FHIR_UNPUBLISHED``.
    * ``expansion_limit``: the most codes one ``$expand`` response may hold; larger
      expansions end in a ``too-costly`` OperationOutcome.  ``SNOMAP_FHIR_EXPANSION_LIMIT``.
    * ``mrcm``: also check post-coordinated expressions in ``$validate-code`` against the
      MRCM attribute domains and ranges.  Off by default because HL7's terminology tests
      expect the tx.fhir.org behaviour (concepts and attribute names checked, MRCM not),
      reported with an information issue saying so.  ``SNOMAP_FHIR_MRCM``.
    """

    unpublished: bool | None = None
    expansion_limit: int = DEFAULT_EXPANSION_LIMIT
    mrcm: bool = False

    @classmethod
    def from_mapping(cls, config: Mapping[str, object] | None = None) -> FhirSettings:
        """From a Flask config (keys ``SNOMAP_FHIR_*``), falling back to the environment."""
        config = config or {}

        def get(key: str) -> object:
            value = config.get(key)
            return value if value is not None else os.environ.get(key)

        raw_unpublished = get("SNOMAP_FHIR_UNPUBLISHED")
        unpublished = None
        if raw_unpublished is not None and str(raw_unpublished).strip().lower() not in ("", "auto"):
            unpublished = _bool(raw_unpublished, False)
        limit = get("SNOMAP_FHIR_EXPANSION_LIMIT")
        return cls(
            unpublished=unpublished,
            expansion_limit=int(str(limit)) if limit not in (None, "") else DEFAULT_EXPANSION_LIMIT,
            mrcm=_bool(get("SNOMAP_FHIR_MRCM"), False),
        )


@dataclass
class FhirContext:
    """The release behind the FHIR API and its settings (one per application)."""

    terminology: Terminology
    settings: FhirSettings = field(default_factory=FhirSettings)

    @cached_property
    def edition(self) -> Edition:
        return edition_of(self.terminology, self.settings.unpublished)
