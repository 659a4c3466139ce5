"""A record dated 0001-01-01 used to be stored, and from then on every rating of its store
answered 500. Every date a client sends — body field or query parameter — must now lie in
1990-01-01 … 2099-12-31 (``PlausibleDate``); what may not lie in the future is checked against
the app's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import TODAY, assert_problem, auth, make_token, uscc
from tests.input.conftest import (
    assert_nothing_logged,
    body_at,
    body_routes,
    custom_fields,
    error_keys,
    headers_for,
    key_of,
    nothing_written,
)
from xinyi_api.inputs import PlausibleDate


async def _store(client, headers) -> str:
    e = await client.post("/api/v1/enterprises", headers=headers, json={
        "uscc": uscc(11), "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    s = await client.post(f"/api/v1/enterprises/{e.json()['id']}/stores", headers=headers,
                          json={"name": "张记牛肉汤(朝阳路店)", "region_code": "340403",
                                "industry": "beef_soup"})
    assert s.status_code == 201, s.text
    return str(s.json()["id"])


async def test_a_record_dated_0001_01_01_is_refused_and_its_store_still_rates(
    client, conn, dept_headers, caplog,
) -> None:
    store = await _store(client, dept_headers)
    async with nothing_written(conn):
        r = await client.post(f"/api/v1/subjects/{store}/records", headers=dept_headers, json={
            "kind": "penalty", "severity": "general", "title": "从业人员未取得健康证明上岗",
            "legal_basis": "《中华人民共和国食品安全法》第一百二十六条",
            "occurred_on": "0001-01-01"})
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == ["occurred_on"]
    assert "1990-01-01 … 2099-12-31" in body["errors"][0]["message"]
    ratings = await client.get(f"/api/v1/stores/{store}/ratings")
    assert ratings.status_code == 200, ratings.text
    assert_nothing_logged(caplog)


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31", "2100-01-01", "9999-12-31",
                                 "2026-02-30", "20261116", "2026-W47-1", "2026-11-16T00:00:00"])
async def test_every_date_of_every_body_must_be_a_plausible_day(client, conn, caplog,
                                                                day) -> None:
    walked = []
    async with nothing_written(conn):
        for route in body_routes(client.app):
            for path in custom_fields(route.body_type, PlausibleDate):
                r = await client.request(route.method, route.url, json=body_at(path, day),
                                         headers=headers_for(client.app, route))
                body = assert_problem(r, 400, "invalid-request")
                assert error_keys(body) == [key_of(path)], (str(route), body)
                walked.append(key_of(path))
    # records, commitments, assessments, medical-insurance agreements and exposures
    assert sorted(set(walked)) == ["occurred_on", "published_on", "reported_on", "signed_on",
                                   "status_since", "valid_until"]
    assert_nothing_logged(caplog)


async def test_the_bounds_of_the_range_are_plausible(client, dept_headers) -> None:
    store = await _store(client, dept_headers)
    r = await client.post(f"/api/v1/subjects/{store}/records", headers=dept_headers, json={
        "kind": "licence", "title": "食品经营许可证", "occurred_on": "1990-01-01"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("query", ["since=0001-01-10", "until=0001-01-10", "since=9999-12-31",
                                   "until=2100-01-01"])
async def test_scan_statistics_refuse_implausible_days(client, conn, dept_headers, caplog,
                                                       query) -> None:
    store = await _store(client, dept_headers)
    async with nothing_written(conn):
        r = await client.get(f"/api/v1/stores/{store}/scan-stats?{query}", headers=dept_headers)
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == [query.split("=")[0]]
    assert_nothing_logged(caplog)


@pytest.mark.parametrize("query", ["since=0001-01-01T00:00:00Z", "until=9999-12-31T23:59:59Z",
                                   "until=9999-12-31T23:59:59-14:00", "since=1989-12-31T23:00:00Z"])
async def test_audit_search_refuses_implausible_instants(client, query) -> None:
    operator = auth(make_token(client.app, "operator", sub="operator:ops"))
    r = await client.get(f"/api/v1/audit?{query}", headers=operator)
    assert error_keys(assert_problem(r, 400, "invalid-request")) == [query.split("=")[0]]


async def test_a_medical_insurance_status_dated_in_the_future_is_refused(client, conn) -> None:
    ybj = auth(make_token(client.app, dept="ybj", region="340400"))
    async with nothing_written(conn):
        r = await client.put("/api/v1/scenarios/medical_insurance/agreements/S00000001",
                             headers=ybj, json={
                                 "agreement_no": "HN-2026-001", "status": "suspended",
                                 "signed_on": TODAY.isoformat(),
                                 "status_since": (TODAY + timedelta(days=1)).isoformat()})
        assert_problem(r, 422, "invalid-dates")
