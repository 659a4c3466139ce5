"""Guards: each endpoint declares who may call it.

``requires(*roles)`` lets only the named roles through: anonymous callers get 401, callers with
another role get 403. Scope checks that need the target (a department's region, a merchant's
enterprise) happen in the service with ``ensure_region``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler

from xinyi_api.auth.tokens import Principal, Role
from xinyi_api.errors import Forbidden, Unauthorized

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(*roles: Role) -> Guard:
    allowed = frozenset(roles)

    # A coroutine function: Litestar runs a plain function guard in its thread pool, a hop that
    # cost more than the whole check (~0.1 ms per request on the rating benchmark).
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.is_anonymous:
            raise Unauthorized("this endpoint needs a bearer token")
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role!r} may not call this endpoint")

    guard.__name__ = f"requires_{'_'.join(sorted(allowed))}"
    guard.roles = allowed  # type: ignore[attr-defined]  # read by document_access
    return guard


def document_access(app: Litestar) -> None:
    """Write into each operation of the OpenAPI document who may call it.

    Derived from the guards themselves, so the document cannot drift from the code: guarded
    operations get the bearer security requirement and a "who may call" line.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            # Litestar wraps plain-function guards in AsyncCallable (original in ``.func``).
            guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
            roles = sorted({r for g in guards for r in getattr(g, "roles", ())})
            if roles:
                handler.security = [*(handler.security or ()), {"BearerToken": []}]
                note = f"**Who may call:** {', '.join(roles)} (bearer token)."
            else:
                note = "**Who may call:** anyone; a bearer token is optional."
            handler.description = f"{handler.description}\n\n{note}" if handler.description \
                else note


def region_prefix(region_code: str) -> str:
    """The prefix shared by every code inside a region.

    行政区划 codes are hierarchical: ``340000`` is a province, ``340400`` a city in it, ``340403``
    a district of that city. Trailing ``00`` pairs mark the level: ``340400`` → ``3404``.
    """
    prefix = region_code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def region_covers(scope: str | None, region_code: str) -> bool:
    """Whether a department limited to ``scope`` may act on a subject in ``region_code``."""
    return scope is None or region_code.startswith(region_prefix(scope))


def ensure_acts_for(principal: Principal, department: str, scenario_key: str) -> None:
    """Only a scenario's owning department, or a token issued to act for the scenario, manages
    the scenario's own data (403 ``not-scenario-department``)."""
    if principal.department != department and scenario_key not in principal.scenarios:
        raise Forbidden(f"only {department} or a department acting for {scenario_key} may do "
                        "this", slug="not-scenario-department")


def ensure_region(principal: Principal, region_code: str) -> None:
    if principal.role == "department" and not region_covers(principal.region, region_code):
        raise Forbidden(
            f"department {principal.department} is limited to region {principal.region}",
            slug="out-of-region",
        )
