"""A JSON endpoint used to parse whatever it was sent as JSON; now anything but
``application/json`` (UTF-8) is 415 ``unsupported-media-type`` naming the header."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_problem, uscc
from tests.input.conftest import error_keys, nothing_written

BODY = json.dumps({"uscc": uscc(9), "name": "张记牛肉汤", "region_code": "340403",
                   "industry": "beef_soup"}).encode()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1",
                                          "application/merge-patch+json", "multipart/form-data"])
async def test_a_body_that_is_not_application_json_is_415(client, conn, dept_headers,
                                                         content_type) -> None:
    headers = dict(dept_headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with nothing_written(conn):
        r = await client.post("/api/v1/enterprises", content=BODY, headers=headers)
        body = assert_problem(r, 415, "unsupported-media-type")
    assert error_keys(body) == ["Content-Type"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8",
                                          "Application/JSON"])
async def test_application_json_in_utf8_is_accepted(client, dept_headers, content_type) -> None:
    r = await client.post("/api/v1/enterprises", content=BODY,
                          headers={**dept_headers, "Content-Type": content_type})
    assert r.status_code == 201, r.text
