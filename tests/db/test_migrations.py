import asyncio
import shutil
from pathlib import Path

import pytest

from xinyi_api.db.migrate import (
    MigrationError,
    MigrationSource,
    core_migrations_dir,
    core_source,
    migrate,
    pending,
)
from xinyi_api.db.pool import connect


@pytest.fixture
def empty_db(empty_database_url: str) -> str:
    return empty_database_url


async def test_all_migrations_apply_to_an_empty_database(empty_db: str) -> None:
    conn = await connect(empty_db)
    try:
        applied = await migrate(conn, [core_source()])
        files = sorted(p.name for p in core_migrations_dir().glob("*.sql"))
        assert [m.name for m in applied] == files
        tables = {r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"subjects", "credit_records", "grades", "grade_history", "signing_keys",
                "schema_migrations", "departments"} <= tables
        recorded = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert recorded == len(files)
    finally:
        await conn.close()


async def test_running_again_applies_nothing(empty_db: str) -> None:
    conn = await connect(empty_db)
    try:
        await migrate(conn, [core_source()])
        assert await migrate(conn, [core_source()]) == []
        assert await pending(conn, [core_source()]) == []
    finally:
        await conn.close()


async def test_a_changed_applied_file_is_refused(empty_db: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(core_migrations_dir(), directory)
    source = MigrationSource("core", directory)
    conn = await connect(empty_db)
    try:
        await migrate(conn, [source])
        first = sorted(directory.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- an innocent edit\n")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, [source])
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_behind(empty_db: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (directory / "0002_broken.sql").write_text("CREATE TABLE b (x int); SELECT nonsense();")
    conn = await connect(empty_db)
    try:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql failed"):
            await migrate(conn, [MigrationSource("t", directory)])
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert await conn.fetchval("SELECT to_regclass('a')") == "a"
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        assert versions == [1]
    finally:
        await conn.close()


async def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "add_table.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="0001_what_it_does"):
        MigrationSource("t", tmp_path).migrations()


async def test_two_runners_at_once_apply_each_file_once(empty_db: str) -> None:
    conns = [await connect(empty_db) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c, [core_source()]) for c in conns))
        applied = sorted(m.name for result in results for m in result)
        files = sorted(p.name for p in core_migrations_dir().glob("*.sql"))
        assert applied == files  # every file applied by exactly one runner
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(files)
    finally:
        for c in conns:
            await c.close()
