"""Every endpoint × every role: the status codes of ``access_matrix.MATRIX``.

The routes are enumerated from the app itself, so an endpoint nobody added to the table fails
``test_every_route_has_a_declared_expectation`` (and its own matrix case).
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accountability.access_matrix import IGNORED_PREFIXES, MATRIX, Case
from tests.accountability.world import ROLES, World, build_world
from tests.conftest import app_at
from xinyi_api.settings import Settings

SKIPPED_METHODS = {"OPTIONS", "HEAD"}


def app_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route handler of the app."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path.startswith(IGNORED_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if (getattr(handler, "opt", None) or {}).get("scenario_alias"):
                continue  # the generic scenario endpoints again under one key: same handler
            for method in getattr(handler, "http_methods", ()):
                if method not in SKIPPED_METHODS:
                    found.add((method, route.path))
    return sorted(found)


ROUTES = app_routes(app_at(Settings(secret_key="matrix-collection-only-key")))


def test_every_route_has_a_declared_expectation() -> None:
    missing = [f"{m} {p}" for m, p in ROUTES if (m, p) not in MATRIX]
    assert not missing, "add these routes to tests/accountability/access_matrix.py: " + ", ".join(
        missing)


def test_the_matrix_names_no_route_that_is_gone() -> None:
    stale = [f"{m} {p}" for m, p in MATRIX if (m, p) not in ROUTES]
    assert not stale, f"routes in the matrix that the app no longer has: {stale}"


async def _print_job(world: World, client: AsyncTestClient[Litestar]) -> str:
    """A finished print job of the department's (the district's stores as SVGs: cheap)."""
    from xinyi_api.db.pool import connect
    from xinyi_api.keys import KeyStore
    from xinyi_api.printing.service import PrintRunner

    r = await client.post("/api/v1/print-jobs", headers=world.headers["department"],
                          json={"district": world["D"], "format": "zip", "image": "svg"})
    assert r.status_code == 202, r.text
    state = client.app.state
    connection = await connect(state.settings.database_url)
    try:
        keys = KeyStore(None, state.settings.secret_key)
        await keys.load(connection)
    finally:
        await connection.close()
    assert await PrintRunner(state.settings, state.clock, keys).run_pending() == 1
    return str(r.json()["id"])


async def _fill(text: str, world: World, client: AsyncTestClient[Litestar]) -> str:
    if "{JOB}" in text:
        text = text.replace("{JOB}", await _print_job(world, client))
    if "{TOKEN}" in text:
        code = await client.get(f"/api/v1/subjects/{world['S']}/code")
        assert code.status_code == 200, code.text
        text = text.replace("{TOKEN}", code.json()["token"])
    return re.sub(r"\{([A-Za-z0-9_]+)\}", lambda m: world[m.group(1)], text)


async def _fill_body(body: Any, world: World, client: AsyncTestClient[Litestar]) -> Any:
    if isinstance(body, str):
        return await _fill(body, world, client)
    if isinstance(body, list):
        return [await _fill_body(b, world, client) for b in body]
    if isinstance(body, dict):
        return {k: await _fill_body(v, world, client) for k, v in body.items()}
    return body


def _matches(expected: int | frozenset[int], actual: int) -> bool:
    return actual == expected if isinstance(expected, int) else actual in expected


def _order(case: Case) -> list[str]:
    def succeeds(role: str) -> bool:
        e = case.expect[role]
        return any(200 <= s < 300 for s in ([e] if isinstance(e, int) else e))

    return [r for r in ROLES if not succeeds(r)] + [r for r in ROLES if succeeds(r)]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_access_matrix(method: str, path: str, client: AsyncTestClient[Litestar],
                             conn: asyncpg.Connection) -> None:
    case = MATRIX.get((method, path))
    assert case is not None, f"{method} {path} has no row in access_matrix.MATRIX"
    world = await build_world(client, conn)
    url = await _fill(case.path, world, client)
    body = await _fill_body(case.body, world, client)
    wrong: list[str] = []
    for role in _order(case):
        response = await client.request(method, url, headers=world.headers[role],
                                        params=case.query, json=body)
        if not _matches(case.expect[role], response.status_code):
            wrong.append(f"{role}: expected {case.expect[role]}, got {response.status_code} "
                         f"{response.text[:200]}")
        elif response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), (
                f"{role}: {response.status_code} without problem+json")
    assert not wrong, f"{method} {path}:\n" + "\n".join(wrong)
