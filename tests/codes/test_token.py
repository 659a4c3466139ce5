"""Code tokens 码令牌: signed, compact, case-insensitive, and refused cleanly when not genuine.

Version 1 (Ed25519, printed before) and version 2 (BLS, 48-byte signature, QR version 5).
"""

import base64
import re
import runpy
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import example, given
from hypothesis import strategies as st

from tests.codes.conftest import b32, varint
from xinyi_api.bls import BlsPrivateKey, BlsPublicKey
from xinyi_api.codes.token import (
    KEY_NUMBER_MAX,
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    SERIAL_MAX,
    SIGNING_DOMAIN,
    VERSION_BLS,
    VERSION_ED25519,
    CodeToken,
    InvalidCodeToken,
    ParsedCodeToken,
    code_key_id,
    code_url,
    decode_code_token,
    encode_code_token,
    is_qr_alphanumeric,
    parse_code_token,
    peek_key_number,
    public_jwk,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "code-token.md"

# RFC 8032 §7.1 TEST 1: a published test key, so the documented example is reproducible.
RFC8032_KEY = Ed25519PrivateKey.from_private_bytes(
    bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
)
EXAMPLE_TOKEN = (
    "AEBYPLKLN5XN5QPESOM4L3ONQP2QO6R27N3CNU2FQH7HKJJUM4PFBXYVHHXONZCI4VHGPVKCYJ7KACRGKR"
    "TCWM5KOGEUVLYSFW2O2H3HQ7KIYCQ"
)

KEY_1 = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
KEY_2 = Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32)
IMPOSTOR = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
BLS_5 = BlsPrivateKey(5_555_555_555)
BLS_6 = BlsPrivateKey(6_666_666_666)
BLS_IMPOSTOR = BlsPrivateKey(7_777_777_777)
PUBLIC_KEYS: dict[int, Ed25519PublicKey | BlsPublicKey] = {
    1: KEY_1.public_key(),
    2: KEY_2.public_key(),
    5: BLS_5.public_key(),
    6: BLS_6.public_key(),
}

VALID = encode_code_token(987_654_321, 1, KEY_1)
"""A version-1 (Ed25519) token."""
VALID_V2 = encode_code_token(987_654_321, 5, BLS_5)
"""A version-2 (BLS) token."""

# docs/code-token.md, version-2 worked example: a published test key, never for real codes.
EXAMPLE_BLS_KEY = BlsPrivateKey.from_bytes(
    bytes.fromhex("56d84fd7aa440e1d3c2ef67a9563bee72530ea1305d358b5f7c735165e37fb14")
)
EXAMPLE_V2_TOKEN = (
    "AICIPLKLWPAB7KFSOMW2Q3WGFW5NGG2AZKHAUA5WIXMZCRGQLAP2NKKLCYBNGQJZ5CK7S5COHU7NQNWKDPQAO"
)


def raw_bytes(token: str) -> bytes:
    return base64.b32decode(token.upper() + "=" * (-len(token) % 8))


def forge(body: bytes, key: Ed25519PrivateKey | BlsPrivateKey = KEY_1) -> str:
    """A token with an arbitrary body but a genuine signature: tests the parser, not the crypto."""
    return b32(body + key.sign(SIGNING_DOMAIN + body))


def reason_for(token: str) -> str:
    with pytest.raises(InvalidCodeToken) as caught:
        decode_code_token(token, PUBLIC_KEYS)
    return caught.value.reason


# --- round trip ---------------------------------------------------------------------------------


def test_token_round_trips_to_serial_and_key_number() -> None:
    assert decode_code_token(VALID, PUBLIC_KEYS) == CodeToken(serial=987_654_321, key_number=1)


def test_lower_and_mixed_case_tokens_are_accepted() -> None:
    expected = CodeToken(serial=987_654_321, key_number=1)
    assert decode_code_token(VALID.lower(), PUBLIC_KEYS) == expected
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(VALID))
    assert decode_code_token(mixed, PUBLIC_KEYS) == expected


def test_token_is_upper_case_unpadded_base32() -> None:
    assert re.fullmatch(r"[A-Z2-7]+", VALID)


def test_encoding_is_deterministic() -> None:
    assert encode_code_token(42, 2, KEY_2) == encode_code_token(42, 2, KEY_2)
    assert encode_code_token(42, 5, BLS_5) == encode_code_token(42, 5, BLS_5)


def test_the_key_decides_the_version() -> None:
    assert raw_bytes(VALID)[0] == VERSION_ED25519 == 1
    assert raw_bytes(VALID_V2)[0] == VERSION_BLS == 2
    assert len(raw_bytes(VALID)) - len(raw_bytes(VALID_V2)) == 64 - 48


def test_version_2_token_round_trips_in_any_case() -> None:
    expected = CodeToken(serial=987_654_321, key_number=5)
    assert decode_code_token(VALID_V2, PUBLIC_KEYS) == expected
    assert decode_code_token(VALID_V2.lower(), PUBLIC_KEYS) == expected
    assert re.fullmatch(r"[A-Z2-7]+", VALID_V2)


def test_parse_splits_without_verifying() -> None:
    forged = b32(raw_bytes(VALID_V2)[:-48] + bytes(48))
    parsed = parse_code_token(forged)
    assert parsed == ParsedCodeToken(version=2, key_number=5, serial=987_654_321,
                                     body=raw_bytes(VALID_V2)[:-48], signature=bytes(48))
    assert parsed.signed_message == SIGNING_DOMAIN + parsed.body
    with pytest.raises(InvalidCodeToken):
        decode_code_token(forged, PUBLIC_KEYS)


@pytest.mark.parametrize(
    ("serial", "key_number", "length"),
    [
        (1, 0, 108),
        (2**40, 255, 117),
        (2**42 - 1, 2**14 - 1, 117),
        (SERIAL_MAX, KEY_NUMBER_MAX, MAX_TOKEN_LENGTH),
    ],
)
def test_version_1_length_follows_the_varints(serial: int, key_number: int, length: int) -> None:
    keys = {key_number: KEY_1.public_key()}
    token = encode_code_token(serial, key_number, KEY_1)
    assert len(token) == length
    assert decode_code_token(token, keys) == CodeToken(serial=serial, key_number=key_number)


@pytest.mark.parametrize(
    ("serial", "key_number", "length"),
    [
        (1, 0, MIN_TOKEN_LENGTH),
        (120_000, 1, 85),
        (2**35 - 1, 2**7 - 1, 88),  # the QR version-5 bound behind a 30-character base URL
        (2**28 - 1, 2**14 - 1, 88),
        (2**35, 1, 90),
        (SERIAL_MAX, KEY_NUMBER_MAX, 101),
    ],
)
def test_version_2_length_follows_the_varints(serial: int, key_number: int, length: int) -> None:
    token = encode_code_token(serial, key_number, BLS_6)
    assert len(token) == length
    keys = {key_number: BLS_6.public_key()}
    assert decode_code_token(token, keys) == CodeToken(serial=serial, key_number=key_number)


def test_length_bounds_are_82_to_127_characters() -> None:
    # 82-101 for version 2, 108-127 for version 1: the ranges do not even overlap.
    assert (MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH) == (82, 127)


@pytest.mark.parametrize(
    ("serial", "key_number"),
    [(0, 1), (-1, 1), (SERIAL_MAX + 1, 1), (1, -1), (1, KEY_NUMBER_MAX + 1), (True, 1)],
)
def test_encoding_refuses_out_of_range_numbers(serial: int, key_number: int) -> None:
    with pytest.raises(ValueError):
        encode_code_token(serial, key_number, KEY_1)
    with pytest.raises(ValueError):
        encode_code_token(serial, key_number, BLS_5)


# --- keys ---------------------------------------------------------------------------------------


def test_token_signed_with_an_older_key_still_verifies_after_rotation() -> None:
    old = encode_code_token(7, 1, KEY_1)
    new = encode_code_token(8, 2, KEY_2)
    assert decode_code_token(old, PUBLIC_KEYS) == CodeToken(serial=7, key_number=1)
    assert decode_code_token(new, PUBLIC_KEYS) == CodeToken(serial=8, key_number=2)


def test_token_signed_by_another_key_under_the_same_number_is_refused() -> None:
    forged = encode_code_token(7, 1, IMPOSTOR)
    assert reason_for(forged) == "bad signature"


def test_unknown_key_number_is_refused() -> None:
    assert reason_for(encode_code_token(7, 9, KEY_1)) == "unknown key number 9"


def test_version_2_token_signed_by_another_bls_key_under_the_same_number_is_refused() -> None:
    assert reason_for(encode_code_token(7, 5, BLS_IMPOSTOR)) == "bad signature"
    # A genuine signature by the deployment's other live key, relabelled: still refused.
    assert reason_for(encode_code_token(7, 5, BLS_6)) == "bad signature"


def test_rotation_across_algorithms_keeps_old_tokens_verifying() -> None:
    old = encode_code_token(7, 1, KEY_1)  # printed under the Ed25519 key
    new = encode_code_token(8, 5, BLS_5)  # issued after rotating to a BLS key
    assert decode_code_token(old, PUBLIC_KEYS) == CodeToken(serial=7, key_number=1)
    assert decode_code_token(new, PUBLIC_KEYS) == CodeToken(serial=8, key_number=5)
    with pytest.raises(InvalidCodeToken):  # the Ed25519 key retired: its stickers stop verifying
        decode_code_token(old, {5: BLS_5.public_key()})


def test_a_token_naming_a_key_of_the_other_algorithm_is_refused() -> None:
    # Version 2 needs a BLS key, version 1 an Ed25519 key, whatever the signature bytes are.
    wrong = "key number {} is not a key of token version {}"
    assert reason_for(encode_code_token(7, 1, BLS_5)) == wrong.format(1, 2)
    assert reason_for(encode_code_token(7, 5, KEY_1)) == wrong.format(5, 1)


def test_withdrawn_key_no_longer_verifies() -> None:
    token = encode_code_token(7, 1, KEY_1)
    with pytest.raises(InvalidCodeToken):
        decode_code_token(token, {2: KEY_2.public_key()})


def test_peek_key_number_reads_without_verifying() -> None:
    assert peek_key_number(encode_code_token(7, 300, IMPOSTOR)) == 300
    assert peek_key_number(encode_code_token(7, 301, BLS_IMPOSTOR)) == 301
    with pytest.raises(InvalidCodeToken):
        peek_key_number("not a token")


def test_public_jwk_publishes_okp_ed25519_with_code_kid() -> None:
    jwk = public_jwk(3, RFC8032_KEY.public_key())
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "code-3",
        "use": "sig",
        "alg": "EdDSA",
    }
    assert code_key_id(12) == "code-12"


def test_public_jwk_publishes_a_bls_key_as_okp_bls12381g2_with_code_kid() -> None:
    jwk = public_jwk(4, EXAMPLE_BLS_KEY.public_key())
    assert jwk == {
        "kty": "OKP",
        "crv": "Bls12381G2",
        "x": "gGarRYstCxdyThGHyN0clcM8gIyYBiuDPvLb6CUVv7tOjsLw_rxroUQaJilHF_eXApBOumWoSYd-"
        "Tzls61QM7JJhbrO4nUIh3fiHtZJ-0Vo6hc2XVLBsMr6V_COOQGfF",
        "kid": "code-4",
        "use": "sig",
        "alg": "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_",
    }
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert BlsPublicKey.from_bytes(x) == EXAMPLE_BLS_KEY.public_key()


# --- malformed input: one reason each -----------------------------------------------------------


def test_overlong_input_is_refused_before_any_decoding() -> None:
    assert reason_for("A" * 201) == "length out of range"
    assert reason_for("A" * 1_000_000) == "length out of range"
    assert reason_for("") == "length out of range"


def test_characters_outside_base32_are_refused() -> None:
    assert reason_for(VALID[:-1] + "1") == "not base32"
    assert reason_for(VALID[:-1] + "=") == "not base32"


def test_non_ascii_letters_that_upper_case_into_base32_are_refused() -> None:
    # "ſ".upper() == "S" and "ı".upper() == "I": folding before checking would accept them.
    position = EXAMPLE_TOKEN.index("S")
    assert reason_for(EXAMPLE_TOKEN[:position] + "ſ" + EXAMPLE_TOKEN[position + 1 :]) == (
        "not base32"
    )


def test_impossible_base32_length_is_refused() -> None:
    # 6 characters past a multiple of 8 can never come from whole bytes.
    assert reason_for("A" * 110) == "impossible base32 length"


def test_non_canonical_base32_tail_is_refused() -> None:
    # 111 characters carry 555 bits for 552 payload bits: the last 3 bits must be zero.
    assert EXAMPLE_TOKEN.endswith("Q")
    keys = {3: RFC8032_KEY.public_key()}
    with pytest.raises(InvalidCodeToken, match="non-canonical base32"):
        decode_code_token(EXAMPLE_TOKEN[:-1] + "R", keys)


def test_unknown_version_is_refused() -> None:
    raw = raw_bytes(VALID)
    assert reason_for(forge(b"\x03" + raw[1:-64])) == "unsupported version 3"
    assert reason_for(forge(b"\x00" + raw[1:-64])) == "unsupported version 0"


def test_signature_length_follows_the_version() -> None:
    # A version-1 body with a 48-byte signature, and a version-2 body with a 64-byte one.
    body_1, body_2 = raw_bytes(VALID)[:-64], raw_bytes(VALID_V2)[:-48]
    assert reason_for(b32(body_1 + BLS_5.sign(SIGNING_DOMAIN + body_1))) == "truncated signature"
    assert reason_for(b32(body_2 + KEY_1.sign(SIGNING_DOMAIN + body_2))) == "trailing bytes"


def test_non_minimal_varint_is_refused() -> None:
    # key number 1 written as two bytes (0x81 0x00)
    assert reason_for(forge(b"\x01\x81\x00\x07")) == "non-canonical key number"


def test_over_long_varint_is_refused() -> None:
    assert reason_for(forge(b"\x01" + b"\xff" * 5 + b"\x07")) == "key number too long"
    assert reason_for(forge(b"\x01\x01" + b"\xff" * 9 + b"\x01")) == "serial too long"


def test_serial_zero_is_refused() -> None:
    assert reason_for(forge(b"\x01\x01\x00")) == "serial out of range"


def test_missing_signature_bytes_are_refused() -> None:
    assert reason_for(b32(raw_bytes(VALID)[:-1])) == "truncated signature"
    assert reason_for(b32(raw_bytes(VALID_V2)[:-1])) == "truncated signature"


def test_bytes_after_the_signature_are_refused() -> None:
    assert reason_for(b32(raw_bytes(VALID) + b"\x00")) == "trailing bytes"
    assert reason_for(b32(raw_bytes(VALID_V2) + b"\x00")) == "trailing bytes"


def test_a_version_2_varint_error_is_reported_before_any_crypto() -> None:
    assert reason_for(forge(b"\x02\x85\x00\x07", BLS_5)) == "non-canonical key number"
    assert reason_for(forge(b"\x02\x05\x00", BLS_5)) == "serial out of range"


# --- property tests: nothing but InvalidCodeToken, ever -----------------------------------------


@given(st.text(max_size=300))
@example("\x00" * 120)
@example("a" * 108)
def test_arbitrary_text_raises_only_invalid_code_token(text: str) -> None:
    with pytest.raises(InvalidCodeToken):
        decode_code_token(text, PUBLIC_KEYS)


@given(
    st.one_of(
        st.binary(min_size=50, max_size=85),
        st.binary(min_size=50, max_size=85).map(lambda b: b"\x01" + b),
        st.binary(min_size=50, max_size=65).map(lambda b: b"\x02" + b),
    ),
    st.booleans(),
)
def test_arbitrary_base32_payloads_raise_only_invalid_code_token(raw: bytes, lower: bool) -> None:
    text = b32(raw)
    with pytest.raises(InvalidCodeToken):
        decode_code_token(text.lower() if lower else text, PUBLIC_KEYS)


@given(
    st.sampled_from([5, 6, 1, 9]),
    st.integers(min_value=1, max_value=SERIAL_MAX),
    st.one_of(
        st.binary(min_size=48, max_size=48),
        # Starts of genuine signatures with random tails; flag-bit variations of real points.
        st.binary(min_size=1, max_size=47).map(lambda t: BLS_5.sign(b"x")[: 48 - len(t)] + t),
        st.integers(0, 7).map(lambda f: bytes([(BLS_5.sign(b"x")[0] & 0x1F) | f << 5])
                              + BLS_5.sign(b"x")[1:]),
    ),
)
def test_well_formed_version_2_tokens_with_forged_signatures_are_refused(
    key_number: int, serial: int, signature: bytes
) -> None:
    token = b32(b"\x02" + varint(key_number) + varint(serial) + signature)
    assert parse_code_token(token).serial == serial  # well-formed: only the crypto refuses it
    with pytest.raises(InvalidCodeToken):
        decode_code_token(token, PUBLIC_KEYS)


GENUINE = pytest.mark.parametrize("genuine", [VALID, VALID_V2], ids=["v1", "v2"])


@GENUINE
@given(st.integers(min_value=0, max_value=MAX_TOKEN_LENGTH), st.characters())
def test_single_character_mutations_are_refused(
    genuine: str, index: int, replacement: str
) -> None:
    index %= len(genuine)
    mutated = genuine[:index] + replacement + genuine[index + 1 :]
    if mutated.upper() == genuine:
        assert decode_code_token(mutated, PUBLIC_KEYS).serial == 987_654_321
    else:
        with pytest.raises(InvalidCodeToken):
            decode_code_token(mutated, PUBLIC_KEYS)


@GENUINE
@given(st.integers(min_value=0, max_value=MAX_TOKEN_LENGTH))
def test_truncations_and_deletions_are_refused(genuine: str, index: int) -> None:
    index %= len(genuine)
    for broken in (genuine[:index], genuine[:index] + genuine[index + 1 :]):
        with pytest.raises(InvalidCodeToken):
            decode_code_token(broken, PUBLIC_KEYS)


@GENUINE
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=20))
def test_extensions_are_refused(genuine: str, suffix: str) -> None:
    with pytest.raises(InvalidCodeToken):
        decode_code_token(genuine + suffix, PUBLIC_KEYS)


@given(
    st.integers(min_value=1, max_value=SERIAL_MAX),
    st.integers(min_value=0, max_value=KEY_NUMBER_MAX),
)
def test_every_serial_and_key_number_round_trips(serial: int, key_number: int) -> None:
    for private in (KEY_2, BLS_6):
        token = encode_code_token(serial, key_number, private)
        assert MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH
        decoded = decode_code_token(token, {key_number: private.public_key()})
        assert decoded == CodeToken(serial=serial, key_number=key_number)
        assert peek_key_number(token) == key_number


# --- URL ----------------------------------------------------------------------------------------


def test_code_url_is_upper_case_and_alphanumeric() -> None:
    url = code_url("https://xinyi.huainan.gov.cn/x/", VALID.lower())
    assert url == f"HTTPS://XINYI.HUAINAN.GOV.CN/X/C/{VALID}"
    assert is_qr_alphanumeric(url)
    assert is_qr_alphanumeric(code_url("http://127.0.0.1:8000", VALID))


def test_code_url_refuses_a_token_that_is_not_base32() -> None:
    with pytest.raises(ValueError):
        code_url("https://x.cn", "../../admin")


def test_code_url_token_part_decodes_back() -> None:
    url = code_url("http://127.0.0.1:8000", VALID)
    token = url.rsplit("/C/", 1)[1]
    assert decode_code_token(token, PUBLIC_KEYS).serial == 987_654_321


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://example.cn",
        "xinyi.example.cn",
        "https://例子.cn",
        "https://x.cn/?a=1",
        "https://x.cn/#top",
        "https://x.cn/a b",
        "https://",
    ],
)
def test_code_url_refuses_base_urls_that_are_not_plain_http(base_url: str) -> None:
    with pytest.raises(ValueError):
        code_url(base_url, VALID)


# --- the documentation is executable ------------------------------------------------------------


def test_documented_worked_example_matches_the_implementation() -> None:
    text = DOCS.read_text(encoding="utf-8")
    token = encode_code_token(1_234_567, 3, RFC8032_KEY)
    assert token == EXAMPLE_TOKEN
    raw = raw_bytes(token)
    assert token in text
    assert raw[:5].hex() == "010387ad4b"
    assert raw[5:37].hex() in text
    assert raw[37:].hex() in text
    assert public_jwk(3, RFC8032_KEY.public_key())["x"] in text
    assert code_url("https://xinyi.huainan.gov.cn/x", token) in text


def test_documented_version_2_worked_example_matches_the_implementation() -> None:
    text = DOCS.read_text(encoding="utf-8")
    token = encode_code_token(1_234_567, 4, EXAMPLE_BLS_KEY)
    assert token == EXAMPLE_V2_TOKEN
    assert len(token) == 85
    raw = raw_bytes(token)
    assert raw[:5].hex() == "020487ad4b"
    assert token in text
    assert raw[5:].hex() in text
    assert EXAMPLE_BLS_KEY.to_bytes().hex() in text
    public = EXAMPLE_BLS_KEY.public_key().to_bytes().hex()
    assert all(public[i : i + 64] in text for i in range(0, 192, 64))
    assert public_jwk(4, EXAMPLE_BLS_KEY.public_key())["x"] in text
    url = code_url("https://xinyi.huainan.gov.cn/x", token)
    assert url in text and len(url) == 118


def test_documented_third_party_verifier_runs(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Verifying a token without our code", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    snippet = tmp_path / "verify_snippet.py"
    snippet.write_text(match.group(1), encoding="utf-8")
    namespace = runpy.run_path(str(snippet))  # the snippet's own asserts check the examples
    verify = namespace["verify_code_token"]
    jwks = namespace["JWKS"]
    assert callable(verify)
    assert namespace["TOKEN_V2"] == EXAMPLE_V2_TOKEN and namespace["TOKEN_V1"] == EXAMPLE_TOKEN
    refused = [
        EXAMPLE_TOKEN[:-2] + "AA",
        encode_code_token(1_234_567, 3, IMPOSTOR),
        EXAMPLE_V2_TOKEN[:-2] + "AA",
        encode_code_token(1_234_567, 4, BLS_IMPOSTOR),  # wrong BLS key
        encode_code_token(1_234_567, 4, KEY_1),  # version 1 naming the BLS key
        encode_code_token(1_234_567, 3, EXAMPLE_BLS_KEY),  # version 2 naming the Ed25519 key
        b32(raw_bytes(EXAMPLE_V2_TOKEN)[:-48] + bytes([0xC0]) + bytes(47)),  # identity point
    ]
    for token in refused:
        with pytest.raises(ValueError):
            verify(token, jwks)


@given(st.integers(min_value=0, max_value=84), st.sampled_from("A7Qz"))
def test_documented_verifier_agrees_with_ours_on_mutations(index: int, replacement: str) -> None:
    # The snippet and decode_code_token are two readings of this document; they must agree.
    namespace = _documented_verifier()
    mutated = EXAMPLE_V2_TOKEN[:index] + replacement + EXAMPLE_V2_TOKEN[index + 1 :]
    keys = {4: EXAMPLE_BLS_KEY.public_key(), 3: RFC8032_KEY.public_key()}
    try:
        ours = decode_code_token(mutated, keys)
    except InvalidCodeToken:
        with pytest.raises(ValueError):
            namespace["verify_code_token"](mutated, namespace["JWKS"])
    else:
        assert namespace["verify_code_token"](mutated, namespace["JWKS"]) == (
            ours.serial, ours.key_number)


_SNIPPET: dict[str, object] = {}


def _documented_verifier() -> dict[str, object]:
    if not _SNIPPET:
        section = DOCS.read_text(encoding="utf-8").split("## Verifying a token without our code")[1]
        match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
        assert match is not None
        code = compile(match.group(1), "code-token.md", "exec")
        namespace: dict[str, object] = {"__name__": "snippet"}
        exec(code, namespace)  # our own documentation, as the test above runs it
        _SNIPPET.update(namespace)
    return _SNIPPET
