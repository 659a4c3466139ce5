"""Test fixtures: a real PostgreSQL per session, a migrated template database cloned per test.

With ``DATABASE_URL`` set the tests use that server (they need CREATEDB); otherwise an embedded
pgserver instance lives in a temporary directory for the session.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import AsyncTestClient

from xinyi_api.app import PUBLIC_PATHS, create_app
from xinyi_api.auth.tokens import issue_token
from xinyi_api.clock import ManualClock
from xinyi_api.db.migrate import migrate
from xinyi_api.db.pool import connect
from xinyi_api.keys import ensure_keys
from xinyi_api.openapi import documented_problems, openapi_document
from xinyi_api.platform import build_platform
from xinyi_api.settings import Settings

# Speed is measured in bench/, never in tests: Hypothesis neither fails a slow example (its
# 200 ms deadline) nor slow input generation on a loaded CI machine (the shifted-clock run).
hypothesis_settings.register_profile("xinyi", deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("xinyi")

TEST_SECRET = "test-secret-key-not-for-production"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)
"""The instant every test app starts at (a Monday morning in 淮南). No test reads the wall clock:
dates in tests are relative to ``TODAY`` or to the ``clock`` fixture, which a test may move."""
TODAY: date = NOW.date()
def pytest_collection_finish(session: pytest.Session) -> None:
    """Every module is imported by now and lives as long as the run: out of the garbage
    collector's sight (``gc.freeze``), as the service's workers do (``xinyi_api.asgi``), with
    collections far less often than every 700 allocations. Each test builds an app — tens of
    thousands of objects — and the collections they triggered over the whole heap made
    ``create_app`` take 0.26–0.74 s instead of a steady 0.33 s."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


TEMPLATE = "xinyi_template"
_counter = itertools.count()

DEPARTMENTS = [
    ("scjg", "淮南市市场监督管理局", "340400"),
    ("scjg_tja", "田家庵区市场监督管理局", "340403"),
    ("ybj", "淮南市医疗保障局", "340400"),
]


@dataclass
class PgServer:
    admin_url: str

    def url(self, dbname: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + dbname))


async def _build_template(server: PgServer) -> None:
    admin = await asyncpg.connect(server.admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    conn = await connect(server.url(TEMPLATE))
    try:
        await migrate(conn, build_platform(Settings(secret_key=TEST_SECRET)).migration_sources)
        await ensure_keys(conn, TEST_SECRET)
        await conn.executemany(
            "INSERT INTO departments (code, name, region_code) VALUES ($1, $2, $3)", DEPARTMENTS
        )
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get("DATABASE_URL")
    if external:
        server = PgServer(admin_url=external)
        asyncio.run(_build_template(server))
        yield server
        return
    import pgserver

    tmp = Path(tempfile.mkdtemp(prefix="xinyi-test-"))
    handle = pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
    server = PgServer(admin_url=handle.get_uri())
    try:
        asyncio.run(_build_template(server))
        yield server
    finally:
        handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


@asynccontextmanager
async def _temporary_database(server: PgServer, prefix: str,
                              template: str | None = None) -> AsyncIterator[str]:
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    clause = f" TEMPLATE {template}" if template else ""
    admin = await asyncpg.connect(server.admin_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}{clause}")
    finally:
        await admin.close()
    try:
        yield server.url(name)
    finally:
        admin = await asyncpg.connect(server.admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@pytest.fixture
async def database_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template."""
    async with _temporary_database(pg_server, "t", TEMPLATE) as url:
        yield url


@pytest.fixture
async def empty_database_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A database with nothing in it, not even migrations."""
    async with _temporary_database(pg_server, "e") as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        db_pool_min=1,
        db_pool_max=4,
        public_base_url="https://xinyi.huainan.gov.cn",
        print_worker=False,  # tests run print jobs themselves (tests/printing)
    )


@pytest.fixture
def clock() -> ManualClock:
    """The app's clock: stands at ``NOW`` until the test moves it."""
    return ManualClock(NOW)


def app_at(settings: Settings, clock: ManualClock | None = None) -> Litestar:
    """``create_app`` on a test clock: ``clock``, or a new one standing at ``NOW``."""
    return create_app(settings, clock=clock or ManualClock(NOW))


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> Litestar:
    return app_at(settings, clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app over HTTP. Every answer must be one the OpenAPI document promises: a status the
    operation lists and, for a problem, a ``type`` the operation lists (``answers_as_documented``).
    """
    check = DocumentedAnswers.for_session()
    async with AsyncTestClient(app=app) as client:
        client.event_hooks = {"request": [], "response": [check.record]}
        yield client
    check.assert_clean()


@pytest.fixture
async def conn(
    client: AsyncTestClient[Litestar], database_url: str
) -> AsyncIterator[asyncpg.Connection]:
    """Our own connection to the test database (the app's pools live on the client's loop)."""
    connection = await connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


class DocumentedAnswers:
    """Collects answers the OpenAPI document does not describe (see the ``client`` fixture).

    The document is built once per test process from an app with every installed scenario; a
    request path is matched to its template (static segments before parameters).
    """

    _session: DocumentedAnswers | None = None

    def __init__(self) -> None:
        app = create_app(Settings(secret_key=TEST_SECRET), clock=ManualClock(NOW))
        doc = openapi_document(app, PUBLIC_PATHS)
        self.statuses = {(path, method): set(op.get("responses", {}))
                         for path, item in doc["paths"].items()
                         for method, op in item.items() if isinstance(op, dict)}
        self.problems = documented_problems(doc)
        self.templates = sorted(
            ((re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"), path)
             for path in doc["paths"]),
            key=lambda t: t[1].count("{"))
        self.wrong: list[str] = []

    @classmethod
    def for_session(cls) -> DocumentedAnswers:
        if cls._session is None:
            cls._session = cls()
        cls._session.wrong = []
        return cls._session

    async def record(self, response: httpx.Response) -> None:
        method, path = response.request.method.lower(), response.request.url.path
        template = next((t for regex, t in self.templates if regex.match(path)), None)
        if template is None or (template, method) not in self.statuses:
            return  # an unknown path: 404/405 from the router, not an operation's answer
        status = response.status_code
        if str(status) not in self.statuses[(template, method)]:
            self.wrong.append(f"{method.upper()} {template} answered {status}, "
                              "which the OpenAPI document does not list")
        if method != "head" and response.headers.get("content-type", "").startswith(
                "application/problem+json"):
            await response.aread()
            slug = str(response.json().get("type", "")).removeprefix("urn:xinyi:problem:")
            if (status, slug) not in self.problems.get((template, method), set()):
                self.wrong.append(f"{method.upper()} {template} answered {status} {slug}, "
                                  "which the OpenAPI document does not list")

    def assert_clean(self) -> None:
        wrong, self.wrong = sorted(set(self.wrong)), []
        if wrong:
            pytest.fail("undocumented answers:\n" + "\n".join(wrong))


def make_token(app: Litestar, role: str = "department", **claims: Any) -> str:
    settings: Settings = app.state.settings
    sub = claims.pop("sub", f"{role}:{claims.get('dept', 'test')}")
    return issue_token(
        app.state.key_store,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        subject=sub,
        role=role,  # type: ignore[arg-type]
        ttl_seconds=claims.pop("ttl", 600),
        claims=claims,
        now=app.state.clock.now(),
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def dept_headers(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    """A city-wide 市场监管 department token."""
    return auth(make_token(client.app, dept="scjg", region="340400", scenarios=["beef_soup"]))


@pytest.fixture
def district_headers(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    """A district department limited to 田家庵区 (340403)."""
    return auth(make_token(client.app, dept="scjg_tja", region="340403"))


# Valid USCCs with correct check characters (computed, not real companies).
def uscc(serial: int, region: str = "340403") -> str:
    from xinyi_api.subjects.uscc import check_character

    body = f"91{region}MA{serial:07d}"
    return body + check_character(body)


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.headers["content-type"]
    )
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:xinyi:problem:")
    if slug is not None:
        assert body["type"] == f"urn:xinyi:problem:{slug}", body
    return body
