"""Every text field of every JSON body, found by reading the app's routes and schemas: a NUL
byte or a text-direction override is refused by the body guard naming the field; a line break
or an invisible character in a single-line field (names, titles, codes) by the field's type."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assert_problem
from tests.input.conftest import (
    assert_nothing_logged,
    body_at,
    body_routes,
    headers_for,
    key_of,
    nothing_written,
    string_fields,
)
from xinyi_api.inputs.types import SINGLE_LINE_PATTERN

# Long enough for every min_length (10, refresh tokens) and short enough for every max_length.
TEXT = "淮南老韩家牛肉汤{}朝阳路店"


async def _refusals(client: Any, value: str, *, single_line_only: bool) -> list[tuple[str, str,
                                                                                       Any]]:
    """(route, key, problem) for every field the value went to; asserts each is a 400."""
    seen = []
    for route in body_routes(client.app):
        for path, t in string_fields(route.body_type):
            if single_line_only and t.pattern != SINGLE_LINE_PATTERN:
                continue
            r = await client.request(route.method, route.url, json=body_at(path, value),
                                     headers=headers_for(client.app, route))
            assert r.status_code == 400, (str(route), path, r.text)
            seen.append((str(route), key_of(path), r))
    return seen


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2066", "\x1b", "\x7f", "\u2028"],
                         ids=["NUL", "RLO", "LRI", "ESC", "DEL", "LSEP"])
async def test_every_text_field_of_every_body_refuses_a_forbidden_character(
    client, conn, caplog, char,
) -> None:
    async with nothing_written(conn):
        refusals = await _refusals(client, TEXT.format(char), single_line_only=False)
    assert len(refusals) >= 75  # every body's text fields, nested ones included
    for route, key, r in refusals:
        body = assert_problem(r, 400, "invalid-character")
        assert [e["key"] for e in body["errors"]] == [key], (route, body)
        assert f"U+{ord(char):04X}" in body["errors"][0]["message"]
    assert_nothing_logged(caplog)


@pytest.mark.parametrize("char", ["\n", "\t", "\u200b", "\u3164", "\ufeff", "\u00ad"],
                         ids=["LF", "TAB", "ZWSP", "HANGUL-FILLER", "BOM", "SOFT-HYPHEN"])
async def test_every_single_line_field_refuses_line_breaks_and_invisible_characters(
    client, conn, caplog, char,
) -> None:
    async with nothing_written(conn):
        refusals = await _refusals(client, TEXT.format(char), single_line_only=True)
    assert len(refusals) > 20  # names, titles, addresses, file names, codes, tokens
    for route, key, r in refusals:
        body = assert_problem(r, 400, "invalid-request")
        assert [e["key"] for e in body["errors"]] == [key], (route, body)
        assert body["errors"][0]["message"].startswith("Expected a single line of text"), body
    assert_nothing_logged(caplog)
