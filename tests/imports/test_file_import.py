"""File imports of the 双公示 layouts: dry run, commit, exactly once, corrections, withdrawals."""

from __future__ import annotations

from tests.conftest import uscc
from tests.imports.conftest import (
    PENALTY_HEADERS,
    csv_bytes,
    penalty_row,
    register,
    upload,
    xlsx_bytes,
)


async def test_a_dry_run_reports_every_row_and_writes_nothing(client, conn, dept_headers):
    good = uscc(101)
    await register(client, dept_headers, "淮南老韩家牛肉汤有限公司", good)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    body = csv_bytes(PENALTY_HEADERS, [
        penalty_row("淮南老韩家牛肉汤有限公司", good, "淮市监罚〔2026〕1号"),
        penalty_row("某某餐饮", bad_check, "淮市监罚〔2026〕2号"),
        penalty_row("不存在的公司", uscc(999), "淮市监罚〔2026〕3号"),
        penalty_row("淮南老韩家牛肉汤有限公司", good, "淮市监罚〔2026〕4号", basis=""),
    ])
    job = await upload(client, dept_headers, body, dry_run=True)
    assert job["state"] == "validated", job
    assert job["counts"]["rows"] == 4
    assert job["counts"]["refused"] == 3
    assert job["counts"]["inserted"] == 1
    codes = {(p["row"], p["code"]) for p in job["problems"]}
    assert codes == {(3, "bad-check-character"), (4, "unknown-subject"),
                     (5, "missing-legal-basis")}
    assert await conn.fetchval("SELECT count(*) FROM credit_records") == 0


async def test_a_commit_lands_once_and_a_changed_row_is_a_correction(client, conn,
                                                                      dept_headers):
    code = uscc(102)
    subject = await register(client, dept_headers, "淮南八公山豆腐店", code)
    rows = [penalty_row("淮南八公山豆腐店", code, "淮市监罚〔2026〕10号",
                        category="罚款;吊销许可证件")]
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows))
    assert job["state"] == "done", job
    assert job["counts"]["inserted"] == 1
    assert job["counts"]["subjects_regraded"] == 1
    grade = (await client.get(f"/api/v1/subjects/{subject}/grade")).json()
    assert grade["score"] == 700 - 150  # 吊销许可证件: 较重 when the row states no severity
    again = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows))
    assert again["counts"]["unchanged"] == 1 and again["counts"]["inserted"] == 0
    assert await conn.fetchval("SELECT count(*) FROM credit_records") == 1
    changed = [penalty_row("淮南八公山豆腐店", code, "淮市监罚〔2026〕10号",
                           category="罚款;吊销许可证件", facts="后厨卫生不达标,且未留样")]
    fixed = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, changed))
    assert fixed["counts"]["corrected"] == 1
    record = await conn.fetchrow("SELECT id, content FROM credit_records")
    assert "未留样" in record["content"]
    revisions = await client.get(f"/api/v1/records/{record['id']}/revisions",
                                 headers=dept_headers)
    assert revisions.status_code == 200
    assert "未留样" not in revisions.json()[0]["previous"]["content"]
    withdrawn = [penalty_row("淮南八公山豆腐店", code, "淮市监罚〔2026〕10号",
                             category="罚款;吊销许可证件", facts="后厨卫生不达标,且未留样",
                             status="撤销", remark="复议撤销")]
    gone = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, withdrawn))
    assert gone["counts"]["withdrawn"] == 1
    assert await conn.fetchval("SELECT status FROM credit_records") == "withdrawn"
    grade = (await client.get(f"/api/v1/subjects/{subject}/grade")).json()
    assert grade["grade"] == "unrated"


async def test_gbk_csv_and_xlsx_are_read(client, conn, dept_headers):
    code = uscc(103)
    await register(client, dept_headers, "淮南（田家庵）牛肉汤馆", code)
    gbk = csv_bytes(PENALTY_HEADERS, [penalty_row("淮南(田家庵)牛肉汤馆", code, "罚1")],
                    encoding="gb18030")
    job = await upload(client, dept_headers, gbk)
    assert job["state"] == "done" and job["counts"]["inserted"] == 1, job
    book = xlsx_bytes(PENALTY_HEADERS, [penalty_row("淮南（田家庵）牛肉汤馆", code, "罚2")])
    job = await upload(client, dept_headers, book,
                       content_type="application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet")
    assert job["state"] == "done" and job["counts"]["inserted"] == 1, job
