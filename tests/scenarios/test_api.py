"""Scenario endpoints, the medical-insurance scenario's own data, badges and rule upgrades."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.codes.conftest import eventually
from tests.conftest import TODAY, app_at, assert_problem, auth, make_token, uscc
from xinyi_api import platform as platform_module
from xinyi_api.scenarios.loader import LoadedScenario, load_scenarios
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.scenarios.service import scenario_badges
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]


async def _enterprise(client: Client, headers: dict[str, str], serial: int,
                      industry: str) -> str:
    r = await client.post("/api/v1/enterprises", headers=headers, json={
        "uscc": uscc(serial), "name": f"测试企业{serial}", "region_code": "340403",
        "industry": industry})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _record(client: Client, headers: dict[str, str], subject_id: str,
                  **body: Any) -> None:
    body.setdefault("occurred_on", (TODAY - timedelta(days=10)).isoformat())
    body.setdefault("title", "记录")
    r = await client.post(f"/api/v1/subjects/{subject_id}/records", headers=headers, json=body)
    assert r.status_code == 201, r.text


async def _model_soup_shop(client: Client, headers: dict[str, str]) -> str:
    """A beef-soup store good enough for grade A under 信用+牛肉汤产业."""
    ent = await _enterprise(client, headers, 501, "beef_soup")
    r = await client.post(f"/api/v1/enterprises/{ent}/stores", headers=headers, json={
        "name": "老韩家牛肉汤(洞山店)", "region_code": "340403", "industry": "beef_soup"})
    store = str(r.json()["id"])
    await _record(client, headers, store, kind="licence", title="食品经营许可证")
    await _record(client, headers, store, kind="commitment", result="kept", title="诚信经营承诺")
    for days in (5, 40, 80):
        await _record(client, headers, store, kind="inspection", result="pass",
                      title="日常检查", occurred_on=(TODAY - timedelta(days=days))
                      .isoformat())
    return store


async def test_list_scenarios_shows_every_enabled_scenario(client: Client) -> None:
    r = await client.get("/api/v1/scenarios")
    assert r.status_code == 200
    keys = {s["key"]: s for s in r.json()}
    assert {"beef_soup", "medical_insurance", "pay_later", "property", "tourism"} <= set(keys)
    assert keys["beef_soup"]["name_zh"] == "信用+牛肉汤产业"
    assert keys["beef_soup"]["distribution"] == "xinyi-api"


async def test_scenario_detail_has_the_grade_to_measures_table_with_bases(client: Client) -> None:
    r = await client.get("/api/v1/scenarios/beef_soup")
    assert r.status_code == 200
    body = r.json()
    assert body["thresholds"] == {"A": 820, "B": 680, "C": 540}
    by_grade = {g["grade"]: g for g in body["grades"]}
    assert list(by_grade) == ["A", "B", "C", "D", "unrated"]
    badge = next(m for m in by_grade["A"]["measures"] if m["key"] == "model_store_badge")
    assert badge["effect"] == {"type": "badge", "code": "beef_soup_model_store",
                               "label_zh": "诚信示范店"}
    assert badge["kind_label"] == "守信激励" and badge["basis"]["article"]
    d_effects = [m["effect"] for m in by_grade["D"]["measures"]]
    assert {"type": "inspection_frequency", "per_year": 6} in d_effects
    assert all(m["basis"]["document"] for g in body["grades"] for m in g["measures"])
    assert body["indicators"][0]["key"] == "food_inspections"


async def test_unknown_scenario_is_a_404_problem(client: Client) -> None:
    assert_problem(await client.get("/api/v1/scenarios/nursing"), 404, "unknown-scenario")


async def test_subject_gets_its_scenario_grade_besides_the_public_one(
    client: Client, dept_headers: dict[str, str]
) -> None:
    store = await _model_soup_shop(client, dept_headers)
    r = await client.get(f"/api/v1/subjects/{store}/scenarios")
    assert r.status_code == 200, r.text
    [item] = r.json()
    assert item["scenario"] == "beef_soup" and item["stored"] is True
    grade = item["grade"]
    assert grade["grade"] == "A" and grade["rule_version"] == "1"
    assert {o["key"] for o in grade["explanation"]["indicators"]} >= {"food_inspections",
                                                                      "food_licence"}
    public = await client.get(f"/api/v1/subjects/{store}/grade")
    assert public.json()["scheme"] == "public"


async def test_measures_that_apply_now_follow_the_subject_grade(
    client: Client, dept_headers: dict[str, str]
) -> None:
    store = await _model_soup_shop(client, dept_headers)
    r = await client.get(f"/api/v1/subjects/{store}/measures")
    [soup] = r.json()
    assert soup["grade"] == "A"
    keys = {m["key"] for m in soup["measures"]}
    assert {"inspections_a", "model_store_badge", "excellence_a", "support_ab"} == keys
    assert all(m["target"] == "business" for m in soup["measures"])


async def test_a_subject_no_scenario_covers_has_no_scenario_grades(
    client: Client, dept_headers: dict[str, str]
) -> None:
    ent = await _enterprise(client, dept_headers, 502, "retail")
    assert (await client.get(f"/api/v1/subjects/{ent}/scenarios")).json() == []
    assert (await client.get(f"/api/v1/subjects/{ent}/measures")).json() == []
    assert_problem(await client.get("/api/v1/subjects/E99999999/scenarios"), 404)


async def test_scenario_badges_for_the_scan_page(
    client: Client, dept_headers: dict[str, str], conn: Any
) -> None:
    store = await _model_soup_shop(client, dept_headers)
    state = client.app.state
    badges = await scenario_badges(conn, state.scenarios, state.grader, store, TODAY)
    assert [(b.scenario, b.code, b.label_zh) for b in badges] == [
        ("beef_soup", "beef_soup_model_store", "诚信示范店")]
    assert await scenario_badges(conn, state.scenarios, state.grader, "S99999999", TODAY) == []


async def test_scanning_a_model_shop_shows_its_scenario_badge(
    client: Client, dept_headers: dict[str, str]
) -> None:
    store = await _model_soup_shop(client, dept_headers)
    token = (await client.get(f"/api/v1/subjects/{store}/code")).json()["token"]
    r = await client.get(f"/api/v1/scan/{token}")
    assert r.status_code == 200, r.text
    [badge] = [b for b in r.json()["badges"] if b["scenario"] == "beef_soup"]
    assert badge["key"] == "beef_soup_model_store" and badge["label"] == "诚信示范店"
    assert "淮南市" in badge["basis"]


async def test_medical_insurance_bureau_records_agreement_and_media_exposure(
    client: Client, dept_headers: dict[str, str], conn: Any
) -> None:
    hospital = await _enterprise(client, dept_headers, 503, "hospital")
    ybj = auth(make_token(client.app, dept="ybj", region="340400"))
    await _record(client, ybj, hospital, kind="contract", result="fulfilled", title="医保服务协议")
    r = await client.put(f"/api/v1/scenarios/medical_insurance/agreements/{hospital}",
                         headers=ybj, json={"agreement_no": "YB-0001", "status": "in_force",
                                            "signed_on": "2024-01-01",
                                            "status_since": "2024-01-01"})
    assert r.status_code == 200, r.text
    before = r.json()["grade"]
    assert before in ("A", "B")
    r = await client.post("/api/v1/scenarios/medical_insurance/media-exposures", headers=ybj,
                          json={"subject_id": hospital, "outlet": "淮南日报",
                                "title": "违规收费被曝光", "severity": "severe",
                                "reported_on": TODAY.isoformat(), "verified": True})
    assert r.status_code == 201, r.text
    grades = (await client.get(f"/api/v1/subjects/{hospital}/scenarios")).json()
    medical = next(g for g in grades if g["scenario"] == "medical_insurance")
    media = next(o for o in medical["grade"]["explanation"]["indicators"] if o["key"] == "media")
    assert media["points"] == -200
    assert "违规收费被曝光" in media["reasons"][0]["text"]
    audited = await conn.fetch(
        "SELECT action, department FROM audit_log WHERE subject_id = $1 AND action LIKE"
        " 'medical_insurance.%' ORDER BY id", hospital)
    assert [(a["action"], a["department"]) for a in audited] == [
        ("medical_insurance.agreement.put", "ybj"), ("medical_insurance.exposure.add", "ybj")]


async def test_only_the_owning_department_writes_medical_insurance_data(
    client: Client, dept_headers: dict[str, str]
) -> None:
    hospital = await _enterprise(client, dept_headers, 504, "hospital")
    r = await client.put(f"/api/v1/scenarios/medical_insurance/agreements/{hospital}",
                         headers=dept_headers, json={"agreement_no": "YB-1", "status": "in_force",
                                                     "signed_on": "2024-01-01",
                                                     "status_since": "2024-01-01"})
    assert_problem(r, 403, "not-scenario-department")
    shop = await _enterprise(client, dept_headers, 505, "beef_soup")
    ybj = auth(make_token(client.app, dept="ybj", region="340400"))
    r = await client.put(f"/api/v1/scenarios/medical_insurance/agreements/{shop}", headers=ybj,
                         json={"agreement_no": "YB-1", "status": "in_force",
                               "signed_on": "2024-01-01", "status_since": "2024-01-01"})
    assert_problem(r, 422, "not-covered")


async def refreshed(conn: Any, scheme: str) -> None:
    """Wait for the background refresh of ``scheme`` to finish."""

    async def done() -> bool:
        return bool(await conn.fetchval(
            "SELECT refreshed = fingerprint FROM scenario_states WHERE scheme = $1", scheme))

    await eventually(done, within=10)


def _bumped(version: str) -> ScenarioRegistry:
    [item] = load_scenarios(["beef_soup"])
    changed = dataclasses.replace(item.scenario, rule_version=version,
                                  thresholds=(("A", 900), ("B", 680), ("C", 540)))
    return ScenarioRegistry([LoadedScenario(changed, item.plugin, item.distribution)])


async def test_a_new_rule_version_regrades_in_the_background_and_keeps_the_history(
    client: Client, dept_headers: dict[str, str], settings: Settings, conn: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = await _model_soup_shop(client, dept_headers)
    monkeypatch.setattr(platform_module, "registry_for", lambda enabled=None: _bumped("2"))
    async with AsyncTestClient(app=app_at(settings)) as upgraded:
        # At once, even before the refresh reaches the store: version 2 (graded on read).
        r = await upgraded.get(f"/api/v1/subjects/{store}/grade",
                               params={"scheme": "beef_soup"})
        assert r.json()["rule_version"] == "2" and r.json()["grade"] == "B"
        await refreshed(conn, "beef_soup")
        history = await upgraded.get(f"/api/v1/subjects/{store}/grade/history",
                                     params={"scheme": "beef_soup"})
        versions = [(h["rule_version"], h["grade"]) for h in history.json()]
        assert versions[0] == ("2", "B") and ("1", "A") in versions
    state = await conn.fetchrow("SELECT * FROM scenario_states WHERE scheme = 'beef_soup'")
    assert state["done"] == 2  # the store and its beef-soup enterprise
    # Starting again under the same version refreshes nothing.
    async with AsyncTestClient(app=app_at(settings)):
        pass
    again = await conn.fetchrow("SELECT * FROM scenario_states WHERE scheme = 'beef_soup'")
    assert again["refreshed_at"] == state["refreshed_at"]
