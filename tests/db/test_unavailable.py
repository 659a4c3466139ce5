"""A database that is down, unreachable or saturated: 503 with Retry-After within a second, and
service resumes by itself when the database is back. Real servers, real sockets, no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pgserver
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import DEPARTMENTS, TEST_SECRET, app_at, assert_problem, auth, make_token, uscc
from xinyi_api.db.pool import Pool, open_database
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]
PROMISED = 1.0
"""Seconds within which a request must get its 503."""


class OwnPostgres:
    """A PostgreSQL server of one test alone, which the test may stop and start again."""

    def __init__(self, root: Path) -> None:
        self.pgdata = root / "pgdata"
        self._handle: Any = None
        self.start()

    @property
    def url(self) -> str:
        return str(self._handle.get_uri())

    def start(self) -> None:
        self._handle = pgserver.get_server(self.pgdata, cleanup_mode="stop")

    def stop(self) -> None:
        self._handle.cleanup()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="xinyi-down-"))
    server = OwnPostgres(root)
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _answered_503(client: Client, method: str, path: str, reason: str,
                        **kwargs: Any) -> dict[str, Any]:
    started = time.monotonic()
    # Bounded, so a request that hangs fails the test instead of stalling it.
    r = await asyncio.wait_for(client.request(method, path, **kwargs), PROMISED * 5)
    elapsed = time.monotonic() - started
    body = assert_problem(r, 503, "database-unavailable")
    assert body["database"] == reason, body
    assert int(r.headers["retry-after"]) >= 1
    assert elapsed < PROMISED, f"{method} {path} took {elapsed:.2f} s"
    return body


async def _eventually_ok(client: Client, path: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while (await client.get(path)).status_code != 200:
        assert time.monotonic() < deadline, f"{path} did not recover within {within} s"
        await asyncio.sleep(0.05)


async def test_a_stopped_database_gets_503_with_retry_after_and_service_resumes_on_restart(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    settings = Settings(database_url=own_postgres.url, data_dir=tmp_path, secret_key=TEST_SECRET,
                        db_pool_min=1, db_pool_max=4)
    async with AsyncTestClient(app=app_at(settings)) as client:
        conn = await asyncpg.connect(own_postgres.url)
        try:
            await conn.executemany("INSERT INTO departments (code, name, region_code) "
                                   "VALUES ($1, $2, $3)", DEPARTMENTS)
        finally:
            await conn.close()
        headers = auth(make_token(client.app, dept="scjg", region="340400"))
        enterprise = {"uscc": uscc(1), "name": "淮南市田家庵区老韩家牛肉汤店",
                      "region_code": "340403", "industry": "beef_soup"}
        created = await client.post("/api/v1/enterprises", headers=headers, json=enterprise)
        assert created.status_code == 201, created.text
        subject_id = created.json()["id"]
        token = created.json()["code_url"].rsplit("/", 1)[1]
        assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200

        own_postgres.stop()

        await _answered_503(client, "GET", "/api/v1/stores", "down")
        await _answered_503(client, "GET", f"/api/v1/enterprises/{subject_id}", "down")
        await _answered_503(client, "GET", f"/api/v1/subjects/{subject_id}/grade", "down")
        await _answered_503(client, "GET", f"/api/v1/scan/{token}", "down")
        await _answered_503(client, "POST", "/api/v1/enterprises", "down", headers=headers,
                            json={**enterprise, "uscc": uscc(2)})
        started = time.monotonic()
        ready = await client.get("/ready")
        assert time.monotonic() - started < PROMISED
        assert assert_problem(ready, 503, "not-ready")["database"] == "down"
        assert int(ready.headers["retry-after"]) >= 1

        own_postgres.start()

        await _eventually_ok(client, "/api/v1/stores")
        again = await client.post("/api/v1/enterprises", headers=headers,
                                  json={**enterprise, "uscc": uscc(2)})
        assert again.status_code == 201, again.text
        assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200
        assert (await client.get("/ready")).status_code == 200


class BlackHoleProxy:
    """A TCP proxy to a PostgreSQL Unix socket that can turn into a black hole: it keeps every
    connection open and accepts new ones, but nothing gets through any more — what a database
    host that vanished from the network looks like to its clients.

    It runs on an event loop of its own, in its own thread: the test client blocks the test's
    loop while the app starts.
    """

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.black_hole = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not self.black_hole:
                    writer.write(data)
                    await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.black_hole:
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass
            return
        up_reader, up_writer = await asyncio.open_unix_connection(self.socket_path)
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    def close(self) -> None:
        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@pytest.fixture
def proxy(database_url: str) -> Iterator[tuple[BlackHoleProxy, str]]:
    """A proxy to the test database, and the URL that reaches the database through it."""
    parts = urlsplit(database_url)
    socket_dir = parse_qs(parts.query)["host"][0]
    black_hole = BlackHoleProxy(f"{socket_dir}/.s.PGSQL.5432")
    black_hole.start()
    try:
        yield black_hole, f"postgresql://postgres@127.0.0.1:{black_hole.port}{parts.path}"
    finally:
        black_hole.close()


async def test_an_unreachable_database_host_gets_503_within_a_second_and_service_resumes(
    proxy: tuple[BlackHoleProxy, str], tmp_path: Path
) -> None:
    black_hole, url = proxy
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key=TEST_SECRET,
                        db_pool_min=1, db_pool_max=4)
    async with AsyncTestClient(app=app_at(settings)) as client:
        assert (await client.get("/api/v1/stores")).status_code == 200
        pool: Pool = client.app.state.db.write
        # Check every idle connection before use (by default: those idle for a second or more;
        # the test does not wait that long).
        pool.idle_check_after = 0.0

        black_hole.black_hole = True

        # The pooled connection does not answer its check; a new one does not get through.
        await _answered_503(client, "GET", "/api/v1/stores", "down")
        await _answered_503(client, "GET", "/api/v1/stores", "down")
        ready_started = time.monotonic()
        assert_problem(await client.get("/ready"), 503, "not-ready")
        assert time.monotonic() - ready_started < PROMISED

        black_hole.black_hole = False

        await _eventually_ok(client, "/api/v1/stores")
        assert (await client.get("/ready")).status_code == 200


async def test_a_pool_whose_connections_are_all_busy_gets_503_busy_not_a_hang(
    client: Client,
) -> None:
    pool: Pool = client.app.state.db.write
    held: list[Any] = []

    async def take_all() -> None:
        for _ in range(pool.get_max_size()):
            held.append(await pool.acquire())

    async def give_back() -> None:
        for conn in held:
            await pool.release(conn)

    client.blocking_portal.call(take_all)
    try:
        body = await _answered_503(client, "GET", "/api/v1/stores", "busy")
        assert "busy" in body["detail"]
        assert assert_problem(await client.get("/ready"), 503, "not-ready")["database"] == "busy"
    finally:
        client.blocking_portal.call(give_back)
    assert (await client.get("/api/v1/stores")).status_code == 200


async def test_closing_the_pools_does_not_wait_for_a_stuck_query(database_url: str) -> None:
    """Shutdown gives a query still running a few seconds, then ends its connection: a query
    stuck on a database that stopped answering would hold it for its whole command timeout."""
    db = await open_database(Settings(database_url=database_url, secret_key=TEST_SECRET,
                                      db_pool_min=1, db_pool_max=2))
    started = asyncio.Event()

    async def stuck() -> None:
        async with db.write.acquire() as conn:
            started.set()
            await conn.execute("SELECT pg_sleep(120)")

    task = asyncio.create_task(stuck())
    await started.wait()
    await db.close(timeout=0.2)
    # Ended by the close, not by the query finishing (that would take two minutes).
    with pytest.raises((asyncpg.InterfaceError, asyncpg.ConnectionDoesNotExistError)):
        await task


async def test_a_replica_url_naming_a_missing_database_falls_back_to_the_primary(
    database_url: str, tmp_path: Path
) -> None:
    """A misconfigured ``XINYI_READ_DATABASE_URL`` (no such database) is a replica that is
    away: public reads go to the primary, nothing answers 500."""
    parts = urlsplit(database_url)
    missing = parts._replace(path="/no_such_database").geturl()
    settings = Settings(database_url=database_url, read_database_url=missing,
                        data_dir=tmp_path, secret_key=TEST_SECRET)
    async with AsyncTestClient(app=app_at(settings)) as client:
        assert (await client.get("/api/v1/stores")).status_code == 200
        assert (await client.get("/api/v1/departments")).status_code == 200
        reads = client.app.state.db.read
        assert reads.fallbacks >= 1 and not reads.replica_up
