"""The other ways in and out: NDJSON batches with Idempotency-Key, multipart, limits, bad
headers and bombs, reports safe from formula injection, templates, concurrency."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import TODAY, app_at, assert_problem, auth, make_token, uscc
from tests.imports.conftest import (
    PENALTY_HEADERS,
    csv_bytes,
    penalty_row,
    register,
    upload,
    wait,
)

NDJSON = {"content-type": "application/x-ndjson"}


def _line(name: str, code: str, doc_no: str, **extra: object) -> bytes:
    row = {"layout": "penalty", "subject_name": name, "uscc": code, "doc_no": doc_no,
           "violation_type": "超范围经营", "facts": "超出许可范围经营冷荤凉菜",
           "basis": "《食品经营许可管理办法》第四十九条", "penalty_category": "警告",
           "penalty_content": "警告", "decided_on": TODAY.isoformat(),
           "authority": "淮南市市场监督管理局", **extra}
    return json.dumps(row, ensure_ascii=False).encode() + b"\n"


async def test_a_batch_is_exactly_once_and_its_key_answers_the_same_job(client, conn,
                                                                       dept_headers):
    code = uscc(201)
    await register(client, dept_headers, "淮南寿州香草", code)
    body = _line("淮南寿州香草", code, "罚201") + b'{"layout": "penalty", "uscc": 5}\n'
    headers = {**dept_headers, **NDJSON, "Idempotency-Key": "batch-201"}
    first = await client.post("/api/v1/imports/batches", headers=headers, content=body)
    assert first.status_code == 202, first.text
    job = await wait(client, dept_headers, first.json()["id"])
    assert job["counts"]["inserted"] == 1 and job["counts"]["refused"] == 1, job
    again = await client.post("/api/v1/imports/batches", headers=headers, content=body)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    other = await client.post("/api/v1/imports/batches", headers=headers,
                              content=_line("淮南寿州香草", code, "罚202"))
    assert_problem(other, 409, "idempotency-key-reused")
    missing = await client.post("/api/v1/imports/batches", headers={**dept_headers, **NDJSON},
                                content=body)
    assert_problem(missing, 400, "idempotency-key-required")
    assert_problem(await client.post("/api/v1/imports/batches", headers={
        **dept_headers, "Idempotency-Key": "x", "content-type": "application/json"},
        content=b"{}"), 415, "unsupported-media-type")
    assert await conn.fetchval("SELECT count(*) FROM credit_records") == 1


async def test_concurrent_imports_never_duplicate_or_lose_a_row(client, conn, dept_headers):
    codes = [uscc(300 + i) for i in range(5)]
    for i, code in enumerate(codes):
        await register(client, dept_headers, f"淮南并发测试{i}号店", code)
    rows = [penalty_row(f"淮南并发测试{i}号店", code, f"并发罚{i}-{n}")
            for i, code in enumerate(codes) for n in range(20)]
    body = csv_bytes(PENALTY_HEADERS, rows)
    half = csv_bytes(PENALTY_HEADERS, rows[::2])
    other = auth(make_token(client.app, dept="scjg_tja", region="340403"))
    other_rows = csv_bytes(PENALTY_HEADERS, [penalty_row(f"淮南并发测试{i}号店", code,
                                                         f"并发罚{i}-0")
                                             for i, code in enumerate(codes)])
    jobs = await asyncio.gather(upload(client, dept_headers, body),
                                upload(client, dept_headers, half),
                                upload(client, dept_headers, body),
                                upload(client, other, other_rows))
    assert all(j["state"] == "done" for j in jobs), jobs
    assert sum(j["counts"]["inserted"] for j in jobs[:3]) == 100
    assert jobs[3]["counts"]["inserted"] == 5
    assert await conn.fetchval("SELECT count(*) FROM credit_records") == 105
    assert await conn.fetchval(
        "SELECT count(DISTINCT (source_department, source_key)) FROM credit_records") == 105


async def test_bad_headers_are_named_and_nothing_is_stored(client, conn, dept_headers):
    headers = [h for h in PENALTY_HEADERS if h != "处罚依据"] + ["处罚依居"]
    r = await client.post("/api/v1/imports", headers={**dept_headers, "content-type": "text/csv"},
                          content=csv_bytes(headers, []))
    body = assert_problem(r, 422, "invalid-columns")
    assert body["unknown"] == ["处罚依居"] and body["missing"] == ["处罚依据"]
    r = await client.post("/api/v1/imports", headers={**dept_headers, "content-type": "text/csv"},
                          content=csv_bytes(["名称", "代码"], []))
    assert_problem(r, 422, "unknown-layout")
    assert await conn.fetchval("SELECT count(*) FROM import_jobs") == 0


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + "a" * 50_000_000 + "/>")
    return out.getvalue()


async def test_an_xlsx_bomb_and_old_excel_are_refused(client, dept_headers):
    r = await client.post("/api/v1/imports", headers={**dept_headers,
                                                      "content-type": "application/octet-stream"},
                          content=_bomb())
    assert assert_problem(r, 422, "unreadable-file")["code"] == "xlsx-bomb"
    r = await client.post("/api/v1/imports", headers={**dept_headers,
                                                      "content-type": "application/vnd.ms-excel"},
                          content=b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    assert assert_problem(r, 422, "unreadable-file")["code"] == "unsupported-file"


@pytest.fixture
async def small_client(settings, clock):
    app = app_at(replace(settings, import_max_file_bytes=2048, import_max_batch_records=2),
                 clock)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_too_large_is_a_clear_413(small_client):
    headers = auth(make_token(small_client.app, dept="scjg", region="340400"))
    r = await small_client.post("/api/v1/imports", headers={**headers,
                                                            "content-type": "text/csv"},
                                content=b"x" * 4096)
    body = assert_problem(r, 413, "file-too-large")
    assert body["limit"] == 2048 and "XINYI_IMPORT_MAX_FILE_BYTES" in body["detail"]
    lines = b"".join(_line("a", uscc(1), f"k{i}") for i in range(3))
    r = await small_client.post("/api/v1/imports/batches", headers={
        **headers, **NDJSON, "Idempotency-Key": "k"}, content=lines)
    assert_problem(r, 413, "batch-too-large")


async def test_the_report_is_safe_from_formula_injection(client, dept_headers):
    rows = [penalty_row("=HYPERLINK(\"http://evil\")", uscc(999), "=1+1"),
            penalty_row("@SUM(A1)", "-2+3", "+cmd")]
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows), dry_run=True)
    assert job["counts"]["refused"] == 2
    csv_text = (await client.get(f"/api/v1/imports/{job['id']}/report.csv",
                                 headers=dept_headers)).content.decode("utf-8-sig")
    for cell in ("'-2+3", "'=HYPERLINK"):
        assert cell in csv_text or cell not in csv_text.replace("'", "")
    assert "\n-2+3" not in csv_text and ",-2+3" not in csv_text
    xlsx = await client.get(f"/api/v1/imports/{job['id']}/report.xlsx", headers=dept_headers)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if v[:1] in "=+-@"]
    assert "'-2+3" in values


async def test_templates_and_layouts(client):
    layouts = (await client.get("/api/v1/import-layouts")).json()
    assert [la["name"] for la in layouts] == ["penalty", "licence", "inspection", "reward"]
    xlsx = await client.get("/api/v1/import-layouts/penalty.xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    header = [c.value for c in next(book.worksheets[0].iter_rows())]
    assert "行政处罚决定书文号" in header and "法定代表人证件号码" not in header
    csv_text = (await client.get("/api/v1/import-layouts/licence.csv")).content
    assert csv_text.startswith(b"\xef\xbb\xbf") and "行政许可决定文书号".encode() in csv_text
