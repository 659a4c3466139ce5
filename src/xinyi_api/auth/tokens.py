"""JWT access tokens: EdDSA (Ed25519) only, ``kid`` required, issuer and audience checked.

The algorithm is pinned: a token whose header names any other ``alg`` (including ``none`` and the
HMAC algorithms of the classic key-confusion attack) is refused before any key is looked up.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from xinyi_api.errors import Unauthorized
from xinyi_api.keys import KeyStore

Role = Literal["anonymous", "consumer", "merchant", "department", "operator"]
ALGORITHM = "EdDSA"
LEEWAY_SECONDS = 30


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: the verified claims of a bearer token, or the anonymous public."""

    sub: str
    role: Role
    department: str | None = None
    """部门 code of a department token."""
    scenarios: tuple[str, ...] = ()
    """Scenario keys a department token may act for."""
    region: str | None = None
    """行政区划 code a department token is limited to (``340400`` covers ``3404xx``)."""
    token_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"


ANONYMOUS = Principal(sub="anonymous", role="anonymous")


def issue_token(
    keys: KeyStore,
    *,
    issuer: str,
    audience: str,
    subject: str,
    role: Role,
    ttl_seconds: int,
    claims: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> str:
    """Sign a token with the newest live ``access`` key, issued at ``now`` (default: the system
    clock; the app passes its ``Clock``)."""
    key = keys.newest("access")
    issued = int((now or datetime.now(UTC)).timestamp())
    payload: dict[str, Any] = {
        **(claims or {}),
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, keys.private_key(key), algorithm=ALGORITHM, headers={"kid": key.kid})


MAX_LIFETIME_ROLES: dict[str, str] = {
    "consumer": "access", "merchant": "access", "department": "service", "operator": "service"}
"""Which configured maximum bounds a role's token lifetime: ``XINYI_ACCESS_TOKEN_TTL`` or
``XINYI_SERVICE_TOKEN_MAX_TTL``."""


async def verify_token(keys: KeyStore, token: str, *, issuer: str, audience: str,
                       now: datetime, max_access_ttl: int, max_service_ttl: int) -> Principal:
    """Return the principal of a valid token; raise ``Unauthorized`` saying why it is not.

    Times are checked against ``now`` (the app's clock), with ``LEEWAY_SECONDS`` of skew. A token
    whose lifetime (``exp - iat``) is longer than its role's configured maximum is refused, even
    when our own key signed it: a leaked signing key or an old CLI must not mint year-long tokens.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("the bearer token is not a well-formed JWT",
                           slug="invalid-token") from None
    if header.get("alg") != ALGORITHM:
        raise Unauthorized(f"tokens must be signed with {ALGORITHM}", slug="invalid-token")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("access-"):
        raise Unauthorized("the token names no known signing key", slug="invalid-token")
    key = keys.by_kid(kid)
    if key is None:
        await keys.refresh_if_stale(force=True)
        key = keys.by_kid(kid)
    if key is None or key.purpose != "access" or not isinstance(key.public_key, Ed25519PublicKey):
        raise Unauthorized("the token's signing key is unknown or retired", slug="invalid-token")
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_exp": False,
                     "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidAudienceError:
        raise Unauthorized("the token is for another audience", slug="invalid-token") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized("the token is from another issuer", slug="invalid-token") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the token is invalid: {exc}", slug="invalid-token") from None
    _check_times(claims, int(now.timestamp()), max_access_ttl, max_service_ttl)
    try:
        return Principal(
            sub=claims["sub"],
            role=claims["role"],
            department=claims.get("dept"),
            scenarios=tuple(claims.get("scenarios") or ()),
            region=claims.get("region"),
            token_id=claims.get("jti"),
        )
    except (KeyError, TypeError, msgspec.ValidationError):
        raise Unauthorized("the token lacks required claims", slug="invalid-token") from None


def _check_times(claims: dict[str, Any], now: int, max_access_ttl: int,
                 max_service_ttl: int) -> None:
    times = [claims.get(name) for name in ("iat", "exp", "nbf")]
    if not all(t is None or (isinstance(t, int) and not isinstance(t, bool)) for t in times):
        raise Unauthorized("iat, nbf and exp must be integer seconds", slug="invalid-token")
    iat, exp, nbf = times
    assert isinstance(iat, int) and isinstance(exp, int)
    if exp + LEEWAY_SECONDS <= now:
        raise Unauthorized("the token has expired", slug="token-expired")
    if iat - LEEWAY_SECONDS > now or (nbf is not None and nbf - LEEWAY_SECONDS > now):
        raise Unauthorized("the token is not valid yet (iat or nbf is in the future)",
                           slug="invalid-token")
    kind = MAX_LIFETIME_ROLES.get(str(claims.get("role")))
    if kind is None:
        raise Unauthorized("the token names no known role", slug="invalid-token")
    limit = max_access_ttl if kind == "access" else max_service_ttl
    if exp - iat > limit:
        raise Unauthorized(f"the token lives {exp - iat} s, longer than the {limit} s allowed "
                           f"for a {claims['role']} token", slug="invalid-token")
