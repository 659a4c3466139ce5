import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyi_api.subjects.uscc import ALPHABET, InvalidUSCC, check_character, normalize_uscc

# Published codes of real companies (China Petroleum & Chemical, Huawei).
REAL = ["91110000802100433B", "91440300708461136T"]

bodies = st.builds(
    lambda auth, cat, region, org: auth + cat + region + org,
    st.sampled_from("123456789ANY"),
    st.sampled_from(ALPHABET),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert normalize_uscc(code) == code


def test_lower_case_and_spaces_are_normalised() -> None:
    assert normalize_uscc(" 91110000802100433b ") == "91110000802100433B"


@given(bodies)
def test_a_body_with_its_check_character_is_valid(body: str) -> None:
    assert normalize_uscc(body + check_character(body)) == body + check_character(body)


@given(bodies, st.sampled_from(ALPHABET))
def test_any_other_check_character_is_refused(body: str, wrong: str) -> None:
    if wrong == check_character(body):
        return
    with pytest.raises(InvalidUSCC, match="check character"):
        normalize_uscc(body + wrong)


@given(bodies, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_a_single_substitution_is_always_caught(body: str, position: int, char: str) -> None:
    # The weights 3^i mod 31 are all non-zero mod the prime 31, so any one-character
    # substitution changes the checksum.
    code = body + check_character(body)
    mutated = code[:position] + char + code[position + 1 :]
    if mutated == code:
        return
    with pytest.raises(InvalidUSCC):
        normalize_uscc(mutated)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9111000080210043", "18 characters"),
        ("91110000802100433I", "'I' is not allowed"),
        ("Z1110000802100433B", "character 1"),
        ("9111A000802100433B", "region code"),
        ("91110000802100433C", "mistyped"),
    ],
)
def test_the_error_says_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidUSCC, match=reason):
        normalize_uscc(code)
