"""pytest fixtures for scenario authors: the app on a real PostgreSQL with only your scenario.

Installed with xinyi-api and loaded by pytest on its own (entry point ``pytest11``:
``xinyi_api_scenarios``); nothing here starts, connects or imports the app until a test asks for
one of these fixtures, so it costs nothing in a test run that does not use them. It needs
``pytest-asyncio`` (``pip install "xinyi-api[test]"``), with ``asyncio_mode = "auto"`` or
``@pytest.mark.asyncio`` on your async tests.

Your ``conftest.py`` names the scenario under test (``xinyi-api scenarios new`` writes it)::

    import pytest

    @pytest.fixture
    def scenario_key() -> str:
        return "housekeeping"

Then a test takes what it needs::

    async def test_a_report_regrades(scenario_client, scenario_token, scenario_subject):
        subject = await scenario_subject()                       # a covered enterprise
        r = await scenario_client.put(f"/api/v1/scenarios/housekeeping/worker-checks/{subject}",
                                      headers=scenario_token(), json={...})
        assert r.status_code == 200

The fixtures (all named ``scenario_…`` so they never shadow a project's own):

- ``scenario_key`` — yours: the key of the scenario under test (the default fails, saying so).
- ``scenario_variables`` — ``{field: text}`` of the scenario's settings for this test, set as
  ``XINYI_SCENARIO_<KEY>_<FIELD>`` while the app is built (default ``{}``; override it, or
  ``@pytest.mark.parametrize("scenario_variables", [{…}])``).
- ``scenario_postgres`` — session: the admin URL of a PostgreSQL server, an embedded one
  (``pgserver``) in a temporary directory, or ``DATABASE_URL`` when set (it needs CREATEDB).
- ``scenario_database_url`` — a fresh database per test, cloned from a template migrated once per
  session and key with the core's migrations and **only this scenario's**, holding the signing
  keys and the scenario's owning department (region ``340400``).
- ``scenario_clock`` — the app's clock, a ``ManualClock`` standing at ``SCENARIO_NOW``
  (2026-11-16 10:00 Asia/Shanghai) until the test moves it (``set``, ``advance``).
- ``scenario_app_settings`` — the ``Settings`` of the app (that database, a test secret).
- ``scenario_app`` — ``create_app`` with only the scenario under test enabled
  (``XINYI_SCENARIOS=<key>``); building it validates the scenario, so a placeholder basis fails
  here with the ``ScenarioError``.
- ``scenario_client`` — a started ``AsyncTestClient`` on it (lifespan run: migrations, keys).
- ``scenario_token`` — ``scenario_token(role="department", **claims)`` → ``{"Authorization":
  "Bearer …"}``, a token signed by the app. A department token defaults to the scenario's
  owning department and region ``340400``; pass ``dept=``, ``region=``, ``scenarios=[…]``,
  ``sub=``, ``ttl=`` as needed (``role="merchant"`` / ``"consumer"`` with ``sub=``).
- ``scenario_subject`` — ``await scenario_subject(subject_type=None, industry=None, name=None,
  region_code="340403")`` registers a subject through the API, by default of the scenario's
  first subject type and industry, and returns its id.
- ``scenario_conn`` — an ``asyncpg`` connection to the test database, for setting up rows your
  endpoints do not write.

Grading itself needs none of this: ``make_file``, ``make_record`` and ``grade_offline``
(``xinyi_api.scenarios.kit``) grade a hand-made credit file without a database.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from xinyi_api.clock import ManualClock
    from xinyi_api.settings import Settings

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the async fixtures then say what is missing
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["SCENARIO_NOW", "SCENARIO_REGION", "SCENARIO_SECRET"]

SCENARIO_NOW = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
"""Where ``scenario_clock`` stands: tests never read the wall clock."""
SCENARIO_REGION = "340400"
"""The region of the scenario's owning department in the test database (a city)."""
SCENARIO_SUBJECT_REGION = "340403"
"""Where ``scenario_subject`` registers subjects (a district of that city)."""
SCENARIO_SECRET = "scenario-test-secret-not-for-production"  # noqa: S105 (tests only)

_serials = itertools.count(1)
_databases = itertools.count(1)


def _async_fixture(fn: Callable[..., Any]) -> Any:
    if pytest_asyncio is None:  # pragma: no cover
        def missing() -> None:
            pytest.fail("the scenario fixtures need pytest-asyncio: "
                        "pip install 'xinyi-api[test]'")

        missing.__name__ = fn.__name__
        return pytest.fixture(name=fn.__name__)(missing)
    return pytest_asyncio.fixture(fn)


def _url(admin_url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + dbname))


@pytest.fixture
def scenario_key() -> str:
    """Override in your conftest.py: the key of the scenario under test."""
    pytest.fail("define a `scenario_key` fixture in your conftest.py returning the key of the "
                "scenario under test (xinyi-api scenarios new writes one)")


@pytest.fixture
def scenario_variables() -> dict[str, str]:
    """``{field: text}``: the scenario's settings for the test (``XINYI_SCENARIO_<KEY>_…``)."""
    return {}


@pytest.fixture(scope="session")
def scenario_postgres() -> Iterator[str]:
    """The admin URL of the session's PostgreSQL: ``DATABASE_URL``, or an embedded server."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from pgserver.postgres_server import get_server

    tmp = Path(tempfile.mkdtemp(prefix="xinyi-scenario-test-"))
    handle = get_server(tmp / "pgdata", cleanup_mode="stop")
    try:
        yield str(handle.get_uri())
    finally:
        handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


class _Templates:
    """The migrated template database of each scenario key, built once per session."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.names: dict[str, str] = {}

    async def template(self, key: str) -> str:
        if key in self.names:
            return self.names[key]
        name = f"xinyi_scenario_tpl_{key}_{os.getpid()}"[:63]
        await _build_template(self.admin_url, name, key)
        self.names[key] = name
        return name

    async def drop_all(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self.admin_url)
        try:
            for name in self.names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _build_template(admin_url: str, name: str, key: str) -> None:
    import asyncpg

    from xinyi_api.db.migrate import migrate
    from xinyi_api.db.pool import connect
    from xinyi_api.keys import ensure_keys
    from xinyi_api.platform import build_platform
    from xinyi_api.settings import Settings

    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    platform = build_platform(Settings(secret_key=SCENARIO_SECRET, scenarios=(key,)))
    scenario = platform.scenarios.get(key)
    assert scenario is not None
    conn = await connect(_url(admin_url, name))
    try:
        await migrate(conn, platform.migration_sources)
        await ensure_keys(conn, SCENARIO_SECRET)
        await conn.execute(
            "INSERT INTO departments (code, name, region_code) VALUES ($1, $2, $3)",
            scenario.department, f"{scenario.name_zh} 主管部门", SCENARIO_REGION)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def _scenario_templates(scenario_postgres: str) -> Iterator[_Templates]:
    templates = _Templates(scenario_postgres)
    yield templates
    if templates.names:
        asyncio.run(templates.drop_all())


@_async_fixture
async def scenario_database_url(_scenario_templates: _Templates,
                                scenario_key: str) -> AsyncIterator[str]:
    """A fresh database for the test, cloned from the scenario's migrated template."""
    import asyncpg

    admin_url = _scenario_templates.admin_url
    template = await _scenario_templates.template(scenario_key)
    name = f"xinyi_scenario_t_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    try:
        yield _url(admin_url, name)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def scenario_clock() -> ManualClock:
    """The app's clock, standing at ``SCENARIO_NOW`` until the test moves it."""
    from xinyi_api.clock import ManualClock

    return ManualClock(SCENARIO_NOW)


@pytest.fixture
def scenario_app_settings(scenario_database_url: str, scenario_key: str,
                          tmp_path: Path) -> Settings:
    """The app's settings: the test database, only the scenario under test enabled."""
    from xinyi_api.settings import Settings

    return Settings(database_url=scenario_database_url, data_dir=tmp_path,
                    secret_key=SCENARIO_SECRET, scenarios=(scenario_key,), db_pool_min=1,
                    db_pool_max=4)


@pytest.fixture
def scenario_app(scenario_app_settings: Settings, scenario_clock: ManualClock,
                 scenario_key: str, scenario_variables: dict[str, str],
                 monkeypatch: pytest.MonkeyPatch) -> Litestar:
    """``create_app`` with only the scenario under test, its settings from
    ``scenario_variables``; raises the loader's ``ScenarioError`` for an invalid scenario."""
    from xinyi_api.app import create_app
    from xinyi_api.scenarios.config import PREFIX, variable_name

    for name in [n for n in os.environ if n.startswith(f"{PREFIX}{scenario_key.upper()}_")]:
        monkeypatch.delenv(name)
    for field, value in scenario_variables.items():
        monkeypatch.setenv(variable_name(scenario_key, field), value)
    return create_app(scenario_app_settings, clock=scenario_clock)


@_async_fixture
async def scenario_client(scenario_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app over HTTP, started (its lifespan ran: migrations, keys, the refresh)."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=scenario_app) as client:
        yield client


@pytest.fixture
def scenario_token(scenario_client: AsyncTestClient[Litestar],
                   scenario_key: str) -> Callable[..., dict[str, str]]:
    """``scenario_token(role="department", **claims)`` → bearer headers signed by the app."""
    from xinyi_api.auth.tokens import issue_token
    from xinyi_api.platform import app_state

    state = app_state(scenario_client.app)
    scenario = state.scenarios.get(scenario_key)
    assert scenario is not None

    def token(role: str = "department", **claims: Any) -> dict[str, str]:
        if role == "department":
            claims.setdefault("dept", scenario.department)
            claims.setdefault("region", SCENARIO_REGION)
        subject = claims.pop("sub", f"{role}:{claims.get('dept', 'test')}")
        jwt = issue_token(state.key_store, issuer=state.settings.jwt_issuer,
                          audience=state.settings.jwt_audience, subject=subject,
                          role=role,  # type: ignore[arg-type]
                          ttl_seconds=claims.pop("ttl", 600), claims=claims,
                          now=state.clock.now())
        return {"Authorization": f"Bearer {jwt}"}

    return token


def _uscc(serial: int, region: str) -> str:
    from xinyi_api.subjects.uscc import check_character

    body = f"91{region}MA{serial:07d}"
    return body + check_character(body)


@pytest.fixture
def scenario_subject(
    scenario_client: AsyncTestClient[Litestar], scenario_token: Callable[..., dict[str, str]],
    scenario_key: str,
) -> Callable[..., Awaitable[str]]:
    """``await scenario_subject(subject_type=None, industry=None, name=None,
    region_code="340403")``:
    a subject registered through the API by the owning department; its id."""
    from xinyi_api.platform import app_state

    scenario = app_state(scenario_client.app).scenarios.get(scenario_key)
    assert scenario is not None

    async def create(subject_type: str | None = None, industry: str | None = None,
                     name: str | None = None,
                     region_code: str = SCENARIO_SUBJECT_REGION) -> str:
        kind = subject_type or scenario.subject_types[0]
        serial = next(_serials)
        body = {"name": name or f"{scenario.name_zh} 测试主体 {serial}",
                "region_code": region_code, "industry": industry or scenario.industries[0]}
        headers = scenario_token("department")
        r = await scenario_client.post("/api/v1/enterprises", headers=headers, json={
            **body, "uscc": _uscc(serial, region_code),
            "kind": "individual" if kind == "individual" else "enterprise"})
        assert r.status_code == 201, r.text
        subject_id: str = r.json()["id"]
        if kind == "store":
            r = await scenario_client.post(f"/api/v1/enterprises/{subject_id}/stores",
                                           headers=headers, json=body)
            assert r.status_code == 201, r.text
            subject_id = r.json()["id"]
        return subject_id

    return create


@_async_fixture
async def scenario_conn(scenario_client: AsyncTestClient[Litestar],
                        scenario_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own to its database (the app's pools are the client's)."""
    from xinyi_api.db.pool import connect

    conn = await connect(scenario_database_url)
    try:
        yield conn
    finally:
        await conn.close()
