"""Mini-program login over a real (fake) WeChat, refresh rotation, dev login, rate limits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import app_at, assert_problem, auth
from tests.consumers.conftest import FakeWechat, with_limits
from xinyi_api.consumers.identity import pseudonym
from xinyi_api.settings import Settings, SettingsError

Client = AsyncTestClient[Litestar]


async def login(client: Client, code: str, role: str = "consumer") -> dict[str, Any]:
    r = await client.post("/api/v1/auth/wechat", json={"code": code, "as": role})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_wechat_login_gives_tokens_for_a_pseudonymous_id_and_never_stores_the_openid(
    client: Client, conn: asyncpg.Connection, settings: Settings
) -> None:
    pair = await login(client, "code-oOPENID_alice")
    assert pair["role"] == "consumer" and pair["token_type"] == "Bearer"
    assert pair["subject"] == pseudonym(settings.secret_key, "consumer", "oOPENID_alice")
    assert pair["subject"].startswith("c_") and pair["expires_in"] == settings.access_token_ttl
    assert FakeWechat.calls[-1]["js_code"] == ["code-oOPENID_alice"]
    # The access token works; the same person gets the same id again, another role another id.
    me = await client.get("/api/v1/me/ratings", headers=auth(pair["access_token"]))
    assert me.status_code == 200, me.text
    assert (await login(client, "code-oOPENID_alice"))["subject"] == pair["subject"]
    merchant = await login(client, "code-oOPENID_alice", "merchant")
    assert merchant["subject"].startswith("m_") and merchant["role"] == "merchant"
    assert merchant["subject"][2:] != pair["subject"][2:]
    rows = [r for table in ("app_accounts", "refresh_tokens", "audit_log")
            for r in await conn.fetch(f"SELECT * FROM {table}")]
    dump = " ".join(str(v) for r in rows for v in r.values())
    assert "OPENID_alice" not in dump and pair["refresh_token"] not in dump


@pytest.mark.parametrize(("code", "status", "slug"), [
    ("bad", 401, "invalid-wechat-code"),
    ("busy", 429, "rate-limited"),
    ("garbage", 502, "wechat-unavailable"),
    ("other", 502, "wechat-error"),
])
async def test_wechat_failures_are_problems(client: Client, code: str, status: int,
                                            slug: str) -> None:
    r = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert_problem(r, status, slug)


async def test_bad_login_bodies_are_refused(client: Client) -> None:
    for body in ({}, {"code": ""}, {"code": "x", "as": "department"}, {"code": "a b"},
                 {"code": "x", "extra": 1}):
        assert_problem(await client.post("/api/v1/auth/wechat", json=body), 400)


async def test_unreachable_wechat_is_a_502(settings: Settings) -> None:
    app = app_at(replace(settings, wechat_api_base="http://127.0.0.1:9"))
    async with AsyncTestClient(app=app) as client:
        assert_problem(await client.post("/api/v1/auth/wechat", json={"code": "code-x"}), 502,
                       "wechat-unavailable")


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(client: Client) -> None:
    first = await login(client, "code-oBob")
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["subject"] == first["subject"]
    # The old token again: a thief (or a confused client) — the whole family dies.
    reuse = await client.post("/api/v1/auth/refresh",
                              json={"refresh_token": first["refresh_token"]})
    assert_problem(reuse, 401, "refresh-token-reused")
    after = await client.post("/api/v1/auth/refresh",
                              json={"refresh_token": second["refresh_token"]})
    assert_problem(after, 401, "refresh-token-revoked")
    # Another login of the same person is a separate family and still works.
    other = await login(client, "code-oBob")
    ok = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200
    assert_problem(await client.post("/api/v1/auth/refresh",
                                     json={"refresh_token": "rt_made-up-token"}), 401,
                   "invalid-refresh-token")


async def test_an_expired_refresh_token_is_refused(client: Client,
                                                  conn: asyncpg.Connection) -> None:
    pair = await login(client, "code-oCarol")
    await conn.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
    assert_problem(await client.post("/api/v1/auth/refresh",
                                     json={"refresh_token": pair["refresh_token"]}), 401,
                   "refresh-token-expired")


async def test_logout_revokes_the_login(client: Client) -> None:
    pair = await login(client, "code-oDan")
    r = await client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 204, r.text
    assert_problem(await client.post("/api/v1/auth/refresh",
                                     json={"refresh_token": pair["refresh_token"]}), 401,
                   "refresh-token-revoked")


async def test_dev_login_exists_only_in_demo_mode(client: Client, settings: Settings) -> None:
    assert_problem(await client.post("/api/v1/auth/dev-login", json={"name": "alice"}), 404)
    schema = (await client.get("/schema/openapi.json")).json()
    description = schema["paths"]["/api/v1/auth/dev-login"]["post"]["description"]
    assert "demo mode" in description and "404" in description
    async with AsyncTestClient(app=app_at(replace(settings, demo=True))) as demo:
        r = await demo.post("/api/v1/auth/dev-login", json={"name": "alice", "as": "merchant"})
        assert r.status_code == 200, r.text
        assert r.json()["subject"] == pseudonym(settings.secret_key, "merchant", "dev:alice")


async def test_login_rate_limit_counts_across_two_workers(settings: Settings) -> None:
    limited = with_limits(settings, ("login_address", 3, 3600))
    async with AsyncTestClient(app=app_at(limited)) as one, \
            AsyncTestClient(app=app_at(limited)) as two:
        statuses = []
        for client in (one, two, one, two):
            r = await client.post("/api/v1/auth/wechat", json={"code": "code-oEve"})
            statuses.append(r.status_code)
        assert statuses == [200, 200, 200, 429]
        body = assert_problem(r, 429, "rate-limited")
        assert body["limit"] == "login_address"
        assert 0 < int(r.headers["retry-after"]) <= 3600


async def test_concurrent_hits_on_two_workers_never_exceed_the_limit(settings: Settings) -> None:
    limited = with_limits(settings, ("login_address", 5, 3600))
    async with AsyncTestClient(app=app_at(limited)) as one, \
            AsyncTestClient(app=app_at(limited)) as two:
        async def attempt(client: Client) -> int:
            r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "rt_nothing-x"})
            return r.status_code

        statuses = await asyncio.gather(*(attempt(c) for c in [one, two] * 8))
    assert statuses.count(401) == 5 and statuses.count(429) == 11


@pytest.mark.parametrize(("env", "variable"), [
    ({"XINYI_WECHAT_APPID": "wx0123456789abcdef"}, "XINYI_WECHAT_SECRET"),
    ({"XINYI_WECHAT_SECRET": "0123456789abcdef"}, "XINYI_WECHAT_APPID"),
    ({"XINYI_WECHAT_APPID": "not-an-appid", "XINYI_WECHAT_SECRET": "0123456789abcdef"},
     "XINYI_WECHAT_APPID"),
    ({"XINYI_WECHAT_API_BASE": "ftp://weixin"}, "XINYI_WECHAT_API_BASE"),
    ({"XINYI_VISIT_WINDOW_HOURS": "0"}, "XINYI_VISIT_WINDOW_HOURS"),
    ({"XINYI_RATE_LIMITS": "rating=ten/60"}, "XINYI_RATE_LIMITS"),
    ({"XINYI_RATE_LIMITS": "nosuch=1/60"}, "XINYI_RATE_LIMITS"),
])
def test_consumer_settings_are_validated(tmp_path: Any, env: dict[str, str],
                                         variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"XINYI_DATA_DIR": str(tmp_path), **env})


def test_consumer_settings_parse(tmp_path: Any) -> None:
    s = Settings.from_env({"XINYI_DATA_DIR": str(tmp_path), "XINYI_VISIT_WINDOW_HOURS": "48",
                           "XINYI_RATE_LIMITS": "rating=20/3600, login=5/60",
                           "XINYI_WECHAT_APPID": "wx0123456789abcdef",
                           "XINYI_WECHAT_SECRET": "0123456789abcdef"})
    assert s.visit_window_hours == 48
    assert s.rate_limits == (("rating", 20, 3600), ("login", 5, 60))
    assert s.wechat_api_base == "https://api.weixin.qq.com"
