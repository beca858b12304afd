"""API tokens: shown once, stored as a salted scrypt hash, verified in constant time.

A token is `snm_<id>_<secret>`. The id is a public lookup key (so verification reads one row instead
of trying every stored hash), the secret 256 random bits. Only `scrypt(secret, per-token salt)` is kept,
so a copy of the database does not hand out working tokens. scrypt costs ~30 ms by design, which a
request should not pay every time: a verified token is remembered in-process, keyed by an HMAC of the
presented secret under a per-process random key, and only while the stored hash is unchanged and the
row is not revoked (both are read from the database on every request, so revocation is immediate).

Every refusal costs the same: an unknown id, a revoked token or a malformed one runs the same scrypt
against a dummy hash, so the time a refusal takes does not tell a known token id from an unknown one.
`check` says why a token was refused (and whose it was, for the audit log); only `verify`'s None reaches
a client.

Page sessions (`open_session`, `session_principal`, `end_session`) are rows of `web_sessions` keyed by the
SHA-256 of a random session id: the browser's cookie holds that id, never the token. A session is bound
to its token's id, so revoking the token ends it too, and sign-out revokes the session row itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .codec import aware, now
from .database import write_transaction
from .errors import AuthoringError
from .model import TokenInfo
from .tables import api_tokens, audit_log, web_sessions

ROLES = ("reader", "author", "admin")
PREFIX = "snm"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
KDF = "scrypt:n=16384,r=8,p=1"
_CACHE_MAX = 4096
# What a refusal hashes against, so that it takes as long as a wrong secret for a known id (one scrypt).
_DUMMY_SALT = secrets.token_bytes(16)
_DUMMY_HASH = secrets.token_bytes(32)
SESSION_HOURS = 12


@dataclass(frozen=True)
class TokenCheck:
    """What `TokenStore.check` found: the caller when accepted, else why not (and the token's name when known)."""

    info: TokenInfo | None
    reason: str  # "ok", "malformed", "unknown", "revoked" or "mismatch"
    name: str | None = None
    role: str | None = None


def _session_key(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


def _kdf(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **SCRYPT)


def split_token(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None (no database access for garbage)."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class TokenStore:
    """Create, revoke, list and verify tokens in the store's database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, bytes], bytes] = {}
        self._lock = threading.Lock()

    def create(self, name: str, role: str, created_by: str = "cli") -> str:
        """A new token for `name` with `role`; returns the token text, which is never stored or shown again."""
        if role not in ROLES:
            raise AuthoringError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "role")
        if not name.strip():
            raise AuthoringError("a token needs a name (it is recorded as the author of changes)", "name")
        tid, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        at = now()
        with write_transaction(self.engine) as conn:
            taken = conn.execute(
                sa.select(api_tokens.c.id).where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            ).first()
            if taken:
                raise AuthoringError(f"an active token named {name!r} exists; revoke it first", "name")
            conn.execute(
                api_tokens.insert().values(
                    id=tid,
                    name=name,
                    role=role,
                    salt=salt,
                    hash=_kdf(secret, salt),
                    kdf=KDF,
                    created_at=at,
                    created_by=created_by,
                )
            )
            conn.execute(
                audit_log.insert().values(
                    at=at, actor=created_by, action="token-create", outcome="ok", detail={"name": name, "role": role}
                )
            )
        return f"{PREFIX}_{tid}_{secret}"

    def revoke(self, name: str, revoked_by: str = "cli") -> bool:
        """Revoke the active token called `name`; False when there is none."""
        at = now()
        with write_transaction(self.engine) as conn:
            res = conn.execute(
                api_tokens.update()
                .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at, revoked_by=revoked_by)
            )
            if res.rowcount:
                conn.execute(
                    audit_log.insert().values(
                        at=at, actor=revoked_by, action="token-revoke", outcome="ok", detail={"name": name}
                    )
                )
        return bool(res.rowcount)

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.name)).mappings()
            return [
                TokenInfo(r["id"], r["name"], r["role"], aware(r["created_at"]), aware(r["revoked_at"])) for r in rows
            ]

    def verify(self, token: str) -> TokenInfo | None:
        """The token's owner and role, or None for an unknown, revoked or wrong token (never says which)."""
        return self.check(token).info

    def check(self, token: str) -> TokenCheck:
        """`verify` with the reason of a refusal (for the audit log); every refusal runs one scrypt."""
        parts = split_token(token)
        if parts is None:
            _kdf(token[:200], _DUMMY_SALT)
            return TokenCheck(None, "malformed")
        tid, secret = parts
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == tid)).mappings().first()
        if row is None or row["revoked_at"] is not None or row["kdf"] != KDF:
            hmac.compare_digest(_kdf(secret, _DUMMY_SALT), _DUMMY_HASH)
            if row is None:
                return TokenCheck(None, "unknown")
            return TokenCheck(
                None, "revoked" if row["revoked_at"] is not None else "mismatch", row["name"], row["role"]
            )
        stored = bytes(row["hash"])
        key = (tid, hmac.new(self._key, secret.encode(), hashlib.sha256).digest())
        cached = self._verified.get(key)
        if cached is None or not hmac.compare_digest(cached, stored):
            if not hmac.compare_digest(_kdf(secret, bytes(row["salt"])), stored):
                return TokenCheck(None, "mismatch", row["name"], row["role"])
            with self._lock:
                if len(self._verified) >= _CACHE_MAX:
                    self._verified.clear()
                self._verified[key] = stored
        return TokenCheck(
            TokenInfo(tid, row["name"], row["role"], aware(row["created_at"])), "ok", row["name"], row["role"]
        )

    # ------------------------------------------------------------------ page sessions

    def open_session(self, info: TokenInfo, client: str | None = None, hours: float = SESSION_HOURS) -> str:
        """A new page session for a verified token; returns the random session id the cookie carries."""
        sid = secrets.token_urlsafe(32)
        at = now()
        with write_transaction(self.engine) as conn:
            conn.execute(
                web_sessions.insert().values(
                    id_hash=_session_key(sid),
                    token_id=info.id,
                    created_at=at,
                    expires_at=at + dt.timedelta(hours=hours),
                    client=client,
                )
            )
        return sid

    def session_principal(self, sid: str) -> TokenInfo | None:
        """The token owner of a live session: not signed out, not expired, and its token not revoked."""
        if not sid or len(sid) > 200:
            return None
        q = (
            sa.select(
                web_sessions.c.expires_at,
                web_sessions.c.revoked_at.label("session_revoked_at"),
                api_tokens.c.id,
                api_tokens.c.name,
                api_tokens.c.role,
                api_tokens.c.created_at,
                api_tokens.c.revoked_at.label("token_revoked_at"),
            )
            .join(api_tokens, api_tokens.c.id == web_sessions.c.token_id)
            .where(web_sessions.c.id_hash == _session_key(sid))
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        if row is None or row["session_revoked_at"] is not None or row["token_revoked_at"] is not None:
            return None
        expires = aware(row["expires_at"])
        if expires is None or expires <= now():
            return None
        return TokenInfo(row["id"], row["name"], row["role"], aware(row["created_at"]))

    def end_session(self, sid: str) -> bool:
        """Sign-out: the session row is revoked, so the same cookie sent again signs nobody in."""
        if not sid:
            return False
        with write_transaction(self.engine) as conn:
            res = conn.execute(
                web_sessions.update()
                .where(web_sessions.c.id_hash == _session_key(sid), web_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
        return bool(res.rowcount)
