"""查询使用登记: every write and non-public read is logged, chained and verifiable."""

from __future__ import annotations

import asyncio

import asyncpg
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.world import build_world, penalty
from tests.conftest import assert_problem
from xinyi_api.accountability import audit
from xinyi_api.accountability.cli import audit as audit_cli
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.pool import connect

PURPOSE = {"purpose": "行政许可审查"}


async def _tamper(conn: asyncpg.Connection, sql: str, *args: object) -> None:
    """What a superuser (or someone with the disk) could do despite the trigger."""
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
    await conn.execute(sql, *args)
    await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")


async def test_writes_are_logged_with_who_what_and_where(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    rows = await conn.fetch("SELECT * FROM audit_log WHERE action = 'record.add' ORDER BY id")
    assert len(rows) == 5
    first = rows[0]
    assert (first["actor"], first["role"], first["department"]) == ("department:scjg",
                                                                     "department", "scjg")
    assert first["subject_id"] == world["S"]
    assert first["endpoint"] == "POST /api/v1/subjects/{subject_id}/records"
    actions = {r["action"] for r in await conn.fetch("SELECT action FROM audit_log")}
    assert {"enterprise.create", "store.create", "objection.file", "repair.apply",
            "commitment.sign", "district.create", "district.add_stores"} <= actions
    assert (await audit.verify(conn)).ok


async def test_verify_finds_an_edited_entry(client: AsyncTestClient[Litestar],
                                            conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    await _tamper(conn, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 7")
    result = await audit.verify(conn)
    assert not result.ok and result.first_bad_id == 7 and result.checked == 6
    assert "changed" in (result.problem or "")


async def test_verify_finds_a_deleted_entry(client: AsyncTestClient[Litestar],
                                            conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    await _tamper(conn, "DELETE FROM audit_log WHERE id = 5")
    result = await audit.verify(conn)
    assert not result.ok and result.first_bad_id == 5
    assert "deleted" in (result.problem or "")


async def test_verify_finds_entries_cut_from_the_end(client: AsyncTestClient[Litestar],
                                                     conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    last = await conn.fetchval("SELECT max(id) FROM audit_log")
    await _tamper(conn, "DELETE FROM audit_log WHERE id = $1", last)
    result = await audit.verify(conn)
    assert not result.ok and result.first_bad_id == last


async def test_a_rehashed_forgery_still_breaks_the_link(client: AsyncTestClient[Litestar],
                                                        conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    row = dict(await conn.fetchrow("SELECT * FROM audit_log WHERE id = 3"))
    row["actor"] = "forger"
    forged = audit.entry_hash(**{k: row[k] for k in (
        "id", "at", "actor", "role", "department", "subject_id", "action", "endpoint",
        "purpose", "detail", "prev_hash")})
    await _tamper(conn, "UPDATE audit_log SET actor = 'forger', hash = $1 WHERE id = 3", forged)
    result = await audit.verify(conn)
    assert not result.ok and result.first_bad_id == 4


async def test_the_audit_table_refuses_update_and_delete(client: AsyncTestClient[Litestar],
                                                         conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE id = 1",
                "DELETE FROM audit_log WHERE id = 1", "TRUNCATE audit_log"):
        try:
            await conn.execute(sql)
        except asyncpg.RestrictViolationError:
            continue
        raise AssertionError(f"{sql} was allowed")


async def test_operator_verification_endpoint_and_cli_report_the_first_bad_entry(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str,
        monkeypatch: object) -> None:
    world = await build_world(client, conn)
    ok = await client.get("/api/v1/audit/verification", headers=world.headers["operator"])
    assert ok.json()["ok"] is True
    await _tamper(conn, "UPDATE audit_log SET purpose = '改过' WHERE id = 2")
    bad = (await client.get("/api/v1/audit/verification",
                            headers=world.headers["operator"])).json()
    assert bad["ok"] is False and bad["first_bad_id"] == 2
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "XINYI_SECRET_KEY": "test-secret-key-not-for-production"}
    result = await asyncio.to_thread(runner.invoke, audit_cli, ["verify"], env=env)
    assert result.exit_code == 1
    assert "entry 2" in result.output


async def test_concurrent_appends_never_fork_the_chain(client: AsyncTestClient[Litestar],
                                                       conn: asyncpg.Connection,
                                                       database_url: str) -> None:
    who = Principal(sub="operator-1", role="operator")
    workers = [await connect(database_url) for _ in range(6)]

    async def worker(c: asyncpg.Connection, n: int) -> list[int]:
        return [await audit.append(c, who, action="test.append", endpoint="test",
                                   detail={"n": n, "i": i}) for i in range(5)]

    try:
        batches = await asyncio.gather(*(worker(c, n) for n, c in enumerate(workers)))
    finally:
        for c in workers:
            await c.close()
    ids = [i for batch in batches for i in batch]
    assert sorted(ids) == list(range(min(ids), min(ids) + 30))
    assert (await audit.verify(conn)).ok


async def test_department_read_without_purpose_is_refused(client: AsyncTestClient[Litestar],
                                                          conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = await conn.fetchval("SELECT count(*) FROM audit_log")
    for params in ({}, {"purpose": " "}):
        r = await client.get(f"/api/v1/subjects/{world['S']}/file",
                             headers=world.headers["department"], params=params)
        assert_problem(r, 400, "purpose-required")
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == before


async def test_full_file_read_is_registered_and_shown_to_the_subject(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    await client.patch(f"/api/v1/records/{world['R_free']}", headers=world.headers["department"],
                       json={"withdrawn": True, "reason": "录入错误"})
    r = await client.get(f"/api/v1/subjects/{world['S']}/file",
                         headers=world.headers["department"], params=PURPOSE)
    assert r.status_code == 200, r.text
    file = r.json()
    statuses = {rec["id"]: rec["status"] for rec in file["records"]}
    assert statuses[world["R_free"]] == "withdrawn" and statuses[world["R_obj"]] == "objected"
    assert [o["id"] for o in file["objections"]] == [world["O"]]
    assert [p["id"] for p in file["repairs"]] == [world["P"]]
    entry = await conn.fetchrow("SELECT * FROM audit_log WHERE id = $1", file["audit_entry"])
    assert (entry["action"], entry["purpose"], entry["department"]) == (
        "file.read", "行政许可审查", "scjg")

    log = await client.get(f"/api/v1/subjects/{world['S']}/access-log",
                           headers=world.headers["merchant"])
    assert log.status_code == 200, log.text
    reads = [e for e in log.json()["items"] if e["action"] == "file.read"]
    assert reads[0]["department"] == "scjg" and reads[0]["purpose"] == "行政许可审查"
    other = await client.get(f"/api/v1/subjects/{world['S']}/access-log",
                             headers=world.headers["merchant_other"])
    assert_problem(other, 403, "not-your-subject")


async def test_out_of_region_read_is_refused_and_not_logged_as_a_read(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    r = await client.get(f"/api/v1/subjects/{world['S']}/file",
                         headers=world.headers["department_other"], params=PURPOSE)
    assert_problem(r, 403, "out-of-region")
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'file.read'") == 0


async def test_a_refused_write_leaves_no_audit_entry(client: AsyncTestClient[Litestar],
                                                     conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    before = await conn.fetchval("SELECT count(*) FROM audit_log")
    bad = penalty("general", 1)
    bad["legal_basis"] = ""
    r = await client.post(f"/api/v1/subjects/{world['S']}/records",
                          headers=world.headers["department"], json=bad)
    assert_problem(r, 422, "missing-legal-basis")
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == before


async def test_operator_searches_the_log_and_the_search_is_logged(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    world = await build_world(client, conn)
    r = await client.get("/api/v1/audit", headers=world.headers["operator"],
                         params={"subject_id": world["S"], "action": "record.", "limit": 2})
    page = r.json()
    assert r.status_code == 200 and len(page["items"]) == 2 and page["next_cursor"]
    assert all(e["action"].startswith("record.") for e in page["items"])
    nxt = await client.get("/api/v1/audit", headers=world.headers["operator"],
                           params={"subject_id": world["S"], "action": "record.",
                                   "cursor": page["next_cursor"]})
    assert all(e["id"] < page["next_cursor"] for e in nxt.json()["items"])
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'audit.read'") == 2
