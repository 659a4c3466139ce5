"""Ratings only from real visits, one per consumer and store per 30 days, summaries, grading."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.codes.conftest import eventually
from tests.conftest import assert_problem
from tests.ratings.conftest import (
    Client,
    Shop,
    consumer,
    consumer_id,
    open_shop,
    rate,
    scan,
    veteran,
    visit_and_rate,
)


async def test_rating_needs_a_visit_proof_from_a_scan(client: Client, shop: Shop,
                                                      conn: asyncpg.Connection) -> None:
    alice = consumer(client.app, "alice")
    r = await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=alice, json={"stars": 5})
    assert_problem(r, 403, "no-visit-proof")
    body = await scan(client, shop, alice)
    assert body["personal"]["can_rate"] is True
    assert body["personal"]["visit_proof"]["store_id"] == shop.id
    written = await rate(client, shop, alice, 4, text="汤很鲜")
    assert written["edited"] is False
    assert written["rating"]["status"] == "published" and written["rating"]["stars"] == 4
    # A proof older than the window (24 h) no longer counts.
    bob = consumer(client.app, "bob")
    await scan(client, shop, bob)
    await conn.execute("UPDATE visit_proofs SET last_at = now() - interval '25 hours' "
                       "WHERE consumer_id = $1", consumer_id("bob"))
    assert_problem(await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=bob,
                                     json={"stars": 1}), 403, "no-visit-proof")
    assert await conn.fetchval("SELECT count(*) FROM ratings") == 1


async def test_anonymous_and_other_roles_leave_no_visit_proof(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    assert (await scan(client, shop, {}))["personal"] is None
    assert (await scan(client, shop, dept_headers))["personal"] is None
    assert (await scan(client, shop, shop.merchant))["personal"] is None
    assert await conn.fetchval("SELECT count(*) FROM visit_proofs") == 0


async def test_fifty_concurrent_identical_ratings_store_exactly_one(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    carol = consumer(client.app, "carol")
    await scan(client, shop, carol)
    body = {"stars": 4, "dimensions": {"hygiene": 5}, "text": "干净"}
    responses = await asyncio.gather(*(
        client.post(f"/api/v1/stores/{shop.id}/ratings", headers=carol, json=body)
        for _ in range(50)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses
                                                          if r.status_code != 201]
    assert len({r.json()["rating"]["id"] for r in responses}) == 1
    assert [r.json()["edited"] for r in responses].count(False) == 1
    assert await conn.fetchval("SELECT count(*) FROM ratings") == 1
    # Different concurrent submissions: still one rating, holding one of them.
    dave = consumer(client.app, "dave")
    await scan(client, shop, dave)
    await asyncio.gather(*(client.post(f"/api/v1/stores/{shop.id}/ratings", headers=dave,
                                       json={"stars": 1 + i % 5}) for i in range(20)))
    assert await conn.fetchval("SELECT count(*) FROM ratings WHERE consumer_id = $1",
                               consumer_id("dave")) == 1


async def test_a_new_rating_within_30_days_edits_the_old_and_after_30_days_adds_one(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    erin = consumer(client.app, "erin")
    first = await visit_and_rate(client, shop, erin, 2, text="一般")
    second = await rate(client, shop, erin, 5, text="改进了,很好")
    assert second["edited"] is True and second["rating"]["id"] == first["rating"]["id"]
    assert second["rating"]["stars"] == 5 and second["rating"]["text"] == "改进了,很好"
    mine = (await client.get("/api/v1/me/ratings", headers=erin)).json()
    assert [(m["id"], m["stars"]) for m in mine] == [(first["rating"]["id"], 5)]
    # 31 days later (the period began long ago) a new rating is a new one.
    await conn.execute("UPDATE rating_slots SET period_start = period_start - interval '31 days'")
    await conn.execute("UPDATE ratings SET period_start = period_start - interval '31 days'")
    third = await rate(client, shop, erin, 3)
    assert third["edited"] is False and third["rating"]["id"] != first["rating"]["id"]
    assert await conn.fetchval("SELECT count(*) FROM ratings") == 2


async def test_dimensions_come_from_the_store_scenario(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    fay = consumer(client.app, "fay")
    await scan(client, shop, fay)
    r = await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=fay,
                          json={"stars": 4, "dimensions": {"price_integrity": 4}})
    assert_problem(r, 422, "unknown-dimension")  # 信用+牛肉汤 rates 口味/卫生/服务/明码标价
    await rate(client, shop, fay, 4, dimensions={"taste": 5, "pricing": 3})
    page = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()
    dims = {d["key"]: d for d in page["summary"]["dimensions"]}
    assert list(dims) == ["taste", "hygiene", "service", "pricing"]
    assert dims["taste"]["mean"] == 5.0 and dims["hygiene"]["mean"] is None
    # A store no scenario with dimensions covers gets the defaults 卫生 / 价格诚信 / 服务.
    bakery = await open_shop(client, dept_headers, conn, 502, industry="bakery")
    await scan(client, bakery, fay)
    written = await rate(client, bakery, fay, 5, dimensions={"price_integrity": 5})
    assert written["rating"]["dimensions"] == {"price_integrity": 5}
    for bad in ({"stars": 0}, {"stars": 6}, {"stars": 3, "text": "x" * 501},
                {"stars": 3, "dimensions": {"taste": 9}}, {"stars": 3, "extra": True}, {}):
        assert_problem(await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=fay,
                                         json=bad), 400)


async def test_summary_on_scan_and_list_and_the_grade_uses_it(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    await veteran(conn, *(f"r{i}" for i in range(6)))
    for i, stars in enumerate([5, 5, 4, 5, 3, 5]):
        await visit_and_rate(client, shop, consumer(client.app, f"r{i}"), stars)
    page = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()
    summary = page["summary"]
    assert summary["count"] == 6 and summary["mean"] == 4.5
    # Bayesian mean with the prior of 5 ratings at 3.5: (5·3.5 + 27) / 11.
    assert summary["bayesian_mean"] == round((5 * 3.5 + 27) / 11, 2)
    assert summary["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 4}
    assert page["total"] == 6 and len(page["items"]) == 6

    async def scan_shows_six() -> bool:
        ratings = (await scan(client, shop, {}))["ratings"]
        return ratings is not None and ratings["count"] == 6

    await eventually(scan_shows_six)
    ratings = (await scan(client, shop, {}))["ratings"]
    assert ratings["distribution"]["5"] == 4 and ratings["bayesian_mean"] == 4.05
    grade = (await client.get(f"/api/v1/subjects/{shop.id}/grade")).json()
    text = str(grade)
    assert "消费者评价 6 条" in text and "4.05" in text


async def test_list_is_paged_newest_or_most_helpful_first(
    client: Client, shop: Shop
) -> None:
    ids = [(await visit_and_rate(client, shop, consumer(client.app, f"p{i}"), 3 + i % 3))
           ["rating"]["id"] for i in range(3)]
    voter = consumer(client.app, "voter")
    r = await client.post(f"/api/v1/ratings/{ids[0]}/helpful", headers=voter)
    assert r.status_code == 200 and r.json()["helpful_count"] == 1
    assert_problem(await client.post(f"/api/v1/ratings/{ids[0]}/helpful", headers=voter), 409,
                   "already-voted")
    own = await client.post(f"/api/v1/ratings/{ids[1]}/helpful", headers=consumer(client.app,
                                                                                   "p1"))
    assert_problem(own, 403, "own-rating")
    newest = (await client.get(f"/api/v1/stores/{shop.id}/ratings",
                               params={"limit": 2})).json()
    assert [i["id"] for i in newest["items"]] == [ids[2], ids[1]] and newest["total"] == 3
    page2 = (await client.get(f"/api/v1/stores/{shop.id}/ratings",
                              params={"limit": 2, "page": 2})).json()
    assert [i["id"] for i in page2["items"]] == [ids[0]]
    helpful = (await client.get(f"/api/v1/stores/{shop.id}/ratings",
                                params={"sort": "helpful"})).json()
    assert helpful["items"][0]["id"] == ids[0]
    assert "consumer_id" not in helpful["items"][0]
    assert_problem(await client.get(f"/api/v1/stores/{shop.id}/ratings",
                                    params={"sort": "best"}), 400)
    assert_problem(await client.get("/api/v1/stores/S99999999/ratings"), 404)


async def test_personal_data_in_texts_is_masked_before_storing(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    gus = consumer(client.app, "gus")
    await visit_and_rate(client, shop, gus, 1,
                         text="老板说打13812345678,身份证34040319900101123X拿去")
    stored = await conn.fetchval("SELECT text FROM ratings")
    assert "13812345678" not in stored and "34040319900101123X" not in stored
    assert "138****5678" in stored and "3****************X" in stored
    r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=gus, json={
        "category": "service", "text": "店员留了我的手机 139-1234-5678 和邮箱 gus@example.com"})
    assert r.status_code == 201, r.text
    text = await conn.fetchval("SELECT text FROM complaints")
    assert "1234-5678" not in text and "gus@example.com" not in text


async def test_a_closed_store_takes_no_ratings(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    hal = consumer(client.app, "hal")
    await scan(client, shop, hal)
    await conn.execute("UPDATE subjects SET closed_at = now() WHERE id = $1", shop.id)
    assert_problem(await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=hal,
                                     json={"stars": 5}), 409, "store-closed")
