"""The pytest fixtures xinyi-api gives scenario authors (``xinyi_api.pytest_plugin``),
used here as an author's test module uses them — on our session's PostgreSQL instead of a second
embedded one (``scenario_postgres`` overridden), with 信用+牛肉汤产业 as the scenario under test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar

from tests.conftest import PgServer
from xinyi_api.pytest_plugin import SCENARIO_NOW
from xinyi_api.settings import SettingsError

Token = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def scenario_postgres(pg_server: PgServer) -> str:
    return pg_server.admin_url


@pytest.fixture
def scenario_key() -> str:
    return "beef_soup"


async def test_the_app_enables_only_the_scenario_under_test(
    scenario_client: Any, scenario_clock: Any,
) -> None:
    assert scenario_clock.now() == SCENARIO_NOW
    r = await scenario_client.get("/api/v1/scenarios")
    assert [s["key"] for s in r.json()] == ["beef_soup"]
    assert scenario_client.app.state.settings.scenarios == ("beef_soup",)


async def test_tokens_subjects_and_a_connection_of_ones_own(
    scenario_client: Any, scenario_token: Token, scenario_subject: Callable[..., Awaitable[str]],
    scenario_conn: Any,
) -> None:
    store = await scenario_subject()
    assert store.startswith("S")  # beef soup covers stores first
    enterprise = await scenario_subject(subject_type="enterprise", name="淮南牛肉汤有限公司")
    assert await scenario_conn.fetchval("SELECT industry FROM subjects WHERE id = $1",
                                        enterprise) == "beef_soup"
    r = await scenario_client.post(f"/api/v1/subjects/{store}/records",
                                   headers=scenario_token(), json={
                                       "kind": "licence", "title": "食品经营许可证",
                                       "occurred_on": SCENARIO_NOW.date().isoformat()})
    assert r.status_code == 201, r.text
    grades = (await scenario_client.get(f"/api/v1/subjects/{store}/scenarios")).json()
    assert [g["scenario"] for g in grades] == ["beef_soup"]
    r = await scenario_client.get("/api/v1/me/credit",
                                  headers=scenario_token("consumer", sub="c_" + "a" * 26))
    assert r.status_code == 200, r.text
    assert await scenario_conn.fetchval("SELECT count(*) FROM departments") == 1


@pytest.mark.parametrize("scenario_variables", [{"colour": "red"}])
def test_scenario_variables_reach_the_app_being_built(
    scenario_variables: dict[str, str], request: pytest.FixtureRequest,
) -> None:
    assert scenario_variables == {"colour": "red"}
    with pytest.raises(SettingsError, match="XINYI_SCENARIO_BEEF_SOUP_COLOUR: scenario "
                                            "'beef_soup' declares no settings"):
        request.getfixturevalue("scenario_app")


def test_nothing_is_built_unless_asked(scenario_key: str) -> None:
    assert isinstance(scenario_key, str) and Litestar is not None
