"""A real streaming replica (pg_basebackup -R of the test server) behind XINYI_READ_DATABASE_URL.

Replay on the replica is paused (``pg_wal_replay_pause()``) to make it lag as long as the test
needs: whatever reads it must not see a change the primary has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.codes.conftest import Client, business, in_app, penalty
from tests.conftest import PgServer, app_at, auth, make_token
from tests.db.conftest import pg_workdir
from xinyi_api.clock import ManualClock
from xinyi_api.db.cluster import LocalServer, streaming_replica
from xinyi_api.settings import Settings


@pytest.fixture(scope="module")
def replica(pg_server: PgServer) -> Iterator[LocalServer]:
    """A hot standby of the session's server on its own port, for the module's tests: each
    test's database, created on the primary afterwards, reaches it by streaming."""
    parts = urlsplit(pg_server.admin_url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    with pg_workdir() as workdir, streaming_replica(host, parts.port or 5432, workdir) as server:
        yield server


async def replicated(replica: LocalServer, database_url: str) -> None:
    """Until the test's database exists on the replica."""
    for _ in range(500):
        try:
            await on_replica(replica, database_url, "SELECT 1")
            return
        except (asyncpg.InvalidCatalogNameError, OSError):
            await asyncio.sleep(0.02)
    raise AssertionError("the test database never reached the replica")


@pytest.fixture
async def rclient(settings: Settings, replica: LocalServer, database_url: str,
                  clock: ManualClock) -> AsyncIterator[Client]:
    """The app with public reads on the replica."""
    await replicated(replica, database_url)
    dbname = urlsplit(database_url).path.lstrip("/")
    app = app_at(replace(settings, read_database_url=replica.url(dbname)), clock)
    try:
        async with AsyncTestClient(app=app) as client:
            client.app.state.db.read.retry_after = 0.2
            yield client
    finally:
        if not (replica.pgdata / "postmaster.pid").exists():
            replica.start()
        await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")


async def on_replica(replica: LocalServer, database_url: str, sql: str) -> object:
    conn = await asyncpg.connect(replica.url(urlsplit(database_url).path.lstrip("/")))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def caught_up(replica: LocalServer, database_url: str, primary: asyncpg.Connection) -> None:
    lsn = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
    for _ in range(200):
        if await on_replica(replica, database_url,
                            f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the replica did not catch up")


async def test_a_writer_reads_its_own_write_and_the_public_reads_the_replica(
    rclient: Client, replica: LocalServer, database_url: str, conn: asyncpg.Connection,
) -> None:
    dept = auth(make_token(rclient.app, dept="scjg", region="340400"))
    _, store = await business(rclient, dept)
    await caught_up(replica, database_url, conn)
    assert await on_replica(replica, database_url, "SELECT pg_is_in_recovery()")
    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")

    today = rclient.app.state.clock.today().isoformat()
    r = await rclient.post(f"/api/v1/subjects/{store['id']}/records", headers=dept,
                           json=penalty(today))
    assert r.status_code == 201, r.text
    # The department reads its own write at once (its reads go to the primary) …
    mine = await rclient.get(f"/api/v1/subjects/{store['id']}/records", headers=dept)
    assert [x["title"] for x in mine.json()] == ["后厨卫生不达标"]
    assert (await rclient.get(f"/api/v1/subjects/{store['id']}/grade",
                              headers=dept)).json()["grade"] != "unrated"
    # … while anonymous public reads come from the replica, which has not replayed it yet.
    public = await rclient.get(f"/api/v1/subjects/{store['id']}/records")
    assert public.status_code == 200 and public.json() == []
    await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")
    await caught_up(replica, database_url, conn)
    public = await rclient.get(f"/api/v1/subjects/{store['id']}/records")
    assert len(public.json()) == 1


async def test_a_change_is_never_cached_stale_from_a_lagging_replica(
    rclient: Client, replica: LocalServer, database_url: str, conn: asyncpg.Connection,
) -> None:
    dept = auth(make_token(rclient.app, dept="scjg", region="340400"))
    _, store = await business(rclient, dept)
    token = store["code_url"].rsplit("/C/", 1)[1]
    await caught_up(replica, database_url, conn)
    runtime = rclient.app.state.codes
    assert (await rclient.get(f"/api/v1/scan/{token}")).json()["records"] == []  # cached
    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")

    today = rclient.app.state.clock.today().isoformat()
    r = await rclient.post(f"/api/v1/subjects/{store['id']}/records", headers=dept,
                           json=penalty(today))
    assert r.status_code == 201

    async def evicted() -> bool:
        return len(runtime.profiles) == 0

    for _ in range(200):
        if await evicted():
            break
        await asyncio.sleep(0.01)
    stale_reads = runtime.notified.stale_reads
    # The reload reads the replica first: its snapshot predates the change the notification
    # announced, so the profile is read again from the primary — and that is what is cached.
    for _ in range(3):
        body = (await rclient.get(f"/api/v1/scan/{token}")).json()
        assert len(body["records"]) == 1 and body["grade"]["grade"] != "unrated"
    assert runtime.notified.stale_reads == stale_reads + 1
    assert len(runtime.profiles) == 1
    # The replica, still paused, has the old state.
    assert await on_replica(replica, database_url,
                            "SELECT count(*) FROM credit_records") == 0
    await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")


async def test_reads_fall_back_to_the_primary_while_the_replica_is_away(
    rclient: Client, replica: LocalServer, database_url: str, conn: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dept = auth(make_token(rclient.app, dept="scjg", region="340400"))
    _, store = await business(rclient, dept)
    token = store["code_url"].rsplit("/C/", 1)[1]
    await caught_up(replica, database_url, conn)
    reads = rclient.app.state.db.read
    assert (await rclient.get(f"/api/v1/stores/{store['id']}")).status_code == 200
    assert reads.replica_up

    replica.stop("fast")
    with caplog.at_level(logging.WARNING, logger="xinyi_api.db.pool"):
        for path in (f"/api/v1/stores/{store['id']}", f"/api/v1/subjects/{store['id']}/records",
                     "/api/v1/stores?q=老韩家", f"/api/v1/scan/{token}", f"/C/{token}"):
            rclient.app.state.codes.profiles.clear()
            r = await rclient.get(path)
            assert r.status_code == 200, (path, r.text)
    assert any("read replica unavailable" in m for m in caplog.messages)
    assert reads.fallbacks >= 1 and not reads.replica_up

    replica.start()
    await asyncio.sleep(reads.retry_after)
    fallbacks = reads.fallbacks
    for _ in range(100):
        assert (await rclient.get(f"/api/v1/stores/{store['id']}")).status_code == 200
        if reads.replica_up and reads.fallbacks == fallbacks:
            break
        fallbacks = reads.fallbacks
        await asyncio.sleep(0.05)

    async def read_where() -> tuple[bool, bool]:
        async with reads.acquire_tagged() as (rconn, used_replica):
            return used_replica, bool(await rconn.fetchval("SELECT pg_is_in_recovery()"))

    assert in_app(rclient, read_where) == (True, True)  # the replica is used again
