"""The per-worker code runtime 码服务运行时: caches, listener, scan counter, lifespan.

``CodesRuntime`` lives on the platform (``platform_of(app).codes``). A scan goes:

1. token → serial: ``CodeSigner.verify_cached`` (a token checked before), else
   ``CodeSigner.claim`` (shape and key; the Ed25519 signature of a version-1 token);
2. serial → profile: ``ProfileCache`` (no database query on a hit), else one REPEATABLE READ
   read of the code, subject, grade and records from the primary, single-flight per serial;
   a token not checked before is then confirmed against the code row (``CodeSigner.confirm``:
   the code's key, and for version 2 the very token issued for the code);
3. count the scan in memory (``ScanCounter``), flushed in batches.

Correctness across workers rests on the change listener (``listener.py``): a committed change
evicts the profile on every worker, and without a live listener the cache is bypassed.
Profiles are read from the *primary*, not the replica: a replica could still return the state
before the change that a notification just announced, and that stale state would then stay
cached until the next change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Litestar

from xinyi_api.codes import service
from xinyi_api.codes.cache import CachedProfile, ImageCache, ProfileCache
from xinyi_api.codes.hooks import ProfileContributor, ScanEvent, ScanHook
from xinyi_api.codes.images import ImageRenderer
from xinyi_api.codes.listener import ChangeListener
from xinyi_api.codes.schemas import ScanProfile
from xinyi_api.codes.signer import CodeSigner
from xinyi_api.codes.stats import ScanCounter
from xinyi_api.codes.token import InvalidCodeToken
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
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.contributors = profile_contributors
        self.hooks = scan_hooks
        self.profiles = ProfileCache()
        self.images = ImageCache()
        self.renderer = ImageRenderer(self.images)
        self.counter = ScanCounter(lambda: self.database.write)
        self._db: Database | None = None
        self._signer: CodeSigner | None = None
        self.listener: ChangeListener | None = None
        self._loading: dict[int, tuple[int, asyncio.Future[CachedProfile]]] = {}

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
    def started(self) -> bool:
        return self._signer is not None

    async def start(self, app: Litestar) -> None:
        settings: Settings = platform_of(app).settings  # the embedded server may have set the URL
        assert settings.database_url is not None
        self.settings = settings
        self._db = platform_of(app).db
        self._signer = CodeSigner(platform_of(app).key_store, settings.public_base_url)
        self.listener = ChangeListener(settings.database_url, self.profiles)
        await self.listener.start()
        self.counter.start()

    async def stop(self) -> None:
        await self.counter.stop()
        if self.listener is not None:
            await self.listener.stop()

    # -- scans -----------------------------------------------------------------------------

    async def resolve(self, token: str, today: date) -> CachedProfile:
        """The active code behind ``token``: 404 ``unknown-code`` for anything not genuine,
        410 ``code-replaced`` for a code that was reissued.

        A token checked before is a cache hit.  Otherwise ``signer.claim`` checks its shape and
        key without the database, the serial is looked up, and ``signer.confirm`` accepts it
        only as the token issued for that code (see ``signer.py``: no pairing on the server).
        """
        signer = self.signer
        decoded = signer.verify_cached(token)
        if decoded is not None:
            entry = await self._entry(decoded.serial, today)
        else:
            try:
                claim = await signer.claim(token)
            except InvalidCodeToken:
                raise _unknown_code() from None
            entry = await self._entry(claim.serial, today)
            try:
                signer.confirm(token, claim, entry.key_number)
            except InvalidCodeToken:
                raise _unknown_code() from None
        if entry.status != "active":
            raise Gone("this 诚信码 has been replaced by a new one; it no longer identifies "
                       "a business", slug="code-replaced")
        return entry

    async def _entry(self, serial: int, today: date) -> CachedProfile:
        entry = self.profiles.get(serial, today)
        if entry is None:
            entry = await self._load_shared(serial, today)
        return entry

    async def _load_shared(self, serial: int, today: date) -> CachedProfile:
        # Single flight: concurrent misses of one serial share one load — unless something was
        # invalidated since that load began, in which case its result may be stale.
        generation = self.profiles.generation
        running = self._loading.get(serial)
        if running is not None and running[0] == generation:
            return await asyncio.shield(running[1])
        future: asyncio.Future[CachedProfile] = asyncio.get_running_loop().create_future()
        self._loading[serial] = (generation, future)
        try:
            entry = await self._load(serial, today, generation)
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

    async def _load(self, serial: int, today: date, generation: int) -> CachedProfile:
        async with self.database.write.acquire() as conn, conn.transaction(
            isolation="repeatable_read", readonly=True
        ):
            code = await service.load_code(conn, serial)
            if code is None:
                # A serial this database never issued: a forged token (a version-2 token is only
                # confirmed after this look-up), another deployment's key, a restored backup —
                # all answered alike, as unknown.
                raise _unknown_code()
            depends_on = tuple(dict.fromkeys((code["subject_id"], code["owner_id"])))
            if code["status"] != "active":
                entry = CachedProfile(serial=serial, key_number=code["key_number"],
                                      subject_id=code["subject_id"],
                                      depends_on=depends_on, day=today, status=code["status"],
                                      profile=None)
            else:
                profile = await service.build_profile(conn, code, today, self.settings.tz,
                                                      self.contributors)
                entry = CachedProfile(
                    serial=serial, key_number=code["key_number"],
                    subject_id=code["subject_id"], depends_on=depends_on,
                    day=today, status="active", profile=profile,
                    json=service.encode_profile(profile),
                )
        self.profiles.put(entry, generation)
        return entry

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
    try:
        yield
    finally:
        await runtime.stop()
