"""Authenticating the calling EHR as CDS Hooks asks ("Trusting CDS Clients"): a signed JWT bearer token.

Checked, in order: the header (`alg` asymmetric, never `none` or HMAC; `typ` JWT; `kid` present; a
`jku` only if it is the issuer's configured JWKS URL, so a token can never point us at keys of its own
choosing), the issuer (`iss` on the configured allowlist), the key (`kid` in that issuer's JWKS or
public keys), then with PyJWT the signature, `aud` (this endpoint's URL), `exp`, `iat` and the required
claims, and last `jti`, remembered until the token expires so a replayed token is refused.

The remembered `jti`s live in this process: behind several workers a replay that lands on another
worker is caught only by `exp` (keep client tokens short-lived, as the specification's five minutes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_S = 30  # clock skew allowed on exp/iat
MAX_LIFETIME_S = 3600  # a token valid for longer than this is refused (and would be remembered that long)
JWKS_TIMEOUT_S = 5


class AuthenticationError(Exception):
    """A call that is refused (401), with the reason for the caller."""


@dataclass
class TrustedIssuer:
    """One EHR allowed to call: its `iss`, and its keys (a JWKS URL, an inline JWKS, or PEM public keys by kid)."""

    iss: str
    jwks_url: str | None = None
    keys: dict[str, tuple[Any, str | None]] = field(default_factory=dict)  # kid -> (public key, declared alg)
    _client: jwt.PyJWKClient | None = None

    def key(self, kid: str) -> tuple[Any, str | None]:
        if kid in self.keys:
            return self.keys[kid]
        if self.jwks_url:
            if self._client is None:
                self._client = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=300, timeout=JWKS_TIMEOUT_S)
            try:
                k = self._client.get_signing_key(kid)
            except jwt.PyJWKClientError as e:
                raise AuthenticationError(f"no key {kid!r} for issuer {self.iss!r} at {self.jwks_url}: {e}") from e
            # The JWK's own "alg" only: PyJWK.algorithm_name guesses one (RS256 for any RSA key) when it is absent.
            return k.key, k._jwk_data.get("alg")
        raise AuthenticationError(f"issuer {self.iss!r} has no key {kid!r}")


def parse_issuers(items: Any) -> dict[str, TrustedIssuer]:
    """The configured issuers (see service/cds/settings.py), validated so a mistake stops the start."""
    if not isinstance(items, list):
        raise ValueError("trusted issuers must be a JSON list of objects")
    out: dict[str, TrustedIssuer] = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("iss"), str) or not item["iss"]:
            raise ValueError(f"trusted issuer {n} needs an 'iss' string")
        issuer = TrustedIssuer(item["iss"], jwks_url=item.get("jwks_url") or None)
        if "jwks" in item:
            for k in jwt.PyJWKSet.from_dict(item["jwks"]).keys:
                if not k.key_id:
                    raise ValueError(f"trusted issuer {issuer.iss!r}: every JWKS key needs a 'kid'")
                issuer.keys[k.key_id] = (k.key, k._jwk_data.get("alg"))
        for kid, pem in (item.get("public_keys") or {}).items():
            issuer.keys[kid] = (load_pem_public_key(pem.encode()), None)
        if not issuer.keys and not issuer.jwks_url:
            raise ValueError(f"trusted issuer {issuer.iss!r} needs 'jwks_url', 'jwks' or 'public_keys'")
        out[issuer.iss] = issuer
    return out


class ReplayCache:
    """`jti`s seen per issuer, each kept until its token expires."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, exp: float) -> bool:
        now = time.time()
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {k: e for k, e in self._seen.items() if e + LEEWAY_S >= now}
            key = (iss, jti)
            if key in self._seen and self._seen[key] + LEEWAY_S >= now:
                return False
            self._seen[key] = exp
            return True


def _key_fits(key: Any, alg: str) -> bool:
    if alg.startswith(("RS", "PS")):
        return isinstance(key, rsa.RSAPublicKey)
    if alg.startswith("ES"):
        return isinstance(key, ec.EllipticCurvePublicKey)
    return isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)


class ClientVerifier:
    """Verifies CDS clients' bearer JWTs against the trusted issuers."""

    def __init__(self, issuers: dict[str, TrustedIssuer]):
        self.issuers = issuers
        self.replays = ReplayCache()

    def verify(self, token: str, audiences: Sequence[str]) -> dict[str, Any]:
        """The token's claims, or AuthenticationError saying why it is refused."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as e:
            raise AuthenticationError(f"the bearer token is not a JWT: {e}") from e
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthenticationError(f"alg {alg!r} is refused: CDS Hooks JWTs are signed with an asymmetric algorithm")
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthenticationError("the JWT header must have typ 'JWT'")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("the JWT header has no kid")
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthenticationError(f"issuer {iss!r} is not trusted")
        jku = header.get("jku")
        if jku is not None and jku != issuer.jwks_url:
            raise AuthenticationError(f"jku {jku!r} is not the JWKS URL configured for {iss!r}")
        key, declared = issuer.key(kid)
        if (declared and declared != alg) or not _key_fits(key, alg):
            raise AuthenticationError(f"key {kid!r} is not a key for alg {alg}")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=list(audiences),
                issuer=iss,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidAudienceError as e:
            raise AuthenticationError(f"aud must be this endpoint's URL, {audiences[0]} ({e})") from e
        except jwt.PyJWTError as e:
            raise AuthenticationError(f"the bearer token is refused: {e}") from e
        if claims["exp"] - time.time() > MAX_LIFETIME_S:
            raise AuthenticationError(f"the token is valid for more than {MAX_LIFETIME_S} s; use short-lived tokens")
        if not isinstance(claims["jti"], str) or not self.replays.first_use(iss, claims["jti"], float(claims["exp"])):
            raise AuthenticationError("this token's jti was already used (replay)")
        return claims


__all__ = ["ALGORITHMS", "AuthenticationError", "ClientVerifier", "TrustedIssuer", "parse_issuers"]
