"""Backup and point-in-time restore with the binaries the embedded server ships: a base backup,
the WAL archive, and a new server replayed up to a moment before a mistake
(docs/operations.md, "Backup and point-in-time restore")."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import TEST_SECRET
from xinyi_api import audit
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.cluster import (
    LocalServer,
    archive_settings,
    base_backup,
    point_in_time_restore,
)
from xinyi_api.db.migrate import core_source, migrate
from xinyi_api.db.pool import connect
from xinyi_api.keys import ensure_keys

OPERATOR = Principal(sub="operator-1", role="operator")


async def test_a_base_backup_and_the_wal_archive_restore_to_a_point_in_time(
    pg_tmp: Path,
) -> None:
    archive = pg_tmp / "wal-archive"
    primary = LocalServer.init(pg_tmp / "primary", settings=archive_settings(archive))
    primary.start()
    restored: LocalServer | None = None
    try:
        conn = await connect(primary.url())
        try:
            await migrate(conn, [core_source()])
            await ensure_keys(conn, TEST_SECRET)
            await conn.execute(
                "INSERT INTO subjects (id, type, uscc, name, region_code, industry) VALUES"
                " ('E00000001', 'enterprise', '91340403MA0000001X', '老店', '340403', 'retail')")
            await audit.append(conn, OPERATOR, action="test.before_backup", endpoint="test")
            # The nightly base backup (WAL needed to make it consistent comes along).
            base_backup("127.0.0.1", primary.port, pg_tmp / "base", replica=False)
            # The day goes on: a store is opened and audited …
            await conn.execute(
                "INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry)"
                " VALUES ('S00000001', 'store', 'E00000001', '老店一号', '340403', 'retail')")
            await audit.append(conn, OPERATOR, action="test.kept", endpoint="test")
            await audit.seal(conn)
            await asyncio.sleep(0.05)
            target = await conn.fetchval("SELECT clock_timestamp()::text")
            await asyncio.sleep(0.05)
            # … then the mistake that the restore must undo.
            await conn.execute("UPDATE subjects SET name = '被误改' WHERE true")
            await conn.fetchval("SELECT pg_switch_wal()")  # its segment goes to the archive
            segment = await conn.fetchval(
                "SELECT pg_walfile_name(pg_current_wal_lsn())")
        finally:
            await conn.close()
        for _ in range(200):  # the archiver copies the finished segment
            if any(p.name < segment for p in archive.iterdir()) and len(
                    list(archive.iterdir())) >= 3:
                break
            await asyncio.sleep(0.05)
        primary.stop()

        restored = point_in_time_restore(pg_tmp / "base", archive, pg_tmp / "restored",
                                         target_time=target)
        assert "recovery stopping before commit" in restored.log()
        conn = await connect(restored.url())
        try:
            assert not await conn.fetchval("SELECT pg_is_in_recovery()")
            names = {r["id"]: r["name"] for r in await conn.fetch("SELECT id, name FROM subjects")}
            assert names == {"E00000001": "老店", "S00000001": "老店一号"}
            result = await audit.verify(conn)
            assert result.ok and result.checked == 2
            # The restored server is a primary: it takes writes again.
            await audit.append(conn, OPERATOR, action="test.after_restore", endpoint="test")
            assert (await audit.verify(conn)).checked == 3
        finally:
            await conn.close()
    except BaseException:
        print(primary.log()[-3000:], restored.log()[-3000:] if restored else "")
        raise
    finally:
        if restored is not None:
            restored.remove()
        primary.remove()
