"""A year without an official holiday schedule: deadlines say they are provisional, /ready warns,
and the operator's `xinyi-api holidays load` fixes the calendar for every worker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.test_calendar import TEST_2027
from tests.accountability.test_objections import OBJECTION
from tests.accountability.world import build_world, role_headers
from tests.conftest import TEST_SECRET, app_at
from xinyi_api.clock import ManualClock
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]


def _holidays(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "xinyi_api.cli", "holidays", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def test_a_deadline_in_a_year_without_a_schedule_is_provisional_until_it_is_loaded(
    client: Client, conn: asyncpg.Connection, clock: ManualClock, settings: Settings,
    database_url: str, tmp_path: Path,
) -> None:
    world = await build_world(client, conn)
    clock.set(date(2026, 12, 28))  # Monday; 2027 has no schedule in the shipped file
    world.headers = role_headers(client.app)
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["holiday_schedules"] == [2025, 2026]
    (warning,) = ready.json()["warnings"]
    assert "2027" in warning and "holidays load" in warning

    r = await client.post(f"/api/v1/records/{world['R_free']}/objections",
                          headers=world.headers["merchant"], json=OBJECTION)
    assert r.status_code == 201, r.text
    filed = r.json()
    # 29, 30, 31 Dec and 1 Jan (元旦, unknown) and 4 Jan: weekends skipped, nothing else.
    assert (filed["due_on"], filed["deadline_provisional"]) == ("2027-01-04", True)

    schedule = tmp_path / "holidays_2027.json"
    schedule.write_text(json.dumps({"years": {"2027": TEST_2027}}, ensure_ascii=False), "utf-8")
    loaded = await asyncio.to_thread(_holidays, database_url, tmp_path, "load", str(schedule),
                                     "--operator", "ops-zhang")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 2027" in loaded.stdout and "1 open objection(s)" in loaded.stdout

    # Every worker reads the loaded schedule: here, one that was not running during the load.
    async with AsyncTestClient(app=app_at(settings, clock)) as other:
        again = await other.get(f"/api/v1/objections/{filed['id']}",
                                headers=role_headers(other.app)["merchant"])
        assert again.status_code == 200, again.text
        assert (again.json()["due_on"], again.json()["deadline_provisional"]) == (
            "2027-01-05", False)
        ready = (await other.get("/ready")).json()
        assert ready["warnings"] == [] and ready["holiday_schedules"] == [2025, 2026, 2027]
    detail = await conn.fetchval("SELECT detail FROM audit_log WHERE action = 'holidays.load'")
    assert detail == {"years": [2027], "objections_moved": 1, "repairs_moved": 0}
    listed = await asyncio.to_thread(_holidays, database_url, tmp_path, "list", "--as-of",
                                     "2026-12-28")
    assert "2027\tloaded" in listed.stdout and "operator:ops-zhang" in listed.stdout
    assert "WARNING" not in listed.stdout


async def test_holidays_load_refuses_a_file_that_is_not_a_whole_schedule(
    conn: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    partial = {**TEST_2027, "holidays": TEST_2027["holidays"][:2]}
    schedule = tmp_path / "holidays_2027.json"
    schedule.write_text(json.dumps({"years": {"2027": partial}}, ensure_ascii=False), "utf-8")
    refused = await asyncio.to_thread(_holidays, database_url, tmp_path, "load", str(schedule))
    assert refused.returncode != 0
    assert "清明" in refused.stderr and "国庆" in refused.stderr
    assert await conn.fetchval("SELECT count(*) FROM holiday_schedules") == 0
