"""Names: trimmed before they are stored, refused when nothing visible is left, and never
holding a character that changes how the H5 page or the poster shows them."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem, uscc
from tests.input.conftest import error_keys, nothing_written

ENTERPRISE = {"uscc": uscc(7), "region_code": "340403", "industry": "beef_soup"}


@pytest.mark.parametrize("name", ["   ", "\u3000\u3000", "\u00a0", " \n "],
                         ids=["spaces", "ideographic", "nbsp", "newline"])
async def test_a_name_of_whitespace_only_is_refused(client, conn, dept_headers, name) -> None:
    async with nothing_written(conn):
        r = await client.post("/api/v1/enterprises", headers=dept_headers,
                              json={**ENTERPRISE, "name": name})
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == ["name"]


async def test_surrounding_whitespace_of_names_is_trimmed_before_storing(
    client, conn, dept_headers,
) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        **ENTERPRISE, "name": "\u3000 淮南老韩家牛肉汤 \u00a0", "address": "  洞山中路 88 号\t"})
    assert r.status_code == 201, r.text
    assert (r.json()["name"], r.json()["address"]) == ("淮南老韩家牛肉汤", "洞山中路 88 号")
    s = await client.post(f"/api/v1/enterprises/{r.json()['id']}/stores", headers=dept_headers,
                          json={"name": " 朝阳路店 ", "region_code": "340403",
                                "industry": "beef_soup"})
    assert s.status_code == 201, s.text
    stored = await conn.fetch("SELECT name, address FROM subjects ORDER BY id")
    assert [(row["name"], row["address"]) for row in stored] == [
        ("淮南老韩家牛肉汤", "洞山中路 88 号"), ("朝阳路店", "")]


async def test_a_store_name_with_a_right_to_left_override_is_refused(
    client, conn, dept_headers,
) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers,
                          json={**ENTERPRISE, "name": "淮南老韩家牛肉汤"})
    async with nothing_written(conn):
        s = await client.post(f"/api/v1/enterprises/{r.json()['id']}/stores",
                              headers=dept_headers,
                              json={"name": "\u202e店汤肉牛", "region_code": "340403",
                                    "industry": "beef_soup"})
        body = assert_problem(s, 400, "invalid-character")
    assert error_keys(body) == ["name"]
    assert "RIGHT-TO-LEFT OVERRIDE" in body["errors"][0]["message"]


async def test_a_renamed_store_is_trimmed_and_refused_when_blank(
    client, conn, dept_headers,
) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers,
                          json={**ENTERPRISE, "name": "淮南老韩家牛肉汤"})
    eid = r.json()["id"]
    async with nothing_written(conn):
        blank = await client.patch(f"/api/v1/enterprises/{eid}", headers=dept_headers,
                                   json={"name": " \u3000 "})
        assert error_keys(assert_problem(blank, 400, "invalid-request")) == ["name"]
    renamed = await client.patch(f"/api/v1/enterprises/{eid}", headers=dept_headers,
                                 json={"name": " 老韩家 "})
    assert renamed.status_code == 200, renamed.text
    assert await conn.fetchval("SELECT name FROM subjects WHERE id = $1", eid) == "老韩家"
