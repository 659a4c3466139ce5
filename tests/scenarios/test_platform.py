"""What the platform adds around scenarios: industries, explanations, owning departments."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import assert_problem, uscc
from xinyi_api.scenarios.freshness import warn_missing_departments

Client = AsyncTestClient[Litestar]


async def test_the_industry_registry_lists_the_core_and_the_scenarios_industries(
        client: Client) -> None:
    r = await client.get("/api/v1/industries")
    assert r.status_code == 200
    keys = {i["key"]: i for i in r.json()}
    assert keys["beef_soup"]["name_zh"] == "牛肉汤"
    assert {"property_management", "hospital", "scenic_spot"} <= set(keys)


@pytest.mark.parametrize("industry", ["property", "beefsoup", "housekeping"])
async def test_an_unknown_industry_is_refused_naming_the_field(
        client: Client, dept_headers: dict[str, str], conn: Any, industry: str) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(880), "name": "淮南某物业服务有限公司", "region_code": "340403",
        "industry": industry})
    body = assert_problem(r, 422, "unknown-industry")
    assert body["errors"][0]["key"] == "industry"
    assert await conn.fetchval("SELECT count(*) FROM subjects") == 0


async def test_a_changed_industry_must_be_known_too(
        client: Client, dept_headers: dict[str, str]) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(881), "name": "淮南某餐饮有限公司", "region_code": "340403",
        "industry": "catering"})
    assert r.status_code == 201, r.text
    assert_problem(await client.patch(f"/api/v1/enterprises/{r.json()['id']}",
                                      headers=dept_headers, json={"industry": "cateringg"}),
                   422, "unknown-industry")


async def test_every_scenario_grade_explains_what_each_indicator_measures(
        client: Client, dept_headers: dict[str, str]) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(882), "name": "淮南老李牛肉汤", "region_code": "340403",
        "industry": "beef_soup"})
    subject = r.json()["id"]
    grades = (await client.get(f"/api/v1/subjects/{subject}/scenarios")).json()
    soup = next(g for g in grades if g["scenario"] == "beef_soup")
    indicators = soup["grade"]["explanation"]["indicators"]
    assert indicators and all(i["description"] for i in indicators)
    public = (await client.get(f"/api/v1/subjects/{subject}/grade")).json()
    assert all(i["description"] for i in public["explanation"]["indicators"])


async def test_a_scenario_whose_owning_department_does_not_exist_is_warned_about(
        client: Client, conn: Any, caplog: pytest.LogCaptureFixture) -> None:
    registry = client.app.state.scenarios
    with caplog.at_level(logging.WARNING, logger="xinyi_api.scenarios.freshness"):
        missing = await warn_missing_departments(conn, registry)
    # The test database has scjg, scjg_tja and ybj: the other owners are missing.
    assert "beef_soup" not in missing and "medical_insurance" not in missing
    assert {"pay_later", "property", "tourism"} <= set(missing)
    assert "department add wjw" in caplog.text
