"""信用承诺, 失信曝光台 and 信用商圈/信用街区."""

from __future__ import annotations

import json

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.world import build_world, penalty
from tests.conftest import assert_problem

BROKEN = {"result": "broken", "reason": "未落实明码标价", "severity": "general",
          "legal_basis": "《明码标价和禁止价格欺诈规定》第二十条"}


async def test_a_signed_commitment_is_public(client: AsyncTestClient[Litestar],
                                             conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    listed = (await client.get(f"/api/v1/subjects/{world['S']}/commitments")).json()
    mine = next(c for c in listed if c["id"] == world["C"])
    assert (mine["type_label"], mine["status_label"]) == ("主动公示型", "履行中")
    assert "signed_by" not in mine


async def test_a_broken_commitment_becomes_an_adverse_record_and_regrades(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = (await client.get(f"/api/v1/subjects/{world['S']}/grade")).json()["score"]
    r = await client.post(f"/api/v1/commitments/{world['C']}/assessment",
                          headers=world.headers["department"], json=BROKEN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["commitment"]["status"] == "broken"
    record = body["record"]
    assert (record["kind"], record["result"], record["severity"]) == ("commitment", "broken",
                                                                     "general")
    assert body["commitment"]["record_id"] == record["id"]
    assert body["grade"]["score"] == before - 60
    public = (await client.get(f"/api/v1/subjects/{world['S']}/records")).json()
    assert record["id"] in {x["id"] for x in public}
    again = await client.post(f"/api/v1/commitments/{world['C']}/assessment",
                              headers=world.headers["department"], json=BROKEN)
    assert_problem(again, 409, "commitment-assessed")


async def test_a_kept_commitment_counts_for_the_subject(client: AsyncTestClient[Litestar],
                                                        conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = (await client.get(f"/api/v1/subjects/{world['S']}/grade")).json()["score"]
    r = await client.post(f"/api/v1/commitments/{world['C']}/assessment",
                          headers=world.headers["department"],
                          json={"result": "kept", "reason": "全年明码标价"})
    assert r.json()["record"]["result"] == "kept"
    assert r.json()["grade"]["score"] == before + 20
    # The record is titled with the commitment itself: its kind and result say the rest.
    assert r.json()["record"]["title"] == "明码标价承诺"
    explained = json.dumps(r.json()["grade"]["explanation"], ensure_ascii=False)
    assert "信用承诺·已履行「明码标价承诺」" in explained
    assert explained.count("明码标价承诺") == 1 and "已履行「信用承诺" not in explained


async def test_the_commitments_awaiting_assessment_are_a_paged_queue(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    m, d = world.headers["merchant"], world.headers["department"]
    for i, until in enumerate(("2026-10-01", "2027-06-30", None)):
        body = {"type": "self_discipline", "department": "scjg", "title": f"承诺{i}",
                "content": "遵守行业公约", **({"valid_until": until} if until else {})}
        r = await client.post(f"/api/v1/subjects/{world['S']}/commitments", headers=m,
                              json=body)
        if until == "2026-10-01":  # already past: signed as ended, set in the database
            assert r.status_code == 422, r.text
            r = await client.post(f"/api/v1/subjects/{world['S']}/commitments", headers=m,
                                  json={**body, "valid_until": "2026-12-01"})
            assert r.status_code == 201, r.text
            await conn.execute("UPDATE commitments SET signed_on = '2026-09-01', "
                               "valid_until = '2026-10-01' WHERE id = $1", r.json()["id"])
        assert r.status_code == 201, r.text
    seen: list[dict] = []
    url: str | None = "/api/v1/commitments?limit=2"
    while url is not None:
        r = await client.get(url, headers=d)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        url = r.json()["next"]
    titles = [c["title"] for c in seen]
    assert titles[0] == "承诺0" and seen[0]["ended"] is True  # its validity passed: due first
    # the world's own commitment and the one its repair application signed are there too
    assert sorted(titles) == sorted(["承诺0", "承诺1", "承诺2", "明码标价承诺",
                                     next(t for t in titles if t.startswith("信用修复承诺书"))])
    assert all(c["status"] == "in_force" and c["subject_name"] for c in seen)
    assert titles.index("承诺1") < titles.index("承诺2")  # open-ended ones last
    # assessed ones leave the queue and show under status=assessed
    r = await client.post(f"/api/v1/commitments/{world['C']}/assessment", headers=d,
                          json={"result": "kept", "reason": "全年明码标价"})
    assert r.status_code == 200, r.text
    waiting = (await client.get("/api/v1/commitments", headers=d)).json()["items"]
    assert world["C"] not in {c["id"] for c in waiting}
    assessed = (await client.get("/api/v1/commitments", headers=d,
                                 params={"status": "assessed"})).json()["items"]
    assert [c["id"] for c in assessed] == [world["C"]]
    everything = (await client.get("/api/v1/commitments", headers=d,
                                   params={"status": "all"})).json()["items"]
    assert len(everything) == 5
    # another department sees none of them; a cursor of another list or filter is refused
    other = world.headers["department_other"]
    assert (await client.get("/api/v1/commitments", headers=other)).json()["items"] == []
    first = (await client.get("/api/v1/commitments", headers=d, params={"limit": 1})).json()
    for headers, params in ((other, {}), (d, {"status": "all"})):
        assert_problem(await client.get("/api/v1/commitments", headers=headers, params={
            **params, "cursor": first["next_cursor"]}), 400, "invalid-cursor")


async def test_bad_commitment_inputs_are_4xx_and_write_nothing(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    count = "SELECT (SELECT count(*) FROM commitments) + (SELECT count(*) FROM credit_records)"
    before = await conn.fetchval(count)
    url = f"/api/v1/subjects/{world['S']}/commitments"
    m = world.headers["merchant"]
    good = {"type": "self_discipline", "department": "scjg", "title": "t", "content": "c"}
    assert_problem(await client.post(url, headers=m, json={**good, "type": "whatever"}), 400)
    assert_problem(await client.post(url, headers=m, json={**good, "department": "nosuch"}), 422,
                   "unknown-department")
    assert_problem(await client.post(url, headers=m, json={**good, "valid_until": "2000-01-01"}),
                   422, "invalid-commitment")
    assert_problem(await client.post(url, headers=world.headers["merchant_other"], json=good),
                   403, "not-your-subject")
    assess = f"/api/v1/commitments/{world['C']}/assessment"
    d = world.headers["department"]
    assert_problem(await client.post(assess, headers=d, json={**BROKEN, "severity": None}), 422,
                   "invalid-assessment")
    assert_problem(await client.post(assess, headers=d, json={**BROKEN, "legal_basis": ""}), 422,
                   "missing-legal-basis")
    assert_problem(await client.post(assess, headers=world.headers["department_other"],
                                     json=BROKEN), 403, "not-commitment-addressee")
    assert await conn.fetchval(count) == before


async def test_the_disclosure_board_lists_severe_records_and_searches(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    records = f"/api/v1/subjects/{world['S2']}/records"
    for i in range(3):
        r = await client.post(records, headers=world.headers["department"],
                              json=penalty("severe", 10 + i, f"制假售假{i}"))
        assert r.status_code == 201
    await client.post(records, headers=world.headers["department"], json=penalty("general", 5))
    board = (await client.get("/api/v1/disclosures", params={"page_size": 2})).json()
    assert board["total"] == 4 and len(board["items"]) == 2
    assert board["items"][0]["title"] == "制假售假0"
    assert board["items"][0]["legal_basis"] and board["items"][0]["reason"]
    page2 = (await client.get("/api/v1/disclosures", params={"page_size": 2, "page": 2})).json()
    assert [i["record_id"] for i in page2["items"]][-1] == world["R_free"]
    found = (await client.get("/api/v1/disclosures", params={"q": "豆腐宴"})).json()
    assert found["total"] == 3 and {i["enterprise_id"] for i in found["items"]} == {world["E2"]}
    empty = (await client.get("/api/v1/disclosures", params={"page": 9})).json()
    assert empty["items"] == [] and empty["total"] == 4
    assert_problem(await client.get("/api/v1/disclosures", params={"page": 0}), 400)


async def test_a_withdrawn_severe_record_leaves_the_board(client: AsyncTestClient[Litestar],
                                                          conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    await client.patch(f"/api/v1/records/{world['R_free']}", headers=world.headers["department"],
                       json={"withdrawn": True, "reason": "复议撤销"})
    assert (await client.get("/api/v1/disclosures")).json()["total"] == 0


async def test_a_district_shows_its_stores_and_grade_distribution(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    district = (await client.get(f"/api/v1/districts/{world['D']}")).json()
    assert district["kind_label"] == "信用街区" and district["store_count"] == 2
    assert {s["id"] for s in district["stores"]} == {world["S"], world["S2"]}
    assert sum(district["grade_distribution"].values()) == 2
    grades = {s["id"]: s["grade"] for s in district["stores"]}
    assert district["grade_distribution"][grades[world["S"]]] >= 1
    listed = (await client.get("/api/v1/districts", params={"region": "340400"})).json()
    assert [d["id"] for d in listed] == [world["D"]]
    r = await client.delete(f"/api/v1/districts/{world['D']}/stores/{world['S2']}",
                            headers=world.headers["department"])
    assert r.status_code == 204
    assert (await client.get(f"/api/v1/districts/{world['D']}")).json()["store_count"] == 1


async def test_bad_district_inputs_are_4xx(client: AsyncTestClient[Litestar],
                                           conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    d = world.headers["department"]
    url = f"/api/v1/districts/{world['D']}/stores"
    assert_problem(await client.post(url, headers=d, json={"store_ids": ["S99999999"]}), 422,
                   "unknown-store")
    assert_problem(await client.post(url, headers=d, json={"store_ids": [world["E"]]}), 400)
    assert_problem(await client.post(url, headers=d, json={"store_ids": []}), 400)
    assert_problem(await client.delete(f"/api/v1/districts/{world['D']}/stores/S99999999",
                                       headers=d), 404, "store-not-in-district")
    assert_problem(await client.post("/api/v1/districts", headers=d,
                                     json={"name": "x", "region_code": "12"}), 400)
    assert_problem(await client.post("/api/v1/districts", headers=world.headers[
        "department_other"], json={"name": "x", "region_code": "340403"}), 403, "out-of-region")
    assert_problem(await client.get("/api/v1/districts/D9999999999"), 404)
