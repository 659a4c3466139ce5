"""动态个人信用码 dynamic personal credit code: what a person's phone shows a scenario partner.

A code proves "the holder of this consumer account asked for it just now" without naming them::

    version (1 byte, = 1) | expires_at (5 bytes, Unix seconds, big-endian) | nonce (12 random bytes)
    | tag (16 bytes: HMAC-SHA256(k, DOMAIN ‖ the 18 bytes before it), truncated)

written as RFC 4648 base32 without padding (55 characters, QR-alphanumeric). ``k`` is derived
from ``XINYI_SECRET_KEY``, so every worker checks every code. The server keeps a row per nonce
(``personal_codes``) that says whose code it is and is spent exactly once. The partner learns only
what the scenario's endpoint answers ("eligible", "line available"), never the person's id or
file. A code lives at most 60 seconds (``XINYI_PERSONAL_CODE_TTL``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

VERSION: Final = 1
DOMAIN: Final = b"xinyi-personal-code\x00"
KEY_LABEL: Final = b"xinyi-api/personal-code-key/v1"
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
RAW_BYTES: Final = 1 + 5 + NONCE_BYTES + TAG_BYTES
CODE_LENGTH: Final = 55
_SHAPE = re.compile(r"^[A-Z2-7]{55}$")


class InvalidPersonalCode(ValueError):
    """Not a code this service issued: malformed, truncated or with a wrong tag."""


@dataclass(frozen=True, slots=True)
class PersonalCode:
    code: str
    nonce: bytes
    expires_at: datetime


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, DOMAIN + body, hashlib.sha256).digest()[:TAG_BYTES]


def new_code(key: bytes, expires_at: datetime) -> PersonalCode:
    """A fresh code with a random nonce, valid until ``expires_at`` (whole seconds)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    seconds = int(expires_at.timestamp())
    body = bytes([VERSION]) + seconds.to_bytes(5, "big") + nonce
    code = base64.b32encode(body + _tag(key, body)).decode("ascii").rstrip("=")
    return PersonalCode(code, nonce, datetime.fromtimestamp(seconds, UTC))


def read_code(key: bytes, code: str) -> PersonalCode:
    """Check shape and tag (in constant time); expiry and use are the caller's business."""
    text = code.strip().upper()
    if not _SHAPE.match(text):
        raise InvalidPersonalCode("a personal credit code is 55 characters of A–Z and 2–7")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise InvalidPersonalCode("a personal credit code is base32") from exc
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    if len(raw) != RAW_BYTES or not hmac.compare_digest(tag, _tag(key, body)):
        raise InvalidPersonalCode("this is not a personal credit code issued by this service")
    if body[0] != VERSION:
        raise InvalidPersonalCode(f"unknown personal code version {body[0]}")
    expires = datetime.fromtimestamp(int.from_bytes(body[1:6], "big"), UTC)
    return PersonalCode(text, body[6:], expires)
