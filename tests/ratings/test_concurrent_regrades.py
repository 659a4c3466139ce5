"""Two transactions that change one store's credit file and regrade it at the same time: the
grade that stays is the one of the file with both changes (docs/grading.md, "Concurrent
regrades"). Under READ COMMITTED each would otherwise grade a file without the other's
uncommitted change, and the later writer would keep its incomplete grade."""

from __future__ import annotations

import asyncio
import json

from tests.ratings.conftest import Shop, consumer, consumer_id, scan, veteran
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.pool import connect
from xinyi_api.grading.service import explanation_text
from xinyi_api.ratings.schemas import RatingCreate
from xinyi_api.ratings.service import submit
from xinyi_api.records.schemas import RecordUpdate
from xinyi_api.records.service import update_record

DEPARTMENT = Principal(sub="dept-user", role="department", department="scjg", region="340400",
                       scenarios=("beef_soup",))


async def test_a_rating_during_a_record_correction_is_graded_with_the_correction(
        client, dept_headers, conn, shop: Shop, database_url) -> None:
    await veteran(conn, "alice")
    alice = consumer(client.app, "alice")
    await scan(client, shop, alice)
    penalty = await client.post(f"/api/v1/subjects/{shop.id}/records", headers=dept_headers,
                                json={"kind": "penalty", "severity": "serious",
                                      "title": "使用过期食材",
                                      "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
                                      "occurred_on": client.app.state.clock.today().isoformat()})
    assert penalty.status_code == 201, penalty.text
    grader, today = client.app.state.grader, client.app.state.clock.today()

    # The department withdraws the penalty in a transaction that is still open …
    other = await connect(database_url)
    open_tx = other.transaction()
    await open_tx.start()
    try:
        await update_record(other, grader, DEPARTMENT, penalty.json()["record"]["id"],
                            RecordUpdate(withdrawn=True, reason="录入错误,系他店处罚"), today)
        # … while alice rates the store (the service on a connection of its own: the test
        # client would block this loop); then the withdrawal commits.
        rating = asyncio.ensure_future(submit(
            conn, grader, client.app.state.scenarios, client.app.state.settings,
            Principal(sub=consumer_id("alice"), role="consumer"), shop.id,
            RatingCreate(stars=5), today, endpoint="POST /api/v1/stores/{store_id}/ratings"))
        await asyncio.sleep(0.5)
        await open_tx.commit()
    except BaseException:
        await open_tx.rollback()
        raise
    finally:
        await other.close()
    assert (await rating).rating.status == "published"

    stored = {r["scheme"]: (r["score"], r["explanation"]) for r in await conn.fetch(
        "SELECT scheme, score, explanation FROM grades WHERE subject_id = $1", shop.id)}
    fresh = grader.grade_files(await grader.load_files(conn, [shop.id], today), today)
    assert stored == {r.scheme: (r.score, json.loads(explanation_text(r))) for r in fresh}
    # Both changes are in it: the penalty no longer counts, the rating does.
    indicators = {i["key"]: i for i in stored["public"][1]["indicators"]}
    assert indicators["penalties"]["points"] == 0
    assert "消费者评价 1 条" in indicators["ratings"]["reasons"][0]["text"]
