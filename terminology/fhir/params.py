"""Operation input: one reader for a POSTed Parameters resource and for GET query parameters.

FHIR operations take the same parameters either way; a GET can only carry
primitive values (and ``coding`` written as ``system|code``).  Reading both into
one :class:`Params` keeps the operations free of HTTP details.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .outcome import FhirError

__all__ = ["Coding", "Params"]


@dataclass(frozen=True)
class Coding:
    """The parts of a Coding an operation needs (R4 ``Coding`` without ``userSelected``)."""

    system: str | None
    code: str | None
    version: str | None = None
    display: str | None = None

    @classmethod
    def from_json(cls, value: Any, where: str) -> Coding:
        if not isinstance(value, dict):
            raise FhirError.invalid(f"The parameter '{where}' must be a Coding", where)
        return cls(value.get("system"), value.get("code"), value.get("version"), value.get("display"))


def _primitive(p: dict[str, Any]) -> tuple[str | None, Any]:
    for k, v in p.items():
        if k.startswith("value") and len(k) > 5 and k[5].isupper():
            return k[5:], v
    return None, None


class Params:
    """Named operation parameters in request order (names may repeat)."""

    def __init__(self, items: Iterable[tuple[str, str | None, Any]]):
        # (name, FHIR type of the value or None for a resource/part holder, value)
        self.items: list[tuple[str, str | None, Any]] = list(items)

    # ----- construction
    @classmethod
    def from_resource(cls, body: Any) -> Params:
        """From a Parameters resource (a POST body)."""
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            kind = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
            raise FhirError.invalid(f"The request body must be a Parameters resource, not {kind}")
        items: list[tuple[str, str | None, Any]] = []
        for p in body.get("parameter") or []:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                raise FhirError.invalid("Every parameter needs a name")
            kind, value = _primitive(p)
            if kind is not None:
                items.append((p["name"], kind, value))
            elif "resource" in p:
                items.append((p["name"], "Resource", p["resource"]))
            elif "part" in p:
                items.append((p["name"], "part", p["part"]))
            else:
                items.append((p["name"], None, None))
        return cls(items)

    @classmethod
    def from_query(cls, pairs: Iterable[tuple[str, str]]) -> Params:
        """From GET query parameters (every value is text; ``_format`` and friends are dropped)."""
        return cls((k, "query", v) for k, v in pairs if not k.startswith("_"))

    # ----- access
    def names(self) -> set[str]:
        return {n for n, _, _ in self.items}

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.items)

    def all(self, name: str) -> list[tuple[str | None, Any]]:
        return [(k, v) for n, k, v in self.items if n == name]

    def str(self, name: str) -> str | None:
        for kind, value in self.all(name):
            if kind in (None, "Resource", "part"):
                raise FhirError.invalid(f"The parameter '{name}' must be a primitive value", name)
            return None if value is None else str(value)
        return None

    def strs(self, name: str) -> list[str]:
        out = []
        for kind, value in self.all(name):
            if kind not in (None, "Resource", "part") and value is not None:
                out.append(str(value))
        return out

    def bool(self, name: str, default: bool = False) -> bool:
        for kind, value in self.all(name):
            if isinstance(value, bool):
                return value
            if kind == "query" or isinstance(value, str):
                text = str(value).strip().lower()
                if text in ("true", "false"):
                    return text == "true"
            raise FhirError.invalid(f"The parameter '{name}' must be a boolean (true or false)", name)
        return default

    def int(self, name: str) -> int | None:
        for _kind, value in self.all(name):
            if isinstance(value, bool):
                break
            if isinstance(value, int):
                return value
            try:
                return int(str(value).strip())
            except ValueError:
                break
        else:
            return None
        raise FhirError.invalid(f"The parameter '{name}' must be an integer", name)

    def resource(self, name: str) -> dict[str, Any] | None:
        for kind, value in self.all(name):
            if kind == "Resource" and isinstance(value, dict):
                return value
            raise FhirError.invalid(f"The parameter '{name}' must be a resource", name)
        return None

    def resources(self, name: str) -> list[dict[str, Any]]:
        return [v for k, v in self.all(name) if k == "Resource" and isinstance(v, dict)]

    def coding(self, name: str) -> Coding | None:
        for kind, value in self.all(name):
            if kind == "Coding":
                return Coding.from_json(value, name)
            if kind == "query" and isinstance(value, str):
                system, sep, code = value.rpartition("|")
                return Coding(system or None, code) if sep else Coding(None, value)
            raise FhirError.invalid(f"The parameter '{name}' must be a Coding", name)
        return None

    def codeable_concept(self, name: str) -> tuple[list[Coding], str | None] | None:
        for kind, value in self.all(name):
            if kind == "CodeableConcept" and isinstance(value, dict):
                codings = [Coding.from_json(c, name) for c in value.get("coding") or []]
                return codings, value.get("text")
            raise FhirError.invalid(f"The parameter '{name}' must be a CodeableConcept", name)
        return None

    def raw(self, name: str) -> list[dict[str, Any]]:
        """Parameters as Parameters.parameter JSON again (used to echo inputs into expansions)."""
        out = []
        for n, kind, value in self.items:
            if n != name or kind in (None, "Resource", "part"):
                continue
            if kind == "query":
                kind, value = _typed_echo(name, value)
            out.append({"name": n, f"value{kind}": value})
        return out


_ECHO_TYPES = {
    "count": "Integer",
    "offset": "Integer",
    "includeDesignations": "Boolean",
    "activeOnly": "Boolean",
    "includeDefinition": "Boolean",
    "excludeNested": "Boolean",
    "excludeNotForUI": "Boolean",
    "excludePostCoordinated": "Boolean",
    "system-version": "Uri",
    "force-system-version": "Uri",
    "check-system-version": "Uri",
    "displayLanguage": "Code",
    "property": "String",
    "filter": "String",
    "limit": "Integer",
}


def _typed_echo(name: str, value: str) -> tuple[str, Any]:
    kind = _ECHO_TYPES.get(name, "String")
    if kind == "Integer":
        try:
            return kind, int(value)
        except ValueError:
            return "String", value
    if kind == "Boolean":
        return kind, value.strip().lower() == "true"
    return kind, value
