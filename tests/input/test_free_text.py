"""Free text (record content, ratings, complaints, replies, reasons) keeps its line feeds and
tabs; a Windows client's CR LF arrives as LF; a lone CR is a control character."""

from __future__ import annotations

from tests.conftest import assert_problem, uscc
from tests.input.conftest import error_keys, nothing_written


async def _store(client, headers) -> str:
    r = await client.post("/api/v1/enterprises", headers=headers, json={
        "uscc": uscc(8), "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_free_text_keeps_line_feeds_and_tabs(client, conn, dept_headers) -> None:
    subject = await _store(client, dept_headers)
    r = await client.post(f"/api/v1/subjects/{subject}/records", headers=dept_headers, json={
        "kind": "penalty", "severity": "general", "title": "后厨卫生不达标",
        "content": "一、\t后厨地面积水\r\n二、\t生熟未分开\n",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十六条", "occurred_on": "2026-09-01"})
    assert r.status_code == 201, r.text
    assert r.json()["record"]["content"] == "一、\t后厨地面积水\n二、\t生熟未分开"
    assert await conn.fetchval("SELECT content FROM credit_records") == \
        "一、\t后厨地面积水\n二、\t生熟未分开"


async def test_a_lone_carriage_return_in_free_text_is_refused(client, conn, dept_headers) -> None:
    subject = await _store(client, dept_headers)
    async with nothing_written(conn):
        r = await client.post(f"/api/v1/subjects/{subject}/records", headers=dept_headers, json={
            "kind": "reward", "title": "诚信示范店", "content": "第一行\r第二行",
            "occurred_on": "2026-09-01"})
        body = assert_problem(r, 400, "invalid-character")
    assert error_keys(body) == ["content"]
