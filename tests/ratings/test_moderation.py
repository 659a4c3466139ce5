"""Replies, reports and moderation; abuse rules that hold ratings; cross-tenant refusals."""

from __future__ import annotations

import asyncpg

from tests.conftest import assert_problem, auth, make_token
from tests.ratings.conftest import (
    Client,
    Shop,
    consumer,
    consumer_id,
    open_shop,
    veteran,
    visit_and_rate,
)


async def _queue(client: Client, headers: dict[str, str]) -> list[dict[str, object]]:
    r = await client.get("/api/v1/moderation/ratings", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


async def test_a_burst_from_new_accounts_is_held_until_a_department_decides(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    ids = [(await visit_and_rate(client, shop, consumer(client.app, f"new{i}"), 5))
           ["rating"] for i in range(5)]
    assert [r["status"] for r in ids[:4]] == ["published"] * 4
    assert ids[4]["status"] == "held" and ids[4]["hold_reasons"] == ["burst"]
    # The earlier ratings of the burst are held with it: none counts.
    statuses = await conn.fetch("SELECT status, hold_reasons FROM ratings ORDER BY id")
    assert {r["status"] for r in statuses} == {"held"}
    page = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()
    assert page["summary"]["count"] == 0 and page["items"] == []
    queue = await _queue(client, dept_headers)
    assert len(queue) == 5 and queue[0]["hold_reasons"] == ["burst"]
    # An established account rating the same store is not part of the burst.
    await veteran(conn, "old")
    assert (await visit_and_rate(client, shop, consumer(client.app, "old"), 4)
            )["rating"]["status"] == "published"
    # Approve one: it is published and counts; the decision is stored.
    r = await client.post(f"/api/v1/moderation/ratings/{ids[0]['id']}/decision",
                          headers=dept_headers,
                          json={"decision": "approve", "reason": "已核实到店"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    page = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()
    assert page["summary"]["count"] == 2
    again = await client.post(f"/api/v1/moderation/ratings/{ids[0]['id']}/decision",
                              headers=dept_headers, json={"decision": "remove", "reason": "x"})
    assert_problem(again, 409, "not-pending")


async def test_one_account_rating_many_stores_quickly_is_held(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    await veteran(conn, "hopper")
    hopper = consumer(client.app, "hopper")
    statuses = []
    for serial in range(6):
        shop = await open_shop(client, dept_headers, conn, 600 + serial)
        statuses.append((await visit_and_rate(client, shop, hopper, 5))["rating"]["status"])
    assert statuses == ["published"] * 5 + ["held"]
    held = await conn.fetchval("SELECT hold_reasons FROM ratings WHERE status = 'held'")
    assert held == ["many_stores"]


async def test_a_text_repeated_across_stores_is_held(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    await veteran(conn, "a", "b")
    one = await open_shop(client, dept_headers, conn, 611)
    two = await open_shop(client, dept_headers, conn, 612)
    text = "超级好吃!强烈推荐!老板人超好!"
    first = await visit_and_rate(client, one, consumer(client.app, "a"), 5, text=text)
    second = await visit_and_rate(client, two, consumer(client.app, "b"), 5,
                                  text="超级好吃 强烈推荐 老板人超好")
    assert first["rating"]["status"] == "published"
    assert second["rating"]["status"] == "held"
    assert second["rating"]["hold_reasons"] == ["repeated_text"]


async def test_merchant_replies_once_editable_and_only_to_its_own_stores(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    await veteran(conn, "ivy")
    rating = (await visit_and_rate(client, shop, consumer(client.app, "ivy"), 2,
                                   text="等了很久"))["rating"]
    url = f"/api/v1/ratings/{rating['id']}/reply"
    r = await client.put(url, headers=shop.merchant, json={"text": "抱歉,已增加人手"})
    assert r.status_code == 200, r.text
    r = await client.put(url, headers=shop.merchant, json={"text": "抱歉,已增加人手,欢迎再来"})
    assert r.status_code == 200
    assert await conn.fetchval("SELECT count(*) FROM rating_replies") == 1
    item = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()["items"][0]
    assert item["reply"]["text"] == "抱歉,已增加人手,欢迎再来"
    # Another tenant's merchant, a consumer, a department: refused; nothing changes.
    assert_problem(await client.put(url, headers=shop.other_merchant, json={"text": "差评"}), 404)
    assert_problem(await client.post(f"/api/v1/ratings/{rating['id']}/reports",
                                     headers=shop.other_merchant, json={"reason": "恶意"}), 404)
    assert_problem(await client.put(url, headers=consumer(client.app, "ivy"),
                                    json={"text": "x"}), 403)
    assert await conn.fetchval("SELECT text FROM rating_replies") == "抱歉,已增加人手,欢迎再来"
    # The consumer sees the reply on their own rating.
    mine = (await client.get("/api/v1/me/ratings", headers=consumer(client.app, "ivy"))).json()
    assert mine[0]["reply"]["text"] == "抱歉,已增加人手,欢迎再来"


async def test_a_reported_rating_is_moderated_and_a_malicious_removal_is_kept(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    await veteran(conn, "troll")
    troll = consumer(client.app, "troll")
    rating = (await visit_and_rate(client, shop, troll, 1, text="垃圾店"))["rating"]
    r = await client.post(f"/api/v1/ratings/{rating['id']}/reports", headers=shop.merchant,
                          json={"reason": "此人从未消费,恶意差评"})
    assert r.status_code == 201, r.text
    assert_problem(await client.post(f"/api/v1/ratings/{rating['id']}/reports",
                                     headers=shop.merchant, json={"reason": "again"}), 409)
    queue = await _queue(client, dept_headers)
    assert [q["id"] for q in queue] == [rating["id"]]
    assert queue[0]["reports"] == ["此人从未消费,恶意差评"]
    # Another department (another scenario, another district) sees nothing and may not decide.
    ybj = auth(make_token(client.app, dept="ybj", region="340402"))
    assert await _queue(client, ybj) == []
    decision = {"decision": "remove", "reason": "经核实系恶意评价", "malicious": True}
    assert_problem(await client.post(f"/api/v1/moderation/ratings/{rating['id']}/decision",
                                     headers=ybj, json=decision), 403, "not-responsible")
    assert_problem(await client.post(f"/api/v1/moderation/ratings/{rating['id']}/decision",
                                     headers=dept_headers, json={**decision,
                                                                 "decision": "approve"}), 422)
    r = await client.post(f"/api/v1/moderation/ratings/{rating['id']}/decision",
                          headers=dept_headers, json=decision)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "removed" and r.json()["malicious"] is True
    assert (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()["items"] == []
    assert await _queue(client, dept_headers) == []
    # The consumer sees it removed, cannot edit it, and deleting it keeps the decision.
    mine = (await client.get("/api/v1/me/ratings", headers=troll)).json()
    assert mine[0]["status"] == "removed"
    assert_problem(await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=troll,
                                     json={"stars": 1, "text": "再来"}), 409, "rating-removed")
    assert (await client.delete(f"/api/v1/me/ratings/{rating['id']}", headers=troll)
            ).status_code == 204
    kept = await conn.fetchrow("SELECT * FROM rating_decisions")
    assert kept["consumer_id"] == consumer_id("troll") and kept["malicious"] is True
    assert kept["rating_id"] is None


async def test_claim_codes_link_a_merchant_to_exactly_its_enterprise(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str],
    district_headers: dict[str, str],
) -> None:
    r = await client.post(f"/api/v1/enterprises/{shop.enterprise['id']}/claim-codes",
                          headers=dept_headers, json={"valid_days": 3})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert await conn.fetchval("SELECT count(*) FROM claim_codes") == 1
    assert code not in str(await conn.fetch("SELECT * FROM claim_codes"))
    newcomer = auth(make_token(client.app, "merchant", sub="m-new"))
    # Lower case and without dashes works too; the code works once.
    r = await client.post("/api/v1/merchant/claims", headers=newcomer,
                          json={"code": code.replace("-", "").lower()})
    assert r.status_code == 201, r.text
    claimed = r.json()
    assert claimed["id"] == shop.enterprise["id"]
    assert [s["id"] for s in claimed["stores"]] == [shop.id]
    assert_problem(await client.post("/api/v1/merchant/claims", headers=shop.other_merchant,
                                     json={"code": code}), 422, "invalid-claim-code")
    listed = (await client.get("/api/v1/merchant/enterprises", headers=newcomer)).json()
    assert [e["id"] for e in listed] == [shop.enterprise["id"]]
    # The new merchant can now reply to the store's ratings.
    await veteran(conn, "jo")
    rating = (await visit_and_rate(client, shop, consumer(client.app, "jo"), 4))["rating"]
    assert (await client.put(f"/api/v1/ratings/{rating['id']}/reply", headers=newcomer,
                             json={"text": "谢谢"})).status_code == 200
    # An expired code fails; a store id or an enterprise outside the region is refused.
    r = await client.post(f"/api/v1/enterprises/{shop.enterprise['id']}/claim-codes",
                          headers=dept_headers, json={})
    await conn.execute("UPDATE claim_codes SET expires_at = now() - interval '1 second' "
                       "WHERE used_at IS NULL")
    assert_problem(await client.post("/api/v1/merchant/claims", headers=newcomer,
                                     json={"code": r.json()["code"]}), 422)
    other = auth(make_token(client.app, dept="ybj", region="340402"))
    assert_problem(await client.post(f"/api/v1/enterprises/{shop.enterprise['id']}/claim-codes",
                                     headers=other, json={}), 403, "out-of-region")
    assert_problem(await client.post(f"/api/v1/enterprises/{shop.enterprise['id']}/claim-codes",
                                     headers=dept_headers, json={"valid_days": 99}), 400)


async def test_claim_attempts_are_rate_limited(client: Client, conn: asyncpg.Connection) -> None:
    guesser = auth(make_token(client.app, "merchant", sub="m-guess"))
    statuses = [(await client.post("/api/v1/merchant/claims", headers=guesser,
                                   json={"code": f"AAAA-BBBB-CCCC-{i:04d}"})).status_code
                for i in range(11)]
    assert statuses == [422] * 10 + [429]
