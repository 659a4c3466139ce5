"""Compact signed code token 码令牌 — what a printed 诚信码 integrity code carries.

The QR on a sticker encodes ``{PUBLIC_BASE_URL}/C/{token}``.  The token names a *code serial*
(码序号), never a grade: grades are live and are looked up when the code is scanned, so a sticker
never goes stale and cannot be "upgraded" by printing a new one.  The token is signed so that the
WeChat mini-program (and anyone else) can tell a genuine code from a forged one offline, using
the public keys published at ``/.well-known/jwks.json`` (``kid`` = ``code-{key_number}``).

Two byte layouts (see ``docs/code-token.md`` for the full specification and worked examples)::

    version 1: 0x01 | key_number (LEB128 varint) | serial (LEB128 varint) | Ed25519 signature (64)
    version 2: 0x02 | key_number (LEB128 varint) | serial (LEB128 varint) | BLS signature (48)

Version 2 uses BLS signatures on BLS12-381 in the minimal-signature-size variant
(``xinyi_api.bls``): 16 bytes shorter, which takes the printed QR from version 6 to version 5 at
error-correction level M behind a 30-character base URL.  The version follows the key: a code
keeps the key number — and so the format — it was issued with, so version-1 stickers keep
verifying until their Ed25519 key is retired.

The signature covers ``SIGNING_DOMAIN + version + key_number + serial``.  The bytes are written as
RFC 4648 base32, upper case, without ``=`` padding, so the whole URL fits the QR *alphanumeric*
mode.
"""

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from xinyi_api.bls import BlsPrivateKey, BlsPublicKey
from xinyi_api.keys import public_jwk as _jwk

__all__ = [
    "KEY_NUMBER_MAX",
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "SERIAL_MAX",
    "SIGNING_DOMAIN",
    "TOKEN_VERSION",
    "VERSION_BLS",
    "VERSION_ED25519",
    "CodePrivateKey",
    "CodePublicKey",
    "CodeToken",
    "InvalidCodeToken",
    "ParsedCodeToken",
    "code_key_id",
    "code_url",
    "decode_code_token",
    "encode_code_token",
    "is_qr_alphanumeric",
    "parse_code_token",
    "peek_key_number",
    "public_jwk",
]

VERSION_ED25519: Final = 1
"""Format version 1: Ed25519 signature (64 bytes).  Still verified; issued by Ed25519 keys."""

VERSION_BLS: Final = 2
"""Format version 2: BLS12-381 minimal-signature-size signature (48 bytes).  Issued by BLS keys."""

TOKEN_VERSION: Final = VERSION_BLS
"""Format version 格式版本 of newly created code keys; a new layout gets a new number, and old
stickers keep working."""

SIGNING_DOMAIN: Final = b"xinyi-code\x00"
"""Domain-separation prefix 域分隔前缀: signed but never transmitted.

It stops a signature made by the same key for another purpose from being replayed as a code.
"""

SERIAL_MAX: Final = 2**63 - 1
"""Largest code serial 码序号: the range of a PostgreSQL ``bigint``."""

KEY_NUMBER_MAX: Final = 2**31 - 1
"""Largest signing-key number 密钥编号: the range of a PostgreSQL ``integer``."""

CodePrivateKey: TypeAlias = Ed25519PrivateKey | BlsPrivateKey
CodePublicKey: TypeAlias = Ed25519PublicKey | BlsPublicKey

SIGNATURE_LENGTHS: Final[Mapping[int, int]] = {VERSION_ED25519: 64, VERSION_BLS: 48}
"""Signature bytes per format version."""

_SERIAL_VARINT_MAX_BYTES: Final = 9  # ceil(63 / 7)
_KEY_VARINT_MAX_BYTES: Final = 5  # ceil(31 / 7)
_MIN_PAYLOAD: Final = 1 + 1 + 1 + min(SIGNATURE_LENGTHS.values())
_MAX_PAYLOAD: Final = (
    1 + _KEY_VARINT_MAX_BYTES + _SERIAL_VARINT_MAX_BYTES + max(SIGNATURE_LENGTHS.values())
)


def _base32_length(n_bytes: int) -> int:
    return (n_bytes * 8 + 4) // 5


MIN_TOKEN_LENGTH: Final = _base32_length(_MIN_PAYLOAD)
"""Shortest well-formed token of any version (82 characters: version 2, one-byte varints)."""

MAX_TOKEN_LENGTH: Final = _base32_length(_MAX_PAYLOAD)
"""Longest well-formed token of any version (127 characters: version 1, longest varints)."""

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


class CodeToken(msgspec.Struct, frozen=True, gc=False):
    """The verified content of a code token 码令牌.

    ``serial`` identifies the printed code 码序号 (the database maps it to an enterprise or store);
    ``key_number`` is the signing key 密钥编号 that vouched for it. Not tracked by the garbage
    collector (two ints): a worker keeps one per token it has checked (``cache.py``).
    """

    serial: int
    key_number: int


@dataclass(frozen=True, slots=True)
class ParsedCodeToken:
    """A well-formed token split into its fields — NOT verified: nothing in it is trusted yet.

    ``body`` is the signed part after the domain prefix (version, key number, serial bytes).
    """

    version: int
    key_number: int
    serial: int
    body: bytes
    signature: bytes

    @property
    def signed_message(self) -> bytes:
        """What the signature covers: ``SIGNING_DOMAIN + body``."""
        return SIGNING_DOMAIN + self.body


def code_key_id(key_number: int) -> str:
    """JWKS ``kid`` of code-signing key ``key_number`` (``code-{key_number}``)."""
    return f"code-{key_number}"


def public_jwk(key_number: int, public_key: CodePublicKey) -> dict[str, Any]:
    """The JWK that publishes a code-signing public key 验签公钥.

    Ed25519 (version-1 tokens): RFC 8037 ``OKP`` / ``Ed25519``, ``alg`` ``EdDSA``.
    BLS (version-2 tokens): ``OKP`` / ``Bls12381G2`` with ``x`` the 96-byte compressed G2 point
    (draft-ietf-cose-bls-key-representations-03) and ``alg`` the BLS ciphersuite ID.
    """
    return _jwk(code_key_id(key_number), public_key)


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


def _signed_body(version: int, serial: int, key_number: int) -> bytes:
    return bytes([version]) + _write_varint(key_number) + _write_varint(serial)


def encode_code_token(serial: int, key_number: int, private_key: CodePrivateKey) -> str:
    """Sign code serial ``serial`` 码序号 with key ``key_number`` and return the token.

    The key decides the format: an ``Ed25519PrivateKey`` gives a version-1 token (108 to 127
    characters, at most 117 while serials stay below 2**42 and key numbers below 2**14), a
    ``BlsPrivateKey`` a version-2 token (82 to 101 characters; at most 88 — QR version 5 behind
    a 30-character base URL — while ``serial < 2**35`` with ``key_number < 2**7``, or
    ``serial < 2**28`` with ``key_number < 2**14``).  Both signatures are deterministic, so the
    same inputs always give the same token.

    Raises ``ValueError`` when ``serial`` is outside ``1..SERIAL_MAX`` or ``key_number`` outside
    ``0..KEY_NUMBER_MAX``.
    """
    _check_int("serial", serial, 1, SERIAL_MAX)
    _check_int("key_number", key_number, 0, KEY_NUMBER_MAX)
    if isinstance(private_key, BlsPrivateKey):
        body = _signed_body(VERSION_BLS, serial, key_number)
    elif isinstance(private_key, Ed25519PrivateKey):
        body = _signed_body(VERSION_ED25519, serial, key_number)
    else:
        raise TypeError(f"not a code-signing private key: {type(private_key).__name__}")
    signature = private_key.sign(SIGNING_DOMAIN + body)
    return base64.b32encode(body + signature).decode("ascii").rstrip("=")


def parse_code_token(token: str) -> ParsedCodeToken:
    """Check the shape of ``token`` and split it into its fields, WITHOUT verifying it.

    Cheap and bounded (at most 127 characters are decoded, nothing cryptographic happens), so it
    is safe to run on anything a client sends.  Raises ``InvalidCodeToken`` — and nothing else —
    when the token is malformed: wrong length, bad alphabet or base32, unknown version, truncated,
    over-long or non-minimal varints, numbers out of range, wrong signature length.
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

    version = raw[0]
    signature_length = SIGNATURE_LENGTHS.get(version)
    if signature_length is None:
        raise InvalidCodeToken(f"unsupported version {version}")
    key_number, pos = _read_varint(raw, 1, _KEY_VARINT_MAX_BYTES, "key number")
    serial, pos = _read_varint(raw, pos, _SERIAL_VARINT_MAX_BYTES, "serial")
    if key_number > KEY_NUMBER_MAX:
        raise InvalidCodeToken("key number out of range")
    if not 1 <= serial <= SERIAL_MAX:
        raise InvalidCodeToken("serial out of range")
    signature = raw[pos:]
    if len(signature) < signature_length:
        raise InvalidCodeToken("truncated signature")
    if len(signature) > signature_length:
        raise InvalidCodeToken("trailing bytes")
    return ParsedCodeToken(version=version, key_number=key_number, serial=serial,
                           body=raw[:pos], signature=signature)


def peek_key_number(token: str) -> int:
    """Return the key number 密钥编号 of a well-formed token WITHOUT verifying its signature.

    Meant for routing and logging (which key would verify this?), never for trusting the token.
    Raises ``InvalidCodeToken`` when the token is malformed.
    """
    return parse_code_token(token).key_number


def decode_code_token(token: str, public_keys: Mapping[int, CodePublicKey]) -> CodeToken:
    """Verify a code token 码令牌 of either version and return its serial and key number.

    This is the full offline check a third party makes.  ``public_keys`` maps key numbers to the
    code-signing public keys currently accepted; keep retired keys in it for as long as stickers
    signed with them are in circulation.  A version-1 token must name an Ed25519 key, a version-2
    token a BLS key.  Upper- and lower-case input are both accepted (phone scanners and humans
    change case).  A version-2 check costs a pairing (~1.5 ms); see ``CodeSigner`` for how the
    server avoids it.

    Raises ``InvalidCodeToken`` — and no other exception — for any string that is not a genuine
    token: everything ``parse_code_token`` refuses, an unknown key number, a key of the other
    algorithm, a bad signature.
    """
    parsed = parse_code_token(token)
    public_key = public_keys.get(parsed.key_number)
    if public_key is None:
        raise InvalidCodeToken(f"unknown key number {parsed.key_number}")
    expected = BlsPublicKey if parsed.version == VERSION_BLS else Ed25519PublicKey
    if not isinstance(public_key, expected):
        raise InvalidCodeToken(
            f"key number {parsed.key_number} is not a key of token version {parsed.version}")
    try:
        public_key.verify(parsed.signature, parsed.signed_message)
    except InvalidSignature:
        raise InvalidCodeToken("bad signature") from None
    return CodeToken(serial=parsed.serial, key_number=parsed.key_number)


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
