"""个人信息导出: the export holds everything stored about the person — the core's data and what
every scenario keeps about them in its own tables (先医后付 bills, 信易游 redemptions), through the
``person_data_sources`` hook."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import NOW, auth, make_token
from tests.persons.conftest import business, code_of, person, person_id
from xinyi_api.hookspecs import hookimpl
from xinyi_api.plugins import plugin_manager
from xinyi_api.scenarios.model import PersonDataSource

TOURISM = "/api/v1/scenarios/tourism"
PAY_LATER = "/api/v1/scenarios/pay_later"


def _section(export: dict[str, Any], source: str) -> dict[str, Any]:
    found = [s for s in export["scenario_data"] if s["source"] == source]
    assert len(found) == 1, export["scenario_data"]
    data: dict[str, Any] = found[0]["data"]
    return data


async def test_the_export_holds_bills_redemptions_codes_and_votes(client, conn) -> None:
    guest = await person(client, conn, "guest")
    hotel = await business(client, conn, 961, "hotel", "m-hotel")
    hospital = await business(client, conn, 962, "hospital", "m-hospital")
    wlj = auth(make_token(client.app, dept="wlj", region="340400", scenarios=["tourism"]))
    r = await client.put(f"{TOURISM}/participants/{hotel.id}", headers=wlj,
                         json={"measures": ["deposit_free_ab"]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{TOURISM}/redemptions", headers=hotel.merchant, json={
        "code": await code_of(client, guest), "subject_id": hotel.id,
        "measure": "deposit_free_ab"})
    assert r.status_code == 200, r.text
    r = await client.post(f"{PAY_LATER}/preauthorisations", headers=hospital.merchant, json={
        "code": await code_of(client, guest), "hospital_id": hospital.id,
        "reference": "ZY-7", "amount_fen": 30_000})
    assert r.status_code == 201, r.text
    bill = r.json()["id"]

    export = (await client.get("/api/v1/me/export", headers=guest)).json()
    pay_later = _section(export, "pay_later")
    assert [(b["id"], b["hospital_id"], b["hospital_name"], b["reference"], b["status"],
             b["authorised_fen"]) for b in pay_later["bills"]] == [
        (bill, hospital.id, "合作单位962", "ZY-7", "authorised", 30_000)]
    assert len(pay_later["account"]) == 1
    tourism = _section(export, "tourism")
    assert [(x["measure"], x["subject_id"], x["business_name"])
            for x in tourism["redemptions"]] == [("deposit_free_ab", hotel.id, "合作单位961")]
    assert tourism["redemptions"][0]["measure_title"]
    assert {s["source"] for s in export["scenario_data"]} == {"pay_later", "tourism"}
    # Both codes are still kept (without the code itself), with what they were used for.
    assert len(export["personal_codes"]) == 2
    assert all(c["used_at"] for c in export["personal_codes"])
    assert "code" not in export["personal_codes"][0]
    assert export["helpful_votes"] == []

    # Someone else's export holds none of it.
    other = await person(client, conn, "other")
    theirs = (await client.get("/api/v1/me/export", headers=other)).json()
    assert theirs["scenario_data"] == [] and theirs["personal_codes"] == []


async def test_redemptions_of_a_scenario_no_longer_enabled_still_come_out(
        client, conn: asyncpg.Connection) -> None:
    guest = await person(client, conn, "guest")
    hotel = await business(client, conn, 963, "hotel", "m-hotel")
    await conn.execute(
        "INSERT INTO measure_redemptions (scenario, measure, subject_id, person_id, redeemed_by,"
        " redeemed_at) VALUES ('retired_scenario', 'old_offer', $1, $2, 'm-hotel', $3)",
        hotel.id, person_id("guest"), NOW)
    export = (await client.get("/api/v1/me/export", headers=guest)).json()
    old = _section(export, "scenarios")["redemptions"]
    assert [(x["scenario"], x["measure"], x["measure_title"]) for x in old] == [
        ("retired_scenario", "old_offer", None)]


class _Extension:
    """An extension keeping personal data of its own contributes it through the hook."""

    @hookimpl
    def person_data_sources(self, platform: Any) -> list[PersonDataSource]:
        async def export(conn: asyncpg.Connection, person: str) -> dict[str, list[Any]]:
            return {"notes": [{"person": person, "text": "备注"}], "empty": []}

        return [PersonDataSource(key="ext_notes", title="扩展备注", export=export)]


async def test_an_extension_contributes_its_own_section_through_the_hook(client, conn) -> None:
    guest = await person(client, conn, "guest")
    extension = _Extension()
    plugin_manager().register(extension)
    try:
        export = (await client.get("/api/v1/me/export", headers=guest)).json()
    finally:
        plugin_manager().unregister(extension)
    section = next(s for s in export["scenario_data"] if s["source"] == "ext_notes")
    assert section["title"] == "扩展备注"
    assert section["data"] == {"notes": [{"person": person_id("guest"), "text": "备注"}]}
