"""The benchmark's data set, grown in steps: enterprises, stores, records, grades, stored scan
profiles — with the code tokens kept aside for the load generator.

Everything goes through the service's own code where it matters (the batch grader, the
profile builder); only the raw rows are bulk-inserted (COPY, ``INSERT … SELECT
generate_series``). Grading and profile building run in one process per CPU over disjoint id or
serial ranges: that is how an operator would run a first load too.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from xinyi_api.codes.materialise import Builder, refresh_all  # noqa: E402
from xinyi_api.codes.signer import CodeSigner  # noqa: E402
from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.partitions import ensure_ahead  # noqa: E402
from xinyi_api.db.pool import connect  # noqa: E402
from xinyi_api.keys import KeyStore, ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.plugins import collect  # noqa: E402
from xinyi_api.scenarios.freshness import fingerprint, reconcile  # noqa: E402
from xinyi_api.scenarios.freshness import q as fq  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
BASE_URL = "http://127.0.0.1:8000"
STORES_PER_ENTERPRISE = 5


def log(message: str) -> None:
    print(message, flush=True)


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, secret_key=SECRET, public_base_url=BASE_URL)


async def prepare(url: str) -> None:
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings_for(url)).migration_sources)
        await ensure_keys(conn, SECRET)
        await ensure_ahead(conn)
        await conn.execute("INSERT INTO departments (code, name, region_code) VALUES "
                           "('scjg', '淮南市市场监督管理局', '340400') ON CONFLICT DO NOTHING")
    finally:
        await conn.close()


async def _add_rows(url: str, stores: int) -> tuple[list[str], float]:
    """Subjects and records up to ``stores`` stores; the ids added."""
    conn = await connect(url)
    try:
        have_s = await conn.fetchval("SELECT count(*) FROM subjects WHERE type = 'store'")
        have_e = await conn.fetchval("SELECT count(*) FROM subjects WHERE type = 'enterprise'")
        want_e = max(1, stores // STORES_PER_ENTERPRISE)
        started = time.perf_counter()
        rows = []
        for i in range(have_e + 1, want_e + 1):
            body = f"91340403MA{i:07d}"
            rows.append((f"E{i:08d}", "enterprise", body + check_character(body),
                         f"淮南牛肉汤餐饮有限公司{i}号", "340403", "beef_soup"))
        if rows:
            await conn.copy_records_to_table(
                "subjects", records=rows,
                columns=["id", "type", "uscc", "name", "region_code", "industry"])
        await conn.execute(
            """
            INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry, address)
            SELECT 'S' || lpad(n::text, 8, '0'), 'store',
                   'E' || lpad((1 + (n - 1) % $3)::text, 8, '0'),
                   '老韩家牛肉汤(' || n || '号店)', '340403', 'beef_soup',
                   '田家庵区洞山中路 ' || n || ' 号'
            FROM generate_series($1::int + 1, $2::int) AS n
            """, have_s, stores, want_e)
        await conn.execute("SELECT setval('store_id_seq', $1), setval('enterprise_id_seq', $2)",
                           stores, want_e)
        first_new = f"S{have_s + 1:08d}"
        # Two inspections per store so that grades are real, a penalty on every tenth.
        await conn.execute(
            """
            INSERT INTO credit_records (id, subject_id, kind, result, title, source_department,
                                        occurred_on, published_on, public_until)
            SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), s.id, 'inspection',
                   'pass', '日常监督检查', 'scjg', current_date - k * 30, current_date - k * 30,
                   current_date + 300
            FROM subjects s, generate_series(1, 2) AS k
            WHERE s.type = 'store' AND s.id >= $1
            """, first_new)
        await conn.execute(
            """
            INSERT INTO credit_records (id, subject_id, kind, severity, title, source_department,
                                        legal_basis, occurred_on, published_on, public_until)
            SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), s.id, 'penalty',
                   'minor', '后厨卫生不达标', 'scjg', '《中华人民共和国食品安全法》第一百二十六条',
                   current_date - 10, current_date - 10, current_date + 80
            FROM subjects s WHERE s.type = 'store' AND s.id >= $1 AND right(s.id, 1) = '7'
            """, first_new)
        new = [r["id"] for r in await conn.fetch(
            "SELECT id FROM subjects WHERE (type = 'store' AND id >= $1)"
            " OR (type = 'enterprise' AND id > $2) ORDER BY id", first_new, f"E{have_e:08d}")]
        return new, time.perf_counter() - started
    finally:
        await conn.close()


def _grade_chunk(url: str, ids: list[str], today: date) -> None:
    async def main() -> None:
        from xinyi_api.grading.service import Grader

        grader: Grader = build_platform(settings_for(url)).grader
        conn = await connect(url)
        try:
            for i in range(0, len(ids), 5000):
                async with conn.transaction():
                    await grader.regrade(conn, ids[i:i + 5000], today)
        finally:
            await conn.close()

    asyncio.run(main())


class RecordingSigner(CodeSigner):
    """The builder's signer, keeping every token it computes (the load generator needs them;
    only the digest is stored in the database)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.made: dict[int, str] = {}

    def token(self, serial: int, key_number: int) -> str | None:
        token = super().token(serial, key_number)
        if token is not None:
            self.made[serial] = token
        return token


def _materialise_chunk(url: str, low: int, high: int, today: date, out: str) -> None:
    async def main() -> dict[int, str]:
        settings = settings_for(url)
        platform = build_platform(settings)
        conn = await connect(url)
        try:
            keys = KeyStore(None, SECRET)
            await keys.load(conn)
            signer = RecordingSigner(keys, settings.public_base_url)
            builder = Builder.of(settings,
                                 collect("scan_profile_contributors", platform=platform), signer)
            await refresh_all(conn, builder, today, batch_size=500, serial_range=(low, high))
        finally:
            await conn.close()
        return signer.made

    made = asyncio.run(main())
    with open(out, "a") as fh:
        fh.writelines(f"{serial} {token}\n" for serial, token in made.items())


def _in_processes(target: Any, chunks: list[tuple[Any, ...]]) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=args) for args in chunks]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"{target.__name__} failed ({p.exitcode})")


async def scenarios_current(url: str) -> None:
    """Record every scenario's configuration as refreshed: the data set was graded under every
    scheme by the full grader (growth, ``xinyi-api regrade``). Left unrecorded, the first worker
    that starts would regrade every covered subject again in the background (a scenario's
    first start, ``scenarios/freshness.py``) — 1.2 million subjects — while it is measured."""
    platform = build_platform(settings_for(url))
    conn = await connect(url)
    try:
        await reconcile(conn, platform.scenarios)
        for scenario in platform.scenarios.scenarios:
            await conn.execute(fq.finish_refresh, scenario.key, fingerprint(scenario))
    finally:
        await conn.close()


async def build_dirty(url: str, workdir: Path, today: date) -> None:
    """Build every stored profile marked dirty, one process per CPU over serial ranges."""
    procs = os.cpu_count() or 2
    conn = await connect(url)
    try:
        low, high = await conn.fetchrow(
            "SELECT min(serial), max(serial) FROM scan_codes WHERE dirty")
    finally:
        await conn.close()
    if low is not None:
        span = -(-(high - low + 1) // procs)
        _in_processes(_materialise_chunk, [
            (url, low + i * span, min(high, low + (i + 1) * span - 1), today,
             str(workdir / f"tokens-{i}.txt")) for i in range(procs)])


async def grow(url: str, stores: int, workdir: Path, today: date) -> dict[str, float]:
    """Grow the data set to ``stores`` stores; timings (s) of each step."""
    new, rows_s = await _add_rows(url, stores)
    procs = os.cpu_count() or 2
    started = time.perf_counter()
    step = max(1, -(-len(new) // procs))
    _in_processes(_grade_chunk, [(url, new[i:i + step], today)
                                 for i in range(0, len(new), step)])
    graded_s = time.perf_counter() - started
    started = time.perf_counter()
    await build_dirty(url, workdir, today)
    built_s = time.perf_counter() - started
    conn = await connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return {"rows": rows_s, "graded": graded_s, "profiles": built_s, "subjects": len(new)}


def _read_tokens(workdir: Path) -> dict[int, str]:
    tokens: dict[int, str] = {}
    for path in sorted(workdir.glob("tokens-*.txt")):
        for line in path.read_text().splitlines():
            serial, token = line.split()
            tokens[int(serial)] = token
    return tokens


async def store_tokens(url: str, workdir: Path) -> list[tuple[str, str]]:
    """(store id, token) of every active store code, from the tokens the builders computed."""
    tokens = await asyncio.to_thread(_read_tokens, workdir)
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT serial, subject_id FROM codes WHERE status = 'active'"
                                " AND subject_id LIKE 'S%' ORDER BY serial")
    finally:
        await conn.close()
    return [(r["subject_id"], tokens[r["serial"]]) for r in rows if r["serial"] in tokens]


async def department_token(url: str) -> str:
    from xinyi_api.auth.tokens import issue_token

    conn = await connect(url)
    try:
        keys = KeyStore(None, SECRET)
        await keys.load(conn)
    finally:
        await conn.close()
    return issue_token(keys, issuer="xinyi-api", audience="xinyi-api", subject="bench",
                       role="department", ttl_seconds=3600,
                       claims={"dept": "scjg", "region": "340400"})
