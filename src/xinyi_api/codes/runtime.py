"""The per-worker code runtime 码服务运行时: caches, listener, scan counter, lifespan.

``CodesRuntime`` lives on the platform (``platform_of(app).codes``). A scan goes:

1. token → serial: ``CodeSigner.verify_cached`` (a token checked before), else
   ``parse_code_token`` (shape only, no cryptography) and a live key of the token's kind;
2. serial → profile: ``ProfileCache`` (no database query on a hit), else — single-flight per
   serial — ONE indexed read of the code and its stored profile (``scan_codes`` and
   ``scan_profiles``, ``materialise.py``), on the replica when there is one; the misses of one
   event-loop turn share that statement (``batch.py``). When the stored
   profile is out of date (changed and not rebuilt yet, past its day, another configuration),
   the profile is built here as before: one REPEATABLE READ snapshot of the code, subject, grade,
   records and contributors' data on the primary;
3. a token not checked before is the code's only if its digest equals the digest of the code's
   genuine token (constant time): stored with the code, computed once by the builder — no
   signature and no pairing on a scan;
4. count the scan in memory (``ScanCounter``), flushed in batches.

Correctness across workers rests on the change listener (``listener.py``): a committed change
evicts the profile on every worker, and without a live listener the cache is bypassed and every
read goes to the primary. A read on a replica is kept only if its snapshot has every change
announced for the subject (``replica.py``), else it is repeated on the primary: a replica still
holding the state a notification just outdated never gets it cached again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Litestar

from xinyi_api.bls import BlsPublicKey
from xinyi_api.codes import h5, service
from xinyi_api.codes.batch import Batcher
from xinyi_api.codes.cache import (
    AS_OF_KEY,
    AS_OF_PAGE,
    CachedProfile,
    ImageCache,
    ProfileCache,
    rebase_day,
)
from xinyi_api.codes.hooks import ProfileContributor, ScanEvent, ScanHook
from xinyi_api.codes.images import ImageRenderer
from xinyi_api.codes.listener import ChangeListener
from xinyi_api.codes.materialise import Builder, Materialiser
from xinyi_api.codes.materialise import q as mq
from xinyi_api.codes.replica import NotifiedChanges
from xinyi_api.codes.schemas import ScanProfile
from xinyi_api.codes.signer import CodeSigner, token_digest
from xinyi_api.codes.stats import ScanCounter
from xinyi_api.codes.token import VERSION_BLS, CodeToken, InvalidCodeToken, parse_code_token
from xinyi_api.db.pool import ReadPool
from xinyi_api.errors import Gone, NotFound
from xinyi_api.state import platform_of

if TYPE_CHECKING:

    from xinyi_api.auth.tokens import Principal
    from xinyi_api.clock import Clock
    from xinyi_api.db.pool import Database
    from xinyi_api.settings import Settings

log = logging.getLogger(__name__)


def _unknown_code() -> NotFound:
    return NotFound("this is not a genuine 诚信码 (unknown, forged or damaged)",
                    slug="unknown-code")


class CodesRuntime:
    """Everything the code endpoints share within one worker process."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        profile_contributors: list[ProfileContributor],
        scan_hooks: list[ScanHook],
        materialise: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.contributors = profile_contributors
        self.hooks = scan_hooks
        self.profiles = ProfileCache(max_bytes=settings.scan_cache_mb * 1024 * 1024)
        self.images = ImageCache()
        self.renderer = ImageRenderer(self.images)
        self.counter = ScanCounter(lambda: self.database.write)
        self.notified = NotifiedChanges()
        self._db: Database | None = None
        self._signer: CodeSigner | None = None
        self._builder: Builder | None = None
        self.listener: ChangeListener | None = None
        self.materialiser: Materialiser | None = None
        self._materialise = materialise
        self._loading: dict[int, tuple[int, asyncio.Future[CachedProfile]]] = {}
        self.reads: Batcher[tuple[int, bool], Any] = Batcher(self._read_stored)
        """A miss's read (``_read_stored``), coalesced with the other misses of its loop turn."""
        self.stored_reads = 0
        """Misses answered from a stored profile (one read)."""
        self.built_reads = 0
        """Misses that had to build the profile (stored one out of date or missing)."""

    # -- wiring ----------------------------------------------------------------------------

    @property
    def database(self) -> Database:
        if self._db is None:
            raise RuntimeError("the code runtime has not started")
        return self._db

    @property
    def signer(self) -> CodeSigner:
        if self._signer is None:
            raise RuntimeError("the code runtime has not started")
        return self._signer

    @property
    def builder(self) -> Builder:
        if self._builder is None:
            raise RuntimeError("the code runtime has not started")
        return self._builder

    @property
    def started(self) -> bool:
        return self._signer is not None

    async def start(self, app: Litestar) -> None:
        settings: Settings = platform_of(app).settings  # the embedded server may have set the URL
        assert settings.database_url is not None
        self.settings = settings
        self._db = platform_of(app).db
        self._signer = CodeSigner(platform_of(app).key_store, settings.public_base_url)
        self._builder = Builder.of(settings, self.contributors, self._signer)
        if self._materialise:
            self.materialiser = Materialiser(lambda: self.database.write, lambda: self.builder,
                                             self.clock)
        self.listener = ChangeListener(
            settings.direct_url or settings.database_url, self.profiles, notified=self.notified,
            on_change=self.materialiser.wake if self.materialiser is not None else None)
        await self.listener.start()
        self.counter.start()
        if self.materialiser is not None:
            self.materialiser.start()

    def stats(self) -> dict[str, int]:
        """What the scan cache did so far (``kill -USR1`` a worker to log it)."""
        return {"pid": os.getpid(), "hits": self.profiles.hits, "misses": self.profiles.misses,
                "stored_reads": self.stored_reads, "built_reads": self.built_reads,
                "read_batches": self.reads.batches,
                "replica_stale_reads": self.notified.stale_reads,
                "entries": len(self.profiles), "bytes": self.profiles.bytes,
                "checked_tokens": len(self.signer._verified) if self.started else 0}

    def log_stats(self, level: int = logging.WARNING) -> None:
        """Log ``stats()`` (on SIGUSR1 as a warning, so that it shows at every log level)."""
        log.log(level, "scan cache stats %s",
                " ".join(f"{k}={v}" for k, v in self.stats().items()))

    async def stop(self) -> None:
        if self.profiles.hits + self.profiles.misses:
            self.log_stats(logging.INFO)
        await self.reads.close()
        if self.materialiser is not None:
            await self.materialiser.stop()
        await self.counter.stop()
        if self.listener is not None:
            await self.listener.stop()

    # -- scans -----------------------------------------------------------------------------

    async def resolve(self, token: str, today: date, *, page: bool = False) -> CachedProfile:
        """The active code behind ``token``: 404 ``unknown-code`` for anything not genuine,
        410 ``code-replaced`` for a code that was reissued. ``page``: the H5 page will be
        wanted (a miss then reads the stored page too).

        A token checked before is a cache hit. Otherwise the token is parsed (no cryptography),
        must name a live key of its kind, and is accepted only if its digest is the digest of
        the token issued for the code with its serial (see the module docstring).
        """
        signer = self.signer
        decoded = signer.verify_cached(token)
        if decoded is not None:
            entry = self.profiles.get(decoded.serial, today)
            if entry is None:
                entry = await self._load_shared(decoded.serial, today, page)
        else:
            try:
                parsed = parse_code_token(token)
            except InvalidCodeToken:
                raise _unknown_code() from None
            await signer.ensure_key(parsed.key_number)
            key = signer.keys.by_number("code", parsed.key_number)
            if key is None or (parsed.version == VERSION_BLS) != isinstance(key.public_key,
                                                                             BlsPublicKey):
                raise _unknown_code()
            entry = self.profiles.get(parsed.serial, today)
            if entry is None:
                entry = await self._load_shared(parsed.serial, today, page)
            upper = token.upper()
            if entry.key_number != parsed.key_number or entry.token_digest is None or \
                    not hmac.compare_digest(entry.token_digest, token_digest(upper)):
                raise _unknown_code()
            signer.remember(upper, CodeToken(serial=parsed.serial,
                                             key_number=parsed.key_number))
        if entry.status != "active":
            raise Gone("this 诚信码 has been replaced by a new one; it no longer identifies "
                       "a business", slug="code-replaced")
        return entry

    async def _load_shared(self, serial: int, today: date, page: bool) -> CachedProfile:
        # Single flight: concurrent misses of one serial share one load — unless something was
        # invalidated since that load began, in which case its result may be stale.
        generation = self.profiles.generation
        running = self._loading.get(serial)
        if running is not None and running[0] == generation:
            return await asyncio.shield(running[1])
        future: asyncio.Future[CachedProfile] = asyncio.get_running_loop().create_future()
        self._loading[serial] = (generation, future)
        try:
            entry = await self._load(serial, today, generation, page)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(entry)
            return entry
        finally:
            if self._loading.get(serial, (0, None))[1] is future:
                del self._loading[serial]

    async def _read_stored(self, keys: Sequence[tuple[int, bool]]) -> dict[tuple[int, bool], Any]:
        """The ``read_profiles`` rows of ``keys`` (serial, whether the page is wanted), for
        ``self.reads`` (the misses of one loop turn, one statement): from the replica if there
        is one and its snapshot has every change announced for the subject, else — those rows
        only — from the primary."""
        db = self.database
        rows: dict[tuple[int, bool], Any] = {}

        async def fetch(conn: Any, keys: Sequence[tuple[int, bool]]) -> Any:
            serials, pages = zip(*keys, strict=True)
            return await conn.fetch(mq.read_profiles, serials, pages)

        if isinstance(db.read, ReadPool) and self.profiles.enabled:
            async with db.read.acquire_tagged() as (conn, on_replica):
                fetched = await fetch(conn, keys)
            for row in fetched:
                subjects = None if row["serial"] is None else (row["subject_id"], row["owner_id"])
                if not on_replica or self.notified.current(row["snapshot_xmin"], subjects):
                    rows[row["asked"], row["page"]] = row
            keys = [k for k in keys if k not in rows]
            if not keys:
                return rows
        async with db.write.acquire() as conn:
            fetched = await fetch(conn, keys)
        rows.update(((row["asked"], row["page"]), row) for row in fetched)
        return rows

    async def _load(self, serial: int, today: date, generation: int,
                    page: bool) -> CachedProfile:
        row = await self.reads.load((serial, page))
        if row["serial"] is None:
            # A serial this database never issued: a forged token, another deployment's key, a
            # restored backup — all answered alike, as unknown.
            raise _unknown_code()
        depends_on = tuple(dict.fromkeys((row["subject_id"], row["owner_id"])))
        digest: bytes | None = row["token_digest"]
        if digest is None:
            digest = self._genuine_digest(serial, row["key_number"])
        if row["status"] != "active":
            entry = CachedProfile(serial=serial, key_number=row["key_number"],
                                  subject_id=row["subject_id"], depends_on=depends_on,
                                  day=today, status=row["status"], token_digest=digest)
        elif self._usable(row, today):
            built_on: date = row["built_on"]
            html = row["html"]
            try:
                entry = CachedProfile(
                    serial=serial, key_number=row["key_number"], subject_id=row["subject_id"],
                    depends_on=depends_on, day=today, status="active", token_digest=digest,
                    json=rebase_day(row["json"], AS_OF_KEY, built_on, today),
                    html=None if html is None else rebase_day(h5.expand_page(html), AS_OF_PAGE,
                                                              built_on, today),
                    source="stored")
            except ValueError:
                entry = await self._build(serial, today, digest)
            else:
                self.stored_reads += 1
        else:
            entry = await self._build(serial, today, digest)
        self.profiles.put(entry, generation)
        return entry

    def _usable(self, row: Any, today: date) -> bool:
        """Whether the stored profile of ``row`` is current for ``today`` and this worker."""
        built_on: date | None = row["built_on"]
        fresh_until: date | None = row["fresh_until"]
        return (row["built_version"] == row["version"] and row["json"] is not None
                and row["config"] == self.builder.config and built_on is not None
                and built_on <= today and (fresh_until is None or today <= fresh_until))

    def _genuine_digest(self, serial: int, key_number: int) -> bytes | None:
        """Digest of the code's own token, computed here (one signature, then cached by the
        signer) when no builder has stored it yet; ``None`` if its key is not live."""
        token = self.signer.token(serial, key_number)
        return None if token is None else token_digest(token)

    async def _build(self, serial: int, today: date, digest: bytes | None) -> CachedProfile:
        """The profile built here, from the tables, in one snapshot on the primary."""
        self.built_reads += 1
        if self.materialiser is not None:
            self.materialiser.wake()
        async with self.database.write.acquire() as conn, conn.transaction(
            isolation="repeatable_read", readonly=True
        ):
            code = await service.load_code(conn, serial)
            if code is None:
                raise _unknown_code()
            depends_on = tuple(dict.fromkeys((code["subject_id"], code["owner_id"])))
            if code["status"] != "active":
                return CachedProfile(serial=serial, key_number=code["key_number"],
                                     subject_id=code["subject_id"], depends_on=depends_on,
                                     day=today, status=code["status"], token_digest=digest)
            profile = await service.build_profile(conn, code, today, self.settings.tz,
                                                  self.contributors,
                                                  service.Presentation.of(self.settings))
        return CachedProfile(serial=serial, key_number=code["key_number"],
                             subject_id=code["subject_id"], depends_on=depends_on, day=today,
                             status="active", token_digest=digest,
                             json=service.encode_profile(profile), decoded=profile)

    async def personalise(
        self, entry: CachedProfile, principal: Principal, channel: str
    ) -> ScanProfile | None:
        """Run the on-scan hooks for a logged-in caller; the profile with ``personal`` set, or
        ``None`` when there is nothing personal to add (anonymous caller, no hooks)."""
        if principal.is_anonymous or not self.hooks or entry.profile is None:
            return None
        profile = entry.profile
        event = ScanEvent(serial=entry.serial, subject_id=entry.subject_id,
                          subject_type=profile.subject_type,
                          enterprise_id=profile.enterprise.id, at=self.clock.now(),
                          channel="h5" if channel == "h5" else "api")
        personal: dict[str, Any] = {}
        for hook in self.hooks:
            result: Mapping[str, Any] | None = await hook(principal, event)
            if result:
                personal.update(result)
        if not personal:
            return None
        return msgspec.structs.replace(profile, personal=personal)


@asynccontextmanager
async def codes_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the change listener and the scan-statistics flusher; flush and stop on exit.

    Must come after the database lifespan (it needs ``platform_of(app).db`` and ``key_store``).
    """
    runtime = platform_of(app).codes
    assert runtime is not None
    await runtime.start(app)
    loop = asyncio.get_running_loop()
    try:  # only the main thread of a process can take signals (not a test client's thread)
        loop.add_signal_handler(signal.SIGUSR1, runtime.log_stats)
        signalled = True
    except (RuntimeError, ValueError, NotImplementedError):
        signalled = False
    try:
        yield
    finally:
        if signalled:
            loop.remove_signal_handler(signal.SIGUSR1)
        await runtime.stop()
