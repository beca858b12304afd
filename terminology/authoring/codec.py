"""Converting guidelines between the loader's dataclasses, table rows and JSON revision snapshots.

Kept in one place so that what the store writes and what it reads back are inverses by construction:
the import/export round trip and revision restores both depend on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from loaders.guidelines import GuidelineDocument, Recommendation, Reference, TagSpec

from .model import TagRecord

UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); make every timestamp timezone-aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: dt.datetime | None) -> str | None:
    v = aware(value)
    return v.isoformat().replace("+00:00", "Z") if v else None


def extra_text(extra: dict[str, Any]) -> str | None:
    """Unknown front-matter keys as YAML: their values may be dates or other YAML types JSON cannot hold."""
    return yaml.safe_dump(extra, sort_keys=False, allow_unicode=True) if extra else None


def extra_value(text: str | None) -> dict[str, Any]:
    return dict(yaml.safe_load(text) or {}) if text else {}


def tag_to_json(t: TagSpec) -> dict[str, Any]:
    return {
        "concept": str(t.concept) if t.concept is not None else None,
        "ecl": t.ecl,
        "term": t.term,
        "exclude": [str(x) for x in t.exclude],
    }


def tag_from_json(d: dict[str, Any]) -> TagSpec:
    c = d.get("concept")
    return TagSpec(
        concept=int(c) if c is not None else None,
        ecl=d.get("ecl"),
        term=d.get("term"),
        exclude=[int(x) for x in d.get("exclude") or []],
    )


def reference_to_json(r: Reference) -> dict[str, Any]:
    return {
        "id": r.id,
        "authors": list(r.authors),
        "title": r.title,
        "journal": r.journal,
        "year": r.year,
        "volume": r.volume,
        "pmid": r.pmid,
        "doi": r.doi,
        "url": r.url,
    }


def reference_from_json(d: dict[str, Any]) -> Reference:
    return Reference(
        id=d["id"],
        authors=list(d["authors"]),
        title=d["title"],
        journal=d["journal"],
        year=int(d["year"]),
        volume=d.get("volume"),
        pmid=d.get("pmid"),
        doi=d.get("doi"),
        url=d.get("url"),
    )


def doc_to_json(doc: GuidelineDocument) -> dict[str, Any]:
    """A JSON-safe dict of the whole document; sections as [heading, markdown] pairs to keep their order."""
    return {
        "id": doc.id,
        "title": doc.title,
        "status": doc.status,
        "updated": doc.updated,
        "tags": [tag_to_json(t) for t in doc.tags],
        "recommendations": [{"id": r.id, "text": r.text, "strength": r.strength} for r in doc.recommendations],
        "references": [reference_to_json(r) for r in doc.references],
        "sections": [[h, body] for h, body in doc.sections.items()],
        "extra": extra_text(doc.extra),
    }


def doc_from_json(d: dict[str, Any]) -> GuidelineDocument:
    return GuidelineDocument(
        id=d["id"],
        title=d["title"],
        status=d["status"],
        tags=[tag_from_json(t) for t in d["tags"]],
        recommendations=[Recommendation(r["id"], r["text"], r["strength"]) for r in d["recommendations"]],
        references=[reference_from_json(r) for r in d["references"]],
        sections=dict(d["sections"]),
        updated=d.get("updated"),
        extra=extra_value(d.get("extra")),
    )


def tag_meta_to_json(r: TagRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "addedBy": r.added_by,
        "addedAt": iso(r.added_at),
        "baselineCount": r.baseline_count,
        "baselineRelease": r.baseline_release,
    }


def snapshot(doc: GuidelineDocument, records: list[TagRecord] | tuple[TagRecord, ...]) -> dict[str, Any]:
    """What a revision stores: the document and, per tag, who added it and its baseline (so restores keep them)."""
    return {"doc": doc_to_json(doc), "tags": [tag_meta_to_json(r) for r in records]}


def summarise(old: GuidelineDocument | None, new: GuidelineDocument | None) -> str:
    """A one-line "what changed" for a revision, naming fields rather than diffing text."""
    if old is None and new is not None:
        return f"created with {len(new.tags)} tag(s), {len(new.recommendations)} recommendation(s)"
    if new is None:
        return "deleted"
    assert old is not None
    parts = []
    for name in ("title", "status", "updated"):
        if getattr(old, name) != getattr(new, name):
            parts.append(f"{name}: {getattr(old, name)!r} -> {getattr(new, name)!r}")
    before, after = [tag_to_json(t) for t in old.tags], [tag_to_json(t) for t in new.tags]
    added = [t for t in after if t not in before]
    removed = [t for t in before if t not in after]
    for t in added:
        parts.append(f"tag added: {t['concept'] or t['ecl']}")
    for t in removed:
        parts.append(f"tag removed: {t['concept'] or t['ecl']}")
    if not added and not removed and before != after:
        parts.append("tags reordered")
    for name in ("recommendations", "references", "sections", "extra"):
        if getattr(old, name) != getattr(new, name):
            parts.append(f"{name} changed")
    return "; ".join(parts) or "no content change"
