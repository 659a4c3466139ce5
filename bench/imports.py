"""One-command benchmark of 数据归集: ``.venv/bin/python bench/imports.py [--rows 1000000]``.

1. Starts an embedded PostgreSQL (pgserver) in a fresh directory under /tmp, migrates, and
   registers ``--subjects`` businesses (COPY).
2. Writes a realistic 行政处罚 CSV of ``--rows`` rows in the national 双公示 layout (UTF-8 with
   BOM, 17 columns, ~10 penalties per business, Chinese text, amounts, dates, authorities).
3. Baseline: a bare ``COPY`` of the same file into a table of the same shape (17 text columns).
4. ``xinyi-api import FILE --department scjg --layout penalty`` as a subprocess, end to end:
   parse, check every row (codes, dates, bases, subjects, names), stage, merge exactly once,
   regrade every affected subject in batches. Its peak memory (VmHWM) is sampled from /proc.
5. The same import again (every row unchanged: the exactly-once path).

Prints rows/s, the ratio to COPY and the importer's peak memory. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.pool import connect  # noqa: E402
from xinyi_api.keys import ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
HEADERS = ["行政相对人名称", "行政相对人类别", "统一社会信用代码", "行政处罚决定书文号",
           "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额(万元)",
           "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
           "数据来源单位统一社会信用代码", "当前状态", "备注"]
VIOLATIONS = [
    ("从业人员未取得健康证明上岗",
     "检查发现2名从业人员未取得有效健康证明即从事接触直接入口食品工作",
     "《中华人民共和国食品安全法》第一百二十六条第一款第六项"),
    ("超范围经营", "当事人超出食品经营许可核定范围经营冷荤类食品,货值金额人民币三千元",
     "《食品经营许可和备案管理办法》第五十四条"),
    ("未按规定公示信用信息", "当事人未按规定于每年6月30日前报送并公示年度报告",
     "《企业信息公示暂行条例》第十七条"),
    ("销售过期食品", "当事人货架上摆放超过保质期的预包装食品12件用于销售",
     "《中华人民共和国食品安全法》第一百二十四条第一款第五项"),
]
CATEGORIES = ["警告", "罚款", "罚款;没收违法所得", "警告、罚款"]


def log(message: str) -> None:
    print(message, flush=True)


def code_of(i: int) -> str:
    body = f"91340403MA{i:07d}"
    return body + check_character(body)


def write_csv(path: Path, rows: int, subjects: int, today: date) -> None:
    authority = "113404000030000000"
    authority = authority[:17] + check_character(authority[:17])
    rng = random.Random(14)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            i = 1 + n % subjects
            title, facts, basis = VIOLATIONS[n % len(VIOLATIONS)]
            category = CATEGORIES[n % len(CATEGORIES)]
            decided = today - timedelta(days=rng.randrange(1, 700))
            writer.writerow([
                f"淮南市田家庵区某某餐饮管理有限公司{i}号", "法人及非法人组织", code_of(i),
                f"淮田市监罚〔{decided.year}〕{n + 1}号", title, facts, basis, category,
                f"{category}人民币{(n % 50 + 1) * 100}元", f"{(n % 50 + 1) / 100:.2f}",
                decided.isoformat(), "淮南市田家庵区市场监督管理局", authority,
                "淮南市田家庵区市场监督管理局", authority, "", ""])


async def prepare(url: str, subjects: int) -> None:
    settings = Settings(database_url=url, secret_key=SECRET)
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings).migration_sources)
        await ensure_keys(conn, SECRET)
        await conn.execute("INSERT INTO departments (code, name, region_code) VALUES "
                           "('scjg', '淮南市市场监督管理局', '340400')")
        await conn.copy_records_to_table(
            "subjects", columns=["id", "type", "uscc", "name", "region_code", "industry"],
            records=[(f"E{i:08d}", "enterprise", code_of(i),
                      f"淮南市田家庵区某某餐饮管理有限公司{i}号", "340403", "catering")
                     for i in range(1, subjects + 1)])
        await conn.execute("SELECT setval('enterprise_id_seq', $1)", subjects)
        await conn.execute("VACUUM ANALYZE subjects")
    finally:
        await conn.close()


async def bare_copy(url: str, path: Path) -> float:
    conn = await connect(url)
    try:
        columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
        await conn.execute(f"CREATE TABLE bench_copy ({columns})")
        started = time.perf_counter()
        with path.open("rb") as source:
            await conn.copy_to_table("bench_copy", source=source, format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


def run_import(url: str, path: Path, workdir: Path) -> tuple[float, int, str]:
    env = {**os.environ, "DATABASE_URL": url, "XINYI_SECRET_KEY": SECRET,
           "XINYI_DATA_DIR": str(workdir), "XINYI_TIMEZONE": "Asia/Shanghai"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "xinyi_api.cli", "import", str(path), "--department", "scjg",
         "--layout", "penalty"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{out}\n{err[-3000:]}")
    return elapsed, peak // 1024, out.strip()


async def phases(url: str) -> list[str]:
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT id, started_at, committed_at, finished_at, inserted, "
                                "unchanged, subjects_regraded FROM import_jobs ORDER BY id")
        out = []
        for r in rows:
            total = (r["finished_at"] - r["started_at"]).total_seconds()
            line = (f"job {r['id']}: {r['inserted']} inserted, {r['unchanged']} unchanged, "
                    f"{r['subjects_regraded']} regraded; {total:.1f} s in the job")
            if r["committed_at"] is not None:
                landed = (r["committed_at"] - r["started_at"]).total_seconds()
                line += (f" = {landed:.1f} s read, check, stage and commit + "
                         f"{total - landed:.1f} s regrade")
            out.append(line)
        return out
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    args = parser.parse_args()

    import pgserver

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-bench-imports-", dir="/tmp"))
    server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        url = server.get_uri()
        log(f"PostgreSQL at {workdir / 'pgdata'}; registering {args.subjects} businesses")
        asyncio.run(prepare(url, args.subjects))
        path = workdir / "penalties.csv"
        started = time.perf_counter()
        write_csv(path, args.rows, args.subjects, date.today())
        size = path.stat().st_size
        log(f"wrote {args.rows} rows, {size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
        copy_s = asyncio.run(bare_copy(url, path))
        copy_rate = args.rows / copy_s
        log(f"bare COPY into a same-shaped table: {copy_s:.1f} s, {copy_rate:,.0f} rows/s")
        first_s, first_mb, summary = run_import(url, path, workdir)
        rate = args.rows / first_s
        log(f"xinyi-api import (end to end, regrade included): {first_s:.1f} s, "
            f"{rate:,.0f} rows/s = {rate / copy_rate:.0%} of COPY; importer peak RSS "
            f"{first_mb} MB\n  {summary}")
        again_s, again_mb, summary = run_import(url, path, workdir)
        again_rate = args.rows / again_s
        log(f"the same file again (all unchanged): {again_s:.1f} s, {again_rate:,.0f} rows/s = "
            f"{again_rate / copy_rate:.0%} of COPY; peak RSS {again_mb} MB\n  {summary}")
        for line in asyncio.run(phases(url)):
            log("  " + line)
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
