"""统一社会信用代码: only the normalisations GB 32100 leaves room for (surrounding spaces,
full-width forms, ASCII upper case); a code that is valid only after Unicode case folding or
NFKC — ``…MAﬀ…`` read as ``…MAFF…`` — is refused, naming the character."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import assert_problem
from tests.input.conftest import error_keys, nothing_written
from xinyi_api.subjects.uscc import ALPHABET, InvalidUSCC, check_character, normalize_uscc

BODY = "91340403MA0FFL001"  # the ligatures ﬀ and ﬄ upper-case to its "FF" and "FFL"
CODE = BODY + check_character(BODY)
FULL_WIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
TO_FULL_WIDTH = {ord(a): f for f, a in FULL_WIDTH.items()}


def full_width(c: str) -> str:
    return c.translate(TO_FULL_WIDTH)

PROPERTY = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize("raw", [CODE.replace("FF", "\ufb00"), CODE.replace("FFL", "\ufb04"),
                                 CODE.lower().replace("ff", "\ufb00")],
                         ids=["ff", "ffl", "lower-case-ff"])
async def test_a_uscc_valid_only_after_unicode_upper_casing_of_a_ligature_is_refused(
    client, conn, dept_headers, raw,
) -> None:
    assert len(raw) < 18 and raw.upper() == CODE  # what str.upper() used to make of it
    async with nothing_written(conn):
        r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
            "uscc": raw, "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
        body = assert_problem(r, 422, "invalid-uscc")
    assert error_keys(body) == ["uscc"]
    assert "is not allowed" in body["errors"][0]["message"]


@pytest.mark.parametrize("raw", [CODE.translate(TO_FULL_WIDTH),
                                 f"\u00a0{CODE.lower().translate(TO_FULL_WIDTH)}\u3000"],
                         ids=["full-width", "full-width-lower-with-spaces"])
async def test_a_uscc_typed_in_full_width_is_stored_canonical(
    client, conn, dept_headers, raw,
) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": raw, "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    assert r.status_code == 201, r.text
    assert await conn.fetchval("SELECT uscc FROM subjects") == CODE == r.json()["uscc"]


codes = st.builds(lambda body: body + check_character(body),
                  st.builds(lambda a, c, region, org: a + c + region + org,
                            st.sampled_from("123456789ANY"), st.sampled_from(ALPHABET),
                            st.text("0123456789", min_size=6, max_size=6),
                            st.text(ALPHABET, min_size=9, max_size=9)))


@PROPERTY
@given(st.text(max_size=30))
def test_an_accepted_uscc_is_18_characters_of_the_standard_alphabet(raw: str) -> None:
    try:
        code = normalize_uscc(raw)
    except InvalidUSCC:
        return
    assert len(code) == 18 and set(code) <= set(ALPHABET)
    assert code[17] == check_character(code[:17])
    assert normalize_uscc(code) == code


@PROPERTY
@given(codes, st.data())
def test_only_spaces_full_width_and_ascii_case_are_normalised(code: str, data) -> None:
    typed = "".join(
        data.draw(st.sampled_from([c, c.lower(), full_width(c), full_width(c.lower())]))
        for c in code)
    padding = st.text(" \u00a0\u3000", max_size=3)
    assert normalize_uscc(data.draw(padding) + typed + data.draw(padding)) == code


@PROPERTY
@given(codes, st.integers(0, 17),
       st.characters(exclude_categories=("Cs",)).filter(
           lambda c: not c.isascii() and c not in FULL_WIDTH and c not in "\u00a0\u3000"))
def test_any_other_non_ascii_character_is_refused(code: str, position: int, char: str) -> None:
    with pytest.raises(InvalidUSCC, match="is not allowed"):
        normalize_uscc(code[:position] + char + code[position + 1:])
