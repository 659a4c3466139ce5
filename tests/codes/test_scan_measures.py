"""What a grade means, on the scan: every covering scenario's grade and the measures in force
that the public may see, with condition and basis in words; department names, the grade
legend, the issuing authority and what to do next (mini-program, telephone, 12315)."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from litestar.testing import AsyncTestClient

from tests.codes.conftest import Client, business, penalty
from tests.codes.test_scan import token_of
from tests.conftest import app_at, auth, make_token, uscc
from xinyi_api.scenarios.kit import Measure
from xinyi_api.settings import Settings


class _Text(HTMLParser):
    """The text a reader sees, and the attributes that could hide text (tooltips)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.titles += [v or "" for k, v in attrs if k == "title"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page_text(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.text)), parser.titles


async def d_graded_store(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    """A beef-soup store with enough serious penalties to be D under 信用+牛肉汤."""
    _, store = await business(client, headers)
    today = client.app.state.clock.today().isoformat()
    for _ in range(4):
        r = await client.post(f"/api/v1/subjects/{store['id']}/records", headers=headers,
                              json=penalty(today))
        assert r.status_code == 201, r.text
    return store


def beef_soup_measures(client: Client, grade: str) -> list[Measure]:
    scenario = client.app.state.scenarios.get("beef_soup")
    assert scenario is not None
    found: list[Measure] = scenario.measures_for(grade, "business")
    return found


async def test_the_scan_shows_each_scenario_grade_and_only_the_public_measures_in_force(
    client: Client, dept_headers: dict[str, str]
) -> None:
    store = await d_graded_store(client, dept_headers)
    scan = (await client.get(f"/api/v1/scan/{token_of(store['code_url'])}")).json()
    (beef,) = [s for s in scan["scenarios"] if s["key"] == "beef_soup"]
    assert beef["grade"] == "D" and beef["grade_label"] == "D级 失信风险"
    assert beef["name"] == "信用+牛肉汤产业"
    assert beef["department"] == "scjg" and beef["department_name"] == "淮南市市场监督管理局"

    in_force = beef_soup_measures(client, "D")
    public = [m for m in in_force if m.visible_to("public")]
    hidden = [m for m in in_force if not m.visible_to("public")]
    # The scenario made 重点监管对象 public; its other constraints are the business's own.
    assert [m.key for m in public] == ["key_supervision_d"]
    assert hidden and all(m.kind == "constraint" for m in hidden)
    assert [m["key"] for m in beef["measures"]] == [m.key for m in public]
    (shown,) = beef["measures"]
    assert shown == {
        "key": "key_supervision_d", "kind": "constraint", "kind_label": "失信约束",
        "target": "business", "title": "列为重点监管对象", "condition": "",
        "basis": {"document": public[0].basis.document,  # type: ignore[union-attr]
                  "article": public[0].basis.article}}  # type: ignore[union-attr]

    # The department and the business see every measure in force on the measures endpoint;
    # the public only what the scan shows.
    def keys(body: list[dict[str, Any]]) -> list[str]:
        (entry,) = [e for e in body if e["scenario"] == "beef_soup"]
        return [m["key"] for m in entry["measures"]]

    anonymous = (await client.get(f"/api/v1/subjects/{store['id']}/measures")).json()
    assert keys(anonymous) == ["key_supervision_d"]
    department = (await client.get(f"/api/v1/subjects/{store['id']}/measures",
                                   headers=dept_headers)).json()
    assert keys(department) == [m.key for m in in_force]


async def test_the_h5_page_shows_measures_conditions_and_bases_as_text_not_tooltips(
    client: Client, dept_headers: dict[str, str]
) -> None:
    store = await d_graded_store(client, dept_headers)
    page = await client.get(f"/c/{token_of(store['code_url'])}")
    assert page.status_code == 200
    text, titles = page_text(page.text)
    assert titles == []  # nothing a phone cannot show
    (measure,) = [m for m in beef_soup_measures(client, "D") if m.visible_to("public")]
    assert measure.basis is not None
    assert "信用+牛肉汤产业 · D 级" in text
    assert f"失信约束{measure.title_zh}" in text
    assert f"依据 {measure.basis.document} {measure.basis.article}" in text
    for hidden in beef_soup_measures(client, "D"):
        if not hidden.visible_to("public"):
            assert hidden.title_zh not in text
    # Words a consumer reads: the department by name, the legend, the authority, 12315.
    assert "淮南市市场监督管理局" in text and " scjg " not in f" {text} "
    assert "等级说明" in text and "A 级 A级 诚信 · 800–1000 分" in text
    assert "D 级 D级 失信风险 · 0–499 分" in text
    assert "发证机关：淮南市发展和改革委员会" in text
    assert "全国消费者投诉举报热线 12315" in text


async def test_an_unrated_subject_reads_in_chinese(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    scan = (await client.get(f"/api/v1/scan/{token_of(store['code_url'])}")).json()
    assert scan["grade"]["grade"] == "unrated"
    reason = scan["grade"]["unrated_reason"]
    assert reason.startswith("暂无评级") and not re.search(r"[A-Za-z]", reason), reason
    text, _ = page_text((await client.get(f"/c/{token_of(store['code_url'])}")).text)
    assert reason in text


async def test_person_offers_join_their_scenario_with_the_grade_they_need(
    client: Client, dept_headers: dict[str, str]
) -> None:
    scenario = client.app.state.scenarios.get("tourism")
    assert scenario is not None
    offer_key = "deposit_free_ab"
    (declared,) = [m for m in scenario.measures if m.key == offer_key]
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(951), "name": "淮南舜耕山庄酒店有限公司", "region_code": "340403",
        "industry": "hotel"})
    assert r.status_code == 201, r.text
    hotel = r.json()
    wlj = auth(make_token(client.app, dept="wlj", region="340400", scenarios=["tourism"]))
    r = await client.put(f"/api/v1/scenarios/tourism/participants/{hotel['id']}", headers=wlj,
                         json={"measures": [offer_key]})
    assert r.status_code == 200, r.text
    scan = (await client.get(f"/api/v1/scan/{token_of(hotel['code_url'])}")).json()
    (entry,) = [s for s in scan["scenarios"] if s["key"] == "tourism"]
    assert entry["department_name"] == "淮南市文化和旅游局" or entry["department"] == "wlj"
    (offer,) = [m for m in entry["measures"] if m["key"] == offer_key]
    assert offer["target"] == "person" and offer["kind"] == "incentive"
    assert offer["title"] == declared.title_zh
    assert offer["condition"].startswith(f"个人信用 {'/'.join(declared.grades)} 级可享")
    text, _ = page_text((await client.get(f"/c/{token_of(hotel['code_url'])}")).text)
    assert f"条件：{offer['condition']}" in text


async def test_next_steps_open_the_mini_program_at_this_store_and_name_whom_to_call(
    settings: Settings, dept_headers: dict[str, str]
) -> None:
    configured = dataclasses.replace(settings, mini_program_appid="wx0123456789abcdef",
                                     mini_program_path="pages/store/detail",
                                     issuing_authority="淮南市社会信用体系建设领导小组办公室")
    conn = await asyncpg.connect(configured.database_url)
    try:
        await conn.execute("UPDATE departments SET phone = '0554-6660315' WHERE code = 'scjg'")
    finally:
        await conn.close()
    async with AsyncTestClient(app=app_at(configured)) as client:
        store = await d_graded_store(client, dept_headers)
        scan = (await client.get(f"/api/v1/scan/{token_of(store['code_url'])}")).json()
        page = (await client.get(f"/c/{token_of(store['code_url'])}")).text
    assert scan["authority"] == "淮南市社会信用体系建设领导小组办公室"
    steps = scan["next_steps"]
    assert steps["hotline"] == "12315"
    assert steps["contacts"] == [{"department": "scjg", "name": "淮南市市场监督管理局",
                                  "phone": "0554-6660315"}]
    link = steps["mini_program"]
    assert link["appid"] == "wx0123456789abcdef" and link["path"] == "pages/store/detail"
    url = urlsplit(link["url"])
    assert (url.scheme, url.netloc, url.path) == ("weixin", "dl", "/business/")
    assert parse_qs(url.query) == {"appid": ["wx0123456789abcdef"],
                                   "path": ["pages/store/detail"],
                                   "query": [f"subject_id={store['id']}"]}
    assert f'href="{link["url"].replace("&", "&amp;")}"' in page
    assert 'href="tel:0554-6660315"' in page and 'href="tel:12315"' in page


async def test_without_a_mini_program_the_scan_offers_no_link(
    client: Client, dept_headers: dict[str, str]
) -> None:
    _, store = await business(client, dept_headers)
    scan = (await client.get(f"/api/v1/scan/{token_of(store['code_url'])}")).json()
    assert scan["next_steps"]["mini_program"] is None
    assert "weixin://" not in (await client.get(f"/c/{token_of(store['code_url'])}")).text


async def test_the_public_departments_endpoint_names_every_department(client: Client) -> None:
    r = await client.get("/api/v1/departments")
    assert r.status_code == 200
    by_code = {d["code"]: d for d in r.json()}
    assert by_code["scjg"] == {"code": "scjg", "name": "淮南市市场监督管理局",
                               "region_code": "340400", "phone": None}
    # A district sees its own departments and its city's, not another district's.
    other = (await client.get("/api/v1/departments?region=340402")).json()
    codes = {d["code"] for d in other}
    assert "scjg" in codes and "scjg_tja" not in codes
    assert (await client.get("/api/v1/departments?region=3404")).status_code == 400
