"""Stored scan profiles (scan_codes / scan_profiles): a miss is one read, never stale."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg

from tests.codes.conftest import Client, business, eventually, in_app, penalty
from tests.conftest import assert_problem
from xinyi_api.bls import BlsPrivateKey
from xinyi_api.clock import ManualClock
from xinyi_api.codes import service
from xinyi_api.codes.hooks import Contributor, ProfileDraft
from xinyi_api.codes.materialise import Builder, mark_stale, rebuild
from xinyi_api.codes.signer import token_digest
from xinyi_api.codes.token import encode_code_token, peek_key_number
from xinyi_api.db.pool import connect
from xinyi_api.errors import NotFound


def token_of(code_url: str) -> str:
    return code_url.rsplit("/C/", 1)[1]


async def serial_of(conn: asyncpg.Connection, subject_id: str) -> int:
    serial: int = await conn.fetchval(
        "SELECT serial FROM codes WHERE subject_id = $1 AND status = 'active'", subject_id)
    return serial


async def stored(conn: asyncpg.Connection, serial: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT c.version, c.dirty, c.token_digest, p.version AS built_version, p.built_on,"
        " p.fresh_until, p.json, p.html FROM scan_codes c"
        " LEFT JOIN scan_profiles p ON p.serial = c.serial WHERE c.serial = $1", serial)
    return row


async def until_stored(conn: asyncpg.Connection, serial: int) -> asyncpg.Record:
    """Wait for the background builder to store the current profile of ``serial``."""

    async def built() -> bool:
        row = await stored(conn, serial)
        return row is not None and not row["dirty"] and row["built_version"] == row["version"]

    await eventually(built, within=5.0)
    row = await stored(conn, serial)
    assert row is not None
    return row


async def test_a_miss_is_answered_from_the_stored_profile_without_any_signature(
    client: Client, second_client: Client, dept_headers: dict[str, str],
    conn: asyncpg.Connection,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    row = await until_stored(conn, serial)
    assert row["token_digest"] == token_digest(token.upper())

    runtime = second_client.app.state.codes
    signed = len(runtime.signer._tokens)
    r = await second_client.get(f"/api/v1/scan/{token}")
    assert r.status_code == 200, r.text
    assert (runtime.stored_reads, runtime.built_reads) == (1, 0)
    assert len(runtime.signer._tokens) == signed  # no token computed for the check
    assert r.content == bytes(row["json"])
    # The H5 page comes stored too.
    page = await second_client.get(f"/C/{token.lower()}")
    assert page.status_code == 200 and store["name"] in page.text
    assert (await second_client.get(f"/api/v1/scan/{token}")).json() == r.json()


async def test_a_forged_token_of_a_stored_code_is_unknown(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    await until_stored(conn, await serial_of(conn, store["id"]))
    # Same version, key and serial: only the signature differs (its last characters).
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    assert_problem(await client.get(f"/api/v1/scan/{forged}"), 404, "unknown-code")
    assert (await client.get(f"/api/v1/scan/{token}")).status_code == 200


async def test_a_change_marks_the_stored_profile_in_its_own_transaction(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
    database_url: str,
) -> None:
    enterprise, store = await business(client, dept_headers)
    serial = await serial_of(conn, store["id"])
    before = await until_stored(conn, serial)
    other = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            # A change to the enterprise marks its store's profile too.
            await conn.execute("UPDATE subjects SET name = '新名字' WHERE id = $1",
                               enterprise["id"])
            inside = await stored(conn, serial)
            assert inside is not None and inside["dirty"]
            assert inside["version"] > before["version"]
            outside = await other.fetchrow("SELECT version, dirty FROM scan_codes"
                                           " WHERE serial = $1", serial)
            assert (outside["version"], outside["dirty"]) == (before["version"], False)
    finally:
        await other.close()
    after = await until_stored(conn, serial)
    assert "新名字" in bytes(after["json"]).decode()


async def test_the_builder_never_stores_a_profile_a_concurrent_change_outdated(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
    database_url: str,
) -> None:
    _, store = await business(client, dept_headers)
    serial = await serial_of(conn, store["id"])
    await until_stored(conn, serial)
    runtime = client.app.state.codes
    today = client.app.state.clock.today()
    # Dirty again, and a contributor that commits a change while the build runs (after the
    # builder's snapshot was taken).
    await conn.execute("UPDATE subjects SET address = '旧地址' WHERE id = $1", store["id"])

    async def meanwhile(_conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        writer = await asyncpg.connect(database_url)
        try:
            await writer.execute("UPDATE subjects SET address = '新地址' WHERE id = $1",
                                 draft.subject_id)
        finally:
            await writer.close()

    builder = runtime.builder
    racing = Builder(builder.settings, [Contributor(meanwhile, date_aware=True)],
                     builder.signer, builder.config)
    own = await connect(database_url)
    try:
        in_app(client, runtime.materialiser.stop)  # only our builder runs now
        report = await rebuild(own, racing, [serial], today)
    finally:
        await own.close()
    assert report.skipped == 1
    row = await stored(conn, serial)
    assert row is not None and row["dirty"]
    assert row["built_version"] != row["version"]  # what was built is not served
    r = await client.get(f"/api/v1/scan/{token_of(store['code_url'])}")
    assert r.json()["address"] == "新地址"


async def test_a_new_record_reaches_the_stored_profile_and_every_worker(
    client: Client, second_client: Client, dept_headers: dict[str, str],
    conn: asyncpg.Connection,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    await until_stored(conn, serial)
    assert (await second_client.get(f"/api/v1/scan/{token}")).json()["records"] == []
    today = client.app.state.clock.today().isoformat()
    r = await client.post(f"/api/v1/subjects/{store['id']}/records", headers=dept_headers,
                          json=penalty(today))
    assert r.status_code == 201, r.text

    async def shows() -> bool:
        return len((await second_client.get(f"/api/v1/scan/{token}")).json()["records"]) == 1

    await eventually(shows, within=2.0)
    row = await until_stored(conn, serial)
    assert b"\xe5\x90\x8e\xe5\x8e\xa8" in bytes(row["json"])  # 后厨…, the record's title


async def test_a_stored_profile_is_not_served_after_its_records_leave_the_page(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
    clock: ManualClock, second_client_factory: Any,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    today = clock.today()
    await conn.execute(
        "INSERT INTO credit_records (id, subject_id, kind, result, title, source_department,"
        " occurred_on, published_on, public_until) VALUES ('R9000000001', $1, 'inspection',"
        " 'pass', '日常检查', 'scjg', $2, $2, $3)",
        store["id"], today - timedelta(days=30), today)
    row = await until_stored(conn, serial)
    assert row["fresh_until"] == today and row["built_on"] == today
    assert len((await client.get(f"/api/v1/scan/{token}")).json()["records"]) == 1

    # Midnight: the record has left the page; the stored profile is past its day.
    in_app(client, client.app.state.codes.materialiser.stop)
    clock.advance(timedelta(days=1))
    runtime = client.app.state.codes
    built = runtime.built_reads
    body = (await client.get(f"/api/v1/scan/{token}")).json()
    assert body["records"] == [] and body["as_of"] == clock.today().isoformat()
    assert runtime.built_reads == built + 1
    # The daily pass marks it, and a rebuild stores the new day's profile.
    assert await mark_stale(conn, runtime.builder.config, clock.today()) >= 1
    await rebuild(conn, runtime.builder, [serial], clock.today())
    row = await stored(conn, serial)
    assert row is not None and not row["dirty"] and row["built_on"] == clock.today()


async def test_a_profile_without_dated_content_is_served_on_later_days_as_of_that_day(
    client: Client, second_client_factory: Any, dept_headers: dict[str, str],
    conn: asyncpg.Connection, clock: ManualClock,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    row = await until_stored(conn, serial)
    assert row["fresh_until"] is None
    in_app(client, client.app.state.codes.materialiser.stop)
    clock.advance(timedelta(days=3))
    runtime = client.app.state.codes
    stored_reads = runtime.stored_reads
    body = (await client.get(f"/api/v1/scan/{token}")).json()
    assert runtime.stored_reads == stored_reads + 1
    assert body["as_of"] == clock.today().isoformat()
    page = (await client.get(f"/C/{token}")).text
    assert f"信息更新至 {clock.today().isoformat()}" in page


async def test_a_profile_stored_under_another_configuration_is_not_served(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    _, store = await business(client, dept_headers)
    token = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    await until_stored(conn, serial)
    in_app(client, client.app.state.codes.materialiser.stop)
    await conn.execute("UPDATE scan_profiles SET config = 'other', json = '\\x7b7d'"
                       " WHERE serial = $1", serial)
    runtime = client.app.state.codes
    body = (await client.get(f"/api/v1/scan/{token}")).json()
    assert body["subject_id"] == store["id"] and runtime.built_reads == 1
    assert await mark_stale(conn, runtime.builder.config, client.app.state.clock.today()) == 1


async def test_a_replaced_code_answers_410_from_its_stored_row(
    client: Client, second_client: Client, dept_headers: dict[str, str],
    conn: asyncpg.Connection,
) -> None:
    _, store = await business(client, dept_headers)
    old = token_of(store["code_url"])
    serial = await serial_of(conn, store["id"])
    await until_stored(conn, serial)
    r = await client.post(f"/api/v1/codes/{store['id']}/reissue", headers=dept_headers,
                          json={"reason": "贴纸损坏"})
    assert r.status_code == 201

    async def settled() -> bool:  # the replaced code's row: its digest kept, no profile
        return not await conn.fetchval("SELECT dirty FROM scan_codes WHERE serial = $1", serial)

    await eventually(settled, within=5.0)
    assert_problem(await second_client.get(f"/api/v1/scan/{old}"), 410, "code-replaced")
    new = r.json()["token"]
    await until_stored(conn, r.json()["serial"])
    assert (await second_client.get(f"/api/v1/scan/{new}")).status_code == 200


async def test_builders_of_two_workers_share_the_work_through_one_lease(
    client: Client, second_client: Client, dept_headers: dict[str, str],
    conn: asyncpg.Connection,
) -> None:
    for serial in range(1, 4):
        await business(client, dept_headers, serial=serial, store_name=f"老韩家({serial})")

    async def all_built() -> bool:
        return not await conn.fetchval("SELECT count(*) FROM scan_codes WHERE dirty")

    await eventually(all_built, within=5.0)
    leaders = [c.app.state.codes.materialiser.leader for c in (client, second_client)]
    assert leaders.count(True) == 1
    holder = await conn.fetchval("SELECT holder FROM scan_profile_builder")
    assert holder in {c.app.state.codes.materialiser.holder for c in (client, second_client)}
    await asyncio.sleep(0)


async def test_the_batch_forms_of_the_contributors_build_the_same_profiles(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection,
) -> None:
    enterprise, store = await business(client, dept_headers)
    _, other = await business(client, dept_headers, serial=2, store_name="老韩家(龙湖店)")
    today = client.app.state.clock.today()
    for subject in (store, other):
        r = await client.post(f"/api/v1/subjects/{subject['id']}/records", headers=dept_headers,
                              json=penalty(today.isoformat(), "minor"))
        assert r.status_code == 201
    await conn.execute("INSERT INTO scenario_participants (scenario, subject_id, measures,"
                       " enrolled_by) VALUES ('tourism', $1, ARRAY['deposit_free_ab'],"
                       " 'wlj')", store["id"])
    runtime = client.app.state.codes
    serials = [await serial_of(conn, s["id"]) for s in (store, other, enterprise)]
    codes = await conn.fetch("SELECT c.*, s.type, s.name, s.address, s.region_code, s.industry,"
                             " s.closed_at, s.closed_reason, s.enterprise_id, s.uscc,"
                             " e.id AS owner_id, e.name AS owner_name, e.type AS owner_type,"
                             " e.uscc AS owner_uscc, e.closed_at AS owner_closed_at"
                             " FROM codes c JOIN subjects s ON s.id = c.subject_id"
                             " JOIN subjects e ON e.id = coalesce(s.enterprise_id, s.id)"
                             " WHERE c.serial = ANY($1) ORDER BY c.serial", serials)
    one_by_one = [Contributor(c.one, date_aware=True) if isinstance(c, Contributor) else c
                  for c in runtime.contributors]
    assert any(getattr(c, "many", None) for c in runtime.contributors)
    tz = client.app.state.settings.tz
    batch = await service.build_profiles(conn, codes, today, tz, runtime.contributors)
    single = await service.build_profiles(conn, codes, today, tz, one_by_one)
    assert [service.encode_profile(b.profile) for b in batch] == [
        service.encode_profile(b.profile) for b in single]
    assert [b.fresh_until for b in batch] == [b.fresh_until for b in single]
    assert any(b.profile.badges for b in batch)


async def test_misses_of_one_loop_turn_share_one_read(
    client: Client, second_client: Client, dept_headers: dict[str, str],
    conn: asyncpg.Connection,
) -> None:
    stores = [(await business(client, dept_headers, serial=i,
                              store_name=f"老韩家牛肉汤({i}号店)"))[1] for i in range(1, 5)]
    for store in stores:
        await until_stored(conn, await serial_of(conn, store["id"]))
    tokens = [token_of(store["code_url"]) for store in stores]
    runtime = second_client.app.state.codes
    assert (await second_client.get(f"/api/v1/scan/{tokens[0]}")).status_code == 200
    # A serial this database never issued, under the live key: unknown, in the same batch.
    never = encode_code_token(2**33, peek_key_number(tokens[0]), BlsPrivateKey(9_999_999))

    async def together() -> tuple[int, list[Any]]:
        before = runtime.reads.batches
        results = await asyncio.gather(
            *(runtime.resolve(t, runtime.clock.today()) for t in [*tokens[1:], never]),
            return_exceptions=True)
        return runtime.reads.batches - before, results

    batches, results = in_app(second_client, together)
    assert batches == 1
    assert [r.subject_id for r in results[:3]] == [s["id"] for s in stores[1:]]
    assert isinstance(results[3], NotFound) and "not a genuine" in str(results[3])
    assert (runtime.stored_reads, runtime.built_reads) == (4, 0)
    for token, store in zip(tokens[1:], stores[1:], strict=True):  # each its own profile
        body = (await second_client.get(f"/api/v1/scan/{token}")).json()
        assert body["subject_id"] == store["id"]
