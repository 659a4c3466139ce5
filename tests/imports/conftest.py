"""Helpers for the import tests: files generated in the test (CSV in several encodings, XLSX),
subjects registered through the API, and polling a job to its end."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TODAY, uscc
from xinyi_api.imports.layouts import PENALTY

PENALTY_HEADERS = ["行政相对人名称", "行政相对人类别", "统一社会信用代码", "行政处罚决定书文号",
                   "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额(万元)",
                   "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
                   "数据来源单位统一社会信用代码", "当前状态", "备注"]
AUTHORITY = uscc(9000001, "340400")


def penalty_row(name: str, code: str, doc_no: str, *, decided: date | None = None,
                category: str = "罚款", fine: str = "0.5", facts: str = "后厨卫生不达标",
                basis: str = "《中华人民共和国食品安全法》第一百二十六条",
                status: str = "", remark: str = "") -> list[str]:
    decided = decided or TODAY - timedelta(days=3)
    return [name, "法人及非法人组织", code, doc_no, "食品经营不符合卫生要求", facts, basis,
            category, "罚款人民币伍仟元", fine, decided.isoformat(), "淮南市市场监督管理局",
            AUTHORITY, "淮南市市场监督管理局", AUTHORITY, status, remark]


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
              encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def register(client: AsyncTestClient[Litestar], headers: dict[str, str], name: str,
                   code: str, *, kind: str = "enterprise") -> str:
    r = await client.post("/api/v1/enterprises", headers=headers, json={
        "name": name, "uscc": code, "region_code": "340403", "industry": "catering",
        "kind": kind})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def wait(client: AsyncTestClient[Litestar], headers: dict[str, str],
               job_id: int) -> dict[str, Any]:
    for _ in range(600):
        r = await client.get(f"/api/v1/imports/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["state"] in ("validated", "done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def upload(client: AsyncTestClient[Litestar], headers: dict[str, str], body: bytes, *,
                 content_type: str = "text/csv", **params: Any) -> dict[str, Any]:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    r = await client.post("/api/v1/imports", headers={**headers, "content-type": content_type},
                          content=body, params=query)
    assert r.status_code == 202, r.text
    return await wait(client, headers, r.json()["id"])


__all__ = ["PENALTY", "PENALTY_HEADERS"]
