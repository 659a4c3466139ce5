"""诚信码 over HTTP: bad tokens never 500, images (ETag/304), posters, scan statistics."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.codes.conftest import Client, b32, business, code_of, in_app, varint
from tests.conftest import app_at, assert_problem, auth, make_token
from xinyi_api.bls import BlsPrivateKey
from xinyi_api.codes.render import SERVED_BORDERS, SERVED_SCALES
from xinyi_api.codes.token import encode_code_token, parse_code_token, peek_key_number
from xinyi_api.settings import Settings

# --- bad tokens: 404 problem+json or the friendly page, never a 500 ----------------------------


def _v2(key_number: int, serial: int, signature: bytes) -> str:
    """A well-formed version-2 token with whatever signature bytes."""
    return b32(b"\x02" + varint(key_number) + varint(serial) + signature)


async def _check_refused(client: Client, token: str) -> None:
    r = await client.get(f"/api/v1/scan/{token}")
    assert r.status_code in (404, 410), (token, r.status_code, r.text)
    assert_problem(r, r.status_code)
    page = await client.get(f"/c/{token}")
    assert page.status_code in (404, 410), (token, page.status_code)
    assert page.headers["content-type"].startswith("text/html")
    assert "诚信码" in page.text


async def test_forged_truncated_and_random_tokens_get_404_and_the_friendly_page(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    code = await code_of(client, store["id"])
    genuine, serial = code["token"], code["serial"]
    key_number = peek_key_number(genuine)
    assert parse_code_token(genuine).version == 2
    impostor = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    bls_impostor = BlsPrivateKey(9_999_999)
    cases = [
        encode_code_token(serial, key_number, bls_impostor),  # re-signed with a wrong BLS key
        encode_code_token(1, key_number, impostor),  # version 1 naming the BLS key
        encode_code_token(999_999, 77, impostor),  # unknown key number
        encode_code_token(999_999, 77, bls_impostor),
        _v2(key_number, serial, bytes(48)),  # the code's serial and key, a made-up signature
        _v2(key_number, serial, bytes([0xC0]) + bytes(47)),  # the identity point
        _v2(key_number, 2**34, parse_code_token(genuine).signature),  # genuine bytes, new serial
        genuine[:-1],  # truncated
        genuine[:-2] + ("A" if genuine[-2] != "A" else "B") + genuine[-1],  # mutated
        genuine + "AA",  # extended
        "A" * 117,  # random base32
        "not-a-token",
        "%00" * 40,
        "x" * 5000,
    ]
    for token in cases:
        await _check_refused(client, token)
    r = await client.get(f"/api/v1/scan/{cases[0]}")
    assert_problem(r, 404, "unknown-code")
    page = await client.get(f"/C/{cases[0]}")
    assert page.status_code == 404 and "无法识别" in page.text
    assert (await client.get(f"/api/v1/scan/{genuine}")).status_code == 200


async def test_forged_version_2_tokens_cost_no_pairing_and_one_signature_per_code(
    client: Client, dept_headers: dict[str, str], second_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server never verifies a BLS signature (a pairing, ~1.5 ms): it confirms a token
    against the code row by recomputing the code's own token, once per code and worker."""
    # No stored profile (and no stored token digest, which would answer without any signature):
    # the background builders stay off, so the cold path is the one measured.
    for c in (client, second_client):
        in_app(c, c.app.state.codes.materialiser.stop)
    _, store = await business(client, dept_headers)
    code = await code_of(client, store["id"])
    key_number, serial = peek_key_number(code["token"]), code["serial"]

    def no_pairing(*_: Any) -> None:
        raise AssertionError("the scan path ran a BLS pairing")

    signatures: list[bytes] = []
    real_sign = BlsPrivateKey.sign

    def counting_sign(self: BlsPrivateKey, message: bytes) -> bytes:
        signatures.append(message)
        return real_sign(self, message)

    monkeypatch.setattr("xinyi_api.bls.BlsPublicKey.verify", no_pairing)
    monkeypatch.setattr(BlsPrivateKey, "sign", counting_sign)
    # A second worker: its token cache is cold.
    for i in range(30):
        forged = _v2(key_number, serial, i.to_bytes(48, "big"))
        assert_problem(await second_client.get(f"/api/v1/scan/{forged}"), 404, "unknown-code")
    assert len(signatures) == 1  # the code's genuine token, computed once and cached
    for i in range(30):  # serials nobody issued: refused after one indexed look-up, no crypto
        forged = _v2(key_number, 10**9 + i, bytes(48))
        assert_problem(await second_client.get(f"/api/v1/scan/{forged}"), 404, "unknown-code")
    assert len(signatures) == 1
    r = await second_client.get(f"/api/v1/scan/{code['token']}")
    assert r.status_code == 200 and r.json()["subject_id"] == store["id"]
    assert len(signatures) == 1


async def test_any_mutation_of_a_genuine_token_is_refused_over_http(
    client: Client, dept_headers: dict[str, str]
) -> None:
    """A property test over the live endpoints (hypothesis drives them from a worker thread)."""
    _, store = await business(client, dept_headers)
    genuine = (await code_of(client, store["id"]))["token"]
    genuine_key, genuine_serial = peek_key_number(genuine), parse_code_token(genuine).serial
    loop = asyncio.get_running_loop()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz019=-_."

    def run(token: str) -> None:
        asyncio.run_coroutine_threadsafe(_check_refused(client, token), loop).result(timeout=30)

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(
        st.one_of(
            st.tuples(st.integers(0, len(genuine) - 1), st.sampled_from(alphabet)).map(
                lambda c: genuine[: c[0]] + c[1] + genuine[c[0] + 1 :]),
            st.integers(0, len(genuine) - 1).map(lambda i: genuine[:i] + genuine[i + 1 :]),
            st.binary(min_size=60, max_size=80).map(b32),
            st.text(alphabet=alphabet, min_size=1, max_size=140),
            # Well-formed version-2 tokens naming the genuine key: the code's own serial or any
            # other, with random signature bytes — these reach the code look-up and the check.
            st.tuples(st.sampled_from([genuine_serial, genuine_serial + 1]) | st.integers(1, 2**40),
                      st.binary(min_size=48, max_size=48)).map(
                lambda c: _v2(genuine_key, c[0], c[1])),
        )
    )
    def prop(token: str) -> None:
        if token.upper() == genuine:
            return
        run(token)

    failure: list[BaseException] = []

    def in_thread() -> None:
        try:
            prop()
        except BaseException as exc:
            failure.append(exc)

    # The loop stays free to serve the requests the thread submits to it.
    await asyncio.to_thread(in_thread)
    if failure:
        raise failure[0]


# --- images -------------------------------------------------------------------------------------


def _decode(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    return [b.text for b in zxingcpp.read_barcodes(image.convert("L"))]


async def test_png_decodes_to_the_exact_code_url(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    info = await code_of(client, store["id"])
    r = await client.get(f"/api/v1/codes/{info['token']}.png")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert _decode(r.content) == [info["code_url"]]
    assert info["code_url"] == f"HTTPS://XINYI.HUAINAN.GOV.CN/C/{info['token']}"
    small = await client.get(f"/api/v1/codes/{info['token']}.png", params={"scale": 4})
    assert Image.open(io.BytesIO(small.content)).size[0] < Image.open(
        io.BytesIO(r.content)).size[0]


async def test_a_new_code_behind_a_30_character_base_url_prints_as_qr_version_5(
    settings: Settings, dept_headers: dict[str, str]
) -> None:
    base = "https://xinyi.huainan.gov.cn/x"
    assert len(base) == 30
    async with AsyncTestClient(app=app_at(replace(settings, public_base_url=base))) as c:
        _, store = await business(c, dept_headers)
        info = await code_of(c, store["id"])
        assert info["code_url"] == f"HTTPS://XINYI.HUAINAN.GOV.CN/X/C/{info['token']}"
        prefix = f"/api/v1/codes/{info['token']}"
        for path in (f"{prefix}.png", f"{prefix}/poster.png"):
            r = await c.get(path)
            assert r.status_code == 200, r.text
            (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)).convert("L"))
            assert barcode.text == info["code_url"]
            assert (barcode.extra["Version"], barcode.ec_level) == ("5", "M"), path


async def test_svg_is_served_with_its_media_type(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    r = await client.get(f"/api/v1/codes/{token.lower()}.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<?xml") and "<path" in r.text


OUT_OF_SET = [{"scale": 0}, {"scale": 5}, {"scale": 9}, {"scale": 33}, {"scale": 40},
              {"scale": 1000}, {"border": 3}, {"border": 5}, {"border": 40},
              {"scale": 8, "border": 9}]


async def test_only_the_documented_image_variants_are_served(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    for ext in ("png", "svg"):
        for params in OUT_OF_SET:
            r = await client.get(f"/api/v1/codes/{token}.{ext}", params=params)
            body = assert_problem(r, 422, "unsupported-image-variant")
            name = "scale" if params.get("scale", 8) not in SERVED_SCALES else "border"
            assert body["parameter"] == name and str(params[name]) in body["detail"], params
            assert body["allowed"] == list(SERVED_SCALES if name == "scale" else SERVED_BORDERS)
    assert client.app.state.codes.renderer.renders == 0


async def test_every_served_variant_is_rendered_once_then_cached(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    variants = [(ext, scale, border) for ext in ("png", "svg") for scale in SERVED_SCALES
                for border in SERVED_BORDERS]
    for _ in range(2):  # e.g. a crawler walking every variant twice, cache-busting to no avail
        for ext, scale, border in variants:
            r = await client.get(f"/api/v1/codes/{token}.{ext}",
                                 params={"scale": scale, "border": border, "nonce": "x"})
            assert r.status_code == 200, r.text
            assert r.headers["cache-control"].startswith("public, max-age=")
    assert client.app.state.codes.renderer.renders == len(variants) == 16


def test_docs_list_the_served_variants() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "codes.md").read_text("utf-8")
    row = next(line for line in docs.splitlines() if "`.svg`" in line and "scale" in line)
    assert all(f"{n}" in row for n in (*SERVED_SCALES, *SERVED_BORDERS))


async def test_image_etag_is_content_addressed_and_if_none_match_gets_304(
    client: Client, second_client_factory: Any, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    first = await client.get(f"/api/v1/codes/{token}.png")
    etag = first.headers["etag"]
    assert etag.startswith('"') and "max-age" in first.headers["cache-control"]
    again = await client.get(f"/api/v1/codes/{token}.png")
    assert again.headers["etag"] == etag and again.content == first.content
    cached = await client.get(f"/api/v1/codes/{token}.png", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert (await client.get(f"/api/v1/codes/{token}.png",
                             headers={"If-None-Match": f'W/{etag}, "x"'})).status_code == 304
    other_size = await client.get(f"/api/v1/codes/{token}.png", params={"scale": 4},
                                  headers={"If-None-Match": etag})
    assert other_size.status_code == 200 and other_size.headers["etag"] != etag
    # Another worker computes the same ETag without sharing anything.
    async with second_client_factory() as other:
        assert (await other.get(f"/api/v1/codes/{token}.png")).headers["etag"] == etag
    renderer = client.app.state.codes.renderer
    assert renderer.renders == 2  # the 8 px PNG once, the 4 px one once


async def test_poster_decodes_and_names_the_store_but_no_grade(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    info = await code_of(client, store["id"])
    r = await client.get(f"/api/v1/codes/{info['token']}/poster.png")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert _decode(r.content) == [info["code_url"]]
    assert Image.open(io.BytesIO(r.content)).size == (1748, 2480)  # A5 at 300 dpi
    etag = r.headers["etag"]
    assert (await client.get(f"/api/v1/codes/{info['token']}/poster.png",
                             headers={"If-None-Match": etag})).status_code == 304
    # A new store name is a new poster.
    await client.patch(f"/api/v1/stores/{store['id']}", headers=dept_headers,
                       json={"name": "老韩家牛肉汤(新店名)"})
    client.app.state.codes.profiles.invalidate([store["id"]])
    renamed = await client.get(f"/api/v1/codes/{info['token']}/poster.png")
    assert renamed.headers["etag"] != etag


async def test_images_of_bad_tokens_are_404_problems(client: Client) -> None:
    for path in ("/api/v1/codes/AAAA.png", "/api/v1/codes/whatever", "/api/v1/codes/A.gif",
                 "/api/v1/codes/" + "A" * 117 + "/poster.png"):
        assert_problem(await client.get(path), 404)


# --- scan statistics ----------------------------------------------------------------------------


async def test_scans_are_counted_per_day_after_a_flush_without_double_counting(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    enterprise, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    counter = client.app.state.codes.counter
    in_app(client, counter.flush)
    for _ in range(3):
        await client.get(f"/api/v1/scan/{token}")
    await client.get(f"/c/{token}")
    await client.get(f"/api/v1/codes/{token}.png")  # downloading the image is not a scan
    await client.get(f"/api/v1/scan/{'A' * 117}")  # nor is a forged code
    assert in_app(client, counter.flush) == 4
    assert in_app(client, counter.flush) == 0
    today = client.app.state.clock.today()
    rows = await conn.fetch("SELECT subject_id, day, count FROM scan_daily")
    assert [(r["subject_id"], r["day"], r["count"]) for r in rows] == [(store["id"], today, 4)]
    await client.get(f"/api/v1/scan/{token}")
    in_app(client, counter.flush)
    assert await conn.fetchval("SELECT count FROM scan_daily WHERE subject_id = $1",
                               store["id"]) == 5

    r = await client.get(f"/api/v1/stores/{store['id']}/scan-stats", headers=dept_headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["total"] == 5
    assert stats["days"] == [{"day": today.isoformat(), "count": 5}]
    assert stats["since"] == (today - timedelta(days=29)).isoformat()
    ent = await client.get(f"/api/v1/enterprises/{enterprise['id']}/scan-stats",
                           headers=dept_headers)
    assert ent.json()["total"] == 0


async def test_a_failed_flush_keeps_its_counts_for_the_next_one(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    _, store = await business(client, dept_headers)
    token = (await code_of(client, store["id"]))["token"]
    counter = client.app.state.codes.counter
    in_app(client, counter.flush)
    await client.get(f"/api/v1/scan/{token}")
    real_pool = counter._pool

    class Broken:
        def acquire(self) -> Any:
            raise OSError("database away")

    counter._pool = lambda: Broken()
    with pytest.raises(OSError):
        in_app(client, counter.flush)
    counter._pool = real_pool
    assert in_app(client, counter.flush) == 1
    assert await conn.fetchval("SELECT sum(count) FROM scan_daily") == 1


async def test_scan_stats_are_for_departments_and_the_owning_merchant_only(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    enterprise, store = await business(client, dept_headers)
    await conn.execute("INSERT INTO merchant_links (merchant_id, enterprise_id) VALUES ($1, $2)",
                       "m-own", enterprise["id"])
    url = f"/api/v1/stores/{store['id']}/scan-stats"
    assert_problem(await client.get(url), 401)
    consumer = auth(make_token(client.app, "consumer", sub="c-1"))
    assert_problem(await client.get(url, headers=consumer), 403)
    other = auth(make_token(client.app, "merchant", sub="m-other"))
    assert_problem(await client.get(url, headers=other), 404)
    elsewhere = auth(make_token(client.app, dept="scjg_tja", region="340402"))
    assert_problem(await client.get(url, headers=elsewhere), 403)
    own = auth(make_token(client.app, "merchant", sub="m-own"))
    assert (await client.get(url, headers=own)).status_code == 200
    r = await client.get(url, headers=own, params={"since": "2025-02-01", "until": "2025-01-01"})
    assert_problem(r, 422, "invalid-range")
