"""Never stale: a scenario's grade follows its configuration — enabled, rule version, coverage."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.codes.conftest import in_app
from tests.conftest import TODAY, app_at, assert_problem, auth, make_token
from tests.scenarios.helpers import VALID
from tests.scenarios.test_api import _model_soup_shop, refreshed
from xinyi_api.db.pool import connect
from xinyi_api.grading.engine import CreditFile, IndicatorResult
from xinyi_api.grading.public_rule import PUBLIC_RULE
from xinyi_api.grading.service import Grader
from xinyi_api.scenarios.freshness import fingerprint, refresh
from xinyi_api.scenarios.kit import grade_offline, indicator, make_file, make_record
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]
SEVERE = {"kind": "penalty", "severity": "severe", "title": "使用过期原料",
          "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
          "occurred_on": (TODAY - timedelta(days=2)).isoformat()}


async def _beef_soup_grade(client: Client, store: str) -> Any:
    return await client.get(f"/api/v1/subjects/{store}/grade", params={"scheme": "beef_soup"})


async def test_a_scenario_enabled_again_shows_the_grade_its_file_earns_now_not_its_old_a(
        client: Client, dept_headers: dict[str, str], settings: Settings, conn: Any) -> None:
    store = await _model_soup_shop(client, dept_headers)
    assert (await _beef_soup_grade(client, store)).json()["grade"] == "A"
    # This worker keeps its configuration (信用+牛肉汤 on, graded A) while the other runs without
    # it; its background profile builder would store that A-based page meanwhile — two workers
    # on different scenario sets at once is another matter (docs/plugins.md, "Rule versions").
    in_app(client, client.app.state.codes.materialiser.stop)
    without = dataclasses.replace(settings, scenarios=("tourism",))
    async with AsyncTestClient(app=app_at(without)) as off:
        assert_problem(await _beef_soup_grade(off, store), 404)
        headers = auth(make_token(off.app, dept="scjg", region="340400"))
        r = await off.post(f"/api/v1/subjects/{store}/records", headers=headers, json=SEVERE)
        assert r.status_code == 201, r.text
        assert (await off.get(f"/api/v1/subjects/{store}/scenarios")).json() == []
    # The stored 信用+牛肉汤 grade is still the A computed before the penalty.
    assert await conn.fetchval("SELECT grade FROM grades WHERE subject_id = $1 AND "
                               "scheme = 'beef_soup'", store) == "A"
    async with AsyncTestClient(app=app_at(settings)) as on:
        now = (await _beef_soup_grade(on, store)).json()
        assert now["grade"] == "D"
        measures = (await on.get(f"/api/v1/subjects/{store}/measures")).json()
        soup = next(m for m in measures if m["scenario"] == "beef_soup")
        assert soup["grade"] == "D" and all(m["kind"] == "constraint" for m in soup["measures"])
        code = (await on.get(f"/api/v1/subjects/{store}/code")).json()
        scan = (await on.get(f"/api/v1/scan/{code['token']}")).json()
        assert not any(b["key"] == "beef_soup_model_store" for b in scan["badges"])
        await refreshed(conn, "beef_soup")
    assert await conn.fetchval("SELECT grade FROM grades WHERE subject_id = $1 AND "
                               "scheme = 'beef_soup'", store) == "D"


async def test_a_disabled_or_no_longer_covering_scenario_grade_is_never_served(
        client: Client, dept_headers: dict[str, str], settings: Settings) -> None:
    store = await _model_soup_shop(client, dept_headers)
    async with AsyncTestClient(app=app_at(dataclasses.replace(settings, scenarios=("tourism",)))
                               ) as off:
        assert_problem(await _beef_soup_grade(off, store), 404)
    r = await client.patch(f"/api/v1/stores/{store}", headers=dept_headers,
                           json={"industry": "catering"})
    assert r.status_code == 200, r.text
    assert_problem(await _beef_soup_grade(client, store), 404)
    listed = (await client.get(f"/api/v1/subjects/{store}/scenarios")).json()
    assert "beef_soup" not in {g["scenario"] for g in listed}


async def test_one_worker_refreshes_a_scheme_while_the_other_finds_it_taken(
        client: Client, dept_headers: dict[str, str], conn: Any, database_url: str) -> None:
    await _model_soup_shop(client, dept_headers)
    await refreshed(conn, "beef_soup")
    scenario = client.app.state.scenarios.get("beef_soup")
    assert scenario is not None
    changed = dataclasses.replace(scenario, rule_version="9")
    await conn.execute("UPDATE scenario_states SET fingerprint = $2, refreshed = NULL, "
                       "cursor = '' WHERE scheme = $1", "beef_soup", fingerprint(changed))
    grader = Grader([PUBLIC_RULE, changed.rule()])
    pools = [await _pool(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(refresh(p, grader, changed, TODAY) for p in pools))
    finally:
        for p in pools:
            await p.close()
    assert sorted(results, key=lambda r: (r is None, r)) in ([2, None], [2, 0])
    assert await conn.fetchval("SELECT count(*) FROM grades WHERE scheme = 'beef_soup' AND "
                               "rule_version = '9'") == 2


async def _pool(url: str) -> Any:
    import asyncpg

    return await asyncpg.create_pool(url, min_size=1, max_size=1)


def test_an_indicator_or_a_loader_sets_the_review_date() -> None:
    lapse = date(2026, 12, 31)

    @indicator("star_rating", "星级评定", "star rating")
    def star_rating(file: CreditFile, today: date) -> IndicatorResult:
        """四星级及以上酒店加分,星级评定到期后不再计分。"""
        return IndicatorResult(50, evidence=1, review_on=lapse)

    scenario = dataclasses.replace(VALID, indicators=(*VALID.indicators, star_rating))
    licence = make_record("licence", occurred_on=date(2025, 1, 10))  # shown until 2028
    file = make_file(licence, industry=VALID.industries[0])
    assert grade_offline(scenario, file, TODAY).review_on == lapse
    file.reviews.append(date(2026, 12, 1))  # what a loader knows
    assert grade_offline(scenario, file, TODAY).review_on == date(2026, 12, 1)


async def test_regrade_due_grades_a_subject_on_its_review_date(
        client: Client, dept_headers: dict[str, str], conn: Any, database_url: str) -> None:
    from xinyi_api.grading.regrade import run_regrade

    store = await _model_soup_shop(client, dept_headers)
    await conn.execute("UPDATE grades SET review_on = $2 WHERE subject_id = $1",
                       store, TODAY + timedelta(days=3))
    other = await connect(database_url)
    try:
        grader = client.app.state.grader
        early = await run_regrade(other, grader, TODAY, due_only=True)
        assert early.processed == 0
        due = await run_regrade(other, grader, TODAY + timedelta(days=3), due_only=True)
        assert due.processed == 1
    finally:
        await other.close()


async def test_a_workers_stale_scenarios_are_refreshed_in_turn_on_one_connection(
        client: Client, conn: Any) -> None:
    """On a fresh database every enabled scenario is stale at start: one background task
    refreshes them one after another (each refresh holds a connection for as long as it runs),
    and every one of them ends refreshed."""
    registry = client.app.state.platform.scenarios
    assert len(registry.scenarios) > 1
    assert len(client.app.state.scenario_refreshes) == 1
    for scenario in registry.scenarios:
        await refreshed(conn, scenario.key)
