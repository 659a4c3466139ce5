"""BLS signatures (minimal-signature-size, basic scheme): standard, so a third party can verify.

Three independent checks that ours are the signatures of draft-irtf-cfrg-bls-signature with
ciphersuite BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_, not a look-alike:

- hash-to-curve against the RFC 9380 test vectors (appendix J.9.1);
- key, hash and signature recomputed with py_ecc, a pure-Python implementation sharing no code
  with arkworks, and its own pairing accepting our signature;
- a known-answer vector produced with noble-curves (JavaScript, ``bls12_381.shortSignatures``),
  the library the WeChat mini-program uses.
"""

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from hypothesis import given, settings
from hypothesis import strategies as st
from py_arkworks_bls12381 import G1Point
from py_ecc.bls.g2_primitives import G1_to_pubkey, G2_to_signature
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.optimized_bls12_381 import G2, curve_order, multiply, neg, pairing

from xinyi_api.bls import (
    CIPHERSUITE_ID,
    CURVE_ORDER,
    BlsPrivateKey,
    BlsPublicKey,
    InvalidBlsKey,
)

# Published only as a test vector (docs/code-token.md, worked example): never for real codes.
EXAMPLE_KEY = BlsPrivateKey.from_bytes(
    bytes.fromhex("56d84fd7aa440e1d3c2ef67a9563bee72530ea1305d358b5f7c735165e37fb14")
)
EXAMPLE_MESSAGE = bytes.fromhex("78696e79692d636f646500020487ad4b")
# Computed with @noble/curves 2.4.0: bls12_381.shortSignatures.getPublicKey(sk) and
# .sign(.hash(msg, "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"), sk).
NOBLE_PUBLIC_KEY = bytes.fromhex(
    "8066ab458b2d0b17724e1187c8dd1c95c33c808c98062b833ef2dbe82515bfbb4e8ec2f0febc6ba1441a26294717f797"
    "02904eba65a849877e4f396ceb540cec92616eb3b89d4221ddf887b5927ed15a3a85cd9754b06c32be95fc238e4067c5"
)
NOBLE_SIGNATURE = bytes.fromhex(
    "b3c01fa8b2732da86ec62dbad31b40ca8e0a03b645d99144d0581fa6a94b1602d34139e895f9744e3d3ed836ca1be007"
)

KEY = BlsPrivateKey(0x1234567890ABCDEF)
MESSAGE = b"xinyi-code\x00\x02\x01\x07"


def test_hash_to_g1_matches_the_rfc_9380_test_vectors() -> None:
    dst = b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"
    vectors = {
        b"": (
            "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1",
            "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265",
        ),
        b"abc": (
            "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
            "0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d",
        ),
    }
    for message, (x, y) in vectors.items():
        assert G1Point.hash_to_curve(message, dst).to_xy_bytes_be().hex() == x + y


def test_example_key_signs_exactly_like_noble_curves() -> None:
    assert EXAMPLE_KEY.public_key().to_bytes() == NOBLE_PUBLIC_KEY
    assert EXAMPLE_KEY.sign(EXAMPLE_MESSAGE) == NOBLE_SIGNATURE
    BlsPublicKey.from_bytes(NOBLE_PUBLIC_KEY).verify(NOBLE_SIGNATURE, EXAMPLE_MESSAGE)


def test_key_hash_and_signature_match_the_independent_py_ecc_implementation() -> None:
    assert curve_order == CURVE_ORDER
    secret = int.from_bytes(KEY.to_bytes(), "big")
    hashed = hash_to_G1(MESSAGE, CIPHERSUITE_ID, hashlib.sha256)
    signature_point = multiply(hashed, secret)
    assert KEY.sign(MESSAGE) == G1_to_pubkey(signature_point)  # G1 compressed, 48 bytes
    public_point = multiply(G2, secret)
    assert KEY.public_key().to_bytes() == G2_to_signature(public_point)  # G2 compressed, 96 bytes
    # py_ecc's own pairing accepts the signature: e(sig, g2) == e(H(m), pk).
    assert pairing(G2, signature_point) == pairing(public_point, hashed)
    assert pairing(neg(G2), signature_point) != pairing(public_point, hashed)


def test_sizes_are_48_byte_signatures_and_96_byte_public_keys() -> None:
    assert len(KEY.sign(MESSAGE)) == 48
    assert len(KEY.public_key().to_bytes()) == 96
    assert len(KEY.to_bytes()) == 32


def test_signing_is_deterministic_and_verifies() -> None:
    assert KEY.sign(MESSAGE) == KEY.sign(MESSAGE)
    KEY.public_key().verify(KEY.sign(MESSAGE), MESSAGE)


def test_another_message_or_key_does_not_verify() -> None:
    signature = KEY.sign(MESSAGE)
    with pytest.raises(InvalidSignature):
        KEY.public_key().verify(signature, MESSAGE + b"\x00")
    with pytest.raises(InvalidSignature):
        BlsPrivateKey(42).public_key().verify(signature, MESSAGE)


def test_a_signature_under_another_hash_domain_does_not_verify() -> None:
    # The same key and message hashed with the G2 ciphersuite's DST: a different point.
    other = G1Point.hash_to_curve(MESSAGE, b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_")
    assert other.to_compressed_bytes() != G1Point.hash_to_curve(MESSAGE, CIPHERSUITE_ID)
    with pytest.raises(InvalidSignature):
        KEY.public_key().verify(other.to_compressed_bytes(), MESSAGE)


def test_identity_and_non_canonical_encodings_are_refused() -> None:
    public = KEY.public_key()
    signature = KEY.sign(MESSAGE)
    identity = bytes([0xC0]) + bytes(47)
    for bad in (
        identity,
        bytes([0xE0]) + bytes(47),  # identity with the sign flag set
        bytes([0xC0]) + bytes(46) + b"\x01",  # identity with stray bits
        bytes([signature[0] ^ 0x20]) + signature[1:],  # the other y: the negated point
        bytes([signature[0] & 0x7F]) + signature[1:],  # compression flag cleared
        signature[:-1],
        signature + b"\x00",
        b"",
    ):
        with pytest.raises(InvalidSignature):
            public.verify(bad, MESSAGE)


def test_a_point_outside_the_prime_order_subgroup_is_refused() -> None:
    # x = 5 is on the curve y^2 = x^3 + 4 but its point is not in the order-r subgroup.
    candidate = bytes([0x80]) + bytes(46) + b"\x05"
    assert not G1Point.from_compressed_bytes_unchecked(candidate).is_in_subgroup()
    with pytest.raises(InvalidSignature):
        KEY.public_key().verify(candidate, MESSAGE)


def test_public_key_validation() -> None:
    assert BlsPublicKey.from_bytes(NOBLE_PUBLIC_KEY) == EXAMPLE_KEY.public_key()
    for bad in (bytes([0xC0]) + bytes(95), NOBLE_PUBLIC_KEY[:-1], bytes(96), b"\xff" * 96):
        with pytest.raises(InvalidBlsKey):
            BlsPublicKey.from_bytes(bad)


@pytest.mark.parametrize("value", [0, CURVE_ORDER, CURVE_ORDER + 1, -1])
def test_private_keys_outside_1_to_r_minus_1_are_refused(value: int) -> None:
    with pytest.raises(InvalidBlsKey):
        BlsPrivateKey(value)
    with pytest.raises(InvalidBlsKey):
        BlsPrivateKey.from_bytes(bytes(31))


def test_private_key_round_trips_through_bytes() -> None:
    key = BlsPrivateKey.generate()
    again = BlsPrivateKey.from_bytes(key.to_bytes())
    assert again.public_key() == key.public_key()
    assert repr(key) == "BlsPrivateKey(…)"  # never the scalar


@settings(max_examples=200)
@given(st.binary(min_size=48, max_size=48))
def test_arbitrary_48_bytes_never_verify_and_raise_only_invalid_signature(data: bytes) -> None:
    with pytest.raises(InvalidSignature):
        KEY.public_key().verify(data, MESSAGE)
