"""Bearer-token access control: open reads (unless configured otherwise), role-checked writes.

Roles: reader (reads, when reads need a token), author (reads and guideline writes), admin (all that,
plus the audit log). Tokens are made with `snomap tokens create` and verified against the store's
salted hashes (`terminology.authoring.tokens`). Failures are problem+json: 401 with
`WWW-Authenticate: Bearer` when there is no usable token, 403 when the token's role is not enough;
the message never says whether a token exists, only that it was not accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, g, request

from terminology.authoring.model import TokenInfo

from .config import setting
from .context import services
from .problems import Problem

READ_ROLES = ("reader", "author", "admin")
WRITE_ROLES = ("author", "admin")
ADMIN_ROLES = ("admin",)
# Paths a client needs before it has a token: the API description itself.
_OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def reads_require_token() -> bool:
    """Whether reads need a token too (SNOMAP_READS_REQUIRE_TOKEN; default: open)."""
    return bool(setting("SNOMAP_READS_REQUIRE_TOKEN"))


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, kind="unauthorized")


def principal(required: bool = True) -> TokenInfo | None:
    """The caller behind the request's bearer token (cached on `g`); 401 when required and missing or refused."""
    if "snomap_principal" in g:
        return g.snomap_principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    if not header:
        if required:
            raise _unauthorized("this request needs a bearer token: send 'Authorization: Bearer <token>' (see `snomap tokens create`)")
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    store = getattr(services().guidelines, "tokens", None)
    if store is None:
        raise Problem(503, "Authentication unavailable", "the guideline store has no token table (it is the read-only file store)", kind="auth-unavailable")
    info = store.verify(token.strip())
    if info is None:
        raise _unauthorized("the token was not accepted (unknown, revoked or mistyped)")
    g.snomap_principal = info
    return info


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


def init_app(app: Flask) -> None:
    """The app-wide half of access control: the token guard on API reads and the Bearer challenge on 401."""

    @app.before_request
    def _guard_reads() -> None:
        if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/v1/"):
            return
        if request.path in _OPEN_PATHS or not reads_require_token():
            return
        principal(required=True)  # any role may read

    @app.after_request
    def _challenge(response: Response) -> Response:
        if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
            response.headers["WWW-Authenticate"] = 'Bearer realm="snomap"'
        return response
