"""The author workspace: sign in with a token, create and edit guidelines, tag them, see coverage and history.

The pages are server-side forms (they work without JavaScript) that post to routes here, each protected
by the session's CSRF token. Every change goes through the authoring API itself (`/api/v1/guidelines...`),
dispatched inside this process with the signed-in author's bearer token and the If-Match ETag the form
was rendered with: validation, access control, conflict detection (412 when someone else saved first)
and the audit log are the API's, not a second copy of them. Sign-in opens a server-side session (a
`web_sessions` row bound to the token's id); the HttpOnly cookie carries only its random id, never the
token. Each request re-checks the session and its token, so revoking the token or signing out ends it,
and a cookie captured before sign-out signs nobody in afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from loaders.guidelines import STATUSES, STRENGTHS
from terminology import Terminology
from terminology.authoring import Actor, SqlGuidelineRepository
from terminology.mapping import map_text
from terminology.text.search import search

from .. import auth
from ..config import setting
from ..context import services
from . import bp
from .common import current_lang, signed_in, url

WRITE_ROLES = ("author", "admin")
BLANK_RECOMMENDATIONS = 2
BLANK_REFERENCES = 1
MAX_SUGGESTIONS = 15


# ----------------------------------------------------------------------------- the API, in process


@dataclass
class ApiAnswer:
    status: int
    data: Any
    etag: str | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def messages(self) -> list[str]:
        """What went wrong, for people: each field error, else the problem's detail."""
        data = self.data if isinstance(self.data, dict) else {}
        errors = flatten_errors(data.get("errors"))
        return errors or [str(data.get("detail") or data.get("title") or f"the request failed ({self.status})")]

    def problem(self) -> str:
        return "; ".join(self.messages())


def flatten_errors(errors: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested {"recommendations": {"0": {"text": [...]}}} as 'recommendation 1, text: ...' lines."""
    out: list[str] = []
    if isinstance(errors, dict):
        for k, v in errors.items():
            key = str(k)
            label = f"{prefix} {int(key) + 1}" if key.isdigit() else (f"{prefix}, {key}" if prefix else key)
            out.extend(flatten_errors(v, label.strip()))
    elif isinstance(errors, list):
        for v in errors:
            out.extend(flatten_errors(v, prefix))
    elif errors is not None:
        out.append(f"{prefix}: {errors}" if prefix and prefix != "_schema" else str(errors))
    return out


def api(method: str, path: str, body: Any = None, etag: str | None = None) -> ApiAnswer:
    """Call the authoring API in this process as the signed-in author (fresh app and request contexts)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    who = signed_in()
    headers = {}
    if etag:
        headers["If-Match"] = f'"{etag}"'
    kwargs: dict[str, Any] = {"method": method, "headers": headers}
    if body is not None:
        kwargs["json"] = body
    with app.app_context(), app.test_request_context(path, **kwargs):
        if who is not None:
            g.snomap_principal = who  # the session's caller, as if its token had been sent (it is not kept)
        response = app.full_dispatch_request()
        data = response.get_json(silent=True)
        tag = response.headers.get("ETag")
    return ApiAnswer(response.status_code, data, tag.removeprefix("W/").strip('"') if tag else None)


def unavailable_reason() -> str | None:
    """Why this server cannot offer authoring, or None when it can."""
    if "authoring" not in current_app.blueprints:
        return "This server does not run the authoring API."
    if not isinstance(services().guidelines, SqlGuidelineRepository):
        return "Guidelines are served from read-only files here; authoring needs the database store (see docs/authoring.md)."
    return None


def needs_author(view: Callable[..., Any]) -> Callable[..., Any]:
    """Workspace pages: the authoring store must be there, and someone signed in (writes need author or admin)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        reason = unavailable_reason()
        if reason:
            return render_template("web/unavailable.html", reason=reason), 501
        if signed_in() is None:
            return redirect(url_for("web.sign_in", next=request.path))
        return view(*args, **kwargs)

    return wrapper


_CONTROL = {"Cc", "Cf", "Zl", "Zp"}


def _safe_next(target: str | None) -> str:
    """The page to return to after sign-in: a path on this site only, else the workspace.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so `/<TAB>/evil.example` and
    `/\\evil.example` are both `//evil.example`, another host. Control and format characters are
    therefore refused outright (not stripped, which would leave a different path), backslashes refused,
    and the rest must parse (urllib) as a path with no scheme or host that starts with exactly one "/".
    """
    fallback = url_for("web.workspace")
    if not target or len(target) > 2000:
        return fallback
    if any(unicodedata.category(ch) in _CONTROL for ch in target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _gid_path(gid: str, rest: str = "") -> str:
    return f"/api/v1/guidelines/{quote(gid, safe='')}{rest}"


# ----------------------------------------------------------------------------- sign in and out


def sign_in_form(next_page: str | None = None, status: int = 200, **ctx: Any) -> tuple[str, int]:
    """The sign-in page (also the answer to any page when reads need a session and there is none: 401)."""
    return render_template(
        "web/sign_in.html", next=_safe_next(next_page), reason=ctx.pop("reason", unavailable_reason()), **ctx
    ), status


def _audit_sign_in(
    store: Any,
    outcome: str,
    status: int | None,
    name: str | None,
    role: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Sign-ins and sign-outs in the audit log; refusals aggregated per client and minute (anyone can send them)."""
    if not isinstance(services().guidelines, SqlGuidelineRepository):
        return
    try:
        services().guidelines.record_audit(
            Actor(name or "anonymous", role, request.method, request.path, auth.client_address()),
            request.endpoint.split(".")[-1].replace("_", "-") if request.endpoint else "sign-in",
            outcome,
            status=status,
            detail=detail,
            aggregate=outcome == "refused",
        )
    except Exception:  # noqa: BLE001 - signing in matters more than this row
        current_app.logger.exception("could not write the audit row of a sign-in")


@bp.route("/author/sign-in", methods=["GET", "POST"])
def sign_in():  # type: ignore[no-untyped-def]
    """Sign in with an API token (made with `snomap tokens create --role author --name NAME`)."""
    next_page = request.values.get("next")
    reason = unavailable_reason()
    store = getattr(services().guidelines, "tokens", None)
    if request.method == "GET" or reason or store is None:
        status = 501 if reason and request.method == "POST" else 200
        return sign_in_form(next_page, status, reason=reason)
    wait = auth.too_many_failures()
    if wait is not None:
        _audit_sign_in(services().guidelines, "refused", 429, None, None, {"reason": "too many failures"})
        page, status = sign_in_form(
            next_page, 429, error=f"Too many failed sign-ins from your address. Try again in {wait} seconds."
        )
        return page, status, {"Retry-After": str(wait)}
    token = (request.form.get("token") or "").strip()
    verdict = store.check(token) if token else None
    if verdict is None or verdict.info is None:
        auth.record_failure()
        _audit_sign_in(
            store,
            "refused",
            401,
            verdict.name if verdict else None,
            verdict.role if verdict else None,
            {"token": verdict.reason if verdict else "missing"},
        )
        return sign_in_form(next_page, 401, error="That token was not accepted (unknown, revoked or mistyped).")
    who = verdict.info
    previous = session.get(auth.SESSION_KEY)
    if previous:  # signing in again (another token): the old server-side session ends
        store.end_session(str(previous))
    session.clear()  # a new session (and CSRF token) for the signed-in user
    session[auth.SESSION_KEY] = store.open_session(who, auth.client_address())
    g.web_principal = who
    _audit_sign_in(store, "ok", None, who.name, who.role)
    flash(f"Signed in as {who.name} ({who.role}).", "success")
    return redirect(_safe_next(next_page))


@bp.post("/author/sign-out")
def sign_out():  # type: ignore[no-untyped-def]
    """Sign out: the server-side session is revoked, so this browser's cookie (or a copy of it) signs nobody in."""
    who = signed_in()
    sid = session.get(auth.SESSION_KEY)
    store = getattr(services().guidelines, "tokens", None)
    if sid and store is not None:
        store.end_session(str(sid))
        if who is not None:
            _audit_sign_in(store, "ok", None, who.name, who.role)
    session.clear()
    g.web_principal = None
    flash("Signed out.", "success")
    return redirect(url_for("web.find"))


# ----------------------------------------------------------------------------- forms <-> API bodies


def sections_to_markdown(sections: list[dict[str, Any]]) -> str:
    parts = []
    for s in sections:
        heading = (s.get("heading") or "").strip()
        text = (s.get("markdown") or "").strip("\n")
        parts.append(f"## {heading}\n\n{text}" if heading else text)
    return "\n\n".join(parts)


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def markdown_to_sections(text: str) -> list[dict[str, str]]:
    """Split Markdown at `## ` headings (not inside fenced code) into the API's sections."""
    sections: list[dict[str, Any]] = [{"heading": "", "lines": []}]
    fenced = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m:
            sections.append({"heading": m.group(1), "lines": []})
        else:
            sections[-1]["lines"].append(line)
    out = [{"heading": s["heading"], "markdown": "\n".join(s["lines"]).strip("\n")} for s in sections]
    if not out[0]["markdown"].strip():
        out = out[1:]
    return out


REF_FIELDS = ("id", "authors", "title", "journal", "year", "volume", "pmid", "doi", "url")


def form_from_source(src: dict[str, Any]) -> dict[str, Any]:
    refs = [
        {**{k: r.get(k) or "" for k in REF_FIELDS}, "authors": "; ".join(r.get("authors") or [])}
        for r in src["references"]
    ]
    return {
        "id": src["id"],
        "title": src["title"],
        "status": src["status"],
        "updated": src.get("updated") or "",
        "body": sections_to_markdown(src["sections"]),
        "recs": [{"id": r["id"], "text": r["text"], "strength": r["strength"]} for r in src["recommendations"]],
        "refs": [{k: str(v) for k, v in r.items()} for r in refs],
    }


def form_from_request() -> dict[str, Any]:
    f = request.form
    recs = [
        {"id": i.strip(), "text": x.strip(), "strength": s}
        for i, x, s in zip(f.getlist("rec_id"), f.getlist("rec_text"), f.getlist("rec_strength"), strict=False)
    ]
    columns = [f.getlist(f"ref_{k}") for k in REF_FIELDS]
    refs = [dict(zip(REF_FIELDS, (v.strip() for v in row), strict=True)) for row in zip(*columns, strict=False)]
    return {
        "id": (f.get("id") or "").strip(),
        "title": (f.get("title") or "").strip(),
        "status": f.get("status") or "draft",
        "updated": (f.get("updated") or "").strip(),
        "body": f.get("body") or "",
        "recs": [r for r in recs if r["text"] or r["id"]],
        "refs": [r for r in refs if any(r.values())],
    }


def body_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The API body (without tags and id) of a filled-in form; blank recommendation ids are numbered."""
    recs = []
    used = {r["id"] for r in form["recs"] if r["id"]}
    n = 0
    for r in form["recs"]:
        rid = r["id"]
        while not rid:
            n += 1
            rid = f"r{n}" if f"r{n}" not in used else ""
        used.add(rid)
        recs.append({"id": rid, "text": r["text"], "strength": r["strength"]})
    refs = []
    for r in form["refs"]:
        year = r.get("year") or ""
        ref: dict[str, Any] = {
            "id": r["id"],
            "authors": [a.strip() for a in re.split(r"[;\n]", r.get("authors") or "") if a.strip()],
            "title": r.get("title") or "",
            "journal": r.get("journal") or "",
            "year": int(year) if year.isdigit() else year,
        }
        for k in ("volume", "pmid", "doi", "url"):
            ref[k] = r.get(k) or None
        refs.append(ref)
    return {
        "title": form["title"],
        "status": form["status"],
        "updated": form["updated"] or None,
        "sections": markdown_to_sections(form["body"]),
        "recommendations": recs,
        "references": refs,
    }


def _blank_rows(form: dict[str, Any]) -> dict[str, Any]:
    out = dict(form)
    out["recs"] = [
        *form["recs"],
        *({"id": "", "text": "", "strength": "moderate"} for _ in range(BLANK_RECOMMENDATIONS)),
    ]
    out["refs"] = [*form["refs"], *(dict.fromkeys(REF_FIELDS, "") for _ in range(BLANK_REFERENCES))]
    return out


def _render_form(template: str, form: dict[str, Any], status: int = 200, **ctx: Any) -> tuple[str, int]:
    return render_template(template, form=_blank_rows(form), statuses=STATUSES, strengths=STRENGTHS, **ctx), status


# ----------------------------------------------------------------------------- the workspace


@bp.get("/author")
@needs_author
def workspace():  # type: ignore[no-untyped-def]
    """The author's start page: every guideline, with links to edit it and its history."""
    answer = api("GET", "/api/v1/guidelines")
    items = answer.data.get("items", []) if answer.ok else []
    return render_template("web/workspace.html", items=items, can_write=signed_in().role in WRITE_ROLES)


def _concept_choice(t: Terminology, concept: str, query: str) -> tuple[int | None, list[Any]]:
    """The concept an add-tag form names: its hidden id, else a typed SCTID, else search hits to choose from."""
    for value in (concept.strip(), query.strip()):
        if value.isascii() and value.isdigit():
            return int(value), []
    if not query.strip():
        return None, []
    return None, search(t, query, 8, current_lang())


@bp.route("/author/guidelines/new", methods=["GET", "POST"])
@needs_author
def new_guideline():  # type: ignore[no-untyped-def]
    """Create a guideline: its text, recommendations, references and the first condition it applies to."""
    if request.method == "GET":
        form = {
            "id": "",
            "title": "",
            "status": "draft",
            "updated": "",
            "body": "## Overview\n\n",
            "recs": [],
            "refs": [],
        }
        return _render_form("web/edit.html", form, new=True, tag={})
    form = form_from_request()
    tag = {"concept": request.form.get("tag_concept", ""), "query": request.form.get("tag_query", ""), "term": ""}
    t = services().terminology
    concept, hits = _concept_choice(t, tag["concept"], tag["query"])
    if concept is None:
        message = "Choose the condition this guideline applies to: pick one of the suggestions, or type its SCTID."
        if hits:
            message += " Matches for your words: " + "; ".join(f"{h.pt} ({h.concept_id})" for h in hits[:5]) + "."
        return _render_form("web/edit.html", form, 400, new=True, tag=tag, errors=[message])
    body = {
        "id": form["id"],
        **body_from_form(form),
        "tags": [{"concept": str(concept), "term": t.preferred_term(concept) if t.has_concept(concept) else None}],
    }
    answer = api("POST", "/api/v1/guidelines", body)
    if not answer.ok:
        return _render_form("web/edit.html", form, answer.status, new=True, tag=tag, errors=answer.messages())
    flash(f"Created “{form['title']}”.", "success")
    return redirect(url("web.edit_guideline", gid=form["id"]))


def _editor_context(gid: str) -> dict[str, Any] | None:
    """The stored guideline with its tags (sizes, warnings) and coverage, for the edit page."""
    src = api("GET", _gid_path(gid, "/source"))
    if src.status == 404:
        return None
    coverage = api("GET", _gid_path(gid, "/coverage") + "?sample=12")
    warnings_by_tag: dict[int, list[dict[str, Any]]] = {}
    for w in src.data.get("warnings", []):
        warnings_by_tag.setdefault(int(w.get("tag") or 0), []).append(w)
    counts = {c.get("tagId"): c for c in (coverage.data.get("tags", []) if coverage.ok else [])}
    return {
        "src": src.data,
        "etag": src.etag or src.data.get("etag"),
        "warnings_by_tag": warnings_by_tag,
        "coverage": coverage.data if coverage.ok else None,
        "tag_counts": counts,
    }


@bp.route("/author/guidelines/<gid>", methods=["GET", "POST"])
@needs_author
def edit_guideline(gid: str):  # type: ignore[no-untyped-def]
    """Edit a guideline's text; below, its tags (add, remove, warnings, coverage) and a link to its history."""
    ctx = _editor_context(gid)
    if ctx is None:
        return render_template(
            "web/error.html", status=404, title="Not found", detail=f"There is no guideline {gid!r}."
        ), 404
    if request.method == "GET":
        return _render_form("web/edit.html", form_from_source(ctx["src"]), new=False, gid=gid, **ctx)
    form = form_from_request()
    form["id"] = gid
    answer = api("PATCH", _gid_path(gid), body_from_form(form), etag=request.form.get("etag"))
    if answer.status == 412:
        errors = [
            "Someone else saved this guideline after you opened it. Your text is kept below; the tags, warnings "
            "and history show their version. Compare, then save again to keep yours."
        ]
        return _render_form("web/edit.html", form, 409, new=False, gid=gid, errors=errors, **ctx)
    if not answer.ok:
        return _render_form("web/edit.html", form, answer.status, new=False, gid=gid, errors=answer.messages(), **ctx)
    flash("Saved.", "success")
    return redirect(url("web.edit_guideline", gid=gid))


def _flash_problem(answer: ApiAnswer, what: str) -> None:
    if answer.status == 412:
        flash(
            f"{what}: someone else changed this guideline in the meantime; the page now shows their version. Try again.",
            "error",
        )
    else:
        flash(f"{what}: {answer.problem()}", "error")


@bp.post("/author/guidelines/<gid>/tags")
@needs_author
def add_tag(gid: str):  # type: ignore[no-untyped-def]
    """Tag the guideline on a concept (chosen from suggestions, typed as an SCTID, or searched) or an ECL expression."""
    t = services().terminology
    f = request.form
    etag = f.get("etag")
    ecl = (f.get("ecl") or "").strip()
    term = (f.get("term") or "").strip() or None
    if ecl:
        body: dict[str, Any] = {"ecl": ecl, "term": term}
    else:
        concept, hits = _concept_choice(t, f.get("concept", ""), f.get("query", ""))
        if concept is None:
            if not hits:
                flash(
                    "Add a tag: type a concept's name or SCTID, or an ECL expression."
                    if not f.get("query")
                    else f"No concept matches “{f.get('query')}”.",
                    "error",
                )
                return redirect(url("web.edit_guideline", gid=gid) + "#tags")
            return render_template("web/choose_tag.html", gid=gid, etag=etag, hits=hits, query=f.get("query"))
        body = {
            "concept": str(concept),
            "term": term or (t.preferred_term(concept) if t.has_concept(concept) else None),
        }
    answer = api("POST", _gid_path(gid, "/tags"), body, etag=etag)
    if not answer.ok:
        _flash_problem(answer, "The tag was not added")
        return redirect(url("web.edit_guideline", gid=gid) + "#tags")
    tag = answer.data["tag"]
    label = tag.get("pt") or tag.get("ecl") or tag.get("conceptId")
    size = tag.get("size")
    covers = (
        f": the tag covers {size:,} active concept{'s' if size != 1 else ''} (it and its descendants)."
        if size is not None
        else "."
    )
    flash(f"Tagged on {label}{covers}", "success")
    ids = [x["id"] for x in answer.data["guideline"]["tags"]]
    position = ids.index(tag["id"]) if tag["id"] in ids else -1
    for w in answer.data["guideline"].get("warnings", []):
        if w.get("tag") == position:
            flash(f"Check this tag: {w['detail']}", "warning")
    return redirect(url("web.edit_guideline", gid=gid) + "#tags")


@bp.post("/author/guidelines/<gid>/tags/<int:tag_id>/remove")
@needs_author
def remove_tag(gid: str, tag_id: int):  # type: ignore[no-untyped-def]
    answer = api("DELETE", _gid_path(gid, f"/tags/{tag_id}"), etag=request.form.get("etag"))
    if answer.ok:
        flash("Tag removed.", "success")
    else:
        _flash_problem(answer, "The tag was not removed")
    return redirect(url("web.edit_guideline", gid=gid) + "#tags")


@bp.get("/author/guidelines/<gid>/history")
@needs_author
def history(gid: str):  # type: ignore[no-untyped-def]
    """Every revision, newest first, each restorable."""
    answer = api("GET", _gid_path(gid, "/revisions"))
    if not answer.ok:
        return render_template(
            "web/error.html", status=answer.status, title="Not found", detail=answer.problem()
        ), answer.status
    current = api("GET", _gid_path(gid, "/source"))
    items = list(reversed(answer.data["items"]))
    return render_template(
        "web/history.html",
        gid=gid,
        items=items,
        etag=current.etag if current.ok else None,
        current=current.data.get("revision") if current.ok else None,
        title=current.data.get("title") if current.ok else gid,
    )


@bp.post("/author/guidelines/<gid>/revisions/<int:n>/restore")
@needs_author
def restore(gid: str, n: int):  # type: ignore[no-untyped-def]
    answer = api("POST", _gid_path(gid, f"/revisions/{n}/restore"), etag=request.form.get("etag") or None)
    if answer.ok:
        flash(f"Revision {n} restored (as revision {answer.data.get('revision')}).", "success")
        return redirect(url("web.edit_guideline", gid=gid))
    _flash_problem(answer, f"Revision {n} was not restored")
    return redirect(url("web.history", gid=gid))


# ----------------------------------------------------------------------------- tag suggestions from the text

# Phrases are cut at punctuation and at words that never sit inside a condition's name.
_BREAK = re.compile(
    r"[.,;:!?()\[\]*_`#>\n\"“”]|\s[-–—]\s|\s(?:and|or|with|for|the|a|an|is|are|was|were|be|been|in|on|at|by|as|that|which|"
    r"when|where|than|then|but|not|no|may|can|could|should|must|will|after|before|while|from|into|using|use|see|also|this|"
    r"these|those|it|its|their|there|very|most|more|less|often|usually|such|including|especially|particularly|every|all|"
    r"any|each|other|if|so|because|about|under|over|between|per|who|whom|whose|has|have|had|do|does|give|offer|consider)(?=\s)",
    re.IGNORECASE,
)
MIN_SCORE = 0.7
MIN_COVERAGE = 0.6


def text_phrases(text: str, limit: int = 400) -> list[str]:
    """Short candidate phrases of a guideline's text (what a clinician would code), first occurrence order."""
    text = re.sub(r"\[[A-Za-z0-9_.-]+\]", " ", text)  # citations
    out: dict[str, None] = {}
    for p in _BREAK.split(" " + text + " "):
        p = p.strip(" -–—'")
        if len(p) >= 4 and len(p.split()) <= 6 and not p.replace(" ", "").isdigit():
            out.setdefault(p)
            if len(out) >= limit:
                break
    return list(out)


def _annotate_rule() -> bool:
    return any(r.rule == "/api/v1/annotate" and "POST" in (r.methods or ()) for r in current_app.url_map.iter_rules())


def _from_annotate(text: str) -> dict[int, list[str]] | None:
    """Concepts the annotate endpoint finds in the text, negated mentions left out (None when it is absent)."""
    if not _annotate_rule():
        return None
    answer = api("POST", "/api/v1/annotate", {"text": text[:100_000], "lang": current_lang()})
    items = answer.data.get("mentions") if answer.ok and isinstance(answer.data, dict) else None
    if not isinstance(items, list):
        return None
    found: dict[int, list[str]] = {}
    for a in items:
        cid = a.get("conceptId") if isinstance(a, dict) else None
        if cid is None or not str(cid).isdigit() or a.get("negated"):
            continue
        found.setdefault(int(cid), []).append(str(a.get("text") or ""))
    return found


def _from_map(t: Terminology, text: str, lang: str | None) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for phrase in text_phrases(text):
        result = map_text(t, phrase, 3, lang)
        for c in result.candidates:
            e = c.explanation or {}
            if (
                c.score >= max(MIN_SCORE, result.threshold)
                and e.get("term_coverage", 1) >= MIN_COVERAGE
                and e.get("text_coverage", 1) >= MIN_COVERAGE
            ):
                found.setdefault(c.concept_id, []).append(phrase)
    return found


def suggest_tags(t: Terminology, src: dict[str, Any], lang: str | None) -> tuple[list[dict[str, Any]], str]:
    """Concepts named in the guideline's text that its tags do not already cover, most mentioned first."""
    text = "\n".join(
        [src["title"], *(s["markdown"] for s in src["sections"]), *(r["text"] for r in src["recommendations"])]
    )
    # The annotator finds mentions in running text; mapping each short phrase adds multi-word conditions.
    found = _from_map(t, text, lang)
    source = "map"
    annotated = _from_annotate(text)
    if annotated is not None:
        source = "annotate+map"
        for cid, spans in annotated.items():
            found.setdefault(cid, []).extend(spans)
    roots = [h for h in setting("SNOMAP_TAG_HIERARCHIES") if t.has_concept(h)]
    tagged = [int(x["conceptId"]) for x in src["tags"] if x.get("conceptId")]
    out = []
    for cid, phrases in found.items():
        if not t.has_concept(cid) or not t.is_active(cid):
            continue
        if roots and not any(t.subsumes(h, cid) for h in roots):
            continue
        if any(t.has_concept(tag) and (t.subsumes(tag, cid) or t.subsumes(cid, tag)) for tag in tagged):
            continue  # already covered by a tag, or broader than one (it would widen the guideline's reach)
        out.append(
            {
                "conceptId": str(cid),
                "pt": t.preferred_term(cid, lang),
                "phrases": list({p.casefold(): p for p in reversed(phrases) if p}.values())[::-1][:3],
                "mentions": len(phrases),
            }
        )
    out.sort(key=lambda s: (-s["mentions"], s["pt"] or ""))
    return out[:MAX_SUGGESTIONS], source


@bp.get("/author/guidelines/<gid>/suggestions")
@needs_author
def suggestions(gid: str):  # type: ignore[no-untyped-def]
    """Tags suggested by the conditions the guideline's own text mentions."""
    src = api("GET", _gid_path(gid, "/source"))
    if not src.ok:
        return render_template("web/error.html", status=src.status, title="Not found", detail=src.problem()), src.status
    items, source = suggest_tags(services().terminology, src.data, current_lang())
    return render_template("web/suggestions.html", gid=gid, src=src.data, etag=src.etag, items=items, source=source)
