"""The service through a real PgBouncer in transaction mode (Debian package ``pgbouncer``).

CI installs it (``.ci/system-packages``); on a machine without the binary these tests skip and
say so.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.codes.conftest import Client, business, penalty
from tests.conftest import TEST_SECRET, PgServer, app_at, auth, make_token
from xinyi_api import audit
from xinyi_api.clock import ManualClock
from xinyi_api.consumers.identity import pseudonym
from xinyi_api.db.cluster import free_port, hand_over, pg_user
from xinyi_api.db.pool import connect
from xinyi_api.settings import Settings


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None)


pytestmark = pytest.mark.skipif(
    pgbouncer_binary() is None,
    reason="pgbouncer is not installed (apt-get install pgbouncer; CI installs it through "
           ".ci/system-packages)")

SERVER_CONNECTIONS = 3
"""Fewer server connections than the app has client connections: they must be shared."""


@dataclass
class Bouncer:
    port: int
    process: subprocess.Popen[bytes]

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


@pytest.fixture
def bouncer(pg_server: PgServer, pg_tmp: Path) -> Iterator[Bouncer]:
    parts = urlsplit(pg_server.admin_url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    workdir = pg_tmp / "pgbouncer"
    workdir.mkdir()
    hand_over(workdir)
    port = free_port()
    (workdir / "users.txt").write_text('"postgres" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""
[databases]
* = host={host} port={parts.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
logfile = {workdir}/pgbouncer.log
""")
    binary = pgbouncer_binary()
    assert binary is not None
    process = subprocess.Popen([binary, str(workdir / "pgbouncer.ini")],
                               user=pg_user(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            import socket

            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("pgbouncer did not start: "
                                   + (workdir / "pgbouncer.log").read_text()) from None
            time.sleep(0.05)
    try:
        yield Bouncer(port, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def bclient(settings: Settings, bouncer: Bouncer, database_url: str,
                  clock: ManualClock) -> AsyncIterator[Client]:
    """The app with both request pools through PgBouncer; LISTEN and migrations direct."""
    dbname = urlsplit(database_url).path.lstrip("/")
    app = app_at(replace(settings, database_url=bouncer.url(dbname),
                         read_database_url=bouncer.url(dbname), direct_database_url=database_url,
                         db_pooler="transaction", db_pool_max=8), clock)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_asyncpg_prepared_statements_do_not_survive_transaction_pooling(
    bouncer: Bouncer, database_url: str,
) -> None:
    # Why the pools turn asyncpg's statement cache off behind a pooler: a statement prepared on
    # one server connection is executed on another.
    url = bouncer.url(urlsplit(database_url).path.lstrip("/"))
    pool = await asyncpg.create_pool(url, min_size=6, max_size=6)
    try:
        with pytest.raises(asyncpg.InvalidSQLStatementNameError):
            async def work(i: int) -> None:
                async with pool.acquire() as conn:
                    for j in range(20):
                        await conn.fetchval(f"SELECT $1::int + {j % 5}", i)
            await asyncio.gather(*(work(i) for i in range(12)))
    finally:
        pool.terminate()


async def test_the_service_works_through_pgbouncer_in_transaction_mode(
    bclient: Client, database_url: str,
) -> None:
    dept = auth(make_token(bclient.app, dept="scjg", region="340400"))
    today = bclient.app.state.clock.today().isoformat()
    stores = []
    for serial in range(1, 4):
        _, store = await business(bclient, dept, serial=serial, store_name=f"老韩家({serial})")
        stores.append(store)

    # Many requests at once over 8 client connections and 3 server connections: reads, writes
    # in transactions (records regrade the store, append audit entries), scans (misses).
    async def one(store: dict[str, str]) -> None:
        token = store["code_url"].rsplit("/C/", 1)[1]
        r = await bclient.post(f"/api/v1/subjects/{store['id']}/records", headers=dept,
                               json=penalty(today, "minor"))
        assert r.status_code == 201, r.text
        for path in (f"/api/v1/scan/{token}", f"/C/{token}", f"/api/v1/stores/{store['id']}",
                     f"/api/v1/subjects/{store['id']}/grade", "/api/v1/stores?q=老韩家"):
            assert (await bclient.get(path)).status_code == 200, path

    await asyncio.gather(*(one(s) for s in stores * 4))
    assert (await bclient.get("/ready")).status_code == 200

    # A consumer's scan (visit proof, rate-limit counters) and rating (two statements, the
    # first committed asynchronously on its own, the regrade in the second).
    alice = auth(make_token(bclient.app, "consumer",
                            sub=pseudonym(TEST_SECRET, "consumer", "openid-alice")))
    token = stores[0]["code_url"].rsplit("/C/", 1)[1]
    scanned = (await bclient.get(f"/api/v1/scan/{token}", headers=alice)).json()
    assert scanned["personal"]["can_rate"] is True
    r = await bclient.post(f"/api/v1/stores/{stores[0]['id']}/ratings", headers=alice,
                           json={"stars": 4, "text": "汤很鲜"})
    assert r.status_code in (200, 201), r.text

    # The change listener, the key watcher (and nothing of the request pools) hold direct
    # connections; the audit chain, sealed by the workers, verifies.
    conn = await connect(database_url)
    try:
        names = {r["application_name"] for r in await conn.fetch(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")}
        assert {"xinyi-api change listener", "xinyi-api key watcher"} <= names
        result = await audit.verify(conn)
        assert result.ok and result.checked >= 15, result
    finally:
        await conn.close()
    # Every scan of a changed code shows its change (notifications work without the pooler).
    for store in stores:
        token = store["code_url"].rsplit("/C/", 1)[1]
        assert len((await bclient.get(f"/api/v1/scan/{token}")).json()["records"]) == 4
    ratings = (await bclient.get(f"/api/v1/scan/{stores[0]['code_url'].rsplit('/C/', 1)[1]}")
               ).json()["ratings"]
    assert ratings["count"] == 1
