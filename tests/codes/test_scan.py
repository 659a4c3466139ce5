"""Scanning a 诚信码: issued on creation, live profile, invalidation across workers, reissue."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import asyncpg
import pytest

from tests.codes.conftest import (
    Client,
    business,
    code_of,
    create_store,
    eventually,
    in_app,
    penalty,
)
from tests.conftest import SHANGHAI, PgServer, assert_problem, auth, make_token
from xinyi_api.bls import BlsPublicKey
from xinyi_api.clock import local_date
from xinyi_api.codes.token import decode_code_token, encode_code_token, parse_code_token
from xinyi_api.db.migrate import MigrationSource, core_migrations_dir, core_source, migrate
from xinyi_api.db.pool import connect
from xinyi_api.keys import create_key
from xinyi_api.settings import Settings


def token_of(code_url: str) -> str:
    return code_url.rsplit("/C/", 1)[1]


# --- issuing ------------------------------------------------------------------------------------


async def test_codes_are_issued_when_enterprises_and_stores_are_created(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    enterprise, store = await business(client, dept_headers)
    rows = await conn.fetch("SELECT subject_id, status, key_number FROM codes ORDER BY serial")
    assert [(r["subject_id"], r["status"]) for r in rows] == [
        (enterprise["id"], "active"), (store["id"], "active")]
    newest = await conn.fetchval(
        "SELECT max(number) FROM signing_keys WHERE purpose = 'code' AND retired_at IS NULL")
    assert {r["key_number"] for r in rows} == {newest}

    # Profiles and search items carry the URL printed in the QR.
    assert enterprise["code_url"].startswith("HTTPS://XINYI.HUAINAN.GOV.CN/C/")
    assert store["code_url"].startswith("HTTPS://XINYI.HUAINAN.GOV.CN/C/")
    search = (await client.get("/api/v1/stores", params={"q": "洞山"})).json()
    assert search["items"][0]["code_url"] == store["code_url"]
    assert (await client.get(f"/api/v1/enterprises/{enterprise['id']}")).json()["code_url"] == (
        enterprise["code_url"])
    code = await code_of(client, store["id"])
    assert code["code_url"] == store["code_url"]
    assert code["key_id"] == f"code-{newest}"
    keys = client.app.state.key_store.public_keys("code")
    assert decode_code_token(token_of(store["code_url"]), keys).serial == code["serial"]


async def test_subjects_created_before_the_codes_migration_are_backfilled(
    pg_server: PgServer, tmp_path: Path
) -> None:
    name = "codes_backfill_test"
    admin = await asyncpg.connect(pg_server.admin_url)
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    older = tmp_path / "migrations"
    older.mkdir()
    for path in sorted(core_migrations_dir().glob("00[0-9][0-9]_*.sql")):
        (older / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    conn = await connect(pg_server.url(name))
    try:
        await migrate(conn, [MigrationSource("core", older)])
        await conn.execute(
            "INSERT INTO subjects (id, type, uscc, name, region_code, industry)"
            " VALUES ('E00000001', 'enterprise', '91340403MA0000001X', '老店', '340403', 'retail')")
        await conn.execute(
            "INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry)"
            " VALUES ('S00000001', 'store', 'E00000001', '老店一号', '340403', 'retail')")
        await migrate(conn, [core_source()])
        rows = await conn.fetch("SELECT subject_id, status FROM codes ORDER BY subject_id")
        assert [(r["subject_id"], r["status"]) for r in rows] == [
            ("E00000001", "active"), ("S00000001", "active")]
    finally:
        await conn.close()
        admin = await asyncpg.connect(pg_server.admin_url)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_jwks_publishes_the_bls_code_keys_that_verify_issued_tokens_offline(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    r = await client.get("/.well-known/jwks.json")
    assert r.headers["access-control-allow-origin"] == "*"
    code_keys = [k for k in r.json()["keys"] if k["kid"].startswith("code-")]
    assert [k["kid"] for k in code_keys] == ["code-1"]
    (jwk,) = code_keys
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}  # public only: no "d"
    assert (jwk["kty"], jwk["crv"], jwk["use"]) == ("OKP", "Bls12381G2", "sig")
    assert jwk["alg"] == "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert len(x) == 96
    # What the mini-program does: the JWKS alone verifies the printed token.
    token = token_of(store["code_url"])
    decoded = decode_code_token(token, {1: BlsPublicKey.from_bytes(x)})
    assert decoded.serial == (await code_of(client, store["id"]))["serial"]


# --- the scan profile ---------------------------------------------------------------------------


async def test_scan_shows_the_subject_store_and_live_grade(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    r = await client.get(f"/api/v1/scan/{token}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["subject_id"] == store["id"]
    assert body["subject_type"] == "store"
    assert body["store"] == {"id": store["id"], "name": store["name"], "closed": False}
    assert body["enterprise"]["id"] == enterprise["id"]
    assert body["enterprise"]["name"] == enterprise["name"]
    assert body["closed"] is False
    assert body["grade"]["grade"] == "unrated"
    assert body["records"] == []
    assert body["ratings"] is None
    assert body["badges"] == []
    # Lower case (a human typing it) scans too, and the enterprise's own code works.
    assert (await client.get(f"/api/v1/scan/{token.lower()}")).json() == body
    own = (await client.get(f"/api/v1/scan/{token_of(enterprise['code_url'])}")).json()
    assert own["subject_id"] == enterprise["id"] and own["store"] is None


async def test_a_repeated_scan_is_served_from_the_cache(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    profiles = client.app.state.codes.profiles
    assert profiles.enabled
    await client.get(f"/api/v1/scan/{token}")
    hits = profiles.hits
    for _ in range(3):
        assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200
    assert profiles.hits == hits + 3


async def test_a_worker_reports_what_its_scan_cache_did(
    client: Client, dept_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    # What the benchmark reads from each worker (kill -USR1 <pid> logs it).
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    runtime = client.app.state.codes
    before = runtime.stats()
    for _ in range(3):
        assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200
    after = runtime.stats()
    assert after["hits"] - before["hits"] == 2 and after["misses"] - before["misses"] == 1
    assert after["entries"] >= 1 and after["bytes"] > 0
    with caplog.at_level(logging.WARNING, logger="xinyi_api.codes.runtime"):
        runtime.log_stats()
    assert f"scan cache stats pid={after['pid']} hits={after['hits']}" in caplog.text


async def test_a_new_record_shows_on_another_instances_scan_within_two_seconds(
    client: Client, second_client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    before = (await second_client.get(f"/api/v1/scan/{token}")).json()  # now cached on B
    assert before["grade"]["grade"] == "unrated" and before["records"] == []
    assert len(second_client.app.state.codes.profiles) >= 1

    today = client.app.state.clock.today().isoformat()
    r = await client.post(f"/api/v1/subjects/{store['id']}/records", headers=dept_headers,
                          json=penalty(today))
    assert r.status_code == 201, r.text
    new_grade = r.json()["grade"]["grade"]
    assert new_grade != "unrated"

    async def b_sees_it() -> bool:
        body = (await second_client.get(f"/api/v1/scan/{token}")).json()
        return bool(body["grade"]["grade"] == new_grade and len(body["records"]) == 1)

    await eventually(b_sees_it, within=2.0)
    body = (await second_client.get(f"/api/v1/scan/{token}")).json()
    assert body["records"][0]["title"] == "后厨卫生不达标"
    assert body["grade"]["summary"][0]["points"] < 0
    # graded_on: the day (in 淮南) the grade took its value, whatever the server's zone.
    changed = await conn.fetchval("SELECT computed_at FROM grades WHERE subject_id = $1 AND "
                                  "scheme = 'public'", store["id"])
    assert body["grade"]["graded_on"] == local_date(changed, SHANGHAI).isoformat()


async def test_closing_a_store_shows_it_closed(
    client: Client, second_client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    assert (await second_client.get(f"/api/v1/scan/{token}")).json()["closed"] is False
    r = await client.patch(f"/api/v1/stores/{store['id']}", headers=dept_headers,
                           json={"closed": True, "closed_reason": "店面转让"})
    assert r.status_code == 200, r.text

    async def closed() -> bool:
        return bool((await second_client.get(f"/api/v1/scan/{token}")).json()["closed"])

    await eventually(closed)
    body = (await second_client.get(f"/api/v1/scan/{token}")).json()
    assert body["store"]["closed"] is True and body["closed_reason"] == "店面转让"
    page = await second_client.get(f"/C/{token}")
    assert page.status_code == 200
    assert "已歇业" in page.text and "店面转让" in page.text


async def test_closing_an_enterprise_closes_its_stores_scans(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    await client.get(f"/api/v1/scan/{token}")
    r = await client.patch(f"/api/v1/enterprises/{enterprise['id']}", headers=dept_headers,
                           json={"closed": True})
    assert r.status_code == 200, r.text

    async def closed() -> bool:
        body = (await client.get(f"/api/v1/scan/{token}")).json()
        return bool(body["closed"] and body["enterprise"]["closed"])

    await eventually(closed)


async def test_without_a_listener_scans_bypass_the_cache(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    runtime = client.app.state.codes
    in_app(client, runtime.listener.stop)
    assert not runtime.profiles.enabled
    await client.get(f"/api/v1/scan/{token}")
    assert len(runtime.profiles) == 0
    today = client.app.state.clock.today().isoformat()
    await client.post(f"/api/v1/subjects/{store['id']}/records", headers=dept_headers,
                      json=penalty(today))
    # No notification can arrive, yet the very next scan is current.
    assert len((await client.get(f"/api/v1/scan/{token}")).json()["records"]) == 1


# --- reissue ------------------------------------------------------------------------------------


async def test_reissue_replaces_the_old_code_with_410_and_the_new_one_works(
    client: Client, second_client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    _, store = await business(client, dept_headers)
    old = token_of(store["code_url"])
    assert (await second_client.get(f"/api/v1/scan/{old}")).status_code == 200  # cached on B
    r = await client.post(f"/api/v1/codes/{store['id']}/reissue", headers=dept_headers,
                          json={"reason": "贴纸被复制到其他店铺"})
    assert r.status_code == 201, r.text
    info = r.json()
    new = info["token"]
    assert new != old and info["code_url"].endswith("/C/" + new)
    assert info["replaced_serials"] and info["serial"] not in info["replaced_serials"]
    audited = await conn.fetchrow("SELECT action, endpoint, department FROM audit_log"
                                  " WHERE action = 'code.reissue' AND subject_id = $1", store["id"])
    assert audited["department"] == "scjg"
    assert audited["endpoint"] == "POST /api/v1/codes/{subject_id}/reissue"

    assert_problem(await client.get(f"/api/v1/scan/{old}"), 410, "code-replaced")

    async def b_refuses_old() -> bool:
        return (await second_client.get(f"/api/v1/scan/{old}")).status_code == 410

    await eventually(b_refuses_old)
    page = await second_client.get(f"/c/{old}")
    assert page.status_code == 410
    assert page.headers["content-type"].startswith("text/html")
    assert "已被替换" in page.text and store["name"] not in page.text
    assert_problem(await client.get(f"/api/v1/codes/{old}.png"), 410, "code-replaced")

    scanned = (await second_client.get(f"/api/v1/scan/{new}")).json()
    assert scanned["subject_id"] == store["id"]
    assert (await client.get(f"/api/v1/stores/{store['id']}")).json()["code_url"] == (
        info["code_url"])


async def test_a_linked_merchant_may_reissue_and_another_may_not(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    enterprise, store = await business(client, dept_headers)
    await conn.execute("INSERT INTO merchant_links (merchant_id, enterprise_id) VALUES ($1, $2)",
                       "m-own", enterprise["id"])
    own = auth(make_token(client.app, "merchant", sub="m-own"))
    other = auth(make_token(client.app, "merchant", sub="m-other"))
    consumer = auth(make_token(client.app, "consumer", sub="c-1"))
    body = {"reason": "贴纸损坏"}
    url = f"/api/v1/codes/{store['id']}/reissue"
    assert_problem(await client.post(url, json=body), 401)
    assert_problem(await client.post(url, headers=consumer, json=body), 403)
    assert_problem(await client.post(url, headers=other, json=body), 404)
    r = await client.post(url, headers=own, json=body)
    assert r.status_code == 201, r.text


async def test_a_department_outside_the_region_may_not_reissue(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    elsewhere = auth(make_token(client.app, dept="scjg_tja", region="340402"))
    r = await client.post(f"/api/v1/codes/{store['id']}/reissue", headers=elsewhere,
                          json={"reason": "x"})
    assert_problem(r, 403, "out-of-region")


# --- key rotation -------------------------------------------------------------------------------


async def test_new_codes_use_a_new_code_key_and_old_codes_still_scan(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection, settings: Settings
) -> None:
    enterprise, old_store = await business(client, dept_headers)
    old_token = token_of(old_store["code_url"])
    old_kid = (await code_of(client, old_store["id"]))["key_id"]

    kid = await create_key(conn, "code", settings.secret_key)
    in_app(client, client.app.state.key_store.load)
    assert kid != old_kid

    new_store = await create_store(client, dept_headers, enterprise["id"], "老韩家(龙湖店)")
    assert (await code_of(client, new_store["id"]))["key_id"] == kid
    new_token = token_of(new_store["code_url"])
    assert (await client.get(f"/api/v1/scan/{new_token}")).json()["subject_id"] == new_store["id"]
    assert (await client.get(f"/api/v1/scan/{old_token}")).json()["subject_id"] == old_store["id"]
    jwks = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert {old_kid, kid} <= {k["kid"] for k in jwks}


async def test_a_code_whose_key_was_retired_no_longer_scans(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection, settings: Settings
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200  # verified, cached
    old_kid = (await code_of(client, store["id"]))["key_id"]
    await create_key(conn, "code", settings.secret_key)
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE kid = $1", old_kid)
    in_app(client, client.app.state.key_store.load)
    assert_problem(await client.get(f"/api/v1/scan/{token}"), 404, "unknown-code")


async def test_version_1_codes_keep_scanning_after_rotating_from_ed25519_to_bls(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection, settings: Settings
) -> None:
    # A deployment from before version 2: its newest code key is an Ed25519 key.
    ed_kid = await create_key(conn, "code", settings.secret_key, algorithm="Ed25519")
    in_app(client, client.app.state.key_store.load)
    enterprise, old_store = await business(client, dept_headers)
    old = await code_of(client, old_store["id"])
    assert old["key_id"] == ed_kid
    assert parse_code_token(old["token"]).version == 1 and len(old["token"]) >= 108

    bls_kid = await create_key(conn, "code", settings.secret_key)  # keys rotate --purpose code
    in_app(client, client.app.state.key_store.load)
    new_store = await create_store(client, dept_headers, enterprise["id"], "老韩家(龙湖店)")
    new = await code_of(client, new_store["id"])
    assert new["key_id"] == bls_kid
    assert parse_code_token(new["token"]).version == 2 and len(new["token"]) <= 88

    # No re-signing: the old code still carries the version-1 token printed on its sticker.
    assert (await code_of(client, old_store["id"]))["token"] == old["token"]
    for code, store in ((old, old_store), (new, new_store)):
        for path in (f"/api/v1/scan/{code['token']}", f"/api/v1/scan/{code['token'].lower()}"):
            r = await client.get(path)
            assert r.status_code == 200 and r.json()["subject_id"] == store["id"], path
    jwks = {k["kid"]: k for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert (jwks[ed_kid]["crv"], jwks[bls_kid]["crv"]) == ("Ed25519", "Bls12381G2")

    # Retiring the Ed25519 key ends its stickers (reissue them first); version 2 is unaffected.
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE kid = $1", ed_kid)
    in_app(client, client.app.state.key_store.load)
    assert_problem(await client.get(f"/api/v1/scan/{old['token']}"), 404, "unknown-code")
    assert (await client.get(f"/api/v1/scan/{new['token']}")).status_code == 200


async def test_a_token_signed_by_another_live_key_than_the_codes_is_refused(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection, settings: Settings
) -> None:
    _, store = await business(client, dept_headers)
    code = await code_of(client, store["id"])
    other = await create_key(conn, "code", settings.secret_key)
    in_app(client, client.app.state.key_store.load)
    keys = client.app.state.key_store
    other_key = keys.by_kid(other)
    # A valid signature by a live key of ours — but not the key this code was issued with.
    resigned = encode_code_token(code["serial"], other_key.number, keys.any_private_key(other_key))
    assert decode_code_token(resigned, keys.public_keys("code")).serial == code["serial"]
    assert_problem(await client.get(f"/api/v1/scan/{resigned}"), 404, "unknown-code")
    assert (await client.get(f"/api/v1/scan/{code['token']}")).status_code == 200


# --- the H5 page --------------------------------------------------------------------------------


async def test_h5_page_is_served_at_lower_and_upper_case_paths(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    for path in (f"/c/{token}", f"/C/{token}", f"/c/{token.lower()}"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert store["name"].replace("(", "(") in r.text
        assert enterprise["name"] in r.text
        assert "实时信用等级" in r.text
        assert 'lang="zh-CN"' in r.text


async def test_h5_page_escapes_user_supplied_names(
    client: Client, dept_headers: dict[str, str]
) -> None:
    enterprise, _ = await business(client, dept_headers)
    evil = await create_store(client, dept_headers, enterprise["id"],
                              "<script>alert(1)</script>")
    page = (await client.get(f"/c/{token_of(evil['code_url'])}")).text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_h5_page_loads_nothing_from_elsewhere(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    r = await client.get(f"/c/{token_of(store['code_url'])}")
    page = r.text
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.IGNORECASE)
    assert not re.search(r"src\s*=|url\(|@import|https?://", page, re.IGNORECASE)
    # Links are only taps that leave the page (a call, the mini-program), never loads.
    links = re.findall(r'href\s*=\s*"([^"]*)"', page, re.IGNORECASE)
    assert links and all(h.startswith(("tel:", "weixin://dl/business/?")) for h in links), links
    assert "<style>" in page
    assert "default-src 'none'" in r.headers["content-security-policy"]
