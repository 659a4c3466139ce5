"""Print jobs 批量印制 over HTTP: order, poll, download; access; a crash resumed."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.codes.conftest import Client, business, code_of, create_store, eventually, in_app
from tests.codes.test_poster import page_text, pdf_pages
from tests.codes.test_render import decode_all
from tests.conftest import app_at, assert_problem, auth, make_token
from xinyi_api.clock import ManualClock
from xinyi_api.printing.service import PrintRunner
from xinyi_api.settings import Settings

JOBS = "/api/v1/print-jobs"


def runner(client: Client, **kw: Any) -> PrintRunner:
    state = client.app.state
    return PrintRunner(state.settings, state.clock, state.key_store, **kw)


def run_all(client: Client, **kw: Any) -> int:
    return in_app(client, runner(client, **kw).run_pending)


async def shop(client: Client, headers: dict[str, str]) -> dict[str, str]:
    """Three enterprises with a store each, one store closed: subject id → code URL (open)."""
    urls = {}
    for serial in (11, 12, 13):
        enterprise, store = await business(client, headers, serial, f"门店{serial}")
        for subject in (enterprise, store):
            urls[subject["id"]] = (await code_of(client, subject["id"]))["code_url"]
    closed = await create_store(client, headers, enterprise["id"], "已关门店")
    r = await client.patch(f"/api/v1/stores/{closed['id']}", headers=headers,
                           json={"closed": True, "closed_reason": "停业"})
    assert r.status_code == 200, r.text
    return urls


async def order(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post(JOBS, headers=headers, json=body)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    assert r.headers["location"] == f"{JOBS}/{job['id']}"
    return job


async def poll(client: Client, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    r = await client.get(f"{JOBS}/{job_id}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def qr_urls_of_pdf(data: bytes) -> list[str]:
    return [url for _, image in pdf_pages(data, dpi=150) for url in decode_all(image)]


async def test_a_department_orders_its_region_as_one_pdf_of_four_up_sheets(
    client: Client, dept_headers: dict[str, str],
) -> None:
    urls = await shop(client, dept_headers)
    job = await order(client, dept_headers, per_sheet=4)
    assert (job["status"], job["total"], job["done"], job["format"]) == ("queued", 6, 0, "pdf")
    assert job["filters"]["region"] == "340400" and job["output"] is None
    assert_problem(await client.get(f"{JOBS}/{job['id']}/output", headers=dept_headers), 409,
                   "print-job-not-ready")

    assert run_all(client, chunk_codes=4) == 1
    done = await poll(client, dept_headers, job["id"])
    assert (done["status"], done["done"], done["progress"], done["attempts"]) == (
        "done", 6, 1.0, 1)
    assert done["output"]["download_url"] == f"{JOBS}/{job['id']}/output"
    r = await client.get(done["output"]["download_url"], headers=dept_headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    assert len(r.content) == done["output"]["bytes"]
    assert len(pdf_pages(r.content, dpi=20)) == 2  # 6 cards, 4 a sheet
    assert sorted(qr_urls_of_pdf(r.content)) == sorted(urls.values())  # every code once
    text = page_text(r.content)
    assert "已关门店" not in text
    assert "淮南市社会信用体系建设领导小组办公室" in text  # XINYI_ISSUING_AUTHORITY
    listed = (await client.get(JOBS, headers=dept_headers)).json()
    assert [j["id"] for j in listed] == [job["id"]]


async def test_a_zip_holds_one_image_per_code_and_a_manifest(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    urls = await shop(client, dept_headers)
    job = await order(client, dept_headers, format="zip", kind="store", industry="beef_soup")
    assert job["total"] == 3
    run_all(client, chunk_codes=2)
    r = await client.get(f"{JOBS}/{job['id']}/output", headers=dept_headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert archive.testzip() is None
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(manifest)))
        assert len(rows) == 3
        for row in rows:
            assert row["type"] == "store" and row["store_number"] == row["subject_id"]
            assert row["code_url"] == urls[row["subject_id"]]
            image = Image.open(io.BytesIO(archive.read(row["file"])))
            assert decode_all(image) == [urls[row["subject_id"]]]
    # The work tables are dropped once the job is done; the order stays audited.
    assert await conn.fetchval("SELECT count(*) FROM print_job_items") == 0
    assert await conn.fetchval("SELECT count(*) FROM print_job_chunks") == 0
    actions = await conn.fetch("SELECT action FROM audit_log WHERE action LIKE 'print.%' "
                               "ORDER BY id")
    assert [a["action"] for a in actions] == ["print.order", "print.download"]


async def test_orders_are_limited_to_the_department_and_checked(
    client: Client, dept_headers: dict[str, str], district_headers: dict[str, str],
) -> None:
    await shop(client, dept_headers)
    assert_problem(await client.post(JOBS, headers=district_headers, json={"region": "340400"}),
                   403, "out-of-region")
    assert_problem(await client.post(JOBS, headers=district_headers, json={"region": "340402"}),
                   403, "out-of-region")
    assert_problem(await client.post(JOBS, headers=dept_headers,
                                     json={"region": "340403", "district": "D0000000001"}),
                   422, "invalid-print-filters")
    assert_problem(await client.post(JOBS, headers=dept_headers,
                                     json={"district": "D0000000001"}), 404, "unknown-district")
    assert_problem(await client.post(JOBS, headers=dept_headers, json={"industry": "nope"}),
                   422, "unknown-industry")
    assert_problem(await client.post(JOBS, headers=dept_headers, json={"industry": "hospital"}),
                   422, "print-selection-empty")
    assert_problem(await client.post(JOBS, headers=dept_headers, json={"per_sheet": 6}), 400)

    job = await order(client, district_headers, kind="enterprise")
    assert job["filters"]["region"] == "340403" and job["total"] == 3
    assert_problem(await client.post(JOBS, headers=district_headers, json={}), 409,
                   "print-job-running")
    # Another department sees neither the job nor its output; an operator sees both.
    assert_problem(await client.get(f"{JOBS}/{job['id']}", headers=dept_headers), 404,
                   "unknown-print-job")
    assert (await client.get(JOBS, headers=dept_headers)).json() == []
    operator = auth(make_token(client.app, role="operator", sub="operator:ops"))
    assert (await poll(client, operator, job["id"]))["department"] == "scjg_tja"
    assert [j["id"] for j in (await client.get(JOBS, headers=operator)).json()] == [job["id"]]
    consumer = auth(make_token(client.app, role="consumer", sub="consumer:c1"))
    assert_problem(await client.post(JOBS, headers=consumer, json={}), 403)
    assert_problem(await client.get(f"{JOBS}/{job['id']}"), 401)


async def test_a_district_is_printed_with_its_stores_only(
    client: Client, dept_headers: dict[str, str],
) -> None:
    urls = await shop(client, dept_headers)
    stores = [s for s in urls if s.startswith("S")]
    r = await client.post("/api/v1/districts", headers=dept_headers,
                          json={"name": "洞山信用美食街区", "region_code": "340403"})
    district = r.json()
    r = await client.post(f"/api/v1/districts/{district['id']}/stores", headers=dept_headers,
                          json={"store_ids": stores[:2]})
    assert r.status_code == 200, r.text
    job = await order(client, dept_headers, district=district["id"], per_sheet=8)
    assert job["total"] == 2 and job["filters"]["district_name"] == "洞山信用美食街区"
    run_all(client)
    data = (await client.get(f"{JOBS}/{job['id']}/output", headers=dept_headers)).content
    assert sorted(qr_urls_of_pdf(data)) == sorted(urls[s] for s in stores[:2])


class Crash(BaseException):
    """The worker process dies (not an error the runner handles)."""


class DiesOnChunk(PrintRunner):
    def __init__(self, *args: Any, chunk: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.left = chunk

    async def _cards(self, rows: list[asyncpg.Record]) -> Any:
        self.left -= 1
        if self.left == 0:
            raise Crash
        return await super()._cards(rows)


async def test_a_job_whose_worker_died_is_taken_over_after_its_lease_and_resumed(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    urls = await shop(client, dept_headers)
    job = await order(client, dept_headers, per_sheet=4)
    state = client.app.state
    dying = DiesOnChunk(state.settings, state.clock, state.key_store, chunk_codes=4, chunk=2,
                        worker="dies")

    async def die() -> None:
        with contextlib.suppress(Crash):
            await dying.run_pending()

    in_app(client, die)
    half = await poll(client, dept_headers, job["id"])
    assert (half["status"], half["done"], half["attempts"]) == ("running", 4, 1)
    folder = Path(state.settings.print_dir) / f"job-{job['id']}"
    part = folder / "attempt-1.part"
    part.write_bytes(part.read_bytes() + b"half a chunk the dead worker never recorded")

    # Within the lease nobody takes the job over …
    assert run_all(client) == 0
    assert (await poll(client, dept_headers, job["id"]))["attempts"] == 1
    # … after it, the next worker resumes from the checkpoint.
    state.clock.advance(timedelta(seconds=state.settings.print_lease_seconds + 1))
    assert run_all(client, chunk_codes=4) == 1
    done = await poll(client, dept_headers, job["id"])
    assert (done["status"], done["done"], done["attempts"]) == ("done", 6, 2)
    data = (await client.get(f"{JOBS}/{job['id']}/output", headers=dept_headers)).content
    assert sorted(qr_urls_of_pdf(data)) == sorted(urls.values())  # each code exactly once
    assert [p.name for p in folder.iterdir()] == [f"xinyi-codes-{job['id']}.pdf"]
    # The dead worker's attempt is fenced out: its checkpoint would move nothing.
    assert await conn.fetchval(
        "UPDATE print_jobs SET done = done WHERE id = $1 AND attempt = 1 AND status = 'running'"
        " RETURNING id", job["id"]) is None


async def test_outputs_past_retention_are_gone(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    from xinyi_api.printing.service import expire_outputs

    await shop(client, dept_headers)
    job = await order(client, dept_headers, format="zip", image="svg")
    run_all(client)
    state = client.app.state
    now = state.clock.now() + timedelta(days=state.settings.print_retention_days, seconds=1)
    assert await expire_outputs(conn, state.settings, now) == 1
    assert_problem(await client.get(f"{JOBS}/{job['id']}/output", headers=dept_headers), 410,
                   "print-output-expired")
    assert not (Path(state.settings.print_dir) / f"job-{job['id']}").exists()


async def test_each_api_worker_runs_ordered_jobs_in_the_background(
    settings: Settings, clock: ManualClock, dept_headers: dict[str, str],
) -> None:
    app = app_at(dataclasses.replace(settings, print_worker=True), clock)
    async with AsyncTestClient(app=app) as client:
        headers = auth(make_token(app, dept="scjg", region="340400"))
        await shop(client, headers)
        job = await order(client, headers, format="zip", image="svg")

        async def finished() -> bool:
            return (await poll(client, headers, job["id"]))["status"] == "done"

        await eventually(finished, within=30)
