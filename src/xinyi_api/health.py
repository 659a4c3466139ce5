"""Liveness, readiness and the published verification keys (JWKS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
from litestar import Response, get
from litestar.datastructures import State

from xinyi_api.accountability.calendar import calendar_for, missing_schedule_warning
from xinyi_api.db.migrate import MigrationError, pending
from xinyi_api.db.pool import RETRY_AFTER, DatabaseUnavailable
from xinyi_api.deps import DB
from xinyi_api.errors import ServiceUnavailable
from xinyi_api.hookspecs import hookimpl
from xinyi_api.state import platform_of


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: str
    pending_migrations: list[str]
    holiday_schedules: list[int] = []
    """Years with an official holiday schedule (shipped or loaded)."""
    warnings: list[str] = []
    """Conditions that do not stop the service but need an operator, e.g. a year without a
    holiday schedule (objection and repair deadlines in it skip weekends only)."""


@get("/health", summary="Liveness: 200 while the process runs", tags=["operations"],
     sync_to_thread=False)
def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    summary="Readiness: 200 only when the database answers and migrations are current",
    description="503 `not-ready` (with `Retry-After`) when the database is down, busy or behind "
    "on migrations. A 200 may carry `warnings` that need an operator without stopping the "
    "service, e.g. a coming year without an official holiday schedule.",
    tags=["operations"],
    raises=[ServiceUnavailable],
)
async def ready(db: DB, state: State) -> Readiness:
    platform = platform_of(state)
    try:
        async with db.write.acquire() as conn:  # bounded by XINYI_DB_ACQUIRE_TIMEOUT
            todo = await pending(conn, platform.migration_sources)
            calendar = None if todo else await calendar_for(conn)
    except DatabaseUnavailable as exc:
        raise ServiceUnavailable(f"the database is not available: {exc.detail}",
                                 database=exc.reason,
                                 headers={"Retry-After": str(exc.retry_after)}) from None
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailable(f"the database does not answer: {type(exc).__name__}",
                                 database="down",
                                 headers={"Retry-After": str(RETRY_AFTER["down"])}) from None
    except MigrationError as exc:
        raise ServiceUnavailable(str(exc), database="up") from None
    if todo:
        names = [f"{m.source}/{m.name}" for m in todo]
        raise ServiceUnavailable("migrations are pending; run `xinyi-api migrate`",
                                 database="up", pending_migrations=names)
    assert calendar is not None
    # Ready even so: the service works, and deadlines that need the missing schedule say they
    # are provisional. Taking every worker out of rotation would stop far more than it saves.
    warning = missing_schedule_warning(calendar.missing_years(platform.clock.today()))
    return Readiness(status="ready", database="up", pending_migrations=[],
                     holiday_schedules=sorted(calendar.years),
                     warnings=[warning] if warning else [])


@get(
    "/.well-known/jwks.json",
    summary="Public keys (JWKS) that verify 诚信码 tokens and access tokens",
    description="`code-N` keys verify printed codes offline: BLS12-381 G2 keys (kty OKP, crv "
    "Bls12381G2, alg BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_) for version-2 tokens, Ed25519 "
    "keys for version-1 tokens. `access-N` keys (Ed25519) verify JWTs. Served with CORS so a "
    "mini-program can fetch it.",
    tags=["operations"],
    media_type="application/jwk-set+json",
)
async def jwks(state: State) -> Response[dict[str, Any]]:
    keys = platform_of(state).key_store
    await keys.refresh_if_stale()
    return Response(
        keys.jwks(),
        media_type="application/jwk-set+json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"},
    )


@hookimpl
def route_handlers() -> Sequence[Any]:
    return [health, ready, jwks]
