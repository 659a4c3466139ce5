import asyncio
from datetime import timedelta

import pytest

from tests.conftest import TODAY, uscc
from xinyi_api.db.pool import connect
from xinyi_api.grading.public_rule import PUBLIC_RULE
from xinyi_api.grading.regrade import run_regrade
from xinyi_api.grading.service import Grader


async def _seed(client, headers, n: int) -> list[str]:
    ids = []
    for i in range(n):
        r = await client.post("/api/v1/enterprises", headers=headers, json={
            "uscc": uscc(100 + i), "name": f"企业{i}", "region_code": "340403",
            "industry": "retail"})
        ids.append(r.json()["id"])
    return ids


# A severe penalty written straight into the table, as an import would: the grade is now stale.
PENALTY = (
    "INSERT INTO credit_records (id, subject_id, kind, severity, title, source_department,"
    " legal_basis, occurred_on, published_on, public_until) VALUES"
    " ('R' || lpad(nextval('record_id_seq')::text, 10, '0'), $1, 'penalty', 'severe',"
    " '制假售假', 'scjg', '《产品质量法》第五十条', $2::date, $2::date, $2::date + 1000)")


class Interrupt(Exception):
    pass


async def test_batch_regrade_grades_everyone_and_resumes(client, dept_headers,
                                                         database_url) -> None:
    ids = await _seed(client, dept_headers, 7)
    conn = await connect(database_url)
    try:
        # Records written straight into the table, as an import would: grades are now stale.
        await conn.executemany(PENALTY, [(i, TODAY) for i in ids])
        grader = Grader([PUBLIC_RULE])
        today = client.app.state.clock.today()
        seen: list[int] = []

        def stop_after_first_batch(done: int, total: int) -> None:
            seen.append(done)
            raise Interrupt

        with pytest.raises(Interrupt):
            await run_regrade(conn, grader, today, batch_size=3, progress=stop_after_first_batch)
        graded = await conn.fetchval("SELECT count(*) FROM grades WHERE grade = 'D'")
        assert graded == 3  # the first batch committed
        report = await run_regrade(conn, grader, today, batch_size=3)
        assert report.resumed and report.processed == 7 and report.total == 7
        assert await conn.fetchval("SELECT count(*) FROM grades WHERE grade = 'D'") == 7
        # A later run starts afresh and changes nothing: history does not grow.
        before = await conn.fetchval("SELECT count(*) FROM grade_history")
        again = await run_regrade(conn, grader, today, batch_size=3)
        assert not again.resumed
        assert await conn.fetchval("SELECT count(*) FROM grade_history") == before
    finally:
        await conn.close()


async def test_due_only_regrades_subjects_whose_records_expired(client, dept_headers,
                                                                database_url) -> None:
    ids = await _seed(client, dept_headers, 2)
    conn = await connect(database_url)
    try:
        await conn.execute("UPDATE grades SET review_on = $2 WHERE subject_id = $1",
                           ids[0], TODAY - timedelta(days=1))
        report = await run_regrade(conn, Grader([PUBLIC_RULE]), client.app.state.clock.today(),
                                   due_only=True)
        assert report.processed == 1
    finally:
        await conn.close()


async def test_a_regrade_waits_for_another_transaction_grading_the_subject(
        client, dept_headers, database_url) -> None:
    a, b = await _seed(client, dept_headers, 2)
    grader, today = Grader([PUBLIC_RULE]), client.app.state.clock.today()
    first, second = await connect(database_url), await connect(database_url)
    try:
        # Outside a transaction the lock would end with the statement: refused.
        with pytest.raises(RuntimeError, match="inside the caller's transaction"):
            await grader.regrade(first, [a], today)
        # The first transaction adds a penalty to a's file and regrades it, and stays open.
        open_tx = first.transaction()
        await open_tx.start()
        await first.execute(PENALTY, a, TODAY)
        penalised = await grader.regrade(first, [a], today)
        async with second.transaction():  # another subject: no wait
            await asyncio.wait_for(grader.regrade(second, [b], today), 5)
        async with second.transaction():
            waiting = asyncio.ensure_future(grader.regrade(second, [b, a], today))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await open_tx.commit()
            regraded = await asyncio.wait_for(waiting, 5)
        # It read a's file only after the first committed: the penalty is in its grade.
        assert [r.score for r in regraded if r.subject_id == a] == [p.score for p in penalised]
    finally:
        await first.close()
        await second.close()


async def test_two_batches_in_flight_grade_everyone_and_a_failure_keeps_the_cursor_honest(
        client, dept_headers, database_url) -> None:
    ids = await _seed(client, dept_headers, 9)
    conn, second = await connect(database_url), await connect(database_url)
    try:
        await conn.executemany(PENALTY, [(i, TODAY) for i in ids])
        grader = Grader([PUBLIC_RULE])
        today = client.app.state.clock.today()
        calls = 0
        original = grader.regrade

        async def failing_third(c, batch, day):  # the third batch fails after the second began
            nonlocal calls
            calls += 1
            if calls == 3:
                raise Interrupt
            return await original(c, batch, day)

        grader.regrade = failing_third  # type: ignore[method-assign]
        with pytest.raises(Interrupt):
            await run_regrade(conn, grader, today, batch_size=2, second=second)
        run = await conn.fetchrow("SELECT processed, last_subject FROM regrade_runs"
                                  " WHERE finished_at IS NULL")
        graded = {r["subject_id"] for r in await conn.fetch(
            "SELECT subject_id FROM grades WHERE grade = 'D'")}
        # The cursor is only past batches that committed, and everything before it is graded.
        assert run["processed"] % 2 == 0 and run["processed"] <= 4
        assert {i for i in sorted(ids) if i <= (run["last_subject"] or "")} <= graded
        grader.regrade = original  # type: ignore[method-assign]
        report = await run_regrade(conn, grader, today, batch_size=2, second=second)
        assert report.resumed and report.processed == 9
        assert await conn.fetchval("SELECT count(*) FROM grades WHERE grade = 'D'") == 9
    finally:
        await second.close()
        await conn.close()
