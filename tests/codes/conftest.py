"""Helpers for the 诚信码 HTTP tests: businesses with codes, tokens, polling."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import app_at, uscc
from xinyi_api.settings import Settings

Client = AsyncTestClient[Litestar]
T = TypeVar("T")


async def create_enterprise(
    client: Client, headers: dict[str, str], serial: int, name: str = "淮南老韩家牛肉汤有限公司"
) -> dict[str, Any]:
    r = await client.post("/api/v1/enterprises", headers=headers, json={
        "uscc": uscc(serial), "name": name, "region_code": "340403", "industry": "beef_soup"})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def create_store(
    client: Client, headers: dict[str, str], enterprise_id: str,
    name: str = "老韩家牛肉汤(洞山店)",
) -> dict[str, Any]:
    r = await client.post(f"/api/v1/enterprises/{enterprise_id}/stores", headers=headers, json={
        "name": name, "region_code": "340403", "industry": "beef_soup",
        "address": "田家庵区洞山中路 88 号"})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def business(
    client: Client, headers: dict[str, str], serial: int = 1,
    store_name: str = "老韩家牛肉汤(洞山店)",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An enterprise with one store."""
    enterprise = await create_enterprise(client, headers, serial)
    return enterprise, await create_store(client, headers, enterprise["id"], store_name)


async def code_of(client: Client, subject_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/subjects/{subject_id}/code")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def in_app(client: Client, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``fn`` on the app's own event loop (the test client runs the app in another thread,
    and its pools and tasks belong to that loop)."""
    result: T = client.blocking_portal.call(fn, *args)
    return result


def penalty(today: str, severity: str = "serious") -> dict[str, Any]:
    return {"kind": "penalty", "severity": severity, "title": "后厨卫生不达标",
            "legal_basis": "《中华人民共和国食品安全法》第一百二十六条", "occurred_on": today}


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 2.0) -> None:
    """Poll ``check`` until it is true, failing after ``within`` seconds (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition still false after {within} s")
        await asyncio.sleep(0.005)


@pytest.fixture
def second_client_factory(settings: Settings) -> Callable[[], Client]:
    """Makes clients of other app instances — other workers — on the same database."""
    return lambda: AsyncTestClient(app=app_at(settings))


@pytest.fixture
async def second_client(second_client_factory: Callable[[], Client]) -> AsyncIterator[Client]:
    async with second_client_factory() as other:
        yield other


def b32(raw: bytes) -> str:
    """Token text for raw bytes: RFC 4648 base32 without padding."""
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def varint(value: int) -> bytes:
    """LEB128, written independently of ``xinyi_api.codes.token`` so forgeries test it."""
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value >> 7 else 0))
        value >>= 7
        if not value:
            return bytes(out)
