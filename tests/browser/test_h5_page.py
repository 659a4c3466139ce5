"""The H5 scan page in a real headless Chromium at a phone's viewport: what a consumer sees for a
good, a bad, a closed, an unrated, a forged and a replaced code — measures, conditions and bases
as visible text, nothing fetched from anywhere else, nothing wider than the phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.conftest import uscc
from xinyi_api.clock import ManualClock

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                       "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
                       "MicroMessenger/8.0.50"}


class World:
    """Businesses made over the live server's API, as a department would."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str], today: str) -> None:
        self.http, self.headers, self.today = http, headers, today
        self.serial = 0

    async def store(self, name: str, *records: dict[str, Any]) -> dict[str, Any]:
        self.serial += 1
        r = await self.http.post("/api/v1/enterprises", headers=self.headers, json={
            "uscc": uscc(700 + self.serial), "name": f"{name}餐饮有限公司",
            "region_code": "340403", "industry": "beef_soup"})
        assert r.status_code == 201, r.text
        r = await self.http.post(f"/api/v1/enterprises/{r.json()['id']}/stores",
                                 headers=self.headers, json={
                                     "name": name, "region_code": "340403",
                                     "industry": "beef_soup", "address": "田家庵区洞山中路 88 号"})
        assert r.status_code == 201, r.text
        store: dict[str, Any] = r.json()
        for record in records:
            r = await self.http.post(f"/api/v1/subjects/{store['id']}/records",
                                     headers=self.headers,
                                     json={"occurred_on": self.today, **record})
            assert r.status_code == 201, r.text
        return store


def inspection(result: str) -> dict[str, Any]:
    return {"kind": "inspection", "result": result, "title": "食品安全日常监督检查",
            "legal_basis": "《中华人民共和国食品安全法》第一百一十条"}


LICENCE = {"kind": "licence", "title": "食品经营许可证(JY13404030000001)",
           "legal_basis": "《食品经营许可和备案管理办法》第十条"}
KEPT = {"kind": "commitment", "result": "kept", "title": "诚信经营承诺",
        "legal_basis": "《淮南市信用承诺管理办法》"}
PENALTY = {"kind": "penalty", "severity": "serious", "title": "使用不合格原料加工食品",
           "legal_basis": "《中华人民共和国食品安全法》第一百二十四条"}


@pytest.fixture
async def world(live_server: LiveServer, clock: ManualClock) -> AsyncIterator[World]:
    async with httpx.AsyncClient(base_url=live_server.base, timeout=30) as http:
        yield World(http, live_server.department(), clock.today().isoformat())


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[tuple[Page, list[str]]]:
    """A page at a phone's size; the list collects every URL it requests."""
    context = await browser.new_context(**PHONE)  # type: ignore[arg-type]
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested
    await context.close()


async def fits_the_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the page is {width}px wide"  # type: ignore[index]


def only_from(base: str, requested: list[str]) -> None:
    assert requested and all(u.startswith(base + "/") for u in requested), requested


async def test_a_phone_sees_grade_measures_conditions_and_bases_for_good_and_bad_stores(
    world: World, phone: tuple[Page, list[str]], live_server: LiveServer,
) -> None:
    good = await world.store("老韩家牛肉汤(洞山店)", LICENCE, inspection("pass"),
                             inspection("pass"), inspection("pass"), KEPT)
    bad = await world.store("刘记牛肉汤(舜耕店)", PENALTY, PENALTY, PENALTY, PENALTY)
    page, requested = phone

    response = await page.goto(good["code_url"].replace("/C/", "/c/"))
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", name="老韩家牛肉汤(洞山店)")).to_be_visible()
    await expect(page.get_by_text("信用+牛肉汤产业 · A 级")).to_be_visible()
    await expect(page.get_by_text("诚信示范店").first).to_be_visible()
    incentive = page.locator(".measure.incentive").first
    await expect(incentive).to_be_visible()
    await expect(incentive.locator(".kind")).to_have_text("守信激励")
    # The basis is one tap away, on the page itself — never a tooltip.
    basis = incentive.locator("details.basis")
    await expect(basis.locator("div")).to_be_hidden()
    await basis.locator("summary").tap()
    await expect(basis.locator("div")).to_be_visible()
    scan = (await world.http.get(f"/api/v1/scan/{good['code_url'].rsplit('/', 1)[-1]}")).json()
    (beef,) = [e for e in scan["scenarios"] if e["key"] == "beef_soup"]
    first = beef["measures"][0]
    await expect(incentive).to_contain_text(first["title"])
    await expect(basis.locator("div")).to_have_text(
        f"{first['basis']['document']} {first['basis']['article']}")
    assert await page.locator("[title]").count() == 0
    await expect(page.get_by_text("发证机关：淮南市发展和改革委员会", exact=False)).to_be_visible()
    await expect(page.get_by_text("12315").first).to_be_visible()
    await page.get_by_text("等级说明").tap()
    await expect(page.get_by_text("800–1000 分", exact=False)).to_be_visible()
    await fits_the_phone(page)

    await page.goto(bad["code_url"].replace("/C/", "/c/"))
    await expect(page.get_by_text("信用+牛肉汤产业 · D 级")).to_be_visible()
    constraint = page.locator(".measure.constraint")
    await expect(constraint).to_have_count(1)
    await expect(constraint.locator(".kind")).to_have_text("失信约束")
    await expect(constraint).to_contain_text("列为重点监管对象")
    await expect(page.get_by_text("使用不合格原料加工食品").first).to_be_visible()
    await expect(page.get_by_text("淮南市市场监督管理局").first).to_be_visible()
    await fits_the_phone(page)
    only_from(live_server.base, requested)


async def test_a_phone_sees_closed_unrated_forged_and_replaced_codes_for_what_they_are(
    world: World, phone: tuple[Page, list[str]], live_server: LiveServer,
) -> None:
    closed = await world.store("王家牛肉汤(龙湖店)")
    r = await world.http.patch(f"/api/v1/stores/{closed['id']}", headers=world.headers,
                               json={"closed": True, "closed_reason": "经营者主动歇业"})
    assert r.status_code == 200, r.text
    unrated = await world.store("新开牛肉汤(朝阳店)")
    replaced = await world.store("李记牛肉汤(国庆店)")
    r = await world.http.post(f"/api/v1/codes/{replaced['id']}/reissue",
                              headers=world.headers, json={"reason": "贴纸被复制到其他店铺"})
    assert r.status_code == 201, r.text
    page, requested = phone

    await page.goto(closed["code_url"].replace("/C/", "/c/"))
    await expect(page.get_by_text("已歇业", exact=False).first).to_be_visible()
    await expect(page.get_by_text("经营者主动歇业", exact=False)).to_be_visible()

    await page.goto(unrated["code_url"].replace("/C/", "/c/"))
    await expect(page.locator(".badge.g-unrated")).to_have_text("暂无")
    await expect(page.get_by_text("暂无评级：", exact=False).first).to_be_visible()
    await fits_the_phone(page)

    token = unrated["code_url"].rsplit("/", 1)[-1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = await page.goto(f"{live_server.base}/c/{forged}")
    assert response is not None and response.status == 404
    await expect(page.get_by_text("无法识别的诚信码")).to_be_visible()
    await expect(page.get_by_text("新开牛肉汤")).to_have_count(0)

    response = await page.goto(replaced["code_url"].replace("/C/", "/c/"))
    assert response is not None and response.status == 410
    await expect(page.get_by_text("此诚信码已被替换")).to_be_visible()
    await expect(page.get_by_text("李记牛肉汤")).to_have_count(0)
    await fits_the_phone(page)
    only_from(live_server.base, requested)
