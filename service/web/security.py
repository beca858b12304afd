"""Security of the pages: headers (CSP and friends), CSRF tokens on every form, the session key, error pages.

* Content-Security-Policy: only this origin's scripts, styles, images, fetches and form targets;
  no inline script or style (so an injected `<script>` or `style=` attribute does nothing).
* CSRF: a random token per browser session (kept in the signed session cookie); every POST to this
  blueprint must echo it in the `csrf_token` field, else 400. The session cookie is HttpOnly and
  SameSite=Lax, so another site can neither read it nor send it with a cross-site POST.
* The session is signed with the app's SECRET_KEY; when none is configured, the `SNOMAP_SECRET_KEY`
  setting, else a random key kept in `$SNOMAP_DATA_DIR/web-secret-key` (default
  ~/.local/share/snomap), made on first start with mode 0600, so every worker process and restart
  signs alike. Tests (TESTING) get a random key per app.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template, request, session

from ..config import data_dir
from ..problems import from_exception
from . import bp

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSRF_FIELD = "csrf_token"
_CSRF_KEY = "snomap_csrf"
SECRET_ENV = "SNOMAP_SECRET_KEY"


class CsrfError(Exception):
    """A POST without the session's CSRF token (a forged request, or a form older than the session)."""


def stored_secret_key(path: Path) -> str:
    """The key in `path`, made (random, owner-only) when the file does not exist yet."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@bp.record_once
def _configure(state: Any) -> None:
    app = state.app
    if not app.secret_key:
        key = app.config.get(SECRET_ENV)
        if not key and not app.testing:
            try:
                key = stored_secret_key(data_dir(app.config) / "web-secret-key")
            except OSError as e:
                app.logger.warning("no stable session key (%s): set %s; using a random one", e, SECRET_ENV)
        app.secret_key = key or secrets.token_hex(32)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use)."""
    token = session.get(_CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return str(token)


@bp.before_request
def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get(_CSRF_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise CsrfError()


@bp.context_processor
def _csrf_in_templates() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "csrf_field": CSRF_FIELD}


@bp.after_request
def _security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "web.static":
        # Pages depend on the session (sign-in, CSRF token): never cache them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
    return response


@bp.errorhandler(CsrfError)
def _csrf_refused(_: CsrfError) -> tuple[str, int]:
    return (
        render_template(
            "web/error.html",
            status=400,
            title="Form refused",
            detail="This form was not sent from a page of this site in your current session (its security token "
            "is missing or out of date). Go back, reload the page and send it again.",
        ),
        400,
    )


@bp.errorhandler(Exception)
def _error_page(exc: BaseException) -> tuple[str, int]:
    """Errors on a page are pages too (the API's problem+json is for programs)."""
    p = from_exception(exc)
    if p.status >= 500:
        current_app.logger.exception("error on page %s", request.path, exc_info=exc)
    detail = p.detail if p.status < 500 else "Something went wrong on the server. Please try again."
    return render_template("web/error.html", status=p.status, title=p.title, detail=detail), p.status
