"""BLS signatures on BLS12-381, minimal-signature-size variant, basic scheme.

The scheme of draft-irtf-cfrg-bls-signature-05 §4.2.1 with ciphersuite
``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``: signatures are points of G1 (48 bytes
compressed), public keys points of G2 (96 bytes compressed), messages are hashed to G1 with
``hash_to_curve`` of RFC 9380 (``BLS12381G1_XMD:SHA-256_SSWU_RO_``) under that ciphersuite ID as
the domain-separation tag.  Points use the ZCash compressed serialisation (an appendix of
draft-irtf-cfrg-pairing-friendly-curves), as noble-curves, blst, py_ecc and arkworks do.

It exists for the version-2 code tokens 码令牌 (``xinyi_api.codes.token``): 48 bytes instead of
Ed25519's 64 is what lets a printed code fit QR version 5.  All field and curve arithmetic, the
hash to the curve and the pairing come from ``py_arkworks_bls12381`` (Rust arkworks); this module
only composes them as the draft prescribes and checks inputs.

The API mirrors ``cryptography``'s Ed25519 classes: ``BlsPrivateKey.generate()``, ``.sign()``,
``.public_key()``; ``BlsPublicKey.verify(signature, message)`` raises
``cryptography.exceptions.InvalidSignature``.
"""

from __future__ import annotations

import secrets
from typing import Final

from cryptography.exceptions import InvalidSignature
from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

__all__ = [
    "CIPHERSUITE_ID",
    "CURVE_ORDER",
    "PRIVATE_KEY_LENGTH",
    "PUBLIC_KEY_LENGTH",
    "SIGNATURE_LENGTH",
    "BlsPrivateKey",
    "BlsPublicKey",
    "InvalidBlsKey",
]

CIPHERSUITE_ID: Final = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
"""Ciphersuite ID = the hash-to-curve domain-separation tag (DST) of every signature."""

CURVE_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the prime order of G1 and G2: private keys are integers in [1, r - 1]."""

SIGNATURE_LENGTH: Final = 48
PUBLIC_KEY_LENGTH: Final = 96
PRIVATE_KEY_LENGTH: Final = 32

_G2_GENERATOR: Final = G2Point()
_NEG_G2_GENERATOR: Final = -G2Point()


class InvalidBlsKey(ValueError):
    """Bytes that are not a valid BLS private or public key (KeyValidate failed)."""


class BlsPublicKey:
    """A public key: a point of G2 other than the identity (draft §2.5 KeyValidate)."""

    __slots__ = ("_bytes", "_point")

    def __init__(self, point: G2Point) -> None:
        if point == G2Point.identity():
            raise InvalidBlsKey("the identity is not a public key")
        self._point = point
        self._bytes = point.to_compressed_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> BlsPublicKey:
        """Decode a 96-byte compressed G2 point, checking it is on the curve, in the prime-order
        subgroup, canonically encoded and not the identity."""
        if len(data) != PUBLIC_KEY_LENGTH:
            raise InvalidBlsKey(f"a public key is {PUBLIC_KEY_LENGTH} bytes, got {len(data)}")
        try:
            point = G2Point.from_compressed_bytes(bytes(data))
        except ValueError:
            raise InvalidBlsKey("not a point of G2") from None
        key = cls(point)
        if key._bytes != data:
            raise InvalidBlsKey("non-canonical encoding")
        return key

    def to_bytes(self) -> bytes:
        """The 96-byte compressed encoding (what the JWK ``x`` holds)."""
        return self._bytes

    def verify(self, signature: bytes, message: bytes) -> None:
        """Check ``signature`` on ``message`` (draft §2.7 CoreVerify); raise
        ``InvalidSignature`` unless it is the valid, canonically encoded signature.

        Costs a hash to the curve and a two-pairing product: about 1.5 ms.
        """
        if len(signature) != SIGNATURE_LENGTH:
            raise InvalidSignature
        try:
            point = G1Point.from_compressed_bytes(bytes(signature))  # curve + subgroup check
        except ValueError:
            raise InvalidSignature from None
        # A BLS signature is unique; refusing other spellings of the same point (stray flag or
        # padding bits) keeps exactly one valid byte string per message and key.
        if point.to_compressed_bytes() != signature or point == G1Point.identity():
            raise InvalidSignature
        hashed = G1Point.hash_to_curve(message, CIPHERSUITE_ID)
        # e(signature, g2) == e(H(m), pk)  <=>  e(signature, -g2) · e(H(m), pk) == 1
        if not GT.pairing_check([point, hashed], [_NEG_G2_GENERATOR, self._point]):
            raise InvalidSignature

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BlsPublicKey) and other._bytes == self._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return f"BlsPublicKey({self._bytes.hex()[:16]}…)"


class BlsPrivateKey:
    """A private key: an integer in [1, r - 1], written as 32 big-endian bytes (I2OSP)."""

    __slots__ = ("_public", "_scalar")

    def __init__(self, value: int) -> None:
        if not 1 <= value < CURVE_ORDER:
            raise InvalidBlsKey("a private key is an integer in [1, r - 1]")
        self._scalar = Scalar(value)
        self._public: BlsPublicKey | None = None

    @classmethod
    def generate(cls) -> BlsPrivateKey:
        """A new key, uniformly random in [1, r - 1] from the operating system's CSPRNG."""
        return cls(secrets.randbelow(CURVE_ORDER - 1) + 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> BlsPrivateKey:
        if len(data) != PRIVATE_KEY_LENGTH:
            raise InvalidBlsKey(f"a private key is {PRIVATE_KEY_LENGTH} bytes, got {len(data)}")
        return cls(int.from_bytes(data, "big"))

    def to_bytes(self) -> bytes:
        return int(self._scalar).to_bytes(PRIVATE_KEY_LENGTH, "big")

    def public_key(self) -> BlsPublicKey:
        """SkToPk: ``sk · g2``."""
        if self._public is None:
            self._public = BlsPublicKey(_G2_GENERATOR * self._scalar)
        return self._public

    def sign(self, message: bytes) -> bytes:
        """CoreSign: ``sk · hash_to_G1(message)``, 48 bytes compressed.  Deterministic: one key and
        one message always give the same signature.  About 0.4 ms."""
        return (G1Point.hash_to_curve(message, CIPHERSUITE_ID) * self._scalar).to_compressed_bytes()

    def __repr__(self) -> str:
        return "BlsPrivateKey(…)"
