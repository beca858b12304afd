"""API tokens: shown once, stored as a salted scrypt hash, verified in constant time.

A token is `snm_<id>_<secret>`. The id is a public lookup key (so verification reads one row instead
of trying every stored hash), the secret 256 random bits. Only `scrypt(secret, per-token salt)` is kept,
so a copy of the database does not hand out working tokens. scrypt costs ~30 ms by design, which a
request should not pay every time: a verified token is remembered in-process, keyed by an HMAC of the
presented secret under a per-process random key, and only while the stored hash is unchanged and the
row is not revoked (both are read from the database on every request, so revocation is immediate).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .codec import aware, now
from .database import write_transaction
from .errors import AuthoringError
from .model import TokenInfo
from .tables import api_tokens, audit_log

ROLES = ("reader", "author", "admin")
PREFIX = "snm"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
KDF = "scrypt:n=16384,r=8,p=1"
_CACHE_MAX = 4096


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
                    id=tid, name=name, role=role, salt=salt, hash=_kdf(secret, salt), kdf=KDF, created_at=at, created_by=created_by
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
                    audit_log.insert().values(at=at, actor=revoked_by, action="token-revoke", outcome="ok", detail={"name": name})
                )
        return bool(res.rowcount)

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.name)).mappings()
            return [TokenInfo(r["id"], r["name"], r["role"], aware(r["created_at"]), aware(r["revoked_at"])) for r in rows]

    def verify(self, token: str) -> TokenInfo | None:
        """The token's owner and role, or None for an unknown, revoked or wrong token (never says which)."""
        parts = split_token(token)
        if parts is None:
            return None
        tid, secret = parts
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == tid)).mappings().first()
        if row is None or row["revoked_at"] is not None:
            return None
        stored = bytes(row["hash"])
        key = (tid, hmac.new(self._key, secret.encode(), hashlib.sha256).digest())
        cached = self._verified.get(key)
        if cached is None or not hmac.compare_digest(cached, stored):
            if row["kdf"] != KDF or not hmac.compare_digest(_kdf(secret, bytes(row["salt"])), stored):
                return None
            with self._lock:
                if len(self._verified) >= _CACHE_MAX:
                    self._verified.clear()
                self._verified[key] = stored
        return TokenInfo(tid, row["name"], row["role"], aware(row["created_at"]))
