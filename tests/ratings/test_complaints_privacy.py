"""Complaints to the scenario's department, their outcome; a consumer's own data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from tests.conftest import SHANGHAI, app_at, assert_problem, auth, make_token
from tests.ratings.conftest import Client, Shop, consumer, scan, veteran, visit_and_rate
from xinyi_api.clock import ManualClock
from xinyi_api.settings import Settings

UPHOLD = {"decision": "uphold", "reason": "经现场核查,存在不明码标价行为", "severity": "general",
          "legal_basis": "《明码标价和禁止价格欺诈规定》第二十条"}


async def _complain(client: Client, shop: Shop, headers: dict[str, str]) -> dict[str, str]:
    r = await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=headers,
                          json={"category": "price", "text": "结账时多收了十元,未明码标价"})
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    return body


async def test_an_upheld_complaint_is_dated_the_day_it_was_filed_in_shanghai(
    client: Client, shop: Shop, conn: asyncpg.Connection, clock: ManualClock,
) -> None:
    """04:36 in 淮南 is 20:36 UTC the evening before: the record belongs to the Shanghai day."""
    kim = consumer(client.app, "kim")
    await scan(client, shop, kim)
    complaint = await _complain(client, shop, kim)
    filed = datetime(2026, 11, 16, 4, 36, tzinfo=SHANGHAI)
    await conn.execute("UPDATE complaints SET created_at = $2 WHERE id = $1", complaint["id"],
                       filed)
    clock.set(filed + timedelta(days=2))
    dept = auth(make_token(client.app, dept="scjg", region="340400", scenarios=["beef_soup"]))
    r = await client.post(f"/api/v1/complaints/{complaint['id']}/decision", headers=dept,
                          json=UPHOLD)
    assert r.status_code == 200, r.text
    occurred = await conn.fetchval("SELECT occurred_on FROM credit_records WHERE id = $1",
                                   r.json()["record_id"])
    assert occurred == date(2026, 11, 16)


async def test_an_upheld_complaint_becomes_a_credit_record_and_regrades_the_store(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    kim = consumer(client.app, "kim")
    assert_problem(await client.post(f"/api/v1/stores/{shop.id}/complaints", headers=kim,
                                     json={"category": "price", "text": "多收了钱了"}), 403,
                   "no-visit-proof")
    await scan(client, shop, kim)
    complaint = await _complain(client, shop, kim)
    # 信用+牛肉汤 belongs to 市场监管 (scjg): it lands in scjg's queue.
    assert complaint["department"] == "scjg" and complaint["status"] == "open"
    queue = (await client.get("/api/v1/complaints", headers=dept_headers,
                              params={"status": "open"})).json()["items"]
    assert [c["id"] for c in queue] == [complaint["id"]]
    ybj = auth(make_token(client.app, dept="ybj", region="340402"))
    assert (await client.get("/api/v1/complaints", headers=ybj)).json()["items"] == []
    assert_problem(await client.post(f"/api/v1/complaints/{complaint['id']}/decision",
                                     headers=ybj, json=UPHOLD), 403)
    assert_problem(await client.post(f"/api/v1/complaints/{complaint['id']}/decision",
                                     headers=dept_headers,
                                     json={"decision": "uphold", "reason": "属实"}), 422)
    before = (await client.get(f"/api/v1/subjects/{shop.id}/grade")).json()
    r = await client.post(f"/api/v1/complaints/{complaint['id']}/decision",
                          headers=dept_headers, json=UPHOLD)
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "upheld" and decided["record_id"]
    records = (await client.get(f"/api/v1/subjects/{shop.id}/records")).json()
    items = records["items"] if isinstance(records, dict) else records
    record = next(x for x in items if x["id"] == decided["record_id"])
    assert record["kind"] == "complaint" and record["severity"] == "general"
    assert record["legal_basis"] == UPHOLD["legal_basis"]
    assert "多收" not in record["title"] + record["content"]  # the finding, not the complaint
    after = (await client.get(f"/api/v1/subjects/{shop.id}/grade")).json()
    assert after != before and "投诉" in str(after)
    assert_problem(await client.post(f"/api/v1/complaints/{complaint['id']}/decision",
                                     headers=dept_headers, json=UPHOLD), 409,
                   "complaint-decided")
    # The consumer sees the outcome; another consumer sees nothing.
    mine = (await client.get("/api/v1/me/complaints", headers=kim)).json()
    assert mine[0]["status"] == "upheld" and mine[0]["outcome"] == UPHOLD["reason"]
    assert (await client.get(f"/api/v1/complaints/{complaint['id']}", headers=kim)
            ).json()["status"] == "upheld"
    assert_problem(await client.get(f"/api/v1/complaints/{complaint['id']}",
                                    headers=consumer(client.app, "lee")), 404)
    assert_problem(await client.delete(f"/api/v1/me/complaints/{complaint['id']}",
                                       headers=consumer(client.app, "lee")), 404)


async def test_a_rejected_complaint_changes_nothing_in_the_file(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    mo = consumer(client.app, "mo")
    await scan(client, shop, mo)
    complaint = await _complain(client, shop, mo)
    r = await client.post(f"/api/v1/complaints/{complaint['id']}/decision",
                          headers=dept_headers, json={"decision": "reject",
                                                      "reason": "经核实价签齐全"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["record_id"] is None
    assert await conn.fetchval("SELECT count(*) FROM credit_records "
                               "WHERE kind = 'complaint'") == 0


async def test_a_consumer_sees_exports_and_deletes_their_own_data(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    await veteran(conn, "nia")
    nia = consumer(client.app, "nia")
    rating = (await visit_and_rate(client, shop, nia, 5, text="好"))["rating"]
    complaint = await _complain(client, shop, nia)
    export = (await client.get("/api/v1/me/export", headers=nia)).json()
    assert [r["id"] for r in export["ratings"]] == [rating["id"]]
    assert [c["id"] for c in export["complaints"]] == [complaint["id"]]
    assert export["visits"][0]["subject_id"] == shop.id
    assert export["account"]["created_at"] is not None
    # Nobody else can delete them.
    other = consumer(client.app, "oz")
    assert_problem(await client.delete(f"/api/v1/me/ratings/{rating['id']}", headers=other), 404)
    assert (await client.delete(f"/api/v1/me/ratings/{rating['id']}", headers=nia)
            ).status_code == 204
    assert (await client.delete(f"/api/v1/me/complaints/{complaint['id']}", headers=nia)
            ).status_code == 204
    assert await conn.fetchval("SELECT count(*) FROM ratings") == 0
    assert await conn.fetchval("SELECT count(*) FROM complaints") == 0
    page = (await client.get(f"/api/v1/stores/{shop.id}/ratings")).json()
    assert page["summary"]["count"] == 0
    assert (await client.get("/api/v1/me/ratings", headers=nia)).json() == []
    # Deleting frees the period: a new rating is possible (still one at a time).
    await rate_again(client, shop, nia)


async def rate_again(client: Client, shop: Shop, headers: dict[str, str]) -> None:
    r = await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=headers,
                          json={"stars": 4})
    assert r.status_code == 201, r.text
    assert r.json()["edited"] is False


async def test_rating_and_complaint_rate_limits_hold_on_another_worker(
    client: Client, shop: Shop, settings: Settings
) -> None:
    limited = replace(settings, rate_limits=(("rating", 2, 3600), ("complaint", 1, 3600)))
    async with AsyncTestClient(app=app_at(limited)) as other:
        pat = consumer(client.app, "pat")
        await scan(client, shop, pat)
        for stars, status in ((3, 201), (4, 200)):  # created, then edited
            r = await other.post(f"/api/v1/stores/{shop.id}/ratings", headers=pat,
                                 json={"stars": stars})
            assert r.status_code == status, r.text
        limited_r = await other.post(f"/api/v1/stores/{shop.id}/ratings", headers=pat,
                                     json={"stars": 5})
        assert_problem(limited_r, 429, "rate-limited")
        assert limited_r.headers["retry-after"]
        assert (await other.post(f"/api/v1/stores/{shop.id}/complaints", headers=pat, json={
            "category": "other", "text": "第一次投诉内容"})).status_code == 201
        assert_problem(await other.post(f"/api/v1/stores/{shop.id}/complaints", headers=pat,
                                        json={"category": "other", "text": "第二次投诉内容"}),
                       429)
