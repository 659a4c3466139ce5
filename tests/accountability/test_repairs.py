"""信用修复: after the minimum public period, approved repairs leave every public view at once."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.world import SHA, World, build_world, days_ago, penalty
from tests.codes.conftest import eventually
from tests.conftest import assert_problem
from xinyi_api.grading import kinds
from xinyi_api.records.repair_rules import MIN_PUBLIC_MONTHS

APPLICATION = {"statement": "已全面整改并销毁过期原料",
               "commitment": "本单位承诺今后严格执行进货查验",
               "evidence": [{"name": "整改报告.pdf", "size": 4096, "sha256": SHA}]}


async def _add(client: AsyncTestClient[Litestar], world: World, body: dict[str, object]) -> dict:
    r = await client.post(f"/api/v1/subjects/{world['S']}/records",
                          headers=world.headers["department"], json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_minimum_periods_are_shorter_than_display_periods() -> None:
    for severity, months in MIN_PUBLIC_MONTHS.items():
        assert months < kinds.SEVERITY_MONTHS[severity]
        assert months < kinds.COMPLAINT_MONTHS[severity]
    assert MIN_PUBLIC_MONTHS["general"] == 3 and MIN_PUBLIC_MONTHS["severe"] == 12


async def test_a_penalty_comes_with_its_repair_guidance(client: AsyncTestClient[Litestar],
                                                        conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    written = await _add(client, world, penalty("severe", 10))
    guidance = written["repair_guidance"]
    assert guidance["minimum_public_months"] == 12 and guidance["repairable"] is True
    assert guidance["earliest_repair_on"] == kinds.add_months(
        kinds.date.fromisoformat(days_ago(10)), 12).isoformat()
    assert "信用修复" in guidance["how"] and "第58号令" in guidance["basis"]
    licence = await _add(client, world, {"kind": "licence", "title": "许可",
                                         "occurred_on": days_ago(1)})
    assert licence["repair_guidance"] is None


async def test_repair_is_refused_before_the_minimum_period(client: AsyncTestClient[Litestar],
                                                           conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    for severity, age in (("severe", 300), ("general", 60)):
        record = (await _add(client, world, penalty(severity, age)))["record"]
        r = await client.post(f"/api/v1/records/{record['id']}/repairs",
                              headers=world.headers["merchant"], json=APPLICATION)
        body = assert_problem(r, 422, "repair-too-early")
        assert body["earliest_repair_on"] > days_ago(0)
    assert await conn.fetchval("SELECT count(*) FROM repairs") == 1  # the world's own
    assert await conn.fetchval("SELECT count(*) FROM commitments WHERE type = 'credit_repair'") == 1


async def test_repair_is_accepted_after_the_minimum_period(client: AsyncTestClient[Litestar],
                                                           conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    record = (await _add(client, world, penalty("general", 95)))["record"]
    r = await client.post(f"/api/v1/records/{record['id']}/repairs",
                          headers=world.headers["merchant"], json=APPLICATION)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and body["due_on"] > body["applied_on"]
    commitments = (await client.get(f"/api/v1/subjects/{world['S']}/commitments")).json()
    repair_commitment = next(c for c in commitments if c["id"] == body["commitment_id"])
    assert repair_commitment["type_label"] == "信用修复型"
    again = await client.post(f"/api/v1/records/{record['id']}/repairs",
                              headers=world.headers["merchant"], json=APPLICATION)
    assert_problem(again, 409, "repair-pending")


async def test_an_approved_repair_hides_the_record_everywhere_public(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    severe = world["R_free"]
    code = (await client.get(f"/api/v1/subjects/{world['S']}/code")).json()
    board = (await client.get("/api/v1/disclosures", params={"q": "老韩家"})).json()
    assert [i["record_id"] for i in board["items"]] == [severe]
    scan = (await client.get(f"/api/v1/scan/{code['token']}")).json()
    assert severe in {r["id"] for r in scan["records"]}
    search_before = (await client.get("/api/v1/stores", params={"q": "洞山店"})).json()

    applied = await client.post(f"/api/v1/records/{severe}/repairs",
                                headers=world.headers["merchant"], json=APPLICATION)
    assert applied.status_code == 201, applied.text
    decided = await client.post(f"/api/v1/repairs/{applied.json()['id']}/decision",
                                headers=world.headers["department"],
                                json={"approve": True, "reason": "整改到位,同意修复"})
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["repair"]["status"] == "approved"
    assert body["repair"]["record"]["status"] == "repaired"

    public = (await client.get(f"/api/v1/subjects/{world['S']}/records")).json()
    assert severe not in {r["id"] for r in public}
    board = (await client.get("/api/v1/disclosures", params={"q": "老韩家"})).json()
    assert board["items"] == [] and board["total"] == 0
    grade = (await client.get(f"/api/v1/subjects/{world['S']}/grade")).json()
    assert grade == body["grade"] or grade["score"] == body["grade"]["score"]
    assert all(r.get("record_id") != severe for i in grade["explanation"]["indicators"]
               for r in i["reasons"])
    search_after = (await client.get("/api/v1/stores", params={"q": "洞山店"})).json()
    assert search_after["items"][0]["score"] == search_before["items"][0]["score"] + 300

    async def scan_dropped_it() -> bool:  # scan profiles follow change notifications (~1 s)
        scan = (await client.get(f"/api/v1/scan/{code['token']}")).json()
        return severe not in {r["id"] for r in scan["records"]}

    await eventually(scan_dropped_it)
    full = await client.get(f"/api/v1/subjects/{world['S']}/file",
                            headers=world.headers["department"], params={"purpose": "复核修复"})
    assert next(r for r in full.json()["records"] if r["id"] == severe)["status"] == "repaired"


async def test_a_refused_repair_keeps_the_record_public(client: AsyncTestClient[Litestar],
                                                        conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    r = await client.post(f"/api/v1/repairs/{world['P']}/decision",
                          headers=world.headers["department"],
                          json={"approve": False, "reason": "整改证明不充分"})
    assert r.json()["repair"]["status"] == "refused"
    public = (await client.get(f"/api/v1/subjects/{world['S']}/records")).json()
    assert world["R_rep"] in {x["id"] for x in public}


async def test_bad_repair_inputs_are_4xx_and_write_nothing(client: AsyncTestClient[Litestar],
                                                           conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    count = "SELECT (SELECT count(*) FROM repairs) + (SELECT count(*) FROM commitments)"
    before = await conn.fetchval(count)
    m = world.headers["merchant"]
    url = f"/api/v1/records/{world['R_free']}/repairs"
    assert_problem(await client.post(url, headers=m, json={**APPLICATION, "evidence": []}), 400)
    assert_problem(await client.post(url, headers=m, json={"statement": "x"}), 400)
    assert_problem(await client.post(url, headers=world.headers["merchant_other"],
                                     json=APPLICATION), 403, "not-your-subject")
    licence = (await conn.fetchval(
        "SELECT id FROM credit_records WHERE kind = 'licence' LIMIT 1"))
    assert_problem(await client.post(f"/api/v1/records/{licence}/repairs", headers=m,
                                     json=APPLICATION), 422, "not-repairable")
    assert_problem(await client.post(f"/api/v1/records/{world['R_obj']}/repairs", headers=m,
                                     json=APPLICATION), 409, "record-under-objection")
    dec = f"/api/v1/repairs/{world['P']}/decision"
    assert_problem(await client.post(dec, headers=world.headers["department_other"],
                                     json={"approve": True, "reason": "x"}), 403,
                   "not-record-owner")
    assert_problem(await client.post(dec, headers=world.headers["department"],
                                     json={"approve": "yes", "reason": "x"}), 400)
    assert await conn.fetchval(count) == before
