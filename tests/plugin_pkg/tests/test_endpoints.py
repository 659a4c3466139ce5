"""The scenario in the running app: its own endpoint, its table, its settings and the generic
endpoints, on a real PostgreSQL (xinyi-api's pytest fixtures; only this scenario enabled)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from xinyi_scenario_housekeeping import KEY

Token = Callable[..., dict[str, str]]
NewSubject = Callable[..., Awaitable[str]]


async def test_a_staff_report_regrades_the_subject(
    scenario_client: Any, scenario_token: Token, scenario_subject: NewSubject,
    scenario_clock: Any,
) -> None:
    subject = await scenario_subject()
    r = await scenario_client.post(f"/api/v1/subjects/{subject}/records",
                                   headers=scenario_token(), json={
                                       "kind": "licence", "title": "营业执照",
                                       "occurred_on": scenario_clock.today().isoformat()})
    assert r.status_code == 201, r.text
    reported = scenario_clock.today() - timedelta(days=3)
    r = await scenario_client.put(
        f"/api/v1/scenarios/{KEY}/worker-checks/{subject}", headers=scenario_token(),
        json={"reported_on": reported.isoformat(), "workers": 20, "certified_workers": 19})
    assert r.status_code == 200, r.text
    assert r.json()["grade"] == "A"

    grades = (await scenario_client.get(f"/api/v1/subjects/{subject}/scenarios")).json()
    assert [(g["scenario"], g["grade"]["grade"]) for g in grades] == [(KEY, "A")]
    measures = (await scenario_client.get(f"/api/v1/subjects/{subject}/measures")).json()
    assert "trusted_badge" in {m["key"] for m in measures[0]["measures"]}


async def test_only_the_owning_department_records_staff_reports(
    scenario_client: Any, scenario_token: Token, scenario_subject: NewSubject,
    scenario_clock: Any,
) -> None:
    subject = await scenario_subject()
    r = await scenario_client.put(
        f"/api/v1/scenarios/{KEY}/worker-checks/{subject}",
        headers=scenario_token(dept="someone_else"),
        json={"reported_on": scenario_clock.today().isoformat(), "workers": 5,
              "certified_workers": 5})
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:xinyi:problem:not-scenario-department"


@pytest.mark.parametrize("scenario_variables", [{"max_report_age_days": "30"}])
async def test_a_report_older_than_the_configured_age_is_refused(
    scenario_client: Any, scenario_token: Token, scenario_subject: NewSubject,
    scenario_clock: Any,
) -> None:
    subject = await scenario_subject()
    reported = scenario_clock.today() - timedelta(days=31)
    r = await scenario_client.put(
        f"/api/v1/scenarios/{KEY}/worker-checks/{subject}", headers=scenario_token(),
        json={"reported_on": reported.isoformat(), "workers": 5, "certified_workers": 5})
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "urn:xinyi:problem:invalid-dates"


async def test_the_generic_endpoints_answer_under_the_key(scenario_client: Any) -> None:
    r = await scenario_client.get(f"/api/v1/scenarios/{KEY}")
    assert r.status_code == 200, r.text
    assert r.json()["key"] == KEY
