"""A NUL byte used to reach PostgreSQL (invalid byte sequence, 500, traceback logged): from an
anonymous search as much as from a department's record. Now it never leaves the guards."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem, auth, make_token, uscc
from tests.input.conftest import assert_nothing_logged, error_keys, nothing_written


def _operator(app):
    return auth(make_token(app, "operator", sub="operator:ops"))


QUERIES = [
    ("/api/v1/stores?q=a%00b", "q", None),
    ("/api/v1/stores?q=%E7%89%9B%00", "q", None),
    ("/api/v1/disclosures?q=a%00b", "q", None),
    ("/api/v1/districts?region=3404%000", "region", None),
    ("/api/v1/audit?actor=dept%00scjg", "actor", "operator"),
    ("/api/v1/subjects/S00000001/file?purpose=%E6%8A%BD%E6%9F%A5%00", "purpose", "department"),
    ("/api/v1/stores?q%00=x", "q\x00", None),
]


@pytest.mark.parametrize(("url", "name", "role"), QUERIES)
async def test_a_nul_byte_in_a_query_parameter_is_a_400_naming_it_and_logs_nothing(
    client, conn, dept_headers, caplog, url, name, role,
) -> None:
    headers = {"operator": _operator(client.app), "department": dept_headers}.get(role, {})
    async with nothing_written(conn):
        body = assert_problem(await client.get(url, headers=headers), 400, "invalid-character")
    assert error_keys(body) == [name]
    assert "U+0000" in body["errors"][0]["message"]
    assert_nothing_logged(caplog)


async def test_a_nul_byte_in_a_record_title_is_a_400_naming_it_and_writes_nothing(
    client, conn, dept_headers, caplog,
) -> None:
    e = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(1), "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    assert e.status_code == 201, e.text
    async with nothing_written(conn):
        r = await client.post(f"/api/v1/subjects/{e.json()['id']}/records", headers=dept_headers,
                              json={"kind": "reward", "title": "诚信\x00示范店",
                                    "occurred_on": "2026-11-01"})
        body = assert_problem(r, 400, "invalid-character")
    assert error_keys(body) == ["title"]
    assert_nothing_logged(caplog)


async def test_a_raw_nul_byte_inside_a_json_string_names_the_field(client, conn,
                                                                   dept_headers) -> None:
    async with nothing_written(conn):
        r = await client.post("/api/v1/districts", content=b'{"name": "\x00", "region_code": '
                              b'"340403"}', headers={**dept_headers,
                                                     "Content-Type": "application/json"})
        body = assert_problem(r, 400, "invalid-character")
    assert error_keys(body) == ["name"]
