"""信用+先医后付 end to end: the dynamic code, pre-authorisation within the line, charge, settle,
overdue → suspended → paid → restored, and the line under concurrent hospitals."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from tests.conftest import TEST_SECRET, TODAY, auth, make_token
from tests.persons.conftest import Business, business, code_of, credit, person, relogin
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.pool import connect
from xinyi_api.errors import Conflict
from xinyi_api.scenarios.kit import Context
from xinyi_scenarios.pay_later import bills

BASE = "/api/v1/scenarios/pay_later"


async def preauth(client, hospital: Business, code: str, amount_fen: int,
                  reference: str = "ZY-1") -> Any:
    return await client.post(f"{BASE}/preauthorisations", headers=hospital.merchant, json={
        "code": code, "hospital_id": hospital.id, "reference": reference,
        "amount_fen": amount_fen})


async def line(client, headers) -> dict[str, Any]:
    r = await client.get(f"{BASE}/me", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_treat_first_pay_later_end_to_end(client, conn) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 901, "hospital", "m-hospital")
    assert (await line(client, patient))["available_fen"] == 100_000  # B: 1000 元

    r = await preauth(client, hospital, await code_of(client, patient), 80_000)
    assert r.status_code == 201, r.text
    bill = r.json()
    assert (bill["status"], bill["authorised_fen"], bill["line_available_fen"]) == (
        "authorised", 80_000, 20_000)
    assert "person" not in str(bill) and "grade" not in bill  # the hospital learns no more

    r = await client.post(f"{BASE}/bills/{bill['id']}/charge", headers=hospital.merchant,
                          json={"amount_fen": 65_050})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["billed_fen"]) == ("billed", 65_050)
    mine = await line(client, patient)
    assert (mine["held_fen"], mine["available_fen"]) == (65_050, 34_950)

    r = await client.post(f"{BASE}/bills/{bill['id']}/settle", headers=hospital.merchant)
    assert r.status_code == 200 and r.json()["status"] == "settled"
    assert (await line(client, patient))["available_fen"] == 100_000
    me = await credit(client, patient)
    assert me["score"] == 710 and me["records"][0]["result"] == "on_time"
    audit = await conn.fetch("SELECT action FROM audit_log WHERE action LIKE 'pay_later.%' "
                             "ORDER BY id")
    assert [a["action"] for a in audit] == ["pay_later.preauthorise", "pay_later.charge",
                                            "pay_later.settle"]


async def test_a_replayed_expired_or_forged_code_is_refused(client, conn, clock) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 902, "hospital", "m-hospital")
    code = await code_of(client, patient)
    assert (await preauth(client, hospital, code, 1_000, "A")).status_code == 201
    replay = await preauth(client, hospital, code, 1_000, "B")
    assert replay.status_code == 409
    assert replay.json()["type"] == "urn:xinyi:problem:personal-code-used"

    forged = code[:10] + ("A" if code[10] != "A" else "B") + code[11:]
    r = await preauth(client, hospital, forged, 1_000, "C")
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:invalid-personal-code"
    r = await preauth(client, hospital, "not a code", 1_000, "C")
    assert r.status_code == 422

    stale = await code_of(client, patient)
    clock.advance(timedelta(seconds=61))
    r = await preauth(client, hospital, stale, 1_000, "D")
    assert r.status_code == 410 and r.json()["type"] == "urn:xinyi:problem:personal-code-expired"
    assert await conn.fetchval("SELECT count(*) FROM pay_later_bills") == 1


async def test_over_the_line_is_refused_and_leaves_the_code_unspent(client, conn) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 903, "hospital", "m-hospital")
    code = await code_of(client, patient)
    r = await preauth(client, hospital, code, 100_001)
    assert r.status_code == 409 and r.json()["type"] == "urn:xinyi:problem:over-credit-line"
    assert "100000 fen available" in r.json()["detail"]
    assert await conn.fetchval("SELECT count(*) FROM pay_later_bills") == 0
    # the refusal rolled back: the same code still works within the line
    assert (await preauth(client, hospital, code, 100_000)).status_code == 201
    r = await preauth(client, hospital, await code_of(client, patient), 1, "ZY-2")
    assert r.status_code == 409 and "0 fen available" in r.json()["detail"]


async def test_concurrent_hospitals_never_push_the_line_past_its_limit(client, conn,
                                                                       database_url) -> None:
    """Five hospitals pre-authorise 300 元 each on a 1000 元 line at the same moment, each on its
    own database connection (as five workers would): exactly three holds fit."""
    patient = await person(client, conn, "patient")
    hospitals = [await business(client, conn, 910 + i, "hospital", f"m-h{i}") for i in range(5)]
    codes = [await code_of(client, patient) for _ in hospitals]
    app = client.app.state
    persons, clock = app.persons, app.clock
    scenario = client.app.state.scenarios.get("pay_later")
    connections = [await connect(database_url) for _ in hospitals]

    async def attempt(db, hospital: Business, code: str, reference: str) -> str:
        merchant = Principal(sub=f"m-h{reference}", role="merchant")
        data = bills.PreAuthorisation(code=code, hospital_id=hospital.id, reference=reference,
                                      amount_fen=30_000)
        try:
            ctx = Context(scenario=scenario, principal=merchant, endpoint="test", db=app.db,
                          grader=app.grader, clock=clock, persons=persons, config=None)
            async with db.transaction():
                await bills.preauthorise(db, ctx, data)
        except Conflict as exc:
            return exc.problem_slug
        return "ok"

    try:
        outcomes = await asyncio.gather(*(
            attempt(db, h, c, str(i))
            for i, (db, h, c) in enumerate(zip(connections, hospitals, codes, strict=True))))
    finally:
        for db in connections:
            await db.close()
    assert outcomes.count("ok") == 3, outcomes
    held = await conn.fetchval("SELECT sum(authorised_fen) FROM pay_later_bills")
    assert held == 90_000 <= 100_000
    r = await preauth(client, hospitals[0], await code_of(client, patient), 10_001, "ZY-9")
    assert r.status_code == 409 and "10000 fen available" in r.json()["detail"]


async def test_an_overdue_bill_suspends_the_line_until_it_is_paid(client, conn, clock) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 904, "hospital", "m-hospital")
    bill = (await preauth(client, hospital, await code_of(client, patient), 50_000)).json()
    charged = await client.post(f"{BASE}/bills/{bill['id']}/charge", headers=hospital.merchant,
                                json={"amount_fen": 50_000})
    due = charged.json()["due_on"]

    clock.advance(timedelta(days=16))  # default terms: 15 days to pay
    patient, hospital = await person(client, conn, "patient"), relogin(client, hospital)
    mine = await line(client, patient)
    assert mine["suspended"] and mine["available_fen"] == 0
    assert mine["bills"][0]["status"] == "overdue"
    me = await credit(client, patient)
    assert me["grade"] == "D"
    overdue = me["records"][0]
    assert (overdue["kind"], overdue["result"]) == ("payment", "overdue")
    assert overdue["occurred_on"] > due
    assert any(m["measure"]["key"] == "line_suspended_d" for m in me["measures"])
    r = await preauth(client, hospital, await code_of(client, patient), 100, "ZY-2")
    assert r.status_code == 403
    assert r.json()["type"] == "urn:xinyi:problem:pay-later-not-available"

    r = await client.post(f"{BASE}/bills/{bill['id']}/settle", headers=hospital.merchant)
    assert r.status_code == 200, r.text
    me = await credit(client, patient)
    assert (me["grade"], me["score"]) == ("B", 660)  # paid late: −40, the record stays
    assert [r["result"] for r in me["records"]] == ["late"]
    assert (await line(client, patient))["available_fen"] == 100_000


async def test_only_a_pilot_hospital_of_the_merchant_may_pre_authorise(client, conn) -> None:
    patient = await person(client, conn, "patient")
    new = await business(client, conn, 905, "hospital", "m-new", good=False)
    r = await preauth(client, new, await code_of(client, patient), 100)
    assert r.status_code == 403 and r.json()["type"] == "urn:xinyi:problem:hospital-not-in-pilot"
    hospital = await business(client, conn, 906, "hospital", "m-hospital")
    stranger = Business(hospital.id, auth(make_token(client.app, "merchant", sub="m-new")), "m-new")
    r = await preauth(client, stranger, await code_of(client, patient), 100)
    assert r.status_code == 403 and r.json()["type"] == "urn:xinyi:problem:not-your-subject"
    soup = await business(client, conn, 907, "beef_soup", "m-soup")
    r = await preauth(client, soup, await code_of(client, patient), 100)
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:not-covered"
    assert await conn.fetchval("SELECT count(*) FROM personal_codes WHERE used_at IS NOT NULL") \
        == 0


async def test_bills_move_only_forward(client, conn) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 908, "hospital", "m-hospital")
    bill = (await preauth(client, hospital, await code_of(client, patient), 5_000)).json()
    url = f"{BASE}/bills/{bill['id']}"
    r = await client.post(f"{url}/settle", headers=hospital.merchant)
    assert r.status_code == 409 and r.json()["type"] == "urn:xinyi:problem:bill-state"
    r = await client.post(f"{url}/charge", headers=hospital.merchant, json={"amount_fen": 5_001})
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:over-authorised"
    assert (await client.post(f"{url}/cancel", headers=hospital.merchant)).status_code == 200
    assert (await client.post(f"{url}/cancel", headers=hospital.merchant)).status_code == 409
    assert (await line(client, patient))["held_fen"] == 0
    dup = await preauth(client, hospital, await code_of(client, patient), 5_000)
    assert dup.status_code == 409 and dup.json()["type"] == "urn:xinyi:problem:duplicate-reference"


async def test_the_department_sets_the_payment_terms(client, conn) -> None:
    wjw = auth(make_token(client.app, dept="wjw", region="340400"))
    scjg = auth(make_token(client.app, dept="scjg", region="340400"))
    assert (await client.get(f"{BASE}/terms")).json()["due_days"] == 15
    r = await client.put(f"{BASE}/terms", headers=scjg, json={"due_days": 30})
    assert r.status_code == 403
    r = await client.put(f"{BASE}/terms", headers=wjw, json={"due_days": 91})
    assert r.status_code == 400
    r = await client.put(f"{BASE}/terms", headers=wjw, json={"due_days": 30})
    assert r.status_code == 200 and r.json()["due_days"] == 30
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 909, "hospital", "m-hospital")
    bill = (await preauth(client, hospital, await code_of(client, patient), 5_000)).json()
    charged = (await client.post(f"{BASE}/bills/{bill['id']}/charge", headers=hospital.merchant,
                                 json={"amount_fen": 5_000})).json()
    today = client.app.state.clock.today()
    assert charged["due_on"] == (today + timedelta(days=30)).isoformat()
    r = await client.post(f"{BASE}/overdue-check", headers=wjw)
    assert r.status_code == 200 and r.json() == {"marked": 0}


async def test_the_daily_sync_command_marks_unpaid_bills_overdue(client, conn, clock,
                                                                 database_url, tmp_path) -> None:
    patient = await person(client, conn, "patient")
    hospital = await business(client, conn, 920, "hospital", "m-hospital")
    bill = (await preauth(client, hospital, await code_of(client, patient), 5_000)).json()
    clock.advance(-timedelta(days=20))  # charged 20 days ago: due 5 days ago
    hospital = relogin(client, hospital)
    await client.post(f"{BASE}/bills/{bill['id']}/charge", headers=hospital.merchant,
                      json={"amount_fen": 5_000})
    env = {**os.environ, "DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "xinyi_api.cli", "persons", "sync", "--as-of",
           TODAY.isoformat()]

    def sync() -> subprocess.CompletedProcess[str]:
        return subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)

    done = await asyncio.to_thread(sync)
    assert done.returncode == 0, done.stderr
    assert "1 person record(s) written" in done.stdout
    assert await conn.fetchval("SELECT status FROM pay_later_bills") == "overdue"
    assert await conn.fetchval("SELECT result FROM person_records") == "overdue"
    again = await asyncio.to_thread(sync)
    assert "0 person record(s) written" in again.stdout
