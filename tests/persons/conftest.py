"""Persons with consumer accounts and partner businesses (the ``clock`` fixture moves time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import NOW, TEST_SECRET, TODAY, auth, make_token, uscc
from xinyi_api.consumers.identity import pseudonym
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, secret_key=TEST_SECRET,
                    db_pool_min=1, db_pool_max=6, public_base_url="https://xinyi.huainan.gov.cn",
                    rate_limits=(("personal_code", 1000, 60),))


def person_id(name: str) -> str:
    return pseudonym(TEST_SECRET, "consumer", f"openid-{name}")


async def person(client: Client, conn: asyncpg.Connection, name: str) -> dict[str, str]:
    """A consumer account (as the WeChat login creates it) and its token headers."""
    await conn.execute("INSERT INTO app_accounts (id, role) VALUES ($1, 'consumer') "
                       "ON CONFLICT DO NOTHING", person_id(name))
    return auth(make_token(client.app, "consumer", sub=person_id(name)))


async def code_of(client: Client, headers: dict[str, str]) -> str:
    r = await client.post("/api/v1/me/credit-code", headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


async def credit(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get("/api/v1/me/credit", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@dataclass
class Business:
    id: str
    merchant: dict[str, str]
    merchant_id: str


async def business(client: Client, conn: asyncpg.Connection, serial: int, industry: str,
                   merchant: str, *, good: bool = True) -> Business:
    """An enterprise its merchant has claimed; ``good``: a licence and a passed inspection on
    file (enough evidence for a B in the scenario covering it)."""
    dept = auth(make_token(client.app, dept="scjg", region="340400"))
    r = await client.post("/api/v1/enterprises", headers=dept, json={
        "uscc": uscc(serial), "name": f"合作单位{serial}", "region_code": "340403",
        "industry": industry})
    assert r.status_code == 201, r.text
    subject = r.json()["id"]
    if good:
        for record in ({"kind": "licence", "title": "执业许可证", "occurred_on": _ago(200)},
                       {"kind": "inspection", "result": "pass", "title": "日常监督检查",
                        "occurred_on": _ago(30)}):
            added = await client.post(f"/api/v1/subjects/{subject}/records", headers=dept,
                                      json=record)
            assert added.status_code == 201, added.text
    await conn.execute("INSERT INTO merchant_links (merchant_id, enterprise_id) VALUES ($1, $2)",
                       merchant, subject)
    return Business(subject, auth(make_token(client.app, "merchant", sub=merchant)), merchant)


def relogin(client: Client, business: Business) -> Business:
    """The same business with a token issued at the clock's current time (after moving it)."""
    return Business(business.id, auth(make_token(client.app, "merchant",
                                                 sub=business.merchant_id)), business.merchant_id)


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def malicious_rating(conn: asyncpg.Connection, name: str, store: str) -> None:
    """What moderation stores when it removes a rating as malicious (tests/ratings covers the
    decision itself)."""
    await conn.execute(
        "INSERT INTO rating_decisions (consumer_id, subject_id, department, decided_by, decision,"
        " malicious, reason, decided_at)"
        " VALUES ($1, $2, 'scjg', 'scjg', 'remove', true, '同行恶意差评', $3)",
        person_id(name), store, NOW)
