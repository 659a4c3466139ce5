"""The application factory: ``create_app(settings)`` is the only place the app is wired."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from xinyi_api.accountability.calendar import warn_if_schedule_missing
from xinyi_api.audit.sealer import AuditSealMiddleware, sealer_lifespan
from xinyi_api.auth.guards import document_access
from xinyi_api.auth.middleware import BearerAuthenticationMiddleware
from xinyi_api.clock import Clock
from xinyi_api.codes.deps import DEPENDENCIES as CODE_DEPENDENCIES
from xinyi_api.codes.runtime import CodesRuntime, codes_lifespan
from xinyi_api.consumers.context import ClientAddressMiddleware
from xinyi_api.db.embedded import EmbeddedPostgres
from xinyi_api.db.migrate import migrate
from xinyi_api.db.partitions import ensure_ahead
from xinyi_api.db.pool import STARTUP_ACQUIRE_SECONDS, direct_connection, open_database
from xinyi_api.deps import DEPENDENCIES
from xinyi_api.errors import problem_details_plugin
from xinyi_api.inputs.body import GuardedRequest
from xinyi_api.inputs.query import QueryGuardMiddleware
from xinyi_api.inputs.types import TYPE_DECODERS, InputSchemaPlugin
from xinyi_api.keys import KeyStore, KeyWatcher, ensure_keys
from xinyi_api.openapi import ProblemJsonRenderPlugin
from xinyi_api.persons.deps import DEPENDENCIES as PERSON_DEPENDENCIES
from xinyi_api.platform import AppState, Platform, build_platform, with_database_url
from xinyi_api.plugins import collect
from xinyi_api.scenarios.freshness import scenario_lifespan
from xinyi_api.scenarios.service import scheme_grade_reader
from xinyi_api.settings import Settings
from xinyi_api.web import XinyiApp

log = logging.getLogger(__name__)

# Paths that never look at the Authorization header.
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/schema", "^/.well-known/"]


@asynccontextmanager
async def database_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the embedded server if needed, open pools, migrate, load keys; undo on exit."""
    platform: Platform = app.state.platform
    embedded: EmbeddedPostgres | None = None
    key_watcher: KeyWatcher | None = None
    if platform.settings.database_url is None:
        embedded = await asyncio.to_thread(EmbeddedPostgres, platform.settings.data_dir)
        with_database_url(platform, embedded.url)
    settings = platform.settings
    assert settings.database_url is not None
    db = await open_database(settings)
    write = db.write
    try:
        if settings.migrate_on_start:
            async with direct_connection(settings) as conn:  # a session lock: not via a pooler
                applied = await migrate(conn, platform.migration_sources)
                for m in applied:
                    log.info("applied migration %s/%s", m.source, m.name)
                await ensure_keys(conn, settings.secret_key)
                await ensure_ahead(conn)  # partitions for today, even if the job did not run
        async with write.acquire(timeout=STARTUP_ACQUIRE_SECONDS) as conn:
            await warn_if_schedule_missing(conn, platform.clock.today())
        keys = KeyStore(write, settings.secret_key)
        await keys.load()
        key_watcher = KeyWatcher(keys, settings.direct_url or settings.database_url)
        await key_watcher.start()
        platform.db_ = db
        platform.key_store_ = keys
        platform.key_watcher = key_watcher
        yield
    finally:
        if key_watcher is not None:
            await key_watcher.stop()
        await db.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """The app for ``settings`` (read from the environment when omitted).

    ``clock`` is where every handler, cache and background step reads the time; the default is
    the system clock in ``XINYI_TIMEZONE``. Tests pass a ``ManualClock``.
    """
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    platform = build_platform(settings, clock)
    openapi = OpenAPIConfig(
        title="xinyi-api 诚信码 credit-scenario service",
        version="0.1.0",
        description=(
            "诚信码 integrity codes (一企一码 one code per enterprise, 一店一档 one credit file "
            "per store), live explainable credit grades (信用评价) and 信用+ scenarios. Errors "
            "are `application/problem+json` (RFC 9457). Department endpoints need a bearer "
            "token from `xinyi-api token`."
        ),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger"),
                        ProblemJsonRenderPlugin(PUBLIC_PATHS)],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http", scheme="bearer", bearer_format="JWT (EdDSA)",
                    description="A JWT signed by xinyi-api; verify with /.well-known/jwks.json",
                )
            }
        ),
        tags=[
            Tag(name="subjects 信用主体", description="enterprises, 个体工商户 and stores"),
            Tag(name="records 信用记录", description="the credit file of a subject"),
            Tag(name="grading 信用评价", description="grades and their explanations"),
            Tag(name="scenarios 信用+场景", description="信用+ scenarios: grades per scenario, "
                "守信激励 and 失信约束 measures with their bases"),
            Tag(name="operations", description="health, readiness, keys"),
            Tag(name="codes 诚信码", description="scan, code images and posters, reissue, "
                "scan statistics, print jobs 批量印制"),
            Tag(name="accountability 问责", description="查询使用登记 audit log, 异议 objections, "
                "信用修复 repair, 信用承诺 commitments, 失信曝光台, 信用商圈/信用街区"),
            Tag(name="consumers 消费者与经营者", description="mini-program login, refresh tokens, "
                "enterprise claims, a consumer's own data (view, delete, export)"),
            Tag(name="ratings 消费者评价", description="ratings only from real visits, merchant "
                "replies, reports, moderation and complaints 投诉"),
            Tag(name="personal credit 个人信用", description="a person's own grade, the measures "
                "it earns and the 动态个人信用码 dynamic personal credit code"),
        ],
    )
    app = XinyiApp(
        # Every package's routes, the core's like a third-party extension's (xinyi_api.hookspecs).
        route_handlers=collect("route_handlers", platform=platform),
        dependencies={**DEPENDENCIES, **CODE_DEPENDENCIES, **PERSON_DEPENDENCIES},
        middleware=[DefineMiddleware(BearerAuthenticationMiddleware, exclude=PUBLIC_PATHS),
                    QueryGuardMiddleware(), ClientAddressMiddleware(), AuditSealMiddleware()],
        # User input (xinyi_api.inputs): JSON bodies pass GuardedRequest.json(), query strings
        # QueryGuardMiddleware; PlausibleDate & co. are decoded and documented here.
        request_class=GuardedRequest,
        type_decoders=TYPE_DECODERS,
        plugins=[problem_details_plugin(), InputSchemaPlugin()],
        lifespan=[database_lifespan, sealer_lifespan, codes_lifespan, scenario_lifespan,
                  *collect("app_lifespans", platform=platform)],
        openapi_config=openapi,
        cors_config=CORSConfig(allow_origins=["*"], allow_headers=["Authorization",
                                                                   "Content-Type"]),
        request_max_body_size=settings.max_body_bytes,
        logging_config=LoggingConfig(log_exceptions="debug", configure_root_logger=False),
        state=AppState({"platform": platform}),
    )
    document_access(app)
    platform.scheme_grades = scheme_grade_reader(platform.scenarios, platform.grader)
    platform.codes = CodesRuntime(
        settings, platform.clock,
        profile_contributors=collect("scan_profile_contributors", platform=platform),
        scan_hooks=collect("scan_hooks", platform=platform))
    return app
