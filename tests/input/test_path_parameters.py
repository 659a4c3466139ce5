"""Path parameters need no guard of their own: every one has an anchored pattern that admits
no control, invisible or direction character — except the code tokens, which never reach the
database as text and must answer 404 (not 400) to anything that is not a genuine token."""

from __future__ import annotations

import re

from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from tests.conftest import assert_problem
from xinyi_api.inputs.types import forbidden_char

# The 诚信码 token in /c/{token}, /api/v1/scan/{token}, /api/v1/codes/{token}/poster.png and the
# image file name {token}.png: parsed and checked by xinyi_api.codes.token, never sent as text.
CODE_TOKENS = {"token", "file"}
LITESTAR_OWN = "/schema"  # the OpenAPI document's own routes
HOSTILE = ["\x00", "\t", "\u202e", "\u200b", "\ufeff"]


def test_every_path_parameter_has_an_anchored_pattern_refusing_hostile_characters(app) -> None:
    checked, missing = [], []
    for route in app.routes:
        if route.path.startswith(LITESTAR_OWN):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for name in getattr(route, "path_parameters", {}):
                parameter = handler.parsed_fn_signature.parameters.get(name)
                if name in CODE_TOKENS or parameter is None:  # None: OPTIONS, unused
                    continue
                kwarg = parameter.kwarg_definition
                pattern = kwarg.pattern if isinstance(kwarg, ParameterKwarg) else None
                if not pattern or not pattern.startswith("^") or not pattern.endswith("$"):
                    missing.append((route.path, name, pattern))
                    continue
                checked.append(name)
                for char in HOSTILE:
                    assert forbidden_char(char, single_line=True)
                    assert not re.search(pattern, f"a{char}b"), (route.path, name, char)
    assert not missing
    assert len(checked) > 40


async def test_a_hostile_path_parameter_is_a_400_naming_it(client) -> None:
    r = await client.get("/api/v1/stores/S0000000%00")
    body = assert_problem(r, 400, "invalid-request")
    assert [e["key"] for e in body["errors"]] == ["store_id"]


async def test_a_hostile_code_token_is_still_an_unknown_code(client) -> None:
    assert_problem(await client.get("/api/v1/scan/AAAA%00%E2%80%AE"), 404, "unknown-code")
