"""Whatever JSON (or almost-JSON) a client posts, the answer is never a 500: the body guard or
the schema refuses it with a 4xx, or it is a valid request."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.input.conftest import body_routes, headers_for
from tests.input.test_input_properties import json_texts

# Shared across examples: the client (and its database) live for the whole test.
HTTP_PROPERTY = settings(max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | json_texts | st.sampled_from(
    ["2026-11-01", "0001-01-01", "S00000001", "penalty", "general", "91340403MA0000001X"])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(json_texts | st.sampled_from(
                          ["name", "title", "stars", "kind", "occurred_on", "text", "uscc",
                           "region_code", "industry", "code", "reason"]), inner, max_size=5),
                      max_leaves=20)
bodies = values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=80) | st.sampled_from(
    [b"[" * 5000, b'{"a": 1, "a": 2}', b"NaN", b"1e999", b"9" * 5000, b'"\\u0000"'])


@HTTP_PROPERTY
@given(st.data(), bodies)
async def test_no_json_body_makes_any_endpoint_answer_500(client, data: Any,
                                                          body: bytes) -> None:
    route = data.draw(st.sampled_from(body_routes(client.app)), label="route")
    r = await client.request(route.method, route.url, content=body, headers={
        **headers_for(client.app, route), "Content-Type": "application/json"})
    assert r.status_code < 500, (str(route), body[:200], r.text)
