"""Integers beyond 64 bits used to reach PostgreSQL's bigint (500). Every integer a client can
send — query parameter or body field — is bounded, and the bound is checked for every route."""

from __future__ import annotations

import msgspec
import pytest
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg
from litestar.typing import FieldDefinition

from tests.conftest import assert_problem, auth, make_token
from tests.input.conftest import body_routes, error_keys, leaves, nothing_written
from xinyi_api.inputs import INT64_MAX

HUGE = "99999999999999999999"


async def test_an_audit_cursor_beyond_64_bits_is_a_400_naming_it(client, conn) -> None:
    operator = auth(make_token(client.app, "operator", sub="operator:ops"))
    async with nothing_written(conn):
        r = await client.get(f"/api/v1/audit?cursor={HUGE}", headers=operator)
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == ["cursor"]
    r = await client.get(f"/api/v1/audit?cursor={INT64_MAX}", headers=operator)
    assert r.status_code == 200, r.text


async def test_an_access_log_cursor_beyond_64_bits_is_a_400_naming_it(client, conn) -> None:
    operator = auth(make_token(client.app, "operator", sub="operator:ops"))
    async with nothing_written(conn):
        r = await client.get(f"/api/v1/subjects/S00000001/access-log?cursor={HUGE}",
                             headers=operator)
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == ["cursor"]


@pytest.mark.parametrize(("value", "message"), [(HUGE, "64 bits"), ("-" + HUGE, "64 bits"),
                                               ("1e400", "finite"), ("NaN", "finite")])
async def test_a_number_beyond_64_bits_in_a_body_is_a_400_naming_it(client, conn, dept_headers,
                                                                     value, message) -> None:
    async with nothing_written(conn):
        r = await client.post("/api/v1/enterprises/E00000001/claim-codes",
                              headers={**dept_headers, "Content-Type": "application/json"},
                              content=f'{{"valid_days": {value}}}'.encode())
        body = assert_problem(r, 400, "invalid-request")
    assert error_keys(body) == ["valid_days"]
    assert message in body["errors"][0]["message"]


def _is_int(field: FieldDefinition) -> bool:
    members = ([t for t in field.inner_types if not t.is_none_type] if field.is_union
               else [field])
    return any(m.is_subclass_of(int) and not m.is_subclass_of(bool) for m in members)


# Checked against a small served set by the handler (422 unsupported-image-variant, naming the
# allowed values), which bounds them more tightly than a range would.
SET_CHECKED = {("/api/v1/codes/{file:str}", "scale"), ("/api/v1/codes/{file:str}", "border")}


def test_every_integer_query_parameter_is_bounded(app) -> None:
    checked = []
    unbounded = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for name, field in handler.parsed_fn_signature.parameters.items():
                if not _is_int(field):
                    continue
                checked.append(name)
                if (route.path, name) in SET_CHECKED:
                    continue
                kwarg = field.kwarg_definition
                if not isinstance(kwarg, ParameterKwarg):
                    unbounded.append((route.path, name, "no QueryParameter"))
                elif (kwarg.le if kwarg.le is not None else kwarg.lt) is None \
                        or (kwarg.ge if kwarg.ge is not None else kwarg.gt) is None:
                    unbounded.append((route.path, name, "no lower or upper bound"))
                elif (kwarg.le or kwarg.lt or 0) > INT64_MAX:
                    unbounded.append((route.path, name, "beyond 64 bits"))
    assert "cursor" in checked and len(checked) > 15
    assert not unbounded


def test_every_integer_body_field_is_bounded(app) -> None:
    unbounded = []
    for route in body_routes(app):
        for path, t in leaves(route.body_type):
            if isinstance(t, msgspec.inspect.IntType) and (
                    (t.le is None and t.lt is None) or (t.ge is None and t.gt is None)):
                unbounded.append((str(route), path))
    assert not unbounded
