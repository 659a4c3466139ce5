"""A store, its code and consumers who scan it: the starting point of the rating tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TEST_SECRET, auth, make_token, uscc
from xinyi_api.consumers.identity import pseudonym
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]
# Generous limits: these tests are about ratings; tests/consumers tests the limits themselves.
GENEROUS = (("rating", 1000, 3600), ("scan", 1000, 60), ("complaint", 1000, 3600))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, secret_key=TEST_SECRET,
                    db_pool_min=1, db_pool_max=4, public_base_url="https://xinyi.huainan.gov.cn",
                    rate_limits=GENEROUS)


def token_of(code_url: str) -> str:
    return code_url.rsplit("/", 1)[-1]


def consumer_id(name: str) -> str:
    return pseudonym(TEST_SECRET, "consumer", f"openid-{name}")


def consumer(app: Litestar, name: str) -> dict[str, str]:
    """Headers of a consumer token (as the WeChat login would issue for ``name``)."""
    return auth(make_token(app, "consumer", sub=consumer_id(name)))


async def veteran(conn: asyncpg.Connection, *names: str) -> None:
    """Accounts created a year ago (not "new accounts" for the burst rule)."""
    await conn.executemany(
        "INSERT INTO app_accounts (id, role, created_at) VALUES ($1, 'consumer', now() - "
        "interval '1 year') ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at",
        [(consumer_id(n),) for n in names])


@dataclass
class Shop:
    enterprise: dict[str, Any]
    store: dict[str, Any]
    merchant: dict[str, str]
    other_merchant: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.store["id"])

    @property
    def token(self) -> str:
        return token_of(self.store["code_url"])


async def open_shop(client: Client, dept: dict[str, str], conn: asyncpg.Connection, serial: int,
                    industry: str = "beef_soup", merchant: str = "m-own") -> Shop:
    e = await client.post("/api/v1/enterprises", headers=dept, json={
        "uscc": uscc(serial), "name": f"牛肉汤有限公司{serial}", "region_code": "340403",
        "industry": industry})
    assert e.status_code == 201, e.text
    s = await client.post(f"/api/v1/enterprises/{e.json()['id']}/stores", headers=dept, json={
        "name": f"牛肉汤{serial}号店", "region_code": "340403", "industry": industry})
    assert s.status_code == 201, s.text
    await conn.execute("INSERT INTO merchant_links (merchant_id, enterprise_id) VALUES ($1, $2)",
                       merchant, e.json()["id"])
    return Shop(e.json(), s.json(), auth(make_token(client.app, "merchant", sub=merchant)))


@pytest.fixture
async def shop(client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection) -> Shop:
    shop = await open_shop(client, dept_headers, conn, 501)
    shop.other_merchant = auth(make_token(client.app, "merchant", sub="m-other"))
    return shop


async def scan(client: Client, shop: Shop, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get(f"/api/v1/scan/{shop.token}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def rate(client: Client, shop: Shop, headers: dict[str, str], stars: int = 5,
               status: int = 201, **extra: Any) -> dict[str, Any]:
    r = await client.post(f"/api/v1/stores/{shop.id}/ratings", headers=headers,
                          json={"stars": stars, **extra})
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


async def visit_and_rate(client: Client, shop: Shop, headers: dict[str, str], stars: int = 5,
                         **extra: Any) -> dict[str, Any]:
    await scan(client, shop, headers)
    return await rate(client, shop, headers, stars, **extra)
