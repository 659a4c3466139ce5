"""Routes that cannot collide: every scenario key — the five built-ins and the installed 信用+家政
tutorial, which has routes of its own under /api/v1/scenarios/housekeeping/… — answers every
generic endpoint with the generic handler (its own 2xx or 4xx), never the router's 404 or 405;
and a scenario whose own route would take a generic path is refused, naming the route."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest
from litestar import Controller, Litestar, Router, get, post
from litestar.testing import AsyncTestClient

from tests.conftest import app_at, assert_problem, auth, make_token, uscc
from tests.scenarios.helpers import VALID, variant
from xinyi_api.clock import ManualClock
from xinyi_api.scenarios.loader import GROUP, load_scenarios, own_route_problems
from xinyi_api.scenarios.model import ScenarioError
from xinyi_api.scenarios.routes import GENERIC_PATHS
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]
KEYS = ["beef_soup", "housekeeping", "medical_insurance", "pay_later", "property", "tourism"]
OWN_ROUTES = {"housekeeping", "medical_insurance", "pay_later"}
ROUTER_MISSES = {("not-found", 404), ("method-not-allowed", 405)}


@pytest.fixture
def app(installed: Path, settings: Settings, clock: ManualClock) -> Litestar:
    """Every installed scenario, the tutorial included (installed before the app is built)."""
    return app_at(settings, clock)


def _slug(response: Any) -> str:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return ""
    return str(response.json()["type"]).removeprefix("urn:xinyi:problem:")


def test_the_walk_covers_every_generic_path() -> None:
    assert set(GENERIC_PATHS) == {"/", "/participants", "/participants/{subject_id}",
                                  "/redemptions", "/person-reports"}


@pytest.mark.parametrize("key", KEYS)
async def test_every_generic_endpoint_answers_under_every_scenario_key(
    client: Client, key: str,
) -> None:
    scenario = client.app.state.scenarios.get(key)
    assert scenario is not None, f"{key} is not enabled"
    assert bool(scenario.route_handlers) == (key in OWN_ROUTES)
    city = auth(make_token(client.app, dept="scjg", region="340400"))
    r = await client.post("/api/v1/enterprises", headers=city, json={
        "uscc": uscc(880), "name": "淮南某餐饮有限公司", "region_code": "340403",
        "industry": "catering"})
    assert r.status_code == 201, r.text
    uncovered = r.json()["id"]  # catering: none of the scenarios covers it
    owner = auth(make_token(client.app, dept=scenario.department, region="340400"))
    stranger = auth(make_token(client.app, dept="zz_other", region="340400"))
    merchant = auth(make_token(client.app, "merchant", sub="m-walk"))
    base = f"/api/v1/scenarios/{key}"

    detail = await client.get(base)
    assert detail.status_code == 200, detail.text
    assert detail.json()["key"] == key
    participants = await client.get(f"{base}/participants")
    assert participants.status_code == 200 and participants.json() == []

    answers = {
        "PUT participants/{id}": (await client.put(
            f"{base}/participants/{uncovered}", headers=owner,
            json={"measures": ["no_such_offer"]}), 422, "not-a-person-offer"),
        "DELETE participants/{id}": (await client.delete(
            f"{base}/participants/{uncovered}", headers=stranger), 403,
            "not-scenario-department"),
        "POST redemptions": (await client.post(f"{base}/redemptions", headers=merchant, json={
            "code": "x", "subject_id": uncovered, "measure": "no_such_offer"}), 422,
            "not-a-person-offer"),
        "POST person-reports": (await client.post(
            f"{base}/person-reports", headers=merchant, json={
                "code": "x", "subject_id": uncovered, "result": "on_time", "period": "2026",
                "title": "2026年度物业费按时足额交纳"}), 422,
            # 信用+物业 rewards fees paid on time with points: it gets as far as the subject.
            "not-covered" if key == "property" else "no-credit-points"),
    }
    for name, (response, status, slug) in answers.items():
        assert (_slug(response), response.status_code) not in ROUTER_MISSES, \
            f"{name} of {key} was not routed to the generic handler: {response.text}"
        assert (response.status_code, _slug(response)) == (status, slug), \
            f"{name} of {key}: {response.text}"


async def test_an_unknown_key_is_the_generic_handlers_404_not_the_routers(
    client: Client,
) -> None:
    assert_problem(await client.get("/api/v1/scenarios/nursing/participants"), 404,
                   "unknown-scenario")


# --- own routes that would take a generic path are refused -----------------------------------


@get("/participants/{subject_id:str}", sync_to_thread=False)
def shadow_participant(subject_id: str) -> str:
    return subject_id


class ShadowController(Controller):
    path = "/"

    @get("/", sync_to_thread=False)
    def overview(self) -> str:
        return "mine"

    @post(["/agreements", "/redemptions"], sync_to_thread=False)
    def redeem(self) -> str:
        return "mine"


@get("/{anything:str}", sync_to_thread=False)
def catch_all(anything: str) -> str:
    return anything


@get("/person-reports/mine", sync_to_thread=False)
def reports() -> str:
    return "mine"


COLLIDING = variant(route_handlers=(shadow_participant, ShadowController, catch_all,
                                    Router("/", route_handlers=[reports])))
FINE = variant(route_handlers=(Router("/agreements", route_handlers=[shadow_participant]),))


def test_every_own_route_that_collides_with_a_generic_path_is_named() -> None:
    problems = own_route_problems(COLLIDING)
    named = [p.split("'")[1] for p in problems]
    assert named == ["/participants/{subject_id:str}", "/", "/redemptions", "/{anything:str}",
                     "/person-reports/mine"]
    assert all("collides with the generic scenario endpoints (mounted under "
               "/api/v1/scenarios/sample); use a path below a name of your own" in p
               for p in problems)
    assert own_route_problems(FINE) == []
    assert own_route_problems(VALID) == []


def test_a_scenario_with_a_colliding_route_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ep = importlib.metadata.EntryPoint(name="sample", group=GROUP,
                                       value="tests.scenarios.test_routes:COLLIDING")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(entry_points=[ep])
    message = str(caught.value)
    assert message.startswith("scenario plugin 'sample = tests.scenarios.test_routes:COLLIDING'")
    assert "own route '/participants/{subject_id:str}' collides" in message
