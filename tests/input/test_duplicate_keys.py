"""``{"stars": 1, "stars": 5}`` used to store 5 stars; a key given twice is now a 400 naming it,
wherever in the body it is."""

from __future__ import annotations

from tests.conftest import assert_problem, auth, make_token
from tests.input.conftest import error_keys, nothing_written

JSON = {"Content-Type": "application/json"}


async def test_a_duplicate_key_is_a_400_naming_it(client, conn) -> None:
    consumer = auth(make_token(client.app, "consumer", sub="c_duplicate"))
    async with nothing_written(conn):
        r = await client.post("/api/v1/stores/S00000001/ratings", headers={**consumer, **JSON},
                              content=b'{"stars": 1, "text": "ok", "stars": 5}')
        body = assert_problem(r, 400, "duplicate-key")
    assert error_keys(body) == ["stars"]


async def test_a_duplicate_key_in_a_nested_object_is_named_with_its_path(client, conn,
                                                                         dept_headers) -> None:
    async with nothing_written(conn):
        r = await client.post(
            "/api/v1/objections/O0000000001/decision", headers={**dept_headers, **JSON},
            content='{"decision": "correct", "reason": "更正", "correction": '
                    '{"title": "一般", "title": "严重"}}'.encode())
        body = assert_problem(r, 400, "duplicate-key")
    assert error_keys(body) == ["correction.title"]
