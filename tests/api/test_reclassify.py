"""A subject's classification (industry, region) belongs to the department that registered it,
or an operator; every change of it is on the audit log."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import assert_problem, auth, make_token, uscc

Client = AsyncTestClient[Litestar]
ENT = {"name": "淮南老韩家牛肉汤有限公司", "region_code": "340403", "industry": "beef_soup",
       "address": "田家庵区洞山中路 88 号"}
STORE = {"name": "老韩家牛肉汤(洞山店)", "region_code": "340403", "industry": "beef_soup"}


async def _beef_soup_store(client: Client, owner: dict[str, str]) -> dict[str, Any]:
    r = await client.post("/api/v1/enterprises", headers=owner, json={**ENT, "uscc": uscc(1)})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/enterprises/{r.json()['id']}/stores", headers=owner,
                          json=STORE)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _audit(conn: asyncpg.Connection, subject_id: str) -> list[tuple[str, Any]]:
    rows = await conn.fetch("SELECT action, detail FROM audit_log WHERE subject_id = $1 "
                            "AND action LIKE 'store.%' AND action <> 'store.create' ORDER BY id",
                            subject_id)
    return [(r["action"], r["detail"]) for r in rows]


async def test_another_department_of_the_region_may_not_move_a_store_to_another_industry(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    store = await _beef_soup_store(client, dept_headers)  # registered by 市场监管 (scjg)
    path = f"/api/v1/stores/{store['id']}"
    measures = (await client.get(f"/api/v1/subjects/{store['id']}/measures")).json()
    other = auth(make_token(client.app, dept="ybj", region="340400"))  # city-wide, not the owner

    body = assert_problem(await client.patch(path, headers=other, json={"industry": "catering"}),
                          403, "not-subject-owner")
    assert body["owner_department"] == "scjg" and body["fields"] == ["industry"]
    assert "scjg" in body["detail"]
    district = auth(make_token(client.app, dept="scjg_tja", region="340403"))
    body = assert_problem(await client.patch(path, headers=district,
                                             json={"region_code": "340402"}),
                          403, "not-subject-owner")
    assert body["fields"] == ["region_code"]

    assert (await client.get(path)).json()["industry"] == "beef_soup"
    assert (await client.get(f"/api/v1/subjects/{store['id']}/measures")).json() == measures
    # Details stay open to the departments of the region; naming the same industry is no change.
    r = await client.patch(path, headers=other, json={"address": "洞山中路 90 号",
                                                      "industry": "beef_soup"})
    assert r.status_code == 200, r.text
    assert await _audit(conn, store["id"]) == [
        ("store.update", {"fields": ["address", "industry"]})]


async def test_the_registering_department_and_an_operator_reclassify_on_the_record(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    store = await _beef_soup_store(client, dept_headers)
    path = f"/api/v1/stores/{store['id']}"
    r = await client.patch(path, headers=dept_headers, json={"industry": "catering"})
    assert r.status_code == 200, r.text
    assert r.json()["industry"] == "catering"

    operator = auth(make_token(client.app, "operator", sub="operator:wang"))
    r = await client.patch(path, headers=operator,
                           json={"industry": "beef_soup", "region_code": "340402"})
    assert r.status_code == 200, r.text
    assert (r.json()["industry"], r.json()["region_code"]) == ("beef_soup", "340402")
    # An operator corrects classifications only.
    assert_problem(await client.patch(path, headers=operator, json={"name": "改名"}), 403,
                   "forbidden")

    assert await _audit(conn, store["id"]) == [
        ("store.reclassify", {"fields": ["industry"], "as": "owner",
                              "classification": {"industry": ["beef_soup", "catering"]}}),
        ("store.reclassify", {"fields": ["industry", "region_code"], "as": "operator",
                              "classification": {"industry": ["catering", "beef_soup"],
                                                 "region_code": ["340403", "340402"]}}),
    ]
    actor = await conn.fetchval("SELECT actor FROM audit_log WHERE action = 'store.reclassify' "
                                "AND detail->>'as' = 'operator'")
    assert actor == "operator:wang"


async def test_an_enterprise_is_reclassified_only_by_its_registering_department(
    client: Client, dept_headers: dict[str, str]
) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers,
                          json={**ENT, "uscc": uscc(2)})
    path = f"/api/v1/enterprises/{r.json()['id']}"
    other = auth(make_token(client.app, dept="ybj", region="340400"))
    assert_problem(await client.patch(path, headers=other, json={"industry": "hotel"}), 403,
                   "not-subject-owner")
    r = await client.patch(path, headers=dept_headers, json={"industry": "hotel"})
    assert r.status_code == 200 and r.json()["industry"] == "hotel"
