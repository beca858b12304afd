"""SNOMED CT versions as FHIR sees them: edition URIs and which requested versions are loaded.

A SNOMED CT version is the URI ``http://snomed.info/sct/{edition module}/version/{yyyymmdd}``
(the SNOMED URI standard); an edition that its owner has not published uses the
``http://snomed.info/xsct/...`` form instead.  The module and date come from the
loaded release's ModuleDependency refset (``Terminology.release``).

Whether the loaded edition counts as unpublished is decided, in order, by the
setting ``SNOMAP_FHIR_UNPUBLISHED`` (``1``/``true``/``yes`` or ``0``/``false``/``no``)
and otherwise by the edition module: the editions SNOMED International and its
members publish (:data:`PUBLISHED_EDITIONS`) are published, anything else (a
subset, a test or local edition) is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loaders import snomed

from ..terminology import Terminology

__all__ = ["SNOMED", "Edition", "PUBLISHED_EDITIONS", "edition_of", "parse_version_uri"]

SNOMED = "http://snomed.info/sct"
INTERNATIONAL = snomed.CORE_MODULE

# Edition module -> name, for editions published by SNOMED International or a member.
PUBLISHED_EDITIONS: dict[int, str] = snomed.EDITION_MODULES

_URI = re.compile(r"^https?://snomed\.info/(x?sct)/(\d+)(?:/version/(\d{8}))?/?$")


def parse_version_uri(text: str) -> tuple[bool, int, str | None] | None:
    """(unpublished, module, yyyymmdd or None) of a SNOMED version URI, or None when it is not one."""
    m = _URI.match(text.strip())
    if not m:
        return None
    return m.group(1) == "xsct", int(m.group(2)), m.group(3)


@dataclass(frozen=True)
class Edition:
    """The loaded edition: module, version date and whether it is published."""

    module_id: int
    version: str
    unpublished: bool
    name: str

    @property
    def uri(self) -> str:
        scheme = "xsct" if self.unpublished else "sct"
        return f"http://snomed.info/{scheme}/{self.module_id}/version/{self.version}"

    @property
    def module_uri(self) -> str:
        return f"http://snomed.info/{'xsct' if self.unpublished else 'sct'}/{self.module_id}"

    def matches(self, requested: str | None) -> bool:
        """Whether a requested version names this edition.

        Accepted: nothing; the full URI; the module URI alone (latest loaded);
        the same edition and date written with the other scheme (``sct``/``xsct``);
        a bare ``yyyymmdd`` equal to the loaded date.
        """
        if requested is None or not requested.strip():
            return True
        text = requested.strip()
        if re.fullmatch(r"\d{8}", text):
            return text == self.version
        parsed = parse_version_uri(text)
        if parsed is None:
            return False
        _, module, date = parsed
        return module == self.module_id and (date is None or date == self.version)


def _flag(value: object) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None  # "auto" or unset


def edition_of(t: Terminology, unpublished: object = None) -> Edition:
    """The loaded edition, with ``unpublished`` from the setting or else from the module (see the module doc)."""
    r = t.release
    module = int(r.edition_module)
    flag = _flag(unpublished)
    if flag is None:
        flag = module not in PUBLISHED_EDITIONS
    return Edition(module, str(r.version), flag, _edition_name(t, module))


def _edition_name(t: Terminology, module: int) -> str:
    """The edition's name; an unknown edition is named after the nearest published edition it depends on."""
    if module in PUBLISHED_EDITIONS:
        return PUBLISHED_EDITIONS[module]
    deps: dict[int, set[int]] = {}
    for d in t.release.dependencies:
        deps.setdefault(int(d["module"]), set()).add(int(d["depends_on"]))
    frontier, seen = [module], {module}
    while frontier:
        nxt = []
        for m in frontier:
            for dep in sorted(deps.get(m, ())):
                if dep in PUBLISHED_EDITIONS:
                    return PUBLISHED_EDITIONS[dep]
                if dep not in seen:
                    seen.add(dep)
                    nxt.append(dep)
        frontier = nxt
    term = t.preferred_term(module) if t.has_concept(module) else None
    return term or f"Edition {module}"
