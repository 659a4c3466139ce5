"""Migration runner: plain SQL files applied in order, each once, checksummed, under a lock.

Files are named ``NNNN_what_it_does.sql``. Each source (the core, or a scenario plugin that ships
its own tables) has its own sequence. Every file runs in its own transaction together with the row
that records it in ``schema_migrations``, so a failed file leaves nothing behind. A PostgreSQL
advisory lock serialises runners: several workers starting at once apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

# An arbitrary constant that names "the xinyi-api migration lock" for pg_advisory_lock.
MIGRATION_LOCK_ID = 7_202_611_001

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    source      text        NOT NULL,
    version     integer     NOT NULL,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, version)
)
"""


class MigrationError(RuntimeError):
    """The migrations on disk and in the database disagree, or a file failed."""


@dataclass(frozen=True, slots=True)
class Migration:
    source: str
    version: int
    name: str
    sql: str
    checksum: str


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """A named directory of migration files: ``core`` or a scenario key."""

    name: str
    directory: Path

    def migrations(self) -> list[Migration]:
        if not self.directory.is_dir():
            raise MigrationError(f"migration directory {self.directory} does not exist")
        found: list[Migration] = []
        seen: dict[int, str] = {}
        for path in sorted(self.directory.glob("*.sql")):
            match = _FILE.match(path.name)
            if not match:
                raise MigrationError(f"{path}: name must look like 0001_what_it_does.sql")
            version = int(match.group(1))
            if version in seen:
                raise MigrationError(f"{path}: version {version} also used by {seen[version]}")
            seen[version] = path.name
            sql = path.read_text(encoding="utf-8")
            found.append(
                Migration(
                    source=self.name,
                    version=version,
                    name=path.name,
                    sql=sql,
                    checksum=hashlib.sha256(sql.encode()).hexdigest(),
                )
            )
        return found


def core_migrations_dir() -> Path:
    """The core ``migrations/`` directory: the repo's in a checkout, the packaged copy otherwise."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir.parent.parent / "migrations", package_dir / "_migrations"):
        if candidate.is_dir():
            return candidate
    raise MigrationError("cannot find the core migrations directory")


def core_source() -> MigrationSource:
    return MigrationSource("core", core_migrations_dir())


async def _applied(conn: asyncpg.Connection) -> dict[tuple[str, int], tuple[str, str]]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT source, version, name, checksum FROM schema_migrations")
    return {(r["source"], r["version"]): (r["name"], r["checksum"]) for r in rows}


def _check(applied: dict[tuple[str, int], tuple[str, str]], migrations: list[Migration]) -> None:
    for m in migrations:
        recorded = applied.get((m.source, m.version))
        if recorded is not None and recorded[1] != m.checksum:
            raise MigrationError(
                f"{m.source}/{m.name} was changed after it was applied "
                f"(recorded checksum {recorded[1][:12]}…, file {m.checksum[:12]}…); "
                "write a new migration instead of editing an applied one"
            )


async def pending(conn: asyncpg.Connection, sources: list[MigrationSource]) -> list[Migration]:
    """Migrations not yet applied; raises ``MigrationError`` if an applied file changed."""
    applied = await _applied(conn)
    every = [m for source in sources for m in source.migrations()]
    _check(applied, every)
    return [m for m in every if (m.source, m.version) not in applied]


async def migrate(conn: asyncpg.Connection, sources: list[MigrationSource]) -> list[Migration]:
    """Apply every pending migration; return those this call applied."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await conn.execute(_BOOTSTRAP)
        # Re-read under the lock: another runner may have finished while we waited for it.
        todo = await pending(conn, sources)
        for m in todo:
            try:
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (source, version, name, checksum)"
                        " VALUES ($1, $2, $3, $4)",
                        m.source,
                        m.version,
                        m.name,
                        m.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"{m.source}/{m.name} failed: {exc}") from exc
        return todo
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
