"""Ratings only from real visits, one per consumer and store per 30 days, summaries, grading."""

from __future__ import annotations

import asyncio
import json
import threading

import asyncpg
import pytest

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
from xinyi_api.db.pool import connect
from xinyi_api.grading.service import explanation_json


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
    # One creates it (201), the others repeat it unchanged, each an edit (200).
    assert sorted(r.status_code for r in responses) == [200] * 49 + [201], [
        r.text for r in responses if r.status_code not in (200, 201)]
    assert len({r.json()["rating"]["id"] for r in responses}) == 1
    assert [r.json()["edited"] for r in responses].count(False) == 1
    assert all((r.status_code == 200) == r.json()["edited"] for r in responses)
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
    second = await rate(client, shop, erin, 5, status=200, text="改进了,很好")
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


SUMMARY_FROM_RATINGS = """
SELECT subject_id, count(*) AS n, sum(stars) AS total,
       count(*) FILTER (WHERE stars = 1) AS s1, count(*) FILTER (WHERE stars = 2) AS s2,
       count(*) FILTER (WHERE stars = 3) AS s3, count(*) FILTER (WHERE stars = 4) AS s4,
       count(*) FILTER (WHERE stars = 5) AS s5
FROM ratings WHERE status = 'published' GROUP BY subject_id ORDER BY subject_id"""
DIMENSIONS_FROM_RATINGS = """
SELECT r.subject_id, d.key, count(*) AS n, sum(d.value::int) AS total
FROM ratings r, jsonb_each_text(r.dimensions) AS d (key, value)
WHERE r.status = 'published' GROUP BY 1, 2 ORDER BY 1, 2"""


async def test_maintained_summaries_equal_the_ratings_and_the_one_statement_regrade_a_full_one(
    client: Client, shop: Shop, conn: asyncpg.Connection, dept_headers: dict[str, str]
) -> None:
    """Every path that changes ratings keeps rating_summaries right, and the grade the rating
    path stores (file read by rating_submit) is the grade a full regrade computes."""
    records = f"/api/v1/subjects/{shop.id}/records"
    today = client.app.state.clock.today()
    for body in ({"kind": "licence", "title": "食品经营许可证", "occurred_on": "2025-01-10"},
                 {"kind": "inspection", "result": "pass", "title": "日常检查",
                  "occurred_on": today.isoformat()},
                 {"kind": "inspection", "result": "rectify", "title": "复查",
                  "legal_basis": "《食品安全法》第八十七条", "occurred_on": "2025-06-01"},
                 {"kind": "penalty", "severity": "minor", "title": "未公示价格",
                  "legal_basis": "《价格法》第十三条", "occurred_on": "2025-09-01"}):
        added = await client.post(records, headers=dept_headers, json=body)
        assert added.status_code == 201, added.text
    names = [f"v{i}" for i in range(8)]
    await veteran(conn, *names)
    for i, name in enumerate(names):
        await visit_and_rate(client, shop, consumer(client.app, name), 1 + i % 5,
                             dimensions={"taste": 5 - i % 3, "hygiene": 2 + i % 4})
    await rate(client, shop, consumer(client.app, "v0"), 5, status=200,
               dimensions={"service": 4})  # edit
    gone = (await rate(client, shop, consumer(client.app, "v1"), 2, status=200))["rating"][
        "id"]  # edit
    assert (await client.delete(f"/api/v1/me/ratings/{gone}",
                                headers=consumer(client.app, "v1"))).status_code == 204
    reported = (await rate(client, shop, consumer(client.app, "v2"), 3, status=200))[
        "rating"]["id"]  # edit
    report = await client.post(f"/api/v1/ratings/{reported}/reports", headers=shop.merchant,
                               json={"reason": "恶意差评"})  # then removed by moderation
    assert report.status_code == 201, report.text
    removed = await client.post(f"/api/v1/moderation/ratings/{report.json()['rating_id']}"
                                "/decision", headers=dept_headers,
                                json={"decision": "remove", "reason": "经核实"})
    assert removed.status_code == 200, removed.text
    for i in range(5):  # a burst of new accounts: held, then one approved
        await visit_and_rate(client, shop, consumer(client.app, f"n{i}"), 4, text=f"不错{i}")
    held = await conn.fetchval("SELECT id FROM ratings WHERE status = 'held' ORDER BY id LIMIT 1")
    approved = await client.post(f"/api/v1/moderation/ratings/{held}/decision",
                                 headers=dept_headers,
                                 json={"decision": "approve", "reason": "已核实到店"})
    assert approved.status_code == 200, approved.text

    expected = [dict(r) for r in await conn.fetch(SUMMARY_FROM_RATINGS)]
    assert [dict(r) for r in await conn.fetch(
        "SELECT * FROM rating_summaries WHERE n > 0 ORDER BY subject_id")] == expected
    assert [dict(r) for r in await conn.fetch(
        "SELECT * FROM rating_dimension_totals WHERE n > 0 ORDER BY subject_id, key")] == [
        dict(r) for r in await conn.fetch(DIMENSIONS_FROM_RATINGS)]

    # The last write was a moderation decision (full regrade). Rate once more through the one-
    # statement path and compare what it stored with a full regrade of the same file.
    await veteran(conn, "last")
    await visit_and_rate(client, shop, consumer(client.app, "last"), 5)
    grader = client.app.state.grader
    stored = {r["scheme"]: r for r in await conn.fetch(
        "SELECT scheme, score, grade, explanation, review_on FROM grades WHERE subject_id = $1",
        shop.id)}
    recomputed = grader.grade_files(await grader.load_files(conn, [shop.id], today), today)
    assert {r.scheme for r in recomputed} == set(stored) == {"public", "beef_soup"}
    for result in recomputed:
        row = stored[result.scheme]
        assert (row["score"], row["grade"], row["review_on"]) == (
            result.score, result.grade, result.review_on)
        assert row["explanation"] == json.loads(json.dumps(explanation_json(result)))
    assert "消费者评价 8 条" in str(stored["public"]["explanation"])
    assert "日常检查" in str(stored["beef_soup"]["explanation"])  # the records came along


async def test_a_file_that_changes_after_it_was_graded_is_regraded_inside_a_transaction(
    client: Client, shop: Shop, conn: asyncpg.Connection, database_url: str
) -> None:
    """The write statement stores grades computed ahead only for the file they were computed
    from; another rating landing in between sends the submission the transactional way."""
    await veteran(conn, "early", "late")
    await visit_and_rate(client, shop, consumer(client.app, "early"), 2)
    late = consumer(client.app, "late")
    await scan(client, shop, late)

    async def rate_meanwhile() -> None:
        """Another rating of the store, committed once "late"'s write waits for it."""
        other = await connect(database_url)
        try:
            async with other.transaction():
                await other.execute(
                    "INSERT INTO ratings (consumer_id, subject_id, department, period_start, "
                    "stars, status) VALUES ('c_elsewhere', $1, 'scjg', now(), 5, 'published')",
                    shop.id)
                inserted.set()

                async def write_waits() -> bool:
                    return bool(await other.fetchval(  # (its query text may not be current)
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"))

                await eventually(write_waits, within=10)
        finally:
            await other.close()

    # The test client runs the app on this thread until the response: the other rating has to
    # come from another thread.
    inserted = threading.Event()
    loop = asyncio.get_running_loop()
    meanwhile = loop.run_in_executor(None, lambda: asyncio.run(rate_meanwhile()))
    await loop.run_in_executor(None, inserted.wait, 10)
    written = await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=late,
                                json={"stars": 4})
    await meanwhile
    assert written.status_code == 201, written.text
    grader = client.app.state.grader
    today = client.app.state.clock.today()
    stored = await conn.fetchval(
        "SELECT explanation FROM grades WHERE subject_id = $1 AND scheme = 'public'", shop.id)
    full = [r for r in grader.grade_files(await grader.load_files(conn, [shop.id], today), today)
            if r.scheme == "public"]
    assert stored == json.loads(json.dumps(explanation_json(full[0])))
    assert "消费者评价 3 条" in str(stored)


async def test_the_write_refuses_grades_computed_for_another_file(
    client: Client, shop: Shop, conn: asyncpg.Connection
) -> None:
    """SQLSTATE XR001 undoes the whole statement: no rating, no slot, no audit entry."""
    await veteran(conn, "zed")
    await scan(client, shop, consumer(client.app, "zed"))
    before = await conn.fetchval("SELECT (SELECT count(*) FROM ratings) + (SELECT count(*) FROM "
                                 "rating_slots) + (SELECT count(*) FROM audit_log)")
    with pytest.raises(asyncpg.PostgresError) as caught:
        await conn.fetchval(
            "SELECT rating_submit($1, 'consumer', NULL, $2, 4, '{}', '', NULL, 24, 'scjg', "
            "'beef_soup', 4, 5, 'test', 'not-the-fingerprint', 1, 4, ARRAY['public'], "
            "ARRAY['1'], ARRAY[700], ARRAY['B'], ARRAY['{}'], ARRAY[NULL::date])",
            consumer_id("zed"), shop.id)
    assert caught.value.sqlstate == "XR001"
    assert await conn.fetchval("SELECT (SELECT count(*) FROM ratings) + (SELECT count(*) FROM "
                               "rating_slots) + (SELECT count(*) FROM audit_log)") == before
