"""双公示 timeliness, the 重错码治理 review list (merge without deleting), registering unknown
businesses, and the CLI as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.conftest import TEST_SECRET, TODAY, assert_problem, uscc
from tests.imports.conftest import PENALTY_HEADERS, csv_bytes, penalty_row, register, upload


async def test_timeliness_counts_working_days_per_department_and_month(client, conn,
                                                                     dept_headers):
    code = uscc(401)
    await register(client, dept_headers, "淮南准时公示餐饮", code)
    # TODAY is Monday 2026-11-16: a decision on Friday 11-06 is due by Tuesday 11-17 (7
    # working days); one of Thursday 11-05 was due Monday 11-16; one of 11-02 was due 11-11.
    rows = [penalty_row("淮南准时公示餐饮", code, f"时{n}", decided=TODAY - timedelta(days=d))
            for n, d in enumerate((10, 11, 14))]
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows))
    assert job["counts"]["inserted"] == 3
    r = await client.get("/api/v1/disclosure-timeliness", headers=dept_headers,
                         params={"from": "2026-11", "to": "2026-11"})
    assert r.status_code == 200, r.text
    [row] = r.json()["rows"]
    assert (row["department"], row["month"], row["records"], row["on_time"], row["late"]) == \
        ("scjg", "2026-11", 3, 2, 1)
    late = (await client.get("/api/v1/disclosure-timeliness/late", headers=dept_headers,
                             params={"from": "2026-11", "to": "2026-11"})).json()["items"]
    assert [(i["occurred_on"], i["due_on"], i["working_days_late"]) for i in late] == \
        [("2026-11-02", "2026-11-11", 3)]
    other = await client.get("/api/v1/disclosure-timeliness", headers=dept_headers,
                             params={"department": "ybj"})
    assert_problem(other, 403, "forbidden")


async def test_a_wrong_code_goes_on_the_review_list_and_merging_deletes_nothing(
        client, conn, dept_headers):
    right, wrong = uscc(501), uscc(502)
    keep = await register(client, dept_headers, "淮南合并测试餐饮有限公司", right)
    gone = await register(client, dept_headers, "淮南合并测试餐饮有限公司(重复)", wrong)
    rows = [penalty_row("淮南合并测试餐饮有限公司(重复)", wrong, "并1"),
            penalty_row("淮南合并测试餐饮有限公司", wrong, "并2")]
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows))
    assert job["counts"]["inserted"] == 1
    assert [p["code"] for p in job["problems"]] == ["name-mismatch"]
    items = (await client.get("/api/v1/code-reviews", headers=dept_headers)).json()["items"]
    [item] = [i for i in items if i["kind"] == "code_with_several_names"]
    assert item["key"] == wrong and item["subject_ids"] == [gone]
    r = await client.post(f"/api/v1/code-reviews/{item['id']}/resolution", headers=dept_headers,
                          json={"action": "merge", "keep": keep, "merge": gone,
                                "reason": "同一主体重复赋码"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged"
    merged = await conn.fetchrow("SELECT merged_into, closed_at FROM subjects WHERE id = $1",
                                 gone)
    assert merged["merged_into"] == keep and merged["closed_at"] is not None
    assert await conn.fetchval("SELECT subject_id FROM credit_records") == keep
    again = await client.post(f"/api/v1/code-reviews/{item['id']}/resolution",
                              headers=dept_headers, json={"action": "dismiss", "reason": "x"})
    assert_problem(again, 409, "review-resolved")
    later = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, [
        penalty_row("淮南合并测试餐饮有限公司", wrong, "并3")]))
    assert later["counts"]["inserted"] == 1, later  # the merged code lands on the kept one
    assert await conn.fetchval("SELECT count(*) FROM credit_records WHERE subject_id = $1",
                               keep) == 2
    actions = [r["action"] for r in await conn.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert "code_review.merge" in actions and actions.count("import.commit") == 2


async def test_unknown_businesses_are_registered_when_asked(client, conn, dept_headers):
    code = uscc(601)
    individual = "92" + uscc(602)[2:17]
    from xinyi_api.subjects.uscc import check_character

    individual += check_character(individual)
    rows = [penalty_row("淮南新开张小吃店", code, "新1"),
            penalty_row("张三烧饼铺", individual, "新2")]
    rows[1][1] = "个体工商户"
    refused = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows))
    assert refused["counts"]["refused"] == 2
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, rows),
                       register_unknown=True, industry="catering")
    assert job["counts"]["registered"] == 2 and job["counts"]["inserted"] == 2, job
    kinds = {r["uscc"]: r["type"] for r in await conn.fetch("SELECT uscc, type FROM subjects")}
    assert kinds == {code: "enterprise", individual: "individual"}


def test_the_cli_imports_a_file_and_exits_non_zero_on_refused_rows(database_url: str,
                                                                  tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "xinyi_api.cli"]
    code = uscc(701)
    subprocess.run([*cli, "import-template", "penalty", "-o", str(tmp_path / "t.xlsx")],
                   env=env, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    import asyncio

    import asyncpg

    async def seed() -> None:
        conn = await asyncpg.connect(database_url)
        await conn.execute("INSERT INTO subjects (id, type, uscc, name, region_code, industry) "
                           "VALUES ('E00000001', 'enterprise', $1, '淮南命令行测试', '340403', "
                           "'catering')", code)
        await conn.close()

    asyncio.run(seed())
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(PENALTY_HEADERS, [penalty_row("淮南命令行测试", code, "命1")]))
    done = subprocess.run([*cli, "import", str(good), "--department", "scjg", "--as-of",
                           TODAY.isoformat()], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout and "1 subject(s) regraded" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(PENALTY_HEADERS, [penalty_row("淮南命令行测试", code, "命2",
                                                            basis="")]))
    report = tmp_path / "report.csv"
    refused = subprocess.run([*cli, "import", str(bad), "--department", "scjg", "--dry-run",
                              "--as-of", TODAY.isoformat(), "--report", str(report)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "missing-legal-basis" in refused.stderr
    assert "缺少处罚依据" in report.read_text("utf-8-sig")
    again = subprocess.run([*cli, "import", str(good), "--department", "scjg", "--as-of",
                            TODAY.isoformat()], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and "1 unchanged" in again.stdout, again.stdout


async def test_the_monthly_scan_lists_bad_codes_and_names_with_several_codes(client, conn,
                                                                           dept_headers):
    from xinyi_api.imports.review import scan

    good = uscc(801)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    await register(client, dept_headers, "淮南一名多码餐饮", good)
    await register(client, dept_headers, "淮南一名多码餐饮", uscc(802))
    await conn.execute("INSERT INTO subjects (id, type, uscc, name, region_code, industry, "
                       "created_by) VALUES ('E09999999', 'enterprise', $1, '淮南错码公司', "
                       "'340403', 'catering', 'scjg')", bad)
    assert await scan(conn, TODAY) >= 2
    items = (await client.get("/api/v1/code-reviews", headers=dept_headers)).json()["items"]
    kinds = {(i["kind"], i["key"]) for i in items}
    assert ("bad_check_character", bad) in kinds
    assert ("name_with_several_codes", "淮南一名多码餐饮") in kinds
    assert await scan(conn, TODAY) >= 2  # a second scan adds to the open items
    again = (await client.get("/api/v1/code-reviews", headers=dept_headers)).json()["items"]
    assert len(again) == len(items)


async def test_an_import_notifies_the_scan_caches(client, conn, dept_headers):
    import asyncio

    code = uscc(901)
    subject = await register(client, dept_headers, "淮南通知测试", code)
    heard: list[str] = []
    await conn.add_listener("xinyi_changes", lambda *args: heard.append(args[3]))
    job = await upload(client, dept_headers, csv_bytes(PENALTY_HEADERS, [
        penalty_row("淮南通知测试", code, "通1")]))
    assert job["state"] == "done"
    for _ in range(50):
        if any(subject in payload.partition(":")[2].split(",") for payload in heard):
            break
        await asyncio.sleep(0.05)
    assert any(subject in payload.partition(":")[2].split(",") for payload in heard), heard
