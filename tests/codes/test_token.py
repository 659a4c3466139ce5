"""Code tokens 码令牌: signed, compact, case-insensitive, and refused cleanly when not genuine."""

import base64
import re
import runpy
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given
from hypothesis import strategies as st

from xinyi_api.codes.token import (
    KEY_NUMBER_MAX,
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    SERIAL_MAX,
    SIGNING_DOMAIN,
    CodeToken,
    InvalidCodeToken,
    code_key_id,
    code_url,
    decode_code_token,
    encode_code_token,
    is_qr_alphanumeric,
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
PUBLIC_KEYS = {1: KEY_1.public_key(), 2: KEY_2.public_key()}

VALID = encode_code_token(987_654_321, 1, KEY_1)


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def raw_bytes(token: str) -> bytes:
    return base64.b32decode(token.upper() + "=" * (-len(token) % 8))


def forge(body: bytes, key: Ed25519PrivateKey = KEY_1) -> str:
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


@pytest.mark.parametrize(
    ("serial", "key_number", "length"),
    [
        (1, 0, MIN_TOKEN_LENGTH),
        (2**40, 255, 117),
        (2**42 - 1, 2**14 - 1, 117),
        (SERIAL_MAX, KEY_NUMBER_MAX, MAX_TOKEN_LENGTH),
    ],
)
def test_token_length_follows_the_varints(serial: int, key_number: int, length: int) -> None:
    keys = {key_number: KEY_1.public_key()}
    token = encode_code_token(serial, key_number, KEY_1)
    assert len(token) == length
    assert decode_code_token(token, keys) == CodeToken(serial=serial, key_number=key_number)


def test_length_bounds_are_108_to_127_characters() -> None:
    assert (MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH) == (108, 127)


@pytest.mark.parametrize(
    ("serial", "key_number"),
    [(0, 1), (-1, 1), (SERIAL_MAX + 1, 1), (1, -1), (1, KEY_NUMBER_MAX + 1), (True, 1)],
)
def test_encoding_refuses_out_of_range_numbers(serial: int, key_number: int) -> None:
    with pytest.raises(ValueError):
        encode_code_token(serial, key_number, KEY_1)


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


def test_withdrawn_key_no_longer_verifies() -> None:
    token = encode_code_token(7, 1, KEY_1)
    with pytest.raises(InvalidCodeToken):
        decode_code_token(token, {2: KEY_2.public_key()})


def test_peek_key_number_reads_without_verifying() -> None:
    assert peek_key_number(encode_code_token(7, 300, IMPOSTOR)) == 300
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
    assert reason_for(forge(b"\x02" + raw[1:-64])) == "unsupported version 2"


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


def test_bytes_after_the_signature_are_refused() -> None:
    assert reason_for(b32(raw_bytes(VALID) + b"\x00")) == "trailing bytes"


# --- property tests: nothing but InvalidCodeToken, ever -----------------------------------------


@given(st.text(max_size=300))
@example("\x00" * 120)
@example("a" * 108)
def test_arbitrary_text_raises_only_invalid_code_token(text: str) -> None:
    with pytest.raises(InvalidCodeToken):
        decode_code_token(text, PUBLIC_KEYS)


@given(
    st.one_of(
        st.binary(min_size=60, max_size=85),
        st.binary(min_size=60, max_size=85).map(lambda b: b"\x01" + b),
    ),
    st.booleans(),
)
def test_arbitrary_base32_payloads_raise_only_invalid_code_token(raw: bytes, lower: bool) -> None:
    text = b32(raw)
    with pytest.raises(InvalidCodeToken):
        decode_code_token(text.lower() if lower else text, PUBLIC_KEYS)


@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.characters())
def test_single_character_mutations_are_refused(index: int, replacement: str) -> None:
    mutated = VALID[:index] + replacement + VALID[index + 1 :]
    if mutated.upper() == VALID:
        assert decode_code_token(mutated, PUBLIC_KEYS).serial == 987_654_321
    else:
        with pytest.raises(InvalidCodeToken):
            decode_code_token(mutated, PUBLIC_KEYS)


@given(st.integers(min_value=0, max_value=len(VALID) - 1))
def test_truncations_and_deletions_are_refused(index: int) -> None:
    for broken in (VALID[:index], VALID[:index] + VALID[index + 1 :]):
        with pytest.raises(InvalidCodeToken):
            decode_code_token(broken, PUBLIC_KEYS)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=20))
def test_extensions_are_refused(suffix: str) -> None:
    with pytest.raises(InvalidCodeToken):
        decode_code_token(VALID + suffix, PUBLIC_KEYS)


@given(
    st.integers(min_value=1, max_value=SERIAL_MAX),
    st.integers(min_value=0, max_value=KEY_NUMBER_MAX),
)
def test_every_serial_and_key_number_round_trips(serial: int, key_number: int) -> None:
    token = encode_code_token(serial, key_number, KEY_2)
    assert MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH
    decoded = decode_code_token(token, {key_number: KEY_2.public_key()})
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


def test_documented_third_party_verifier_runs(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Verifying a token without our code", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    snippet = tmp_path / "verify_snippet.py"
    snippet.write_text(match.group(1), encoding="utf-8")
    namespace = runpy.run_path(str(snippet))  # the snippet's own asserts check the example
    verify = namespace["verify_code_token"]
    jwks = namespace["JWKS"]
    assert callable(verify)
    with pytest.raises(ValueError):
        verify(EXAMPLE_TOKEN[:-2] + "AA", jwks)
    with pytest.raises(ValueError):
        verify(encode_code_token(1_234_567, 3, IMPOSTOR), jwks)
