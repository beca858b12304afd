"""Writing whole guidelines: create, replace, patch, delete, and the editable source form."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from loaders.guidelines import GuidelineDocument, Recommendation, Reference, TagSpec
from terminology.authoring import GuidelineNotFoundError, StoredGuideline, check_exportable
from terminology.authoring.validation import baselines, check_guideline_tags

from ... import auth
from ...context import Answer, json_object, responds, schema_of
from ..schemas.authoring import DeletedOut, GuidelineIn, GuidelinePutIn, GuidelineSourceOut
from ._blueprint import actor, bp, found, need_if_match, repo, source_answer, terminology


def tag_spec(x: dict[str, Any]) -> TagSpec:
    """A loaded tag (TagIn) as the loader's dataclass."""
    return TagSpec(concept=x.get("concept"), ecl=x.get("ecl"), term=x.get("term"), exclude=list(x.get("exclude") or []))


def _document(data: dict[str, Any], gid: str) -> GuidelineDocument:
    """A loaded request body as the loader's dataclass (the store's and the file format's model)."""
    return GuidelineDocument(
        id=gid,
        title=data["title"],
        status=data["status"],
        tags=[tag_spec(x) for x in data["tags"]],
        recommendations=[Recommendation(r["id"], r["text"], r["strength"]) for r in data["recommendations"]],
        references=[Reference(**r) for r in data.get("references") or []],
        sections={s["heading"].strip(): _trim_blank_lines(s["markdown"]) for s in data.get("sections") or []},
        updated=data.get("updated"),
        extra=dict(data.get("extra") or {}),
    )


def _trim_blank_lines(text: str) -> str:
    """As the file loader does, so a section reads back the same after export (no spurious 400)."""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _as_input(stored: StoredGuideline) -> dict[str, Any]:
    """The stored guideline in GuidelineIn's loaded shape, for PATCH to merge into."""
    d = stored.doc
    return {
        "id": d.id,
        "title": d.title,
        "status": d.status,
        "updated": d.updated,
        "sections": [{"heading": h, "markdown": m} for h, m in d.sections.items()],
        "recommendations": [{"id": r.id, "text": r.text, "strength": r.strength} for r in d.recommendations],
        "references": [dict(vars(r)) for r in d.references],
        "tags": [{"concept": s.concept, "ecl": s.ecl, "term": s.term, "exclude": list(s.exclude)} for s in d.tags],
        "extra": dict(d.extra),
    }


def _dump_input(data: dict[str, Any]) -> dict[str, Any]:
    """Loaded GuidelineIn data back to JSON shape (SCTIDs as strings) so the merged result can be re-validated."""
    out = dict(data)
    out["tags"] = [
        {
            "concept": str(x["concept"]) if x.get("concept") is not None else None,
            "ecl": x.get("ecl"),
            "term": x.get("term"),
            "exclude": [str(e) for e in x.get("exclude") or []],
        }
        for x in data["tags"]
    ]
    return out


def _validate(doc: GuidelineDocument, current: StoredGuideline | None) -> None:
    """File-format check, then the terminology check of each tag that is new (unchanged tags are not re-judged,
    so a guideline whose old tag a new release inactivated can still get its title fixed)."""
    check_exportable(doc)  # the tag count first, then the file format
    check_guideline_tags(terminology(), doc.tags, current.doc.tags if current else ())


def _write_whole(gid: str, data: dict[str, Any], action: str, current: StoredGuideline | None = None) -> Answer:
    im = need_if_match(gid)
    current = current or found(gid)
    doc = _document(data, gid)
    _validate(doc, current)
    stored = repo().replace(gid, doc, if_match=im, actor=actor(), baseline=baselines(terminology()), action=action)
    return source_answer(stored)


@bp.post("/guidelines")
@auth.require(*auth.WRITE_ROLES)
@responds(GuidelineSourceOut)
def create_guideline() -> Answer:
    """Create a guideline (author or admin). Returns it with its ETag, tag sizes and warnings.
    ---
    post:
      tags: [authoring]
      security: [{bearer: []}]
      requestBody: {content: {application/json: {schema: GuidelineIn}}}
      responses:
        201: {content: {application/json: {schema: GuidelineSourceOut}}, description: "Created; ETag and Location headers"}
        400: {description: "Invalid body (problem+json with `errors` per field), or an ECL tag that does not parse"}
        401: {description: "No valid token"}
        403: {description: "The token's role cannot write"}
        409: {description: "The id is taken"}
        422: {description: "A tag concept is not in the release or inactive (with its replacements)"}
    """
    data = schema_of(GuidelineIn).load(json_object())
    doc = _document(data, data["id"])
    _validate(doc, None)
    stored = repo().create(doc, actor=actor(), baseline=baselines(terminology()))
    return source_answer(stored, 201, headers={"Location": f"/api/v1/guidelines/{stored.id}"})


@bp.put("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
@responds(GuidelineSourceOut)
def replace_guideline(gid: str) -> Answer:
    """Replace a guideline (If-Match required). Tags equal to existing ones keep their id and provenance.
    ---
    put:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}, description: "The guideline's current ETag"}
      requestBody: {content: {application/json: {schema: GuidelinePutIn}}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        400: {description: "Invalid body"}
        404: {description: "No such guideline"}
        412: {description: "The ETag is stale (someone else changed it)"}
        422: {description: "A new tag is refused"}
        428: {description: "If-Match missing"}
    """
    need_if_match(gid)  # a missing If-Match is reported before any problem with the body
    data = schema_of(GuidelinePutIn).load(json_object())
    if data.get("id") not in (None, gid):
        raise ValidationError({"id": [f"must match the guideline in the URL ({gid!r}) or be left out"]})
    return _write_whole(gid, data, "update")


@bp.patch("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
@responds(GuidelineSourceOut)
def patch_guideline(gid: str) -> Answer:
    """Change some fields of a guideline (JSON merge patch: given fields replace, lists whole; If-Match required).
    ---
    patch:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: GuidelinePutIn}}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        400: {description: "Invalid body"}
        404: {description: "No such guideline"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing"}
    """
    need_if_match(gid)
    raw = json_object()
    patch = schema_of(GuidelinePutIn).load(raw, partial=True)
    if raw.get("id") not in (None, gid):
        raise ValidationError({"id": ["the id cannot be changed (create a new guideline and delete this one)"]})
    current = found(gid)
    merged = _as_input(current)
    merged.update({k: v for k, v in patch.items() if k in raw and k != "id"})
    schema_of(GuidelineIn).load(_dump_input(merged))  # the merged whole must still be a valid guideline
    return _write_whole(gid, merged, "patch", current)


@bp.delete("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
@responds(DeletedOut)
def delete_guideline(gid: str) -> dict[str, Any]:
    """Delete a guideline (If-Match required). Its history stays; the returned revision can be restored.
    ---
    delete:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: DeletedOut}}}
        404: {description: "No such guideline"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing"}
    """
    rev = repo().delete(gid, if_match=need_if_match(gid), actor=actor())
    return {"deleted": gid, "revision": rev.n}


@bp.get("/guidelines/<gid>/source")
@responds(GuidelineSourceOut)
def guideline_source(gid: str) -> Answer:
    """The editable form of a guideline (Markdown, tag ids, provenance, sizes, warnings), with its ETag.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        304: {description: "Not modified (If-None-Match holds the current ETag)"}
        404: {description: "No such guideline (drafts and retired guidelines are only found with an author token)"}
    """
    stored = found(gid)
    if stored.doc.status != "published" and not auth.can_see_drafts():
        raise GuidelineNotFoundError(f"guideline {gid!r} does not exist", "gid")
    return source_answer(stored, conditional=True)
