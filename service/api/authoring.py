"""Guideline authoring: write endpoints, revisions, coverage, the new-release check and the audit log.

Reads of guidelines stay in `guidelines.py`; this blueprint adds the writes under the same
`/api/v1/guidelines` paths, plus app-wide hooks (registered with the blueprint, so wiring is one line):
the ETag header on `GET /api/v1/guidelines/{gid}`, the optional token requirement on reads, and the
audit row for every refused write (accepted writes are audited inside their own transaction).

Every change to an existing guideline needs `If-Match` with its current ETag (428 without, 412 when
stale): two authors editing the same guideline can never silently overwrite each other.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from loaders.guidelines import GuidelineDocument, Recommendation, Reference, TagSpec
from terminology import Terminology
from terminology.authoring import (
    Actor,
    AuthoringError,
    GuidelineNotFoundError,
    InvalidEclError,
    PreconditionRequiredError,
    SqlGuidelineRepository,
    StoredGuideline,
    check_exportable,
)
from terminology.authoring.codec import iso
from terminology.authoring.coverage import coverage
from terminology.authoring.release_check import check_release
from terminology.authoring.validation import DEFAULT_HIERARCHIES, TagAssessment, assess_tags, baselines, check_tag

from .. import auth
from ..authoring_schemas import (
    AuditPageOut,
    AuditQuery,
    CoverageOut,
    CoverageQuery,
    DeletedOut,
    GuidelineIn,
    GuidelinePutIn,
    GuidelineSourceOut,
    ReleaseCheckOut,
    ReleaseCheckQuery,
    RevisionListOut,
    RevisionOut,
    TagAddedOut,
    TagAddIn,
    TagListOut,
)
from ..context import query, schema_of, services
from ..problems import Problem, problem_response

bp = Blueprint("authoring", __name__, url_prefix="/api/v1")
auth.install(bp)

HIERARCHIES_ENV = "SNOMAP_TAG_HIERARCHIES"
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
_TITLES = {
    400: "Invalid request",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    422: "Tag refused",
    428: "Precondition required",
    500: "Store error",
}


# ----------------------------------------------------------------------------- plumbing


def _repo() -> SqlGuidelineRepository:
    repo = services().guidelines
    if not isinstance(repo, SqlGuidelineRepository):
        raise Problem(
            501,
            "Authoring unavailable",
            "guidelines are served from read-only files; authoring needs the database store (see docs/authoring.md)",
            kind="authoring-unavailable",
        )
    return repo


def _t() -> Terminology:
    return services().terminology


def hierarchies() -> tuple[int, ...]:
    """Concepts whose subtrees a diagnosis tag may sit in without a warning (config or env, comma-separated)."""
    value = current_app.config.get(HIERARCHIES_ENV) or os.environ.get(HIERARCHIES_ENV)
    if not value:
        return DEFAULT_HIERARCHIES
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    return tuple(int(v) for v in value)


def _actor() -> Actor:
    who = auth.principal(required=True)
    assert who is not None
    return Actor(who.name, who.role, request.method, request.path)


def _if_match() -> Any:
    """The If-Match header as the store takes it: None (absent), "*" or the list of ETags."""
    im = request.if_match
    if im.star_tag:
        return "*"
    tags = list(im.as_set())
    return tags or None


def _need_if_match(gid: str) -> Any:
    """If-Match for a change to an existing guideline: 404 when there is none, 428 when the header is missing."""
    im = _if_match()
    if im is None:
        _found(gid)
        raise PreconditionRequiredError(
            f"changing guideline {gid!r} needs If-Match with its current ETag (from GET /api/v1/guidelines/{gid})"
        )
    return im


def _body(schema: Schema, partial: bool = False) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Invalid request", "the request body must be a JSON object", kind="invalid-request")
    return schema.load(data, partial=partial)


@bp.errorhandler(AuthoringError)
def _authoring_problem(e: AuthoringError) -> Response:
    extra = dict(e.extra)
    if e.field:
        extra["errors"] = {e.field: [e.detail]}
    kind = {412: "precondition-failed", 428: "precondition-required", 422: "tag-refused", 409: "conflict", 404: "not-found"}.get(
        e.status, "invalid-ecl" if isinstance(e, InvalidEclError) else "invalid-request"
    )
    title = "Invalid ECL" if kind == "invalid-ecl" else _TITLES.get(e.status, "Invalid request")
    return problem_response(Problem(e.status, title, e.detail, e.field, kind, **extra))


@bp.after_request
def _audit_refused(response: Response) -> Response:
    """A refused write (401, 403, 412, 422 ...) leaves an audit row too: who tried what, and the status."""
    if request.method in _WRITES and response.status_code >= 400:
        repo = services().guidelines
        if isinstance(repo, SqlGuidelineRepository):
            who = g.get("snomap_principal")
            try:
                repo.record_audit(
                    Actor(who.name if who else "anonymous", who.role if who else None, request.method, request.path),
                    request.endpoint.split(".")[-1] if request.endpoint else "unknown",
                    "refused",
                    status=response.status_code,
                    guideline_id=(request.view_args or {}).get("gid"),
                )
            except Exception:  # noqa: BLE001 - the answer to the client matters more than this row
                current_app.logger.exception("could not write the audit row of a refused write")
    return response


@bp.after_app_request
def _etag_on_reads(response: Response) -> Response:
    """ETag (and 304 on If-None-Match) for the read endpoint of one guideline, which lives in another blueprint."""
    if request.endpoint == "guidelines.get_guideline" and response.status_code == 200:
        repo = services().guidelines
        if isinstance(repo, SqlGuidelineRepository):
            etag = repo.etag((request.view_args or {}).get("gid", ""))
            if etag:
                response.set_etag(etag)
                response.make_conditional(request)
    return response


@bp.record_once
def _baselines_on_start(state: Any) -> None:
    """Tags stored without a terminology (the first-run seed, a CLI import) get their baseline from the served release."""
    svc = state.app.extensions.get("snomap")
    repo = getattr(svc, "guidelines", None)
    if isinstance(repo, SqlGuidelineRepository):
        try:
            repo.fill_missing_baselines(baselines(svc.terminology))
        except Exception:  # noqa: BLE001 - a start-up nicety must not stop the service
            state.app.logger.exception("could not record tag baselines")


# ----------------------------------------------------------------------------- representations


def _ref(t: Terminology, c: int, lang: str | None = None) -> dict[str, Any]:
    return {"conceptId": str(c), "pt": t.preferred_term(c, lang) if t.has_concept(c) else None}


def _assess(stored: StoredGuideline | GuidelineDocument) -> list[TagAssessment]:
    doc = stored.doc if isinstance(stored, StoredGuideline) else stored
    return assess_tags(_t(), doc.tags, hierarchies())


def _warnings(assessments: list[TagAssessment]) -> list[dict[str, Any]]:
    return [
        {"code": w.code, "detail": w.detail, "tag": w.tag, "conceptId": str(w.concept) if w.concept is not None else None}
        for a in assessments
        for w in a.warnings
    ]


def _tags_body(stored: StoredGuideline, assessments: list[TagAssessment], lang: str | None = None) -> list[dict[str, Any]]:
    t = _t()
    out = []
    for r, a in zip(stored.tags, assessments, strict=True):
        c = r.spec.concept
        out.append(
            {
                "id": r.id,
                "conceptId": str(c) if c is not None else None,
                "pt": t.preferred_term(c, lang) if c is not None and t.has_concept(c) else None,
                "ecl": r.spec.ecl,
                "term": r.spec.term,
                "exclude": [_ref(t, x, lang) for x in r.spec.exclude],
                "addedBy": r.added_by,
                "addedAt": iso(r.added_at),
                "baselineCount": r.baseline_count,
                "baselineRelease": r.baseline_release,
                "size": a.size,
                "sizeNote": a.size_note,
            }
        )
    return out


def source_body(stored: StoredGuideline, lang: str | None = None) -> dict[str, Any]:
    """The editable representation: what PUT accepts, plus ETag, revision, provenance, sizes and warnings."""
    d = stored.doc
    assessments = _assess(stored)
    return {
        "id": d.id,
        "title": d.title,
        "status": d.status,
        "updated": d.updated,
        "sections": [{"heading": h, "markdown": m} for h, m in d.sections.items()],
        "recommendations": [{"id": r.id, "text": r.text, "strength": r.strength} for r in d.recommendations],
        "references": [dict(vars(r)) for r in d.references],
        "tags": _tags_body(stored, assessments, lang),
        "extra": dict(d.extra),
        "etag": stored.etag,
        "revision": stored.revision,
        "createdAt": iso(stored.created_at),
        "createdBy": stored.created_by,
        "modifiedAt": iso(stored.modified_at),
        "modifiedBy": stored.modified_by,
        "warnings": _warnings(assessments),
    }


def _respond(stored: StoredGuideline, status: int = 200, body: dict[str, Any] | None = None) -> Response:
    resp = jsonify(body if body is not None else schema_of(GuidelineSourceOut).dump(source_body(stored)))
    resp.status_code = status
    resp.set_etag(stored.etag)
    return resp


def _document(data: dict[str, Any], gid: str) -> GuidelineDocument:
    """A loaded request body as the loader's dataclass (the store's and the file format's model)."""
    return GuidelineDocument(
        id=gid,
        title=data["title"],
        status=data["status"],
        tags=[_tag(x) for x in data["tags"]],
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


def _tag(x: dict[str, Any]) -> TagSpec:
    return TagSpec(concept=x.get("concept"), ecl=x.get("ecl"), term=x.get("term"), exclude=list(x.get("exclude") or []))


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


def _validate(doc: GuidelineDocument, current: StoredGuideline | None) -> None:
    """File-format check, then the terminology check of each tag that is new (unchanged tags are not re-judged,
    so a guideline whose old tag a new release inactivated can still get its title fixed)."""
    check_exportable(doc)
    old = {(s.concept, s.ecl, tuple(s.exclude)) for s in (current.doc.tags if current else [])}
    for i, spec in enumerate(doc.tags):
        if (spec.concept, spec.ecl, tuple(spec.exclude)) not in old:
            check_tag(_t(), spec, f"tags[{i}].")


def _found(gid: str) -> StoredGuideline:
    stored = _repo().record(gid)
    if stored is None:
        raise GuidelineNotFoundError(f"guideline {gid!r} does not exist", "gid")
    return stored


# ----------------------------------------------------------------------------- guidelines


@bp.post("/guidelines")
@auth.require(*auth.WRITE_ROLES)
def create_guideline():  # type: ignore[no-untyped-def]
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
    data = _body(GuidelineIn())
    doc = _document(data, data["id"])
    _validate(doc, None)
    stored = _repo().create(doc, actor=_actor(), baseline=baselines(_t()))
    resp = _respond(stored, 201)
    resp.headers["Location"] = f"/api/v1/guidelines/{stored.id}"
    return resp


@bp.put("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
def replace_guideline(gid: str):  # type: ignore[no-untyped-def]
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
    _need_if_match(gid)  # a missing If-Match is reported before any problem with the body
    data = _body(GuidelinePutIn())
    if data.get("id") not in (None, gid):
        raise ValidationError({"id": [f"must match the guideline in the URL ({gid!r}) or be left out"]})
    return _write_whole(gid, data, "update")


@bp.patch("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
def patch_guideline(gid: str):  # type: ignore[no-untyped-def]
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
    _need_if_match(gid)
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise Problem(400, "Invalid request", "the request body must be a JSON object", kind="invalid-request")
    patch = GuidelinePutIn().load(raw, partial=True)
    if raw.get("id") not in (None, gid):
        raise ValidationError({"id": ["the id cannot be changed (create a new guideline and delete this one)"]})
    current = _found(gid)
    merged = _as_input(current)
    merged.update({k: v for k, v in patch.items() if k in raw and k != "id"})
    GuidelineIn().load(_dump_input(merged))  # the merged whole must still be a valid guideline
    return _write_whole(gid, merged, "patch", current)


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


def _write_whole(gid: str, data: dict[str, Any], action: str, current: StoredGuideline | None = None) -> Response:
    if_match = _need_if_match(gid)
    current = current or _found(gid)
    doc = _document(data, gid)
    _validate(doc, current)
    stored = _repo().replace(gid, doc, if_match=if_match, actor=_actor(), baseline=baselines(_t()), action=action)
    return _respond(stored)


@bp.delete("/guidelines/<gid>")
@auth.require(*auth.WRITE_ROLES)
def delete_guideline(gid: str):  # type: ignore[no-untyped-def]
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
    rev = _repo().delete(gid, if_match=_need_if_match(gid), actor=_actor())
    return jsonify(schema_of(DeletedOut).dump({"deleted": gid, "revision": rev.n}))


@bp.get("/guidelines/<gid>/source")
def guideline_source(gid: str):  # type: ignore[no-untyped-def]
    """The editable form of a guideline (Markdown, tag ids, provenance, sizes, warnings), with its ETag.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        404: {description: "No such guideline"}
    """
    resp = _respond(_found(gid))
    return resp.make_conditional(request)


# ----------------------------------------------------------------------------- tags


@bp.get("/guidelines/<gid>/tags")
def list_tags(gid: str):  # type: ignore[no-untyped-def]
    """A guideline's tags with ids (for DELETE), who added them, their size and warnings.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: query, name: lang, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: TagListOut}}}
        404: {description: "No such guideline"}
    """
    stored = _found(gid)
    assessments = _assess(stored)
    body = {
        "guidelineId": gid,
        "etag": stored.etag,
        "items": _tags_body(stored, assessments, request.args.get("lang")),
        "warnings": _warnings(assessments),
    }
    resp = jsonify(schema_of(TagListOut).dump(body))
    resp.set_etag(stored.etag)
    return resp


@bp.post("/guidelines/<gid>/tags")
@auth.require(*auth.WRITE_ROLES)
def add_tag(gid: str):  # type: ignore[no-untyped-def]
    """Tag a guideline on a concept (and its descendants) or an ECL expression (If-Match required).
    ---
    post:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: TagAddIn}}}
      responses:
        201: {content: {application/json: {schema: TagAddedOut}}, description: "The new tag (with its size) and the guideline; warnings flag redundant or out-of-hierarchy tags"}
        400: {description: "Invalid body, or ECL that does not parse (with position)"}
        409: {description: "The guideline already has this tag"}
        412: {description: "Stale ETag"}
        422: {description: "Concept not in the release, or inactive (the problem lists its replacements)"}
        428: {description: "If-Match missing"}
    """
    if_match = _need_if_match(gid)
    spec = _tag(_body(TagAddIn()))
    check_tag(_t(), spec)
    stored, record = _repo().add_tag(gid, spec, if_match=if_match, actor=_actor(), baseline=baselines(_t()))
    source = source_body(stored)
    tag = next(x for x in source["tags"] if x["id"] == record.id)
    return _respond(stored, 201, schema_of(TagAddedOut).dump({"tag": tag, "guideline": source}))


@bp.delete("/guidelines/<gid>/tags/<int:tag_id>")
@auth.require(*auth.WRITE_ROLES)
def remove_tag(gid: str, tag_id: int):  # type: ignore[no-untyped-def]
    """Remove one tag (If-Match required; the last tag cannot be removed).
    ---
    delete:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: tag_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        400: {description: "It is the guideline's only tag"}
        404: {description: "No such guideline or tag"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing"}
    """
    return _respond(_repo().remove_tag(gid, tag_id, if_match=_need_if_match(gid), actor=_actor()))


# ----------------------------------------------------------------------------- revisions


def _revision_body(r: Any, with_snapshot: bool = False) -> dict[str, Any]:
    body = {"n": r.n, "action": r.action, "author": r.author, "at": iso(r.at), "summary": r.summary, "etag": r.etag}
    if with_snapshot:
        body["snapshot"] = r.snapshot
    return body


@bp.get("/guidelines/<gid>/revisions")
def list_revisions(gid: str):  # type: ignore[no-untyped-def]
    """Every revision of a guideline, oldest first: who, when, what (also after it was deleted).
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: RevisionListOut}}}
        404: {description: "No guideline with this id ever existed"}
    """
    items = _repo().revisions(gid)
    if not items:
        raise GuidelineNotFoundError(f"guideline {gid!r} has no revisions (it never existed)", "gid")
    return jsonify(schema_of(RevisionListOut).dump({"guidelineId": gid, "total": len(items), "items": [_revision_body(r) for r in items]}))


@bp.get("/guidelines/<gid>/revisions/<int:n>")
def get_revision(gid: str, n: int):  # type: ignore[no-untyped-def]
    """One revision with the full document it produced.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: n, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: RevisionOut}}}
        404: {description: "No such revision"}
    """
    return jsonify(schema_of(RevisionOut).dump(_revision_body(_repo().revision(gid, n), with_snapshot=True)))


@bp.post("/guidelines/<gid>/revisions/<int:n>/restore")
@auth.require(*auth.WRITE_ROLES)
def restore_revision(gid: str, n: int):  # type: ignore[no-untyped-def]
    """Make revision n current again, as a new revision (If-Match required unless the guideline was deleted).
    ---
    post:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: path, name: n, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineSourceOut}}}
        404: {description: "No such revision"}
        412: {description: "Stale ETag"}
        428: {description: "If-Match missing (the guideline exists)"}
    """
    return _respond(_repo().restore(gid, n, if_match=_if_match(), actor=_actor()))


# ----------------------------------------------------------------------------- coverage, release check, audit


@bp.get("/guidelines/<gid>/coverage")
def guideline_coverage(gid: str):  # type: ignore[no-untyped-def]
    """How many active concepts the guideline applies to (union of its tags minus exclusions), with a sample.
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
        - {in: query, name: sample, schema: {type: integer, default: 20}}
        - {in: query, name: lang, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: CoverageOut}}}
        404: {description: "No such guideline"}
    """
    args = query(CoverageQuery)
    t = _t()
    c = coverage(t, _found(gid), args["sample"])
    body = {
        "guidelineId": gid,
        "total": c.total,
        "tags": c.by_tag,
        "sample": [_ref(t, x, args["lang"]) for x in c.sample],
        "eclEvaluation": c.ecl_evaluation,
    }
    return jsonify(schema_of(CoverageOut).dump(body))


@bp.get("/guidelines/check")
def release_check():  # type: ignore[no-untyped-def]
    """Tags the served release breaks (inactive or missing concepts, with replacements) or reshapes (coverage changed).
    ---
    get:
      tags: [authoring]
      parameters:
        - {in: query, name: ratio, schema: {type: number, default: 0.2}, description: "Relative change in coverage that counts as a lot"}
        - {in: query, name: minChange, schema: {type: integer, default: 5}, description: "...and at least this many concepts"}
      responses:
        200: {content: {application/json: {schema: ReleaseCheckOut}}}
    """
    args = query(ReleaseCheckQuery)
    check = check_release(_repo(), _t(), args["ratio"], args["minChange"])
    return jsonify(schema_of(ReleaseCheckOut).dump({"release": check.release, "summary": check.summary(), "findings": check.findings}))


@bp.get("/audit")
@auth.require(*auth.ADMIN_ROLES)
def audit_log():  # type: ignore[no-untyped-def]
    """The audit log of every write, accepted or refused, newest first (admin only).
    ---
    get:
      tags: [authoring]
      security: [{bearer: []}]
      parameters:
        - {in: query, name: limit, schema: {type: integer, default: 100}}
        - {in: query, name: offset, schema: {type: integer, default: 0}}
        - {in: query, name: guideline, schema: {type: string}}
        - {in: query, name: actor, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: AuditPageOut}}}
        401: {description: "No valid token"}
        403: {description: "Not an admin"}
    """
    args = query(AuditQuery)
    total, entries = _repo().audit(args["limit"], args["offset"], args["guideline"], args["actor"])
    items = [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "role": e.role,
            "action": e.action,
            "outcome": e.outcome,
            "status": e.status,
            "method": e.method,
            "path": e.path,
            "guidelineId": e.guideline_id,
            "revision": e.revision,
            "detail": e.detail,
        }
        for e in entries
    ]
    return jsonify(schema_of(AuditPageOut).dump({"total": total, "limit": args["limit"], "offset": args["offset"], "items": items}))

