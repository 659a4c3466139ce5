"""Stored scan profiles 扫码信息物化: build them, keep them current, read them in one query.

``migrations/0104_scan_profiles.sql`` has the tables and the rule: every change a profile
depends on bumps its code's ``scan_codes.version`` and sets ``dirty`` *in the transaction of the
change* (``xinyi_notify_subjects``). A stored profile is served only while its ``version`` is the
code's, its ``config`` the reader's and ``built_on <= today <= fresh_until``.

This module:

- ``profile_config``: what a stored profile was built under besides the data (format, programme
  name, time zone, each contributor's fingerprint — scenario definitions);
- ``rebuild``: build a batch of codes' profiles in one REPEATABLE READ snapshot and store them,
  each only if its code still has the version read in that snapshot (a change committed since
  leaves it dirty); also writes the token digests a miss compares with (the one signature per
  code, here and never on a scan);
- ``Materialiser``: the background builder of an app process. One process at a time holds the
  lease (``scan_profile_builder``); it wakes on every change notification and every second,
  rebuilds what is dirty, marks for rebuilding once a day the profiles whose ``fresh_until`` has
  passed and, at start, those built under another configuration;
- ``refresh_all``: the same work run to completion (the ``codes.profiles`` job, bulk loads).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import asyncpg

from xinyi_api.codes import h5, service
from xinyi_api.codes.hooks import ProfileContributor
from xinyi_api.db.queries import Queries

if TYPE_CHECKING:
    from xinyi_api.clock import Clock
    from xinyi_api.codes.signer import CodeSigner
    from xinyi_api.settings import Settings

log = logging.getLogger(__name__)
q = Queries.beside(__file__, "materialise.sql")

PROFILE_FORMAT = "4"
"""Bump when ``ScanProfile``, ``grade_summary`` or the H5 template change what they produce:
every stored profile is then rebuilt (its ``config`` no longer matches)."""

BATCH_SIZE = 200
LEASE_SECONDS = 10.0
MARK_CHUNK = 50_000
"""Serials per statement when marking profiles of another configuration or past their day."""


def profile_config(settings: Settings, contributors: Sequence[ProfileContributor]) -> str:
    """A short digest of everything a stored profile depends on besides the database rows."""
    parts = [PROFILE_FORMAT, settings.programme_name, settings.timezone,
             repr(service.Presentation.of(settings))]
    for c in contributors:
        parts.append(f"{c!r}|{getattr(c, 'fingerprint', '')}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Builder:
    """What building a stored profile needs: settings, contributors, signer, configuration."""

    settings: Settings
    contributors: Sequence[ProfileContributor]
    signer: CodeSigner
    config: str

    @classmethod
    def of(cls, settings: Settings, contributors: Sequence[ProfileContributor],
           signer: CodeSigner) -> Builder:
        return cls(settings, list(contributors), signer, profile_config(settings, contributors))


@dataclass(frozen=True, slots=True)
class RebuildReport:
    built: int
    """Profiles stored."""
    skipped: int
    """Codes left dirty: changed again meanwhile, or a contributor failed."""


async def rebuild(conn: asyncpg.Connection, builder: Builder, serials: Sequence[int],
                  today: date) -> RebuildReport:
    """Build and store the profiles of ``serials`` (see the module docstring). Runs its own two
    transactions (a read-only snapshot, then one write), so call it outside one."""
    if not serials:
        return RebuildReport(0, 0)
    settings, signer = builder.settings, builder.signer
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        codes = await conn.fetch(q.codes_for_profiles, list(serials))
        active = [c for c in codes if c["status"] == "active"]
        built = await service.build_profiles(conn, active, today, settings.tz,
                                             builder.contributors,
                                             service.Presentation.of(settings))
    digests: dict[int, tuple[int, bytes]] = {}
    for code in codes:
        if code["token_digest"] is None:
            await signer.ensure_key(code["key_number"])
            token = signer.token(code["serial"], code["key_number"])
            if token is not None:
                digests[code["serial"]] = (code["key_number"], token_digest_of(token))
    stored = [(code, b) for code, b in zip(active, built, strict=True) if b.complete]
    programme = settings.programme_name
    done = [c for c in codes if c["status"] != "active"] + [c for c, _ in stored]
    async with conn.transaction():
        if digests:
            await conn.execute(q.store_digests, list(digests),
                               [k for k, _ in digests.values()], [d for _, d in digests.values()])
        if stored:
            await conn.execute(
                q.store_profiles,
                [c["serial"] for c, _ in stored], [c["version"] for c, _ in stored],
                builder.config, today, [b.fresh_until for _, b in stored],
                [service.encode_profile(b.profile) for _, b in stored],
                [h5.compact_page(h5.render_profile_page(b.profile, programme))
                 for _, b in stored],
                [c["owner_id"] for c, _ in stored])
        cleared = await conn.fetchval(q.clear_dirty, [c["serial"] for c in done],
                                      [c["version"] for c in done])
    return RebuildReport(built=len(stored), skipped=len(serials) - int(cleared or 0))


def token_digest_of(token: str) -> bytes:
    """What ``scan_codes.token_digest`` holds for a token (see ``signer.token_digest``)."""
    from xinyi_api.codes.signer import token_digest

    return token_digest(token)


async def mark_stale(conn: asyncpg.Connection, config: str, today: date) -> int:
    """Mark for rebuilding the stored profiles past their ``fresh_until`` or built under another
    configuration; the number marked. In chunks of serials (short transactions)."""
    marked = int(await conn.fetchval(q.mark_past_fresh_until, today) or 0)
    top = int(await conn.fetchval(q.max_serial) or 0)
    for low in range(0, top + 1, MARK_CHUNK):
        marked += int(await conn.fetchval(q.mark_other_config, config, low, low + MARK_CHUNK)
                      or 0)
    return marked


async def refresh_all(conn: asyncpg.Connection, builder: Builder, today: date, *,
                      batch_size: int = BATCH_SIZE, serial_range: tuple[int, int] | None = None,
                      progress: Callable[[int], None] | None = None) -> RebuildReport:
    """Rebuild every dirty profile (in ``serial_range``, both ends included, if given) until none
    is left — first marking those past their day or of another configuration."""
    if serial_range is None:
        await mark_stale(conn, builder.config, today)
    low, high = serial_range or (0, 2**63 - 1)
    built = skipped = 0
    cursor = low - 1
    while True:
        serials = [r["serial"] for r in await conn.fetch(q.dirty_after, cursor, high,
                                                             batch_size)]
        if not serials:
            break
        report = await rebuild(conn, builder, serials, today)
        built, skipped = built + report.built, skipped + report.skipped
        cursor = serials[-1]
        if progress is not None:
            progress(built)
    return RebuildReport(built, skipped)


class Materialiser:
    """The background profile builder of one app process (see the module docstring)."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], builder: Callable[[], Builder],
                 clock: Clock, *, interval: float = 1.0, batch_size: int = BATCH_SIZE) -> None:
        self._pool = pool
        self._builder = builder
        self.clock = clock
        self.interval = interval
        self.batch_size = batch_size
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leader = False
        self.built = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._marked_on: date | None = None
        self.idle = asyncio.Event()
        """Set whenever a pass found nothing dirty (tests wait on it)."""

    def wake(self) -> None:
        """Something changed: look for dirty profiles now (called by the change listener)."""
        self._wake.set()

    async def _lease(self, conn: asyncpg.Connection) -> bool:
        held = await conn.fetchval(q.take_lease, self.holder, LEASE_SECONDS)
        if bool(held) != self.leader:
            log.info("scan profile builder: %s the lease", "took" if held else "lost")
        self.leader = bool(held)
        return self.leader

    async def run_once(self) -> int:
        """One pass: take or renew the lease; if held, rebuild until nothing is dirty."""
        builder = self._builder()
        async with self._pool().acquire() as conn:
            if not await self._lease(conn):
                return 0
            today = self.clock.today()
            if self._marked_on != today:
                marked = await mark_stale(conn, builder.config, today)
                if marked:
                    log.info("scan profile builder: %d stored profile(s) past their day or of "
                             "another configuration marked for rebuilding", marked)
                self._marked_on = today
            built, cursor = 0, -1
            while True:
                serials = [r["serial"] for r in await conn.fetch(
                    q.dirty_after, cursor, 2**63 - 1, self.batch_size)]
                if not serials:
                    break
                self.idle.clear()
                report = await rebuild(conn, builder, serials, today)
                built += report.built
                cursor = serials[-1]
                if not await self._lease(conn):
                    break
            self.built += built
            if cursor == -1:
                self.idle.set()
            return built

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("scan profile builder: pass failed, retrying (%s: %s)",
                            type(exc).__name__, exc)
                await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="xinyi-scan-profile-builder")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # Bounded, like releasing the lease below: a stuck build must not hold the shutdown
            # up (the lease expires; another worker takes over).
            _, stuck = await asyncio.wait({self._task}, timeout=5.0)
            if stuck:
                log.warning("profile builder did not stop within 5 s; leaving it")
            self._task = None
        if self.leader:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5.0), self._pool().acquire() as conn:
                    await conn.execute(q.release_lease, self.holder)
            self.leader = False
