"""Deeply nested JSON used to exhaust the parser's recursion (500); now nesting beyond 32
levels is refused before the body is parsed, on any endpoint, authenticated or not."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem
from tests.input.conftest import assert_nothing_logged, nothing_written
from xinyi_api.inputs.body import MAX_DEPTH

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", [b"[" * 1000, b"[" * 1000 + b"]" * 1000,
                                  b'{"a":' * 1000 + b"1" + b"}" * 1000,
                                  b'{"refresh_token": ' + b"[" * 200 + b"]" * 200 + b"}"],
                         ids=["unclosed", "arrays", "objects", "in-a-field"])
async def test_deeply_nested_json_is_a_400_even_unauthenticated(client, conn, caplog,
                                                                body) -> None:
    async with nothing_written(conn):
        r = await client.post("/api/v1/auth/refresh", content=body, headers=JSON)
        problem = assert_problem(r, 400, "json-too-deep")
    assert problem["errors"][0]["key"] == "data"
    assert_nothing_logged(caplog)


async def test_nesting_up_to_the_limit_is_parsed(client) -> None:
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    r = await client.post("/api/v1/auth/refresh", content=body, headers=JSON)
    # Parsed, then refused by the schema (an object is expected): not a nesting problem.
    assert_problem(r, 400, "invalid-request")
