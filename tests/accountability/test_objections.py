"""异议: a merchant disputes a record; the source department decides within 5 working days."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.world import SHA, build_world, role_headers
from tests.conftest import NOW, assert_problem
from xinyi_api.clock import ManualClock


def world_public_until(record: dict[str, str]) -> str:
    """The 一般 display period (12 months) the record had before the correction."""
    occurred = date.fromisoformat(record["occurred_on"])
    return date(occurred.year + 1, occurred.month, occurred.day).isoformat()


OBJECTION = {"reason": "该批次原料有合格检验报告", "attachments": [
    {"name": "检验报告.pdf", "size": 5120, "sha256": SHA, "media_type": "application/pdf"}]}


async def test_an_objected_record_shows_as_under_objection_on_public_views(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    records = (await client.get(f"/api/v1/subjects/{world['S']}/records")).json()
    objected = next(r for r in records if r["id"] == world["R_obj"])
    assert (objected["status"], objected["status_label"]) == ("objected", "异议处理中")


async def test_objection_deadline_skips_the_national_day_holiday(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, clock: ManualClock) -> None:
    world = await build_world(client, conn)
    clock.set(date(2026, 9, 30))  # 国庆节 2026: 10-01..10-07 off, Saturday 10-10 a working day
    world.headers = role_headers(client.app)
    r = await client.post(f"/api/v1/records/{world['R_free']}/objections",
                          headers=world.headers["merchant"], json=OBJECTION)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["filed_on"], body["due_on"]) == ("2026-09-30", "2026-10-13")
    assert body["working_days_left"] == 5 and body["overdue"] is False
    assert body["attachments"][0]["sha256"] == SHA
    clock.set(date(2026, 10, 14))
    world.headers = role_headers(client.app)
    queue = (await client.get("/api/v1/objections", headers=world.headers["department"])).json()
    late = next(o for o in queue if o["id"] == body["id"])
    assert late["overdue"] is True and late["working_days_left"] == -1


async def test_overdue_objections_come_first_in_the_department_queue(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, clock: ManualClock) -> None:
    world = await build_world(client, conn)
    # The world's objection is due 5 working days from today; file an older one.
    clock.set(NOW - timedelta(days=60))
    r = await client.post(f"/api/v1/records/{world['R_free']}/objections",
                          headers=role_headers(client.app)["merchant"], json=OBJECTION)
    old = r.json()["id"]
    clock.set(NOW)
    queue = (await client.get("/api/v1/objections", headers=world.headers["department"])).json()
    assert [o["id"] for o in queue] == [old, world["O"]]
    assert queue[0]["overdue"] and not queue[1]["overdue"]
    others = await client.get("/api/v1/objections", headers=world.headers["department_other"])
    assert others.json() == []
    # A page at a time: the next page in the Link header, its cursor in X-Next-Cursor.
    first = await client.get("/api/v1/objections", headers=world.headers["department"],
                             params={"limit": 1})
    assert [o["id"] for o in first.json()] == [old]
    cursor = first.headers["x-next-cursor"]
    assert first.headers["link"] == f'</api/v1/objections?limit=1&cursor={cursor}>; rel="next"'
    second = await client.get("/api/v1/objections", headers=world.headers["department"],
                              params={"limit": 1, "cursor": cursor})
    assert [o["id"] for o in second.json()] == [world["O"]]
    assert "link" not in second.headers and "x-next-cursor" not in second.headers
    d, merchant = world.headers["department"], world.headers["merchant"]
    for path, headers, query in (("/api/v1/objections", d, {"open_only": "false"}),
                                 ("/api/v1/objections", merchant, {}),
                                 ("/api/v1/repairs", d, {})):
        assert_problem(await client.get(path, headers=headers, params={**query,
                                                                       "cursor": cursor}),
                       400, "invalid-cursor")
    assert_problem(await client.get("/api/v1/objections", headers=d,
                                    params={"cursor": "bad-cursor"}), 400, "invalid-cursor")
    mine = await client.get("/api/v1/objections", headers=world.headers["merchant_other"])
    assert mine.json() == []


async def test_withdrawing_decision_removes_the_record_and_regrades(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = (await client.get(f"/api/v1/subjects/{world['S']}/grade")).json()["score"]
    r = await client.post(f"/api/v1/objections/{world['O']}/decision",
                          headers=world.headers["department"],
                          json={"decision": "withdraw", "reason": "经核实健康证已办理"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["objection"]["status"] == "withdrawn"
    assert body["objection"]["record"]["status"] == "withdrawn"
    assert body["grade"]["score"] == before + 80  # a 一般 penalty no longer counts
    public = (await client.get(f"/api/v1/subjects/{world['S']}/records")).json()
    assert world["R_obj"] not in {x["id"] for x in public}
    again = await client.post(f"/api/v1/objections/{world['O']}/decision",
                              headers=world.headers["department"],
                              json={"decision": "uphold", "reason": "再次处理"})
    assert_problem(again, 409, "objection-decided")


async def test_correcting_decision_changes_the_record_and_the_grade(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = (await client.get(f"/api/v1/subjects/{world['S']}/grade")).json()["score"]
    r = await client.post(f"/api/v1/objections/{world['O']}/decision",
                          headers=world.headers["department"],
                          json={"decision": "correct", "reason": "经复核,情节较重",
                                "correction": {"severity": "serious"}})
    assert r.status_code == 200, r.text
    record = r.json()["objection"]["record"]
    assert (record["status"], record["severity"]) == ("active", "serious")
    assert record["public_until"] > world_public_until(record)
    assert r.json()["grade"]["score"] == before - 70  # −80 became −150


async def test_upholding_decision_restores_the_record(client: AsyncTestClient[Litestar],
                                                      conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    r = await client.post(f"/api/v1/objections/{world['O']}/decision",
                          headers=world.headers["department"],
                          json={"decision": "uphold", "reason": "证据不足,维持原记录"})
    assert r.json()["objection"]["record"]["status"] == "active"
    assert r.json()["objection"]["decision_reason"] == "证据不足,维持原记录"


async def test_bad_objection_inputs_are_4xx_and_write_nothing(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    count = "SELECT (SELECT count(*) FROM objections) + (SELECT count(*) FROM audit_log)"
    before = await conn.fetchval(count)
    url = f"/api/v1/records/{world['R_free']}/objections"
    m = world.headers["merchant"]
    assert_problem(await client.post(url, headers=m, json={"reason": ""}), 400)
    assert_problem(await client.post(url, headers=m, json={"reason": "x", "extra": 1}), 400)
    assert_problem(await client.post(url, headers=m, json={"reason": "x", "attachments": [
        {"name": "a", "size": 1, "sha256": "not-hex"}]}), 400)
    assert_problem(await client.post(url, headers=world.headers["merchant_other"],
                                     json={"reason": "x"}), 403, "not-your-subject")
    assert_problem(await client.post("/api/v1/records/R9999999999/objections", headers=m,
                                     json={"reason": "x"}), 404)
    assert_problem(await client.post(f"/api/v1/records/{world['R_obj']}/objections", headers=m,
                                     json={"reason": "x"}), 409, "objection-open")
    dec = f"/api/v1/objections/{world['O']}/decision"
    d = world.headers["department"]
    assert_problem(await client.post(dec, headers=d, json={"decision": "correct",
                                                           "reason": "x"}), 422,
                   "missing-correction")
    assert_problem(await client.post(dec, headers=d, json={
        "decision": "correct", "reason": "x", "correction": {"legal_basis": ""}}), 422,
        "missing-legal-basis")
    assert_problem(await client.post(dec, headers=d, json={"decision": "maybe",
                                                           "reason": "x"}), 400)
    assert_problem(await client.post(dec, headers=world.headers["department_other"],
                                     json={"decision": "uphold", "reason": "x"}), 403,
                   "not-record-owner")
    assert await conn.fetchval(count) == before
    assert await conn.fetchval("SELECT status FROM credit_records WHERE id = $1",
                               world["R_obj"]) == "objected"


async def test_a_record_under_objection_cannot_be_patched_directly(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    r = await client.patch(f"/api/v1/records/{world['R_obj']}",
                           headers=world.headers["department"], json={"title": "改"})
    assert_problem(r, 409, "record-under-objection")
