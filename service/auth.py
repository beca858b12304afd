"""Access control, in one place: the app-wide read guard, bearer tokens, page sessions, and failed-login limits.

Roles: reader (reads, when reads need a token), author (reads, drafts and guideline writes), admin (all
that, plus the audit log). Tokens are made with `snomap tokens create` and verified against the store's
salted hashes (`terminology.authoring.tokens`). Failures are problem+json (an OperationOutcome under
`/fhir`): 401 with `WWW-Authenticate: Bearer` when there is no usable token, 403 when the token's role is
not enough, 429 with `Retry-After` when a client has failed too often; the message never says whether a
token exists, only that it was not accepted.

`init_app` installs the guard: with SNOMAP_READS_REQUIRE_TOKEN every route of every blueprint and method
needs a caller, except the probes (/healthz, /readyz), the API description, the page assets and the
sign-in page. API and FHIR routes need a bearer token; pages need a signed-in session (else the sign-in
form, 401); CDS Hooks services authenticate their callers' JWTs themselves (`service.cds`).

Failed authentication is limited per client address (API and page sign-in alike): more than
SNOMAP_AUTH_FAILURES_PER_MINUTE failures within a minute and the client gets 429 until the oldest
falls out of the window. The count is kept in process, per worker: with N workers a client may fail up to
N times the limit before every worker refuses it (the store is not consulted, so a flood costs no writes).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request, session

from terminology.authoring.model import TokenInfo

from .config import setting
from .context import services
from .problems import Problem

READ_ROLES = ("reader", "author", "admin")
WRITE_ROLES = ("author", "admin")
ADMIN_ROLES = ("admin",)
DRAFT_ROLES = WRITE_ROLES  # who may see draft and retired guidelines
# Routes a client needs before it has a token: the probes, the API description, page assets, the sign-in page.
OPEN_ENDPOINTS = frozenset(
    {"health.healthz", "health.readyz", "docs.openapi_json", "docs.api_docs", "web.static", "web.sign_in", "static"}
)
SESSION_KEY = "snomap_sid"  # the page session's random id in the (signed) cookie; the token never is
WINDOW_S = 60.0


def reads_require_token() -> bool:
    """Whether reads need a token too (SNOMAP_READS_REQUIRE_TOKEN; default: open)."""
    return bool(setting("SNOMAP_READS_REQUIRE_TOKEN"))


def client_address() -> str:
    """The caller's address (the proxy's X-Forwarded-For when SNOMAP_PROXY_FIX says how many proxies to trust)."""
    return (request.remote_addr or "unknown")[:100]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, kind="unauthorized")


# ----------------------------------------------------------------------------- failed-authentication limit


class FailureLimiter:
    """Failed authentications per client in the last minute, in process (see the module docstring)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, at: float) -> deque[float] | None:
        q = self._failures.get(client)
        while q and q[0] <= at - WINDOW_S:
            q.popleft()
        return q

    def retry_after(self, client: str, limit: int) -> int | None:
        """Seconds until `client` may try again, or None when it is under the limit."""
        at = time.monotonic()
        with self._lock:
            q = self._recent(client, at)
            if limit <= 0 or not q or len(q) < limit:
                return None
            return max(1, math.ceil(q[0] + WINDOW_S - at))

    def fail(self, client: str) -> None:
        at = time.monotonic()
        with self._lock:
            if len(self._failures) > 100_000:  # a spray of addresses must not grow this without bound
                self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > at - WINDOW_S}
            q = self._recent(client, at)
            if q is None:
                q = self._failures[client] = deque()
            q.append(at)


def limiter() -> FailureLimiter:
    return current_app.extensions["snomap_auth_failures"]  # type: ignore[no-any-return]


def too_many_failures() -> int | None:
    """Seconds this client must wait before authenticating again (None: it may try now)."""
    return limiter().retry_after(client_address(), int(setting("SNOMAP_AUTH_FAILURES_PER_MINUTE")))


def throttled(retry_after: int) -> Problem:
    p = Problem(
        429,
        "Too many failed attempts",
        f"too many failed authentications from this address; try again in {retry_after} s",
        kind="too-many-failures",
        retryAfter=retry_after,
    )
    p.headers["Retry-After"] = str(retry_after)
    return p


def record_failure() -> None:
    limiter().fail(client_address())


# ----------------------------------------------------------------------------- bearer tokens


def principal(required: bool = True) -> TokenInfo | None:
    """The caller behind the request's bearer token (cached on `g`); 401 when required and missing or refused.

    A refused token leaves what the store knew about it on `g.snomap_refused` (its name, and why), for the audit log.
    """
    if "snomap_principal" in g:
        return g.snomap_principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    if not header:
        if required:
            raise _unauthorized(
                "this request needs a bearer token: send 'Authorization: Bearer <token>' (see `snomap tokens create`)"
            )
        return None
    wait = too_many_failures()
    if wait is not None:
        raise throttled(wait)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        record_failure()
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    store = getattr(services().guidelines, "tokens", None)
    if store is None:
        raise Problem(
            503,
            "Authentication unavailable",
            "the guideline store has no token table (it is the read-only file store)",
            kind="auth-unavailable",
        )
    verdict = store.check(token.strip())
    if verdict.info is None:
        g.snomap_refused = verdict
        record_failure()
        raise _unauthorized("the token was not accepted (unknown, revoked or mistyped)")
    g.snomap_principal = verdict.info
    return verdict.info  # type: ignore[no-any-return]


def require(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator: 401 without a valid token, 403 when its role is not one of `roles`."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = principal(required=True)
            assert who is not None
            if who.role not in roles:
                raise Problem(
                    403,
                    "Forbidden",
                    f"token {who.name!r} has role {who.role!r}; this needs {' or '.join(roles)}",
                    kind="forbidden",
                    role=who.role,
                    requiredRoles=list(roles),
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


# ----------------------------------------------------------------------------- page sessions


def session_principal() -> TokenInfo | None:
    """The token owner of this browser's server-side session (re-checked once per request), or None."""
    if "web_principal" in g:
        return g.web_principal  # type: ignore[no-any-return]
    who = None
    sid = session.get(SESSION_KEY)
    store = getattr(services().guidelines, "tokens", None)
    if sid and store is not None:
        who = store.session_principal(str(sid))
        if who is None:  # signed out, expired, or its token revoked
            session.pop(SESSION_KEY, None)
    g.web_principal = who
    return who


def caller() -> TokenInfo | None:
    """Whoever this request acts for: the bearer token's owner, else the page session's, else None (anonymous)."""
    if request.headers.get("Authorization") or "snomap_principal" in g:
        return principal(required=False)
    if request.blueprint == "web":
        return session_principal()
    return None


def can_see_drafts() -> bool:
    """Draft and retired guidelines are for authors (and admins); everyone else sees published ones."""
    who = caller()
    return who is not None and who.role in DRAFT_ROLES


# ----------------------------------------------------------------------------- the app-wide guard


def _guard() -> Any:
    """SNOMAP_READS_REQUIRE_TOKEN: every route needs a caller (see the module docstring)."""
    if not reads_require_token() or request.endpoint in OPEN_ENDPOINTS:
        return None
    if request.path == "/cds-services" or request.path.startswith("/cds-services/"):
        return None  # the CDS Hooks blueprint verifies its callers' JWTs itself
    if request.blueprint == "web":
        if session_principal() is not None:
            return None
        from .web.workspace import sign_in_form  # the pages' own form (the web package imports this module)

        return sign_in_form(request.full_path if request.query_string else request.path, status=401)
    principal(required=True)  # any role may read; under /fhir the problem handler answers with an OperationOutcome
    return None


def init_app(app: Flask) -> None:
    """Install the guard, the failed-authentication limit and the Bearer challenge on 401."""
    app.extensions["snomap_auth_failures"] = FailureLimiter()
    app.before_request(_guard)

    @app.after_request
    def _challenge(response: Response) -> Response:
        if response.status_code == 401 and "WWW-Authenticate" not in response.headers and request.blueprint != "web":
            response.headers["WWW-Authenticate"] = 'Bearer realm="snomap"'
        return response
