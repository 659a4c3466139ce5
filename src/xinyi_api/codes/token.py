"""Compact signed code token 码令牌 — what a printed 诚信码 integrity code carries.

The QR on a sticker encodes ``{PUBLIC_BASE_URL}/C/{token}``.  The token names a *code serial*
(码序号), never a grade: grades are live and are looked up when the code is scanned, so a sticker
never goes stale and cannot be "upgraded" by printing a new one.  The token is signed with Ed25519
so that the WeChat mini-program (and anyone else) can tell a genuine code from a forged one offline,
using the public keys published at ``/.well-known/jwks.json`` (``kid`` = ``code-{key_number}``).

Byte layout (see ``docs/code-token.md`` for the full specification and a worked example)::

    version (1 byte, = 1) | key_number (LEB128 varint) | serial (LEB128 varint) | signature (64)

The signature covers ``SIGNING_DOMAIN + version + key_number + serial``.  The bytes are written as
RFC 4648 base32, upper case, without ``=`` padding, so the whole URL fits the QR *alphanumeric*
mode.
"""

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "KEY_NUMBER_MAX",
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "SERIAL_MAX",
    "SIGNING_DOMAIN",
    "TOKEN_VERSION",
    "CodeToken",
    "InvalidCodeToken",
    "code_key_id",
    "code_url",
    "decode_code_token",
    "encode_code_token",
    "is_qr_alphanumeric",
    "peek_key_number",
    "public_jwk",
]

TOKEN_VERSION: Final = 1
"""Format version byte 格式版本; a new layout gets a new number, old stickers keep working."""

SIGNING_DOMAIN: Final = b"xinyi-code\x00"
"""Domain-separation prefix 域分隔前缀: signed but never transmitted.

It stops a signature made by the same key for another purpose from being replayed as a code.
"""

SERIAL_MAX: Final = 2**63 - 1
"""Largest code serial 码序号: the range of a PostgreSQL ``bigint``."""

KEY_NUMBER_MAX: Final = 2**31 - 1
"""Largest signing-key number 密钥编号: the range of a PostgreSQL ``integer``."""

SIGNATURE_LENGTH: Final = 64
_SERIAL_VARINT_MAX_BYTES: Final = 9  # ceil(63 / 7)
_KEY_VARINT_MAX_BYTES: Final = 5  # ceil(31 / 7)
_MIN_PAYLOAD: Final = 1 + 1 + 1 + SIGNATURE_LENGTH
_MAX_PAYLOAD: Final = 1 + _KEY_VARINT_MAX_BYTES + _SERIAL_VARINT_MAX_BYTES + SIGNATURE_LENGTH


def _base32_length(n_bytes: int) -> int:
    return (n_bytes * 8 + 4) // 5


MIN_TOKEN_LENGTH: Final = _base32_length(_MIN_PAYLOAD)
"""Shortest well-formed token (108 characters)."""

MAX_TOKEN_LENGTH: Final = _base32_length(_MAX_PAYLOAD)
"""Longest well-formed token (127 characters)."""

# Explicit ASCII ranges: str.upper() maps some non-ASCII letters onto ASCII ones ("ſ" -> "S",
# "ı" -> "I"), so the alphabet must be checked before any case folding.
_TOKEN_ALPHABET = re.compile(r"[A-Za-z2-7]+")

# Unpadded base32 lengths that a whole number of bytes can produce (len % 8).
_VALID_LENGTH_REMAINDERS: Final = frozenset({0, 2, 4, 5, 7})

# Printable ASCII except "#" and "?": upper-casing must not touch a query or fragment, and
# re.ASCII keeps IGNORECASE from matching non-ASCII look-alikes.
_BASE_URL = re.compile(r"https?://[\x21\x22\x24-\x3e\x40-\x7e]+", re.ASCII | re.IGNORECASE)

# QR alphanumeric mode character set (ISO/IEC 18004 table 5).
_QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


class InvalidCodeToken(ValueError):
    """A string that is not a genuine code token 无效码令牌 (malformed, unknown key or forged).

    ``reason`` is a short English phrase for logs; it is not meant for end users.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid code token: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CodeToken:
    """The verified content of a code token 码令牌.

    ``serial`` identifies the printed code 码序号 (the database maps it to an enterprise or store);
    ``key_number`` is the signing key 密钥编号 that vouched for it.
    """

    serial: int
    key_number: int


def code_key_id(key_number: int) -> str:
    """JWKS ``kid`` of code-signing key ``key_number`` (``code-{key_number}``)."""
    return f"code-{key_number}"


def public_jwk(key_number: int, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The JWK (RFC 8037 ``OKP``/``Ed25519``) that publishes a code-signing public key 验签公钥."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"),
        "kid": code_key_id(key_number),
        "use": "sig",
        "alg": "EdDSA",
    }


def _check_int(name: str, value: int, low: int, high: int) -> None:
    # bool is an int subclass; True as a serial is always a caller bug.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int, max_bytes: int, field: str) -> tuple[int, int]:
    """Read an unsigned LEB128 varint; only the minimal (canonical) encoding is accepted.

    Canonical-only means one serial has exactly one token per key, so tokens can be compared and
    cached as strings.
    """
    value = 0
    for i in range(max_bytes):
        if pos + i >= len(data):
            raise InvalidCodeToken(f"truncated {field}")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise InvalidCodeToken(f"non-canonical {field}")
            return value, pos + i + 1
    raise InvalidCodeToken(f"{field} too long")


def _signed_body(serial: int, key_number: int) -> bytes:
    return bytes([TOKEN_VERSION]) + _write_varint(key_number) + _write_varint(serial)


def encode_code_token(serial: int, key_number: int, private_key: Ed25519PrivateKey) -> str:
    """Sign code serial ``serial`` 码序号 with key ``key_number`` and return the token.

    The result is upper-case unpadded base32 of 108 to 127 characters (at most 117 while
    serials stay below 2**42 and key numbers below 2**14).  Ed25519 signing is deterministic,
    so the same inputs always give the same token.

    Raises ``ValueError`` when ``serial`` is outside ``1..SERIAL_MAX`` or ``key_number`` outside
    ``0..KEY_NUMBER_MAX``.
    """
    _check_int("serial", serial, 1, SERIAL_MAX)
    _check_int("key_number", key_number, 0, KEY_NUMBER_MAX)
    body = _signed_body(serial, key_number)
    signature = private_key.sign(SIGNING_DOMAIN + body)
    return base64.b32encode(body + signature).decode("ascii").rstrip("=")


def _unpack(token: str) -> tuple[bytes, int, int, bytes]:
    """Check the shape of ``token`` and split it into (signed body, key number, serial, signature).

    Nothing here is trusted yet: the caller must verify the signature before using the serial.
    """
    # Length first: it is O(1) and bounds the work everything below can be made to do.
    if not isinstance(token, str):
        raise InvalidCodeToken("not a string")
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise InvalidCodeToken("length out of range")
    if not _TOKEN_ALPHABET.fullmatch(token):
        raise InvalidCodeToken("not base32")
    if len(token) % 8 not in _VALID_LENGTH_REMAINDERS:
        raise InvalidCodeToken("impossible base32 length")
    canonical = token.upper()
    try:
        raw = base64.b32decode(canonical + "=" * (-len(canonical) % 8))
    except binascii.Error:
        raise InvalidCodeToken("not base32") from None
    # b32decode ignores the unused low bits of the last character; requiring them to be zero
    # keeps exactly one spelling (up to case) per token.
    if base64.b32encode(raw).decode("ascii").rstrip("=") != canonical:
        raise InvalidCodeToken("non-canonical base32")

    if raw[0] != TOKEN_VERSION:
        raise InvalidCodeToken(f"unsupported version {raw[0]}")
    key_number, pos = _read_varint(raw, 1, _KEY_VARINT_MAX_BYTES, "key number")
    serial, pos = _read_varint(raw, pos, _SERIAL_VARINT_MAX_BYTES, "serial")
    if key_number > KEY_NUMBER_MAX:
        raise InvalidCodeToken("key number out of range")
    if not 1 <= serial <= SERIAL_MAX:
        raise InvalidCodeToken("serial out of range")
    signature = raw[pos:]
    if len(signature) < SIGNATURE_LENGTH:
        raise InvalidCodeToken("truncated signature")
    if len(signature) > SIGNATURE_LENGTH:
        raise InvalidCodeToken("trailing bytes")
    return raw[:pos], key_number, serial, signature


def peek_key_number(token: str) -> int:
    """Return the key number 密钥编号 of a well-formed token WITHOUT verifying its signature.

    Meant for routing and logging (which key would verify this?), never for trusting the token.
    Raises ``InvalidCodeToken`` when the token is malformed.
    """
    _, key_number, _, _ = _unpack(token)
    return key_number


def decode_code_token(token: str, public_keys: Mapping[int, Ed25519PublicKey]) -> CodeToken:
    """Verify a code token 码令牌 and return its serial and key number.

    ``public_keys`` maps key numbers to the code-signing public keys currently accepted; keep
    retired keys in it for as long as stickers signed with them are in circulation.  Upper- and
    lower-case input are both accepted (phone scanners and humans change case).

    Raises ``InvalidCodeToken`` — and no other exception — for any string that is not a genuine
    token: wrong length, bad alphabet or base32, unknown version, truncated or over-long varints,
    unknown key number, bad signature, trailing bytes.
    """
    body, key_number, serial, signature = _unpack(token)
    public_key = public_keys.get(key_number)
    if public_key is None:
        raise InvalidCodeToken(f"unknown key number {key_number}")
    try:
        public_key.verify(signature, SIGNING_DOMAIN + body)
    except InvalidSignature:
        raise InvalidCodeToken("bad signature") from None
    return CodeToken(serial=serial, key_number=key_number)


def code_url(base_url: str, token: str) -> str:
    """The URL printed in the QR of a 诚信码 integrity code: ``{BASE_URL}/C/{TOKEN}``, upper case.

    Upper case lets the QR use alphanumeric mode (5.5 bits per character instead of 8), which
    takes a typical code from QR version 8 down to version 6.  Scheme and host are
    case-insensitive (RFC 3986 §6.2.2.1) and the token decodes case-insensitively, so the only
    requirement on the server is to route ``/C/{token}`` as well as ``/c/{token}`` — and, if
    ``base_url`` has a path, to accept that path in upper case too.

    A trailing slash on ``base_url`` is ignored.  Characters outside the QR alphanumeric set
    (``0-9 A-Z $%*+-./:`` and space, e.g. ``_`` or ``~``) still work but force the bulkier byte
    mode; see :func:`is_qr_alphanumeric`.
    """
    if not _BASE_URL.fullmatch(base_url):
        raise ValueError(
            f"base_url must be a printable-ASCII http(s) URL without query or fragment,"
            f" got {base_url!r}"
        )
    if not _TOKEN_ALPHABET.fullmatch(token):
        raise ValueError("token must be base32 text")
    return f"{base_url.rstrip('/').upper()}/C/{token.upper()}"


def is_qr_alphanumeric(text: str) -> bool:
    """Whether ``text`` fits the QR alphanumeric mode 字母数字模式 (the compact one)."""
    return all(c in _QR_ALPHANUMERIC for c in text)
