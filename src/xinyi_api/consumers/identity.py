"""Pseudonymous identities 假名标识: the WeChat openid is never stored.

A consumer's id is ``c_`` + base32(HMAC-SHA256(k, "consumer" ‖ openid))[:128 bits], a merchant's
``m_`` + the same with the ``merchant`` domain separator, where ``k`` is derived from
``XINYI_SECRET_KEY``. The same person gets the same id on every login and every worker; without
the secret nobody can link an id back to an openid (or a consumer id to a merchant id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

AccountRole = Literal["consumer", "merchant"]

_KEY_LABEL = b"xinyi-api/pseudonym-key/v1"
_PREFIX: dict[str, str] = {"consumer": "c_", "merchant": "m_"}
_DOMAIN: dict[str, bytes] = {"consumer": b"xinyi-consumer-id\x00",
                             "merchant": b"xinyi-merchant-id\x00"}


def derive_key(secret: str, label: bytes) -> bytes:
    """A 256-bit sub-key of ``XINYI_SECRET_KEY`` for one purpose (HMAC as a KDF)."""
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


def pseudonym(secret: str, role: AccountRole, openid: str) -> str:
    """The stable pseudonymous account id of ``openid`` in ``role``."""
    mac = hmac.new(derive_key(secret, _KEY_LABEL), _DOMAIN[role] + openid.encode(),
                   hashlib.sha256).digest()[:16]
    return _PREFIX[role] + base64.b32encode(mac).decode().rstrip("=").lower()


def token_hash(token: str) -> bytes:
    """sha256 of a random bearer secret (refresh token): enough for 256-bit random values."""
    return hashlib.sha256(token.encode()).digest()


def keyed_hash(secret: str, label: bytes, value: str) -> bytes:
    """HMAC-SHA256 of a short secret (claim code) so a database dump cannot brute-force it."""
    return hmac.new(derive_key(secret, label), value.encode(), hashlib.sha256).digest()
