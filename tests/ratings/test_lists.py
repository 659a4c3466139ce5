"""Mini-program-ready lists: my ratings, complaints and visits carry their store; merchants see
their stores with grade, code links and scans, the complaints about them and how their reports
were decided; department queues are cursor-paged; which scenario's rating dimensions a store
gets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg

from tests.conftest import assert_problem, auth, make_token
from tests.ratings.conftest import (
    Client,
    Shop,
    consumer,
    consumer_id,
    open_shop,
    rate,
    scan,
    visit_and_rate,
)
from xinyi_api.ratings.service import DEFAULT_DIMENSIONS, dimension_scenario, rating_dimensions
from xinyi_api.scenarios.loader import LoadedScenario
from xinyi_api.scenarios.model import RatingDimension, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.state import platform_of
from xinyi_scenarios.beef_soup import SCENARIO as BEEF_SOUP

BASE = "https://xinyi.huainan.gov.cn"


def _card_ok(card: dict[str, Any], shop: Shop) -> None:
    assert card["id"] == shop.id and card["name"] == shop.store["name"]
    assert card["enterprise_id"] == shop.enterprise["id"]
    assert card["enterprise_name"] == shop.enterprise["name"]
    assert card["grade"] in {"A", "B", "C", "D", "unrated"} and card["grade_label"]
    assert card["links"]["profile"] == f"{BASE}/api/v1/stores/{shop.id}"
    assert card["links"]["ratings"] == f"{BASE}/api/v1/stores/{shop.id}/ratings"
    assert card["links"]["page"] == shop.store["code_url"]


async def test_editing_a_rating_answers_200_and_creating_201(client: Client, shop: Shop) -> None:
    ann = consumer(client.app, "ann")
    first = await visit_and_rate(client, shop, ann, 2)  # 201
    assert first["edited"] is False
    edited = await rate(client, shop, ann, 4, status=200)
    assert edited["edited"] is True and edited["rating"]["id"] == first["rating"]["id"]
    assert edited["rating"]["stars"] == 4


async def test_my_ratings_complaints_and_visits_carry_their_store(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str],
) -> None:
    ann = consumer(client.app, "ann")
    rated = await visit_and_rate(client, shop, ann, 4)
    r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=ann,
                          json={"category": "price", "text": "结账多收十元,电话13812345678"})
    assert r.status_code == 201, r.text
    mine = (await client.get("/api/v1/me/ratings", headers=ann)).json()
    assert [m["id"] for m in mine] == [rated["rating"]["id"]]
    _card_ok(mine[0]["store"], shop)
    complaints = (await client.get("/api/v1/me/complaints", headers=ann)).json()
    _card_ok(complaints[0]["store"], shop)

    other = await open_shop(client, dept_headers, conn, 502)
    await scan(client, other, ann)
    page = (await client.get("/api/v1/me/visits", headers=ann)).json()
    assert [v["store_id"] for v in page["items"]] == [other.id, shop.id]  # latest scan first
    visit = page["items"][1]
    _card_ok(visit["store"], shop)
    assert visit["can_rate"] is True and visit["scans"] == 1
    assert visit["my_rating_id"] == rated["rating"]["id"]
    assert page["items"][0]["my_rating_id"] is None
    assert page["next_cursor"] is None and page["next"] is None

    # Paged one at a time, the cursor walks both; a cursor of another list is refused.
    first = (await client.get("/api/v1/me/visits", headers=ann, params={"limit": 1})).json()
    assert [v["store_id"] for v in first["items"]] == [other.id]
    assert first["next"].startswith("/api/v1/me/visits?") and "limit=1" in first["next"]
    second = (await client.get(first["next"], headers=ann)).json()
    assert [v["store_id"] for v in second["items"]] == [shop.id]
    assert second["next_cursor"] is None
    bob = consumer(client.app, "bob")
    assert_problem(await client.get("/api/v1/me/visits", headers=bob,
                                    params={"cursor": first["next_cursor"]}), 400,
                   "invalid-cursor")
    assert_problem(await client.get("/api/v1/me/visits", headers=ann,
                                    params={"cursor": "garbage"}), 400, "invalid-cursor")

    # A closed store can no longer be rated from the visit list.
    r = await client.patch(f"/api/v1/stores/{shop.id}", headers=dept_headers,
                           json={"closed": True, "closed_reason": "歇业"})
    assert r.status_code == 200, r.text
    page = (await client.get("/api/v1/me/visits", headers=ann)).json()
    closed = next(v for v in page["items"] if v["store_id"] == shop.id)
    assert closed["can_rate"] is False and closed["store"]["closed"] is True


async def test_the_merchant_store_list_has_grade_code_links_and_scan_counts(
    client: Client, shop: Shop, conn: asyncpg.Connection,
) -> None:
    for name in ("ann", "bob"):
        await scan(client, shop, consumer(client.app, name))
    await conn.execute("INSERT INTO scan_daily (subject_id, day, count) VALUES "
                       "($1, DATE '2026-11-16' - 10, 5), ($1, DATE '2026-11-16' - 40, 100) "
                       "ON CONFLICT DO NOTHING", shop.id)
    r = await client.get("/api/v1/merchant/enterprises", headers=shop.merchant)
    assert r.status_code == 200, r.text
    [enterprise] = r.json()
    assert enterprise["id"] == shop.enterprise["id"] and enterprise["grade"]
    assert enterprise["links"]["ratings"] is None
    [store] = enterprise["stores"]
    assert store["id"] == shop.id and store["grade"] and store["grade_label"]
    code = store["code"]
    assert code["page"] == shop.store["code_url"]
    token = shop.token
    assert code["png"] == f"{BASE}/api/v1/codes/{token}.png"
    assert code["svg"] == f"{BASE}/api/v1/codes/{token}.svg"
    assert code["poster"] == f"{BASE}/api/v1/codes/{token}/poster.png"
    assert code["info"] == f"{BASE}/api/v1/subjects/{shop.id}/code"
    scans = store["scans"]
    assert scans["stats"] == f"{BASE}/api/v1/stores/{shop.id}/scan-stats"
    assert scans["last_30_days"] - scans["today"] >= 5  # the scan 10 days ago, not 40
    assert scans["last_30_days"] < 100 and scans["last_7_days"] == scans["today"]
    # The other tenant sees none of it.
    assert (await client.get("/api/v1/merchant/enterprises",
                             headers=shop.other_merchant)).json() == []


async def test_merchants_see_complaints_about_their_stores_masked_and_without_the_complainant(
    client: Client, shop: Shop, dept_headers: dict[str, str],
) -> None:
    ann = consumer(client.app, "ann")
    await scan(client, shop, ann)
    r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=ann, json={
        "category": "price", "text": "多收十元,联系我13812345678"})
    assert r.status_code == 201, r.text
    complaint = r.json()
    page = (await client.get("/api/v1/merchant/complaints", headers=shop.merchant)).json()
    [item] = page["items"]
    assert item["id"] == complaint["id"] and item["status"] == "open"
    assert "13812345678" not in item["text"] and "多收十元" in item["text"]
    assert consumer_id("ann") not in str(page) and "consumer_id" not in item
    assert item["store"]["id"] == shop.id and item["category_label"]
    r = await client.post(f"/api/v1/complaints/{complaint['id']}/decision", headers=dept_headers,
                          json={"decision": "reject", "reason": "经核查价格与公示一致"})
    assert r.status_code == 200, r.text
    decided = (await client.get("/api/v1/merchant/complaints", headers=shop.merchant,
                                params={"status": "rejected"})).json()["items"]
    assert [(c["status"], c["outcome"]) for c in decided] == [("rejected", "经核查价格与公示一致")]
    assert (await client.get("/api/v1/merchant/complaints", headers=shop.merchant,
                             params={"status": "open"})).json()["items"] == []
    assert (await client.get("/api/v1/merchant/complaints",
                             headers=shop.other_merchant)).json()["items"] == []


async def test_merchants_see_how_each_report_was_decided(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str],
) -> None:
    ratings = []
    for name in ("ann", "bob", "cat"):
        ratings.append((await visit_and_rate(client, shop, consumer(client.app, name), 1))
                       ["rating"]["id"])
    for rid in ratings:
        r = await client.post(f"/api/v1/ratings/{rid}/reports", headers=shop.merchant,
                              json={"reason": "从未到店消费,恶意差评"})
        assert r.status_code == 201, r.text
    decisions = [(ratings[0], {"decision": "remove", "reason": "经核实系恶意评价",
                               "malicious": True}),
                 (ratings[1], {"decision": "approve", "reason": "消费记录属实"})]
    for rid, body in decisions:
        r = await client.post(f"/api/v1/moderation/ratings/{rid}/decision",
                              headers=dept_headers, json=body)
        assert r.status_code == 200, r.text
    r = await client.get("/api/v1/merchant/reports", headers=shop.merchant)
    assert r.status_code == 200, r.text
    by_rating = {i["rating"]["id"]: i for i in r.json()["items"]}
    removed, dismissed, pending = (by_rating[rid] for rid in ratings)
    assert removed["outcome"] == "removed" and removed["decision"]["malicious"] is True
    assert removed["decision"]["reason"] == "经核实系恶意评价"
    assert removed["rating"]["status"] == "removed"
    assert dismissed["outcome"] == "dismissed" and dismissed["decision"]["decision"] == "approve"
    assert pending["outcome"] == "pending" and pending["decision"] is None
    assert all(i["store"]["id"] == shop.id and i["outcome_label"] for i in by_rating.values())

    # The author deletes the pending rating: the report stays, its outcome says so.
    r = await client.delete(f"/api/v1/me/ratings/{ratings[2]}", headers=consumer(client.app,
                                                                                 "cat"))
    assert r.status_code == 204, r.text
    page = (await client.get("/api/v1/merchant/reports", headers=shop.merchant,
                             params={"limit": 2})).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (await client.get("/api/v1/merchant/reports", headers=shop.merchant,
                             params={"limit": 2, "cursor": page["next_cursor"]})).json()
    outcomes = sorted(i["outcome"] for i in [*page["items"], *rest["items"]])
    assert outcomes == ["dismissed", "rating_deleted", "removed"]
    deleted = next(i for i in [*page["items"], *rest["items"]] if i["outcome"] == "rating_deleted")
    assert deleted["rating"] is None
    assert (await client.get("/api/v1/merchant/reports",
                             headers=shop.other_merchant)).json()["items"] == []
    assert_problem(await client.get("/api/v1/merchant/reports", headers=shop.other_merchant,
                                    params={"cursor": page["next_cursor"]}), 400,
                   "invalid-cursor")


async def test_moderation_and_complaint_queues_are_cursor_paged(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str],
) -> None:
    names = [f"p{i}" for i in range(5)]
    for name in names:
        who = consumer(client.app, name)
        rating = (await visit_and_rate(client, shop, who, 1))["rating"]
        if rating["status"] == "published":  # held ones (new accounts) are in the queue anyway
            r = await client.post(f"/api/v1/ratings/{rating['id']}/reports",
                                  headers=shop.merchant, json={"reason": "恶意差评"})
            assert r.status_code == 201, r.text
        r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=who,
                              json={"category": "service", "text": "服务态度很差"})
        assert r.status_code == 201, r.text
    for path, params in (("/api/v1/moderation/ratings", {}),
                         ("/api/v1/complaints", {"status": "open"})):
        seen: list[str] = []
        url: str | None = path
        query: dict[str, Any] | None = {**params, "limit": 2}
        while url is not None:
            r = await client.get(url, headers=dept_headers, params=query)
            assert r.status_code == 200, r.text
            seen += [i["id"] for i in r.json()["items"]]
            url, query = r.json()["next"], None
        assert len(seen) == 5 == len(set(seen)), path
        everything = (await client.get(path, headers=dept_headers, params=params)).json()
        assert [i["id"] for i in everything["items"]] == seen
        first = (await client.get(path, headers=dept_headers,
                                  params={**params, "limit": 2})).json()
        # the cursor is only good for this list, filter and department
        other_filter = {"status": "rejected"} if params else {}
        if other_filter:
            assert_problem(await client.get(path, headers=dept_headers, params={
                **other_filter, "cursor": first["next_cursor"]}), 400, "invalid-cursor")
        ybj = auth(make_token(client.app, dept="ybj", region="340400"))
        assert_problem(await client.get(path, headers=ybj, params={
            **params, "cursor": first["next_cursor"]}), 400, "invalid-cursor")


async def test_an_upheld_complaint_record_is_titled_with_the_finding(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str],
) -> None:
    titles = []
    for name, extra in (("ann", {"finding": "菜单标价与结账价格不符"}),
                        ("bob", {}),):
        who = consumer(client.app, name)
        await scan(client, shop, who)
        r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=who,
                              json={"category": "price", "text": "价格欺诈,多收钱"})
        assert r.status_code == 201, r.text
        r = await client.post(f"/api/v1/complaints/{r.json()['id']}/decision",
                              headers=dept_headers, json={
                                  "decision": "uphold", "severity": "general",
                                  "reason": "经现场核查,存在未明码标价行为\n已责令改正",
                                  "legal_basis": "《明码标价和禁止价格欺诈规定》第二十条",
                                  **extra})
        assert r.status_code == 200, r.text
        titles.append(await conn.fetchval("SELECT title FROM credit_records WHERE id = $1",
                                          r.json()["record_id"]))
    assert titles == ["菜单标价与结账价格不符", "经现场核查,存在未明码标价行为"]


# --- which scenario's dimensions a store is rated on -------------------------------------------

def _scenario(key: str, industries: tuple[str, ...], dims: tuple[str, ...] = ("x",),
              priority: int = 0) -> Scenario:
    return replace(BEEF_SOUP, key=key, industries=industries, rating_priority=priority,
                   dimensions=tuple(RatingDimension(d, d, d) for d in dims))


def _registry(*scenarios: Scenario) -> ScenarioRegistry:
    return ScenarioRegistry([LoadedScenario(s, f"{s.key} = test:SCENARIO", "test")
                             for s in scenarios])


def test_the_closest_industry_match_defines_the_dimensions() -> None:
    broad = _scenario("aaa_health", ("hospital", "clinic", "pharmacy"), ("broad",))
    narrow = _scenario("zzz_hospital", ("hospital",), ("narrow",))
    silent = _scenario("aaa_silent", ("hospital",), ())
    registry = _registry(broad, narrow, silent)
    assert dimension_scenario(registry, "store", "hospital") is narrow
    assert [d.key for d in rating_dimensions(registry, "store", "hospital")] == ["narrow"]
    assert dimension_scenario(registry, "store", "clinic") is broad
    assert dimension_scenario(registry, "store", "bakery") is None
    assert rating_dimensions(registry, "store", "bakery") == DEFAULT_DIMENSIONS


def test_priority_then_key_break_a_tie() -> None:
    a = _scenario("aaa", ("hospital",), ("a",))
    b = _scenario("bbb", ("hospital",), ("b",))
    assert dimension_scenario(_registry(b, a), "store", "hospital") is a
    high = _scenario("bbb", ("hospital",), ("b",), priority=5)
    assert dimension_scenario(_registry(a, high), "store", "hospital") is high


async def test_a_hospital_is_rated_on_pay_later_dimensions(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    registry = platform_of(client.app).scenarios
    chosen = dimension_scenario(registry, "store", "hospital")
    assert chosen is not None and chosen.key == "pay_later"
    hospital = await open_shop(client, dept_headers, conn, 503, industry="hospital")
    summary = (await client.get(f"/api/v1/stores/{hospital.id}/ratings")).json()["summary"]
    expected = [d.key for d in rating_dimensions(registry, "store", "hospital")]
    assert [d["key"] for d in summary["dimensions"]] == expected
    assert expected != [d.key for d in DEFAULT_DIMENSIONS]
