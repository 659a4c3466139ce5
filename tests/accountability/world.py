"""A small credit world for accountability tests: two merchants' enterprises and stores, records
of several ages, an open objection, a pending repair, a commitment and a district, plus a token
for every role of the access matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TODAY, auth, make_token, uscc

ROLES = (
    "anonymous",
    "consumer",
    "merchant",  # has claimed the world's enterprise E
    "merchant_other",  # another tenant: has claimed E2 only
    "department",  # scjg, city-wide, the source department of the world's records
    "department_other",  # ybj (信用+医保), limited to another district (340402, hospital H)
    "operator",
)

SHA = "a" * 64


def role_headers(app: Litestar) -> dict[str, dict[str, str]]:
    return {
        "anonymous": {},
        "consumer": auth(make_token(app, "consumer", sub="consumer-1")),
        "merchant": auth(make_token(app, "merchant", sub="m-own")),
        "merchant_other": auth(make_token(app, "merchant", sub="m-other")),
        "department": auth(make_token(app, dept="scjg", region="340400",
                                      scenarios=["beef_soup"])),
        "department_other": auth(make_token(app, dept="ybj", region="340402",
                                            scenarios=["medical_insurance"])),
        "operator": auth(make_token(app, "operator", sub="operator-1")),
    }


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


def days_ago(n: int) -> str:
    """``n`` days before the test clock's ``TODAY``."""
    return (TODAY - timedelta(days=n)).isoformat()


def penalty(severity: str, occurred_days_ago: int, title: str = "后厨卫生不达标") -> dict[str, Any]:
    return {"kind": "penalty", "severity": severity, "title": title, "content": "责令改正并罚款",
            "legal_basis": "《中华人民共和国食品安全法》第一百二十六条",
            "occurred_on": days_ago(occurred_days_ago)}


async def ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def build_world(client: AsyncTestClient[Litestar], conn: asyncpg.Connection) -> World:
    """Everything the matrix and the scenario tests start from."""
    h = role_headers(client.app)
    w = World(headers=h)
    dept = h["department"]
    e = await ok(await client.post("/api/v1/enterprises", headers=dept, json={
        "uscc": uscc(701), "name": "淮南老韩家牛肉汤有限公司", "region_code": "340403",
        "industry": "beef_soup"}))
    s = await ok(await client.post(f"/api/v1/enterprises/{e['id']}/stores", headers=dept, json={
        "name": "老韩家牛肉汤(洞山店)", "region_code": "340403", "industry": "beef_soup",
        "address": "洞山中路 88 号"}))
    e2 = await ok(await client.post("/api/v1/enterprises", headers=dept, json={
        "uscc": uscc(702), "name": "八公山豆腐宴有限公司", "region_code": "340403",
        "industry": "catering"}))
    s2 = await ok(await client.post(f"/api/v1/enterprises/{e2['id']}/stores", headers=dept,
                                    json={"name": "豆腐宴(舜耕店)", "region_code": "340403",
                                          "industry": "catering"}))
    hospital = await ok(await client.post("/api/v1/enterprises", headers=dept, json={
        "uscc": uscc(703, "340402"), "name": "大通区仁和医院", "region_code": "340402",
        "industry": "hospital"}))
    w.ids.update(E=e["id"], S=s["id"], E2=e2["id"], S2=s2["id"], H=hospital["id"])
    await conn.executemany("INSERT INTO merchant_links (merchant_id, enterprise_id)"
                           " VALUES ($1, $2)",
                           [("m-own", e["id"]), ("m-other", e2["id"])])
    records = f"/api/v1/subjects/{s['id']}/records"
    await ok(await client.post(records, headers=dept, json={
        "kind": "licence", "title": "食品经营许可证", "occurred_on": days_ago(500)}))
    await ok(await client.post(records, headers=dept, json={
        "kind": "inspection", "result": "pass", "title": "日常监督检查",
        "occurred_on": days_ago(30)}))
    for key, body in (("R_free", penalty("severe", 400, "使用过期原料")),
                      ("R_obj", penalty("general", 100, "未公示从业人员健康证")),
                      ("R_rep", penalty("general", 200, "餐具消毒不到位"))):
        w.ids[key] = (await ok(await client.post(records, headers=dept, json=body)))["record"]["id"]
    objection = await ok(await client.post(
        f"/api/v1/records/{w['R_obj']}/objections", headers=h["merchant"],
        json={"reason": "健康证已于处罚前办理,系信息未同步", "attachments": [
            {"name": "健康证.pdf", "size": 1024, "sha256": SHA}]}))
    repair = await ok(await client.post(
        f"/api/v1/records/{w['R_rep']}/repairs", headers=h["merchant"],
        json={"statement": "已更换消毒设备并培训员工",
              "commitment": "本单位承诺严格落实餐具消毒制度",
              "evidence": [{"name": "整改报告.pdf", "size": 2048, "sha256": SHA}]}))
    commitment = await ok(await client.post(
        f"/api/v1/subjects/{s['id']}/commitments", headers=h["merchant"],
        json={"type": "public_disclosure", "department": "scjg", "title": "明码标价承诺",
              "content": "本店承诺所有菜品明码标价,不缺斤短两"}))
    district = await ok(await client.post("/api/v1/districts", headers=dept, json={
        "name": "洞山信用美食街区", "region_code": "340403"}))
    await ok(await client.post(f"/api/v1/districts/{district['id']}/stores", headers=dept,
                               json={"store_ids": [s["id"], s2["id"]]}), 200)
    w.ids.update(O=objection["id"], P=repair["id"], C=commitment["id"], D=district["id"])
    return w
