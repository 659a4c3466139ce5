"""The demo city: it loads once, and a visitor sees every grade and every badge of the public grade
and of every enabled scenario.

The demo is loaded once for the module, as of ``TODAY`` (the test clock's day, never the wall
clock), into a database of its own; the tests only read it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import TEMPLATE, TEST_SECRET, TODAY, PgServer
from xinyi_api.db.pool import connect
from xinyi_api.demo.census import (
    ALL_GRADES,
    badge_measures,
    expected_grades,
    gaps,
    rules,
    take_census,
)
from xinyi_api.demo.loader import load_demo
from xinyi_api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_database(pg_server: PgServer) -> Iterator[str]:
    """A database cloned from the migrated template with the demo loaded as of ``TODAY``."""
    name = f"demo_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg_server.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def load(url: str) -> str:
        conn = await connect(url)
        try:
            return await load_demo(conn, Settings(secret_key=TEST_SECRET), TODAY)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    try:
        url = pg_server.url(name)
        assert asyncio.run(load(url)).startswith("demo data loaded")
        yield url
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def database_url(demo_database: str) -> str:
    """The app and ``conn`` of these tests work on the demo database."""
    return demo_database


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app at start-up grades the demo's thousand subjects under every scenario in the
    background, holding connections: a request may wait longer than the default 0.5 s for one
    on a loaded machine (that 503 is tested in tests/db, not here)."""
    return dataclasses.replace(settings, db_acquire_timeout=10.0, db_pool_max=8)


async def test_demo_loads_once_with_grades_across_the_scale(client: Any, conn: Any) -> None:
    settings = client.app.state.settings
    assert await load_demo(conn, settings, TODAY) == "demo data already loaded"
    stores = await conn.fetchval("SELECT count(*) FROM subjects WHERE type = 'store'")
    enterprises = await conn.fetchval("SELECT count(*) FROM subjects WHERE type <> 'store'")
    assert enterprises >= 200 and stores >= enterprises
    # Among stores alone, the public grade shows the whole scale.
    grades = Counter(r["grade"] for r in await conn.fetch(
        "SELECT grade FROM grades g JOIN subjects s ON s.id = g.subject_id"
        " WHERE g.scheme = 'public' AND s.type = 'store'"))
    assert set(grades) == set(ALL_GRADES)
    r = await client.get("/api/v1/stores", params={"q": "牛肉汤", "grade": "A"})
    assert r.json()["items"] and "牛肉汤" in r.json()["items"][0]["name"]
    # 信易游 offers are enrolled at the demo's hotels and scenic spots
    offers = (await client.get("/api/v1/scenarios/tourism/participants")).json()
    assert {o["key"] for p in offers for o in p["offers"]} == {"deposit_free_ab",
                                                               "xinyiyou_discount_a"}


async def test_every_scheme_shows_every_grade_and_every_badge_is_earned(
    client: Any, conn: Any
) -> None:
    registry = client.app.state.scenarios
    # Not vacuous: the expectations come from the declarations, and there are some.
    assert registry.scenarios and badge_measures(registry)
    census = await take_census(conn, registry)
    assert gaps(census, registry) == []
    for rule in rules(registry):
        assert set(expected_grades(rule)) <= set(census.grades[rule.scheme]), rule.scheme


async def test_the_scan_of_a_badge_holder_shows_the_badge(client: Any, conn: Any) -> None:
    registry = client.app.state.scenarios
    census = await take_census(conn, registry)
    for key, measure in badge_measures(registry):
        holder = census.badges[(key, measure.key)][0]
        token = (await client.get(f"/api/v1/subjects/{holder}/code")).json()["token"]
        scan = (await client.get(f"/api/v1/scan/{token}")).json()
        assert any(b["scenario"] == key and b["key"] == measure.effect.code
                   for b in scan["badges"]), (key, measure.key, holder)


def _demo_section() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("**Run the service with demo data**")
    return readme[start:readme.index("\n## ", start)]


async def test_the_readme_names_subjects_showing_each_grade_of_every_scheme(
    client: Any, conn: Any
) -> None:
    """The README's demo section names runs of five subjects that show A, B, C, D and 暂无评级 in
    that order, under every scheme grading them; together they cover every scheme."""
    registry = client.app.state.scenarios
    runs = re.findall(r"`([ES])(\d{8})`–`\1(\d{8})`", _demo_section())
    assert runs, "the README's demo section names no subjects to scan"
    shown: set[str] = set()
    for prefix, first, last in runs:
        ids = [f"{prefix}{n:08d}" for n in range(int(first), int(last) + 1)]
        assert len(ids) == len(ALL_GRADES), ids
        by_scheme: dict[str, dict[str, str]] = {}
        for row in await conn.fetch(
                "SELECT subject_id, scheme, grade FROM grades WHERE subject_id = ANY($1::text[])",
                ids):
            by_scheme.setdefault(row["scheme"], {})[row["subject_id"]] = row["grade"]
        for scheme, grades in by_scheme.items():
            assert [grades.get(i) for i in ids] == list(ALL_GRADES), (scheme, ids)
            shown.add(scheme)
    assert shown == {r.scheme for r in rules(registry)}
