"""Rotating and retiring signing keys reaches every worker, and a retired key never signs again.

Two app instances on one database stand for two workers; the operator's commands run as the
real CLI in a subprocess, as in production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.codes.conftest import eventually, in_app
from tests.conftest import TEST_SECRET, app_at, assert_problem, auth, make_token
from xinyi_api.db.pool import connect, create_pool
from xinyi_api.keys import KeyStore, KeyWatcher, create_key, retire_key
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, demo=True)  # for /api/v1/auth/dev-login


@pytest.fixture
async def other_worker(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app_at(settings)) as other:
        yield other


def _cli(database_url: str, tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "xinyi_api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _login_kid(client: Client, name: str) -> str:
    r = await client.post("/api/v1/auth/dev-login", json={"name": name})
    assert r.status_code == 200, r.text
    return str(jwt.get_unverified_header(r.json()["access_token"])["kid"])


async def test_a_key_rotated_and_retired_with_the_cli_reaches_every_worker_at_once(
    client: Client, other_worker: Client, database_url: str, tmp_path: Path
) -> None:
    old = auth(make_token(client.app, dept="scjg", region="340400"))
    for worker in (client, other_worker):
        assert (await worker.get("/api/v1/objections", headers=old)).status_code == 200
        assert await _login_kid(worker, "alice") == "access-1"

    assert "created access-2" in await asyncio.to_thread(
        _cli, database_url, tmp_path, "keys", "rotate", "--purpose", "access")
    assert "retired access-1" in await asyncio.to_thread(
        _cli, database_url, tmp_path, "keys", "retire", "access-1")

    async def refused_everywhere() -> bool:
        answers = [await w.get("/api/v1/objections", headers=old)
                   for w in (client, other_worker)]
        return all(a.status_code == 401 for a in answers)

    await eventually(refused_everywhere, within=3.0)
    for worker in (client, other_worker):
        assert_problem(await worker.get("/api/v1/objections", headers=old), 401, "invalid-token")
        assert await _login_kid(worker, "bob") == "access-2"
        kids = [k["kid"] for k in (await worker.get("/.well-known/jwks.json")).json()["keys"]]
        assert "access-1" not in kids and "access-2" in kids


async def test_a_worker_that_missed_the_retirement_still_never_signs_with_the_retired_key(
    client: Client, other_worker: Client, database_url: str
) -> None:
    # The other worker hears nothing: no notification, no timer.
    in_app(other_worker, other_worker.app.state.key_watcher.stop)
    assert await _login_kid(other_worker, "alice") == "access-1"

    db = await connect(database_url)
    try:
        await create_key(db, "access", TEST_SECRET)
        assert await retire_key(db, "access-1")
    finally:
        await db.close()

    # Its copy of the keys is stale, but the key is checked before signing.
    assert other_worker.app.state.key_store.by_kid("access-1") is not None
    assert await _login_kid(other_worker, "carol") == "access-2"
    assert other_worker.app.state.key_store.by_kid("access-1") is None


async def test_keys_reload_every_refresh_period_even_without_notifications(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    store = KeyStore(pool, TEST_SECRET)
    await store.load()
    watcher = KeyWatcher(store, database_url, refresh_seconds=0.2, listen=False)
    await watcher.start()
    try:
        async with pool.acquire() as db:
            await create_key(db, "access", TEST_SECRET)
            await retire_key(db, "access-1")

        async def reloaded() -> bool:
            return store.by_kid("access-1") is None and store.newest("access").kid == "access-2"

        await eventually(reloaded, within=3.0)
        assert watcher.reloads >= 1
    finally:
        await watcher.stop()
        await pool.close()
