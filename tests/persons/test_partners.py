"""Scenario partners: 信易游 offers enrolled by the department, shown on scan, redeemed once per
code; 信用+物业 fee reports that add the scenario's CreditPoints to the person's credit."""

from __future__ import annotations

from tests.conftest import auth, make_token
from tests.persons.conftest import business, code_of, credit, malicious_rating, person

TOURISM = "/api/v1/scenarios/tourism"


def wlj(client):
    return auth(make_token(client.app, dept="wlj", region="340400", scenarios=["tourism"]))


async def test_xinyiyou_deposit_free_stay_redeems_once_per_code(client, conn) -> None:
    hotel = await business(client, conn, 951, "hotel", "m-hotel")
    r = await client.put(f"{TOURISM}/participants/{hotel.id}", headers=wlj(client),
                         json={"measures": ["deposit_free_ab"]})
    assert r.status_code == 200, r.text
    assert [o["key"] for o in r.json()["offers"]] == ["deposit_free_ab"]
    listed = (await client.get(f"{TOURISM}/participants")).json()
    assert [p["subject_id"] for p in listed] == [hotel.id]

    # the offer shows on the hotel's 诚信码 scan page
    code_url = (await client.get(f"/api/v1/enterprises/{hotel.id}")).json()["code_url"]
    scan = (await client.get(f"/api/v1/scan/{code_url.rsplit('/', 1)[-1]}")).json()
    offer = next(b for b in scan["badges"] if b["key"] == "deposit_free_ab")
    assert offer["kind"] == "incentive" and "免押金" in offer["label"] and offer["basis"]

    guest = await person(client, conn, "guest")
    code = await code_of(client, guest)
    body = {"code": code, "subject_id": hotel.id, "measure": "deposit_free_ab"}
    r = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["eligible"] is True and r.json()["redemption_id"]
    assert set(r.json()) == {"eligible", "measure", "redemption_id", "redeemed_at"}
    again = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json=body)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:xinyi:problem:personal-code-used"
    assert await conn.fetchval("SELECT count(*) FROM measure_redemptions") == 1
    entry = await conn.fetchrow("SELECT actor, detail FROM audit_log "
                                "WHERE action = 'personal_code.redeem'")
    assert entry["actor"] == "m-hotel" and entry["detail"]["eligible"] is True


async def test_a_person_below_the_offer_grade_is_told_not_eligible_and_nothing_else(
        client, conn) -> None:
    hotel = await business(client, conn, 952, "hotel", "m-hotel")
    await client.put(f"{TOURISM}/participants/{hotel.id}", headers=wlj(client),
                     json={"measures": ["deposit_free_ab", "xinyiyou_discount_a"]})
    await malicious_rating(conn, "troll", hotel.id)
    troll = await person(client, conn, "troll")
    r = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json={
        "code": await code_of(client, troll), "subject_id": hotel.id,
        "measure": "deposit_free_ab"})
    assert r.status_code == 200 and r.json()["eligible"] is False
    assert set(r.json()) == {"eligible", "measure", "redemption_id", "redeemed_at"}
    assert "score" not in r.text and "malicious" not in r.text
    assert await conn.fetchval("SELECT count(*) FROM measure_redemptions") == 0
    # a B person is not eligible for the A-only discount either
    guest = await person(client, conn, "guest")
    r = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json={
        "code": await code_of(client, guest), "subject_id": hotel.id,
        "measure": "xinyiyou_discount_a"})
    assert r.json()["eligible"] is False


async def test_enrolment_and_redemption_refuse_what_the_scenario_does_not_allow(client,
                                                                              conn) -> None:
    hotel = await business(client, conn, 953, "hotel", "m-hotel")
    soup = await business(client, conn, 954, "beef_soup", "m-soup")
    url = f"{TOURISM}/participants/{hotel.id}"
    r = await client.put(url, headers=wlj(client), json={"measures": ["inspections_a"]})
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:not-a-person-offer"
    r = await client.put(f"{TOURISM}/participants/{soup.id}", headers=wlj(client),
                         json={"measures": ["deposit_free_ab"]})
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:not-covered"
    scjg = auth(make_token(client.app, dept="scjg", region="340400"))
    r = await client.put(url, headers=scjg, json={"measures": ["deposit_free_ab"]})
    assert r.status_code == 403
    r = await client.put(url, headers=wlj(client), json={"measures": []})
    assert r.status_code == 400
    guest = await person(client, conn, "guest")
    code = await code_of(client, guest)
    r = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json={
        "code": code, "subject_id": hotel.id, "measure": "deposit_free_ab"})
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:offer-not-available"
    await client.put(url, headers=wlj(client), json={"measures": ["deposit_free_ab"]})
    r = await client.post(f"{TOURISM}/redemptions", headers=soup.merchant, json={
        "code": code, "subject_id": hotel.id, "measure": "deposit_free_ab"})
    assert r.status_code == 403  # not the hotel's merchant; the code stays unspent
    assert await conn.fetchval("SELECT count(*) FROM personal_codes WHERE used_at IS NOT NULL") \
        == 0
    assert (await client.delete(url, headers=wlj(client))).status_code == 204
    assert (await client.delete(url, headers=wlj(client))).status_code == 404


async def test_property_fees_paid_on_time_add_the_scenarios_credit_points(client, conn) -> None:
    company = await business(client, conn, 961, "property_management", "m-estate")
    owner = await person(client, conn, "owner")
    report = {"subject_id": company.id, "result": "on_time", "period": "2026",
              "title": "2026年度物业费按时足额交纳"}
    r = await client.post("/api/v1/scenarios/property/person-reports", headers=company.merchant,
                          json={**report, "code": await code_of(client, owner)})
    assert r.status_code == 201 and r.json()["created"] is True
    me = await credit(client, owner)
    assert me["score"] == 705  # the property scenario's CreditPoints(points=5)
    points = next(i for i in me["explanation"]["indicators"] if i["key"] == "scenario_points")
    assert points["points"] == 5 and "信用+物业" in points["reasons"][0]["text"]
    # the same period again corrects the report instead of adding points twice
    r = await client.post("/api/v1/scenarios/property/person-reports", headers=company.merchant,
                          json={**report, "code": await code_of(client, owner)})
    assert r.status_code == 201 and r.json()["created"] is False
    assert (await credit(client, owner))["score"] == 705
    r = await client.post("/api/v1/scenarios/tourism/person-reports", headers=company.merchant,
                          json={**report, "code": await code_of(client, owner)})
    assert r.status_code == 422 and r.json()["type"] == "urn:xinyi:problem:no-credit-points"
    export = (await client.get("/api/v1/me/export", headers=owner)).json()
    assert [(r["source"], r["result"]) for r in export["personal_records"]] == [
        ("property", "on_time")]
