"""查询使用登记: every write and non-public read is logged, chained and verifiable."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.world import build_world, penalty
from tests.conftest import NOW, assert_problem
from xinyi_api import audit
from xinyi_api.accountability.cli import audit as audit_cli
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.migrate import MigrationSource, core_migrations_dir, core_source, migrate
from xinyi_api.db.pool import connect

PURPOSE = {"purpose": "行政许可审查"}


async def _tamper(conn: asyncpg.Connection, sql: str, *args: object) -> None:
    """What a superuser (or someone with the disk) could do to sealed entries despite the
    trigger (the app seals in the background; seal now so every entry is in the chain)."""
    await audit.seal(conn)
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
    await audit.seal(conn)
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


# --- sealing: appends take no lock; the sealer chains committed entries ---------------------

OPERATOR = Principal(sub="operator-1", role="operator")


async def _position(conn: asyncpg.Connection, entry_id: int) -> int | None:
    seq: int | None = await conn.fetchval("SELECT seq FROM audit_log WHERE id = $1", entry_id)
    return seq


async def test_two_writers_commit_out_of_id_order_and_the_chain_follows_the_seal_order(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str) -> None:
    a, b = await connect(database_url), await connect(database_url)
    try:
        async with a.transaction():
            first = await audit.append(a, OPERATOR, action="test.a", endpoint="test")
            async with b.transaction():
                second = await audit.append(b, OPERATOR, action="test.b", endpoint="test")
            # b has committed, a has not: a seal now can see (and chain) only b's entry.
            await audit.seal(conn)
            assert await _position(conn, second) is not None
            assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE id = $1",
                                       first) == 0
        await audit.seal(conn)
    finally:
        await a.close()
        await b.close()
    assert first < second
    assert await _position(conn, second) < await _position(conn, first)  # type: ignore[operator]
    result = await audit.verify(conn)
    assert result.ok and result.unsealed == 0 and result.last_id == first

    # A sealed entry changed afterwards is found, by id and chain position.
    await _tamper(conn, "UPDATE audit_log SET detail = '{\"n\": 1}' WHERE id = $1", first)
    broken = await audit.verify(conn)
    assert not broken.ok and broken.first_bad_id == first
    assert broken.first_bad_seq == await _position(conn, first)
    assert "changed" in (broken.problem or "")


async def test_concurrent_writers_and_sealers_produce_one_valid_chain(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str) -> None:
    writers = [await connect(database_url) for _ in range(4)]
    sealers = [await connect(database_url) for _ in range(3)]
    stop = asyncio.Event()

    async def write(c: asyncpg.Connection, n: int) -> list[int]:
        ids = []
        for i in range(15):
            async with c.transaction():
                ids.append(await audit.append(c, OPERATOR, action="test.write", endpoint="test",
                                              detail={"n": n, "i": i}))
                await asyncio.sleep(0.001 * ((n + i) % 3))  # commit in a shuffled order
        return ids

    async def keep_sealing(c: asyncpg.Connection) -> None:
        while not stop.is_set():
            await audit.seal(c)
            await asyncio.sleep(0)

    try:
        sealing = [asyncio.create_task(keep_sealing(c)) for c in sealers]
        batches = await asyncio.gather(*(write(c, n) for n, c in enumerate(writers)))
        stop.set()
        await asyncio.gather(*sealing)
    finally:
        for c in writers + sealers:
            await c.close()
    result = await audit.verify(conn)
    assert result.ok, result
    written = [i for batch in batches for i in batch]
    rows = await conn.fetch("SELECT id, seq FROM audit_log WHERE id = ANY($1::bigint[])", written)
    assert len(rows) == 60 and all(r["seq"] is not None for r in rows)
    assert len({r["seq"] for r in rows}) == 60


async def test_a_rolled_back_transaction_leaves_no_entry(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str) -> None:
    other = await connect(database_url)
    try:
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with other.transaction():
                gone = await audit.append(other, OPERATOR, action="test.undone", endpoint="test")
                raise RuntimeError("changed my mind")
        kept = await audit.append(other, OPERATOR, action="test.kept", endpoint="test")
    finally:
        await other.close()
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE id = $1", gone) == 0
    result = await audit.verify(conn)
    assert result.ok and result.unsealed == 0 and result.last_id == kept > gone


async def test_an_entry_is_listed_right_after_its_write_even_before_it_is_sealed(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str) -> None:
    world = await build_world(client, conn)
    blocker = await connect(database_url)
    try:
        # A sealer that hangs on to the chain head: nothing can be sealed meanwhile.
        async with blocker.transaction():
            await blocker.execute("SELECT 1 FROM audit_chain_head FOR UPDATE")
            r = await client.post(f"/api/v1/subjects/{world['S']}/records",
                                  headers=world.headers["department"], json=penalty("minor", 3))
            assert r.status_code == 201, r.text
            page = await client.get("/api/v1/audit", headers=world.headers["operator"],
                                    params={"action": "record.add", "limit": 1})
            assert page.status_code == 200, page.text
            newest = page.json()["items"][0]
            assert newest["detail"]["record_id"] == r.json()["record"]["id"]
            assert (newest["seq"], newest["prev_hash"], newest["hash"]) == (None, None, None)
            pending = await audit.verify(conn, seal_first=False)
            assert pending.ok and pending.unsealed >= 2  # the record and the search itself
    finally:
        await blocker.close()
    await audit.seal(conn)  # (the app's own sealer may be the one to get the lock first)
    sealed = (await client.get("/api/v1/audit", headers=world.headers["operator"],
                               params={"action": "record.add", "limit": 1})).json()["items"][0]
    assert sealed["id"] == newest["id"] and sealed["seq"] and sealed["hash"]
    assert (await audit.verify(conn)).ok


async def test_the_app_seals_its_entries_shortly_after_the_write(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    await build_world(client, conn)
    last = await conn.fetchval("SELECT max(id) FROM audit_log")
    for _ in range(100):
        if await conn.fetchval("SELECT hash IS NOT NULL FROM audit_log WHERE id = $1", last):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"entry {last} is still unsealed after 5 s")
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE hash IS NULL") == 0


async def test_only_the_seal_may_change_an_entry_and_only_once(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> None:
    entry = await audit.append(conn, OPERATOR, action="test.guard", endpoint="test")
    # Unsealed: its content is as immutable as a sealed entry's.
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("UPDATE audit_log SET actor = 'x' WHERE id = $1", entry)
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("DELETE FROM audit_log WHERE id = $1", entry)
    await audit.seal(conn)
    with pytest.raises(asyncpg.RestrictViolationError):  # no second seal
        await conn.execute("UPDATE audit_log SET hash = repeat('1', 64) WHERE id = $1", entry)
    with pytest.raises(asyncpg.RestrictViolationError):  # no entry arrives sealed
        await conn.execute(
            "INSERT INTO audit_log (at, actor, role, action, endpoint, prev_hash, hash, seq) "
            "VALUES (now(), 'x', 'operator', 'test.forged', 'test', repeat('0', 64), "
            "repeat('2', 64), 999)")
    assert (await audit.verify(conn)).ok


async def test_cli_seals_and_verify_reports_unsealed_entries(
        client: AsyncTestClient[Litestar], conn: asyncpg.Connection, database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "XINYI_SECRET_KEY": "test-secret-key-not-for-production"}
    runner = CliRunner()
    await audit.seal(conn)
    for i in range(3):
        await audit.append(conn, OPERATOR, action="test.cli", endpoint="test", detail={"i": i})
    before = await audit.verify(conn, seal_first=False)
    assert before.ok and before.unsealed == 3 and before.oldest_unsealed_at is not None
    sealed = await asyncio.to_thread(runner.invoke, audit_cli, ["seal"], env=env)
    assert sealed.exit_code == 0, sealed.output
    assert "sealed 3 audit entries" in sealed.output
    ok = await asyncio.to_thread(runner.invoke, audit_cli, ["verify"], env=env)
    assert ok.exit_code == 0 and "audit chain OK: 3 entries" in ok.output


async def test_a_chain_written_before_sealing_existed_stays_valid(
        empty_database_url: str, tmp_path: Path) -> None:
    """Migration 0201: entries chained by the old lock-per-append code verify unchanged, and new
    entries are sealed after them."""
    before = tmp_path / "migrations"
    before.mkdir()
    for path in core_migrations_dir().glob("*.sql"):
        if path.name < "0201":
            shutil.copy(path, before / path.name)
    c = await connect(empty_database_url)
    try:
        await migrate(c, [MigrationSource("core", before)])
        prev = audit.GENESIS_HASH
        for entry_id in range(1, 6):  # what the old append did: gap-free ids, hash at insert
            at = NOW + timedelta(seconds=entry_id)
            digest = audit.entry_hash(id=entry_id, at=at, actor="operator-1", role="operator",
                                      department=None, subject_id=None, action="old.write",
                                      endpoint="test", purpose=None, detail={"i": entry_id},
                                      prev_hash=prev)
            await c.execute(
                "INSERT INTO audit_log (id, at, actor, role, action, endpoint, detail, prev_hash,"
                " hash) VALUES ($1, $2, 'operator-1', 'operator', 'old.write', 'test', $3, $4, $5)",
                entry_id, at, {"i": entry_id}, prev, digest)
            await c.execute("UPDATE audit_chain_head SET last_id = $1, last_hash = $2",
                            entry_id, digest)
            prev = digest
        await migrate(c, [core_source()])
        old = await audit.verify(c)
        assert old.ok and (old.checked, old.last_seq, old.last_id) == (5, 5, 5)
        new = await audit.append(c, OPERATOR, action="new.write", endpoint="test")
        assert new == 6
        await audit.seal(c)
        row = await c.fetchrow("SELECT seq, prev_id, prev_hash FROM audit_log WHERE id = $1", new)
        assert (row["seq"], row["prev_id"], row["prev_hash"]) == (6, 5, prev)
        assert (await audit.verify(c)).checked == 6
        await c.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
        await c.execute("UPDATE audit_log SET actor = 'forger' WHERE id = 2")
        broken = await audit.verify(c)
        assert not broken.ok and (broken.first_bad_id, broken.first_bad_seq) == (2, 2)
    finally:
        await c.close()
