"""The OpenAPI document a client is generated from describes what the service answers.

Besides these checks, every test that uses the ``client`` fixture verifies each answer it gets
against the document (``tests/conftest.py``: ``DocumentedAnswers``).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.codes.conftest import business, code_of, in_app
from tests.conftest import assert_problem, auth

Client = AsyncTestClient[Litestar]
ERROR = ("4", "5")


@pytest.fixture
async def doc(client: Client) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in doc["paths"].items()
            for method, op in item.items() if isinstance(op, dict) and "responses" in op]


async def test_every_error_response_is_problem_json_with_its_types_and_an_example_of_each(
        doc: dict[str, Any]) -> None:
    assert "Problem" in doc["components"]["schemas"]
    checked = 0
    for path, method, op in _operations(doc):
        for code, response in op["responses"].items():
            if not code.startswith(ERROR):
                continue
            content = response.get("content", {})
            assert "application/json" not in content, f"{method} {path} {code}"
            if method == "head" or "text/html; charset=utf-8" in content:
                continue
            media = content["application/problem+json"]
            types = media["schema"]["allOf"][1]["properties"]["type"]["enum"]
            assert types and all(t.startswith("urn:xinyi:problem:") for t in types)
            assert sorted(e["value"]["type"] for e in media["examples"].values()) == sorted(types)
            assert all(e["value"]["status"] == int(code) for e in media["examples"].values())
            checked += 1
    assert checked > 300


async def test_operations_list_the_specific_problems_their_code_raises(
        doc: dict[str, Any]) -> None:
    def types(path: str, method: str, code: str) -> list[str]:
        media = doc["paths"][path][method]["responses"][code]["content"][
            "application/problem+json"]
        return [t.removeprefix("urn:xinyi:problem:")
                for t in media["schema"]["allOf"][1]["properties"]["type"]["enum"]]

    assert "duplicate-uscc" in types("/api/v1/enterprises", "post", "409")
    assert "invalid-uscc" in types("/api/v1/enterprises", "post", "422")
    assert {"invalid-token", "token-expired", "unauthorized"} <= set(
        types("/api/v1/enterprises", "post", "401"))
    assert types("/api/v1/scan/{token}", "get", "410") == ["code-replaced"]
    assert "409" not in doc["paths"]["/api/v1/stores"]["get"]["responses"]
    assert "401" not in doc["paths"]["/health"]["get"]["responses"]


async def test_the_scan_schema_has_every_field_the_scan_answers(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    ratings = schemas["StoreRatingSummary"]["properties"]
    assert {"count", "mean", "bayesian_mean", "distribution", "dimensions"} <= set(ratings)
    example = doc["paths"]["/api/v1/scan/{token}"]["get"]["responses"]["200"]["content"][
        "application/json"]["examples"]
    value = next(iter(example.values()))["value"]
    nulls = {"closed_reason", "personal"}  # null members are left out of OpenAPI examples
    assert set(value) | nulls == set(schemas["ScanProfile"]["properties"])
    assert value["ratings"]["distribution"]["5"] == 8 and 0 <= value["grade"]["score"] <= 1000


async def test_no_example_is_random_filler(doc: dict[str, Any]) -> None:
    """Litestar's generated examples (score 6683, ids like "KTvsAKPF…") are switched off."""
    import re

    text = str(doc)
    assert not re.search(r"'(subject_id|id|store_id)': '[A-Za-z]{20}'", text)
    assert "6683" not in text and "82691149" not in text


async def test_every_get_has_a_documented_head_twin(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        if "get" in item:
            head = item["head"]
            assert head["operationId"] == "Head" + item["get"]["operationId"]
            assert set(head["responses"]) == set(item["get"]["responses"])
            assert all("content" not in r for r in head["responses"].values()), path


@pytest.mark.parametrize("path", ["/health", "/api/v1/stores", "/.well-known/jwks.json",
                                  "/schema/openapi.json"])
async def test_head_answers_like_get_without_a_body(client: Client, path: str) -> None:
    get = await client.get(path)
    head = await client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


async def test_head_on_codes_images_and_posters_and_no_scan_is_counted(
        client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    counter = client.app.state.codes.counter
    in_app(client, counter.flush)
    for path in (f"/c/{token}", f"/api/v1/scan/{token}", f"/api/v1/codes/{token}.png",
                 f"/api/v1/codes/{token}.svg", f"/api/v1/codes/{token}/poster.png"):
        get, head = await client.get(path), await client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and int(head.headers["content-length"]) == len(get.content)
        assert head.headers["content-type"] == get.headers["content-type"]
    in_app(client, counter.flush)
    assert await conn.fetchval("SELECT sum(count) FROM scan_daily") == 2  # the two GET scans


async def test_head_of_an_error_answers_its_status_without_a_body(client: Client) -> None:
    head = await client.head("/api/v1/scan/" + "A" * 117)
    assert head.status_code == 404 and head.content == b""
    bad = await client.head("/api/v1/audit", headers=auth("not-a-token"))
    assert bad.status_code == 401 and bad.content == b""
    assert_problem(await client.get("/api/v1/scan/" + "A" * 117), 404, "unknown-code")
