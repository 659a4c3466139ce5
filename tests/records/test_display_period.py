from datetime import date

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import uscc
from xinyi_api.grading.kinds import public_until


@pytest.mark.parametrize(
    ("kind", "severity", "result", "last_day"),
    [
        ("penalty", "minor", None, date(2026, 4, 14)),  # 3 months
        ("penalty", "general", None, date(2027, 1, 14)),  # 1 year
        ("penalty", "serious", None, date(2028, 1, 14)),  # 2 years
        ("penalty", "severe", None, date(2029, 1, 14)),  # 3 years
        ("complaint", "general", None, date(2026, 7, 14)),  # 6 months
        ("inspection", None, "pass", date(2027, 1, 14)),  # 1 year
        ("inspection", "severe", "fail", date(2029, 1, 14)),  # a failed inspection as a penalty
        ("licence", None, None, date(2029, 1, 14)),  # 3 years
    ],
)
def test_display_period_follows_kind_and_severity(kind, severity, result, last_day) -> None:
    assert public_until(date(2026, 1, 15), kind, severity, result) == last_day


def test_month_ends_are_clamped() -> None:
    assert public_until(date(2025, 11, 30), "penalty", "minor", None) == date(2026, 2, 27)


async def _store(client: AsyncTestClient, headers) -> str:
    r = await client.post("/api/v1/enterprises", headers=headers, json={
        "uscc": uscc(7), "name": "王记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    r = await client.post(f"/api/v1/enterprises/{r.json()['id']}/stores", headers=headers,
                          json={"name": "王记牛肉汤(国庆路店)", "region_code": "340403",
                                "industry": "beef_soup"})
    return r.json()["id"]


async def test_a_record_leaves_public_view_when_its_period_ends(client, dept_headers) -> None:
    store = await _store(client, dept_headers)
    today = client.app.state.clock.today()
    old = today.replace(year=today.year - 2)
    recent = today
    expired = await client.post(f"/api/v1/subjects/{store}/records", headers=dept_headers, json={
        "kind": "penalty", "severity": "minor", "title": "价格标示不规范",
        "legal_basis": "《中华人民共和国价格法》第四十二条", "occurred_on": old.isoformat()})
    assert expired.status_code == 201, expired.text
    assert expired.json()["record"]["public_until"] < today.isoformat()
    live = await client.post(f"/api/v1/subjects/{store}/records", headers=dept_headers, json={
        "kind": "inspection", "result": "pass", "title": "食品安全日常监督检查",
        "occurred_on": recent.isoformat()})
    assert live.status_code == 201
    public = (await client.get(f"/api/v1/subjects/{store}/records")).json()
    assert [r["id"] for r in public] == [live.json()["record"]["id"]]
    # The expired penalty does not count either: only the inspection moved the score.
    grade = (await client.get(f"/api/v1/subjects/{store}/grade")).json()
    penalties = next(i for i in grade["explanation"]["indicators"] if i["key"] == "penalties")
    assert penalties["points"] == 0
