"""Posters over HTTP: the old URL, sizes and formats, refusals, labels, a closed business."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.codes.conftest import Client, business, code_of
from tests.codes.test_poster import page_text, pdf_pages
from tests.codes.test_render import decode_all
from tests.conftest import assert_problem


@pytest.mark.parametrize(
    ("path", "params", "kind", "expected"),
    [
        ("poster.png", {}, "png", (1748, 2480)),
        ("poster.png", {"size": "A4"}, "png", (2480, 3508)),
        ("poster.pdf", {}, "pdf", (148, 210)),
        ("poster", {"format": "pdf", "size": "a4"}, "pdf", (210, 297)),
        ("poster", {}, "png", (1748, 2480)),
    ],
)
async def test_every_poster_variant_decodes_to_the_code_url(
    client: Client, dept_headers: dict[str, str], path: str, params: dict[str, str],
    kind: str, expected: tuple[int, int],
) -> None:
    _, store = await business(client, dept_headers)
    info = await code_of(client, store["id"])
    r = await client.get(f"/api/v1/codes/{info['token']}/{path}", params=params)
    assert r.status_code == 200, r.text
    if kind == "png":
        assert r.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(r.content))
        assert image.size == expected
    else:
        assert r.headers["content-type"] == "application/pdf"
        ((mm, image),) = pdf_pages(r.content, dpi=100)
        assert mm == pytest.approx(expected, abs=0.05)
    assert decode_all(image) == [info["code_url"]]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("poster.png", {"size": "A3"}, "size"),
        ("poster.png", {"size": "letter"}, "size"),
        ("poster", {"format": "jpg"}, "format"),
        ("poster.png", {"format": "pdf"}, "format"),
        ("poster.pdf", {"size": "A6"}, "size"),
    ],
)
async def test_unsupported_poster_variants_are_422_naming_the_parameter(
    client: Client, dept_headers: dict[str, str], path: str, params: dict[str, str],
    parameter: str,
) -> None:
    _, store = await business(client, dept_headers)
    info = await code_of(client, store["id"])
    body = assert_problem(await client.get(f"/api/v1/codes/{info['token']}/{path}",
                                           params=params), 422, "unsupported-image-variant")
    assert body["parameter"] == parameter


async def test_an_enterprise_poster_carries_its_uscc_and_a_store_poster_its_number(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, store = await business(client, dept_headers)
    for subject, present, absent in (
        (enterprise, f"统一社会信用代码 {enterprise['uscc']}", "门店编号"),
        (store, f"门店编号 {store['id']}", "统一社会信用代码"),
    ):
        info = await code_of(client, subject["id"])
        r = await client.get(f"/api/v1/codes/{info['token']}/poster.pdf")
        assert r.status_code == 200, r.text
        text = page_text(r.content)
        assert present in text
        assert absent not in text
        assert "发证机关" in text


async def test_a_closed_business_gets_no_poster(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, store = await business(client, dept_headers)
    info = await code_of(client, store["id"])
    r = await client.patch(f"/api/v1/stores/{store['id']}", headers=dept_headers,
                           json={"closed": True, "closed_reason": "停业"})
    assert r.status_code == 200, r.text
    client.app.state.codes.profiles.invalidate([store["id"]])
    for path in ("poster.png", "poster.pdf"):
        assert_problem(await client.get(f"/api/v1/codes/{info['token']}/{path}"), 409,
                       "subject-closed")
    # The enterprise is still open: its poster is served.
    own = await code_of(client, enterprise["id"])
    assert (await client.get(f"/api/v1/codes/{own['token']}/poster.png")).status_code == 200
