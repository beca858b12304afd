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
    """The editions behind the FHIR API and its settings.

    ``terminology`` is the default edition: the one a request that names no version
    gets.  ``others`` are further editions or versions served beside it (a national
    edition next to the International one, last year's release next to this year's).
    :meth:`select` hands out a context bound to one of them; every context of one
    application shares the same list, so an operation working in one edition can still
    reach the others (a value set whose includes pin different versions).
    """

    terminology: Terminology
    settings: FhirSettings = field(default_factory=FhirSettings)
    others: tuple[Terminology, ...] = ()
    _family: list[FhirContext] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def edition(self) -> Edition:
        return edition_of(self.terminology, self.settings.unpublished)

    @property
    def loaded(self) -> list[FhirContext]:
        """A context per loaded edition, the default first."""
        if self._family is None:
            family = [self] + [FhirContext(t, self.settings) for t in self.others]
            uris = [c.edition.uri for c in family]
            duplicate = next((u for u in uris if uris.count(u) > 1), None)
            if duplicate is not None:
                raise ValueError(f"the edition {duplicate} is loaded twice")
            for c in family:
                c._family = family
        return self._family

    @property
    def default(self) -> FhirContext:
        return self.loaded[0]

    def select(self, requested: str | None) -> FhirContext | None:
        """The loaded edition a requested version names, or None when none is loaded.

        Nothing requested gives the default edition; a module URI alone or a bare date
        may match several versions: the default wins if it is one of them, else the latest.
        """
        if requested is None:
            return self.default
        if not isinstance(requested, str):  # JSON from the client: a number where FHIR has a string
            return None
        if not requested.strip():
            return self.default
        matching = [c for c in self.loaded if c.edition.matches(requested)]
        if not matching:
            return None
        if self.default in matching:
            return self.default
        return max(matching, key=lambda c: c.edition.version)

    @property
    def valid_versions(self) -> str:
        """The loaded versions, as the UNKNOWN_CODESYSTEM_VERSION message lists them."""
        return ",".join(c.edition.uri for c in self.loaded)
