"""Helpers for the hostile-input tests: every JSON body route of the app and the fields of its
body (read from the route handlers and their msgspec schemas, so a new route or field is
covered without touching the tests), tokens that pass each route's guards, and a count of the
rows of every table to show that nothing was written."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg

from tests.conftest import auth, make_token

# A value for every path parameter name the app uses; any that matches the parameter's pattern
# will do: the body guard answers before a handler looks anything up.
PATH_SAMPLES = {
    "enterprise_id": "E00000001", "store_id": "S00000001", "subject_id": "S00000001",
    "record_id": "R0000000001", "rating_id": "T0000000001", "complaint_id": "Q0000000001",
    "objection_id": "O0000000001", "repair_id": "P0000000001", "commitment_id": "C0000000001",
    "district_id": "D0000000001", "bill_id": "B0000000001", "key": "tourism",
    "review_id": "1", "job_id": "1",
}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class BodyRoute:
    method: str
    path: str
    body_type: type[msgspec.Struct]
    roles: tuple[str, ...]

    @property
    def url(self) -> str:
        url = self.path
        for name, value in PATH_SAMPLES.items():
            url = url.replace(f"{{{name}:str}}", value)
        assert "{" not in url, f"no sample for a path parameter of {self.path}"
        return url

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def body_routes(app: Litestar) -> list[BodyRoute]:
    """Every route whose handler takes a JSON body, with the roles its guards let through."""
    routes = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            assert isinstance(data.kwarg_definition, BodyKwarg)
            assert data.kwarg_definition.media_type == RequestEncodingType.JSON
            guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
            roles = tuple(sorted({r for g in guards for r in getattr(g, "roles", ())}))
            for method in sorted(handler.http_methods):
                routes.append(BodyRoute(method, route.path, data.annotation, roles))
    return routes


def headers_for(app: Litestar, route: BodyRoute) -> dict[str, str]:
    """A token that passes the route's guards (none for anonymous routes)."""
    if not route.roles:
        return {}
    role = route.roles[0]
    claims: dict[str, Any] = {"sub": f"{role}:input-tests"}
    if role == "department":
        claims |= {"dept": "scjg", "region": "340400"}
    return auth(make_token(app, role, **claims))


def _unwrap(t: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    if isinstance(t, msgspec.inspect.Metadata):
        return _unwrap(t.type)
    if isinstance(t, msgspec.inspect.UnionType):
        return [u for member in t.types for u in _unwrap(member)]
    return [t]


def _leaves(t: msgspec.inspect.Type, path: Path) -> Iterator[tuple[Path, msgspec.inspect.Type]]:
    for member in _unwrap(t):
        if isinstance(member, msgspec.inspect.StructType):
            for field in member.fields:
                yield from _leaves(field.type, (*path, field.encode_name))
        elif isinstance(member, msgspec.inspect.ListType | msgspec.inspect.SetType
                        | msgspec.inspect.VarTupleType):
            yield from _leaves(member.item_type, (*path, 0))
        elif isinstance(member, msgspec.inspect.DictType):
            yield from _leaves(member.value_type, (*path, "k"))
        else:
            yield path, member


def leaves(body_type: type[msgspec.Struct]) -> list[tuple[Path, msgspec.inspect.Type]]:
    """Every scalar field of a body type, with its JSON path (list items at index 0)."""
    return list(_leaves(msgspec.inspect.type_info(body_type), ()))


def string_fields(body_type: type[msgspec.Struct]) -> list[tuple[Path, msgspec.inspect.StrType]]:
    return [(p, t) for p, t in leaves(body_type) if isinstance(t, msgspec.inspect.StrType)]


def custom_fields(body_type: type[msgspec.Struct], cls: type) -> list[Path]:
    return [p for p, t in leaves(body_type)
            if isinstance(t, msgspec.inspect.CustomType) and t.cls is cls]


def body_at(path: Path, value: Any) -> Any:
    """The smallest JSON body holding ``value`` at ``path``."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


def key_of(path: Path) -> str:
    """How an error names ``path`` (as Litestar names msgspec's paths): ``evidence[0].name``."""
    key = ""
    for step in path:
        key += f"[{step}]" if isinstance(step, int) else (f".{step}" if key else step)
    return key


BACKGROUND_CACHES = ("scan_profiles",)
"""Tables no request writes: the stored scan profiles, built by a background worker whenever it
gets to them (``xinyi_api.codes.materialise``) — a refused request changes nothing there either,
but the worker may finish a profile of an earlier, accepted one meanwhile."""


async def row_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """The number of rows of every table of every schema (core and scenarios)."""
    tables = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
        "AND NOT (table_schema = 'public' AND table_name = ANY($1::text[]))",
        list(BACKGROUND_CACHES))
    return {f"{t['table_schema']}.{t['table_name']}": await conn.fetchval(
        f'SELECT count(*) FROM "{t["table_schema"]}"."{t["table_name"]}"') for t in tables}


@asynccontextmanager
async def nothing_written(conn: asyncpg.Connection) -> AsyncIterator[None]:
    before = await row_counts(conn)
    yield
    after = await row_counts(conn)
    assert after == before, {t: (before.get(t), n) for t, n in after.items()
                             if before.get(t) != n}


def assert_nothing_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No error and no traceback was logged (a refused input is not a server problem)."""
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not noisy, [r.getMessage() for r in noisy]


def error_keys(body: dict[str, Any]) -> list[str]:
    return [e.get("key") for e in body.get("errors", [])]
