"""个人信用: my grade from my own records, the measures it earns, the dynamic personal code."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import auth, make_token
from tests.persons.conftest import business, code_of, credit, malicious_rating, person
from xinyi_api.persons import codes

KEY = b"k" * 32


async def test_a_person_without_records_is_b_and_earns_the_b_person_measures(client,
                                                                          conn) -> None:
    me = await person(client, conn, "alice")
    body = await credit(client, me)
    assert (body["grade"], body["score"], body["grade_label"]) == ("B", 700, "B级 较诚信")
    assert [i["key"] for i in body["explanation"]["indicators"]] == [
        "payments", "scenario_points", "malicious_ratings"]
    assert body["records"] == []
    earned = {(m["scenario"], m["measure"]["key"]) for m in body["measures"]}
    assert ("pay_later", "credit_line_b") in earned
    assert ("tourism", "deposit_free_ab") in earned
    assert ("tourism", "xinyiyou_discount_a") not in earned  # A only
    line = next(m["measure"] for m in body["measures"] if m["measure"]["key"] == "credit_line_b")
    assert line["effect"] == {"type": "credit_line", "yuan": 1000, "service": "pay_later"}
    assert line["basis"]["document"]  # every measure shows its basis
    measures = (await client.get("/api/v1/me/measures", headers=me)).json()
    assert measures == body["measures"]


async def test_a_malicious_rating_found_by_moderation_lowers_my_grade(client, conn) -> None:
    me = await person(client, conn, "troll")
    shop = await business(client, conn, 801, "beef_soup", "m-soup")
    await malicious_rating(conn, "troll", shop.id)
    body = await credit(client, me)
    assert (body["grade"], body["score"]) == ("C", 550)
    malicious = next(i for i in body["explanation"]["indicators"]
                     if i["key"] == "malicious_ratings")
    assert malicious["points"] == -150 and shop.id in malicious["reasons"][0]["text"]
    assert [r["kind"] for r in body["records"]] == ["malicious_rating"]
    # C earns no 先医后付 line and no 信易游 offer.
    assert not [m for m in body["measures"] if m["measure"]["effect"]["type"] == "credit_line"]


async def test_my_credit_is_mine_alone(client, conn) -> None:
    await person(client, conn, "alice")
    shop = await business(client, conn, 802, "beef_soup", "m-soup")
    r = await client.get("/api/v1/me/credit", headers=shop.merchant)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/me/credit")).status_code == 401


async def test_a_personal_code_is_short_lived_signed_and_names_nobody(client, conn, clock) -> None:
    me = await person(client, conn, "alice")
    r = await client.post("/api/v1/me/credit-code", headers=me)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["expires_in"] == 60 and len(body["code"]) == codes.CODE_LENGTH
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(0) < expires - clock.now() <= timedelta(seconds=61)
    raw = base64.b32decode(body["code"] + "=" * (-len(body["code"]) % 8))
    assert b"alice" not in raw and person_id_bytes("alice") not in raw
    row = await conn.fetchrow("SELECT person_id, used_at FROM personal_codes")
    assert row["used_at"] is None and row["person_id"].startswith("c_")
    # two codes are different
    assert await code_of(client, me) != body["code"]


def person_id_bytes(name: str) -> bytes:
    from tests.persons.conftest import person_id

    return person_id(name).encode()


async def test_a_code_for_an_account_that_does_not_exist_is_refused(client) -> None:
    headers = auth(make_token(client.app, "consumer", sub="c_" + "a" * 26))
    r = await client.post("/api/v1/me/credit-code", headers=headers)
    assert r.status_code == 404 and r.json()["type"] == "urn:xinyi:problem:unknown-person"


async def test_issuing_codes_is_rate_limited(client, conn, settings) -> None:
    from dataclasses import replace

    client.app.state.platform.settings = replace(settings, rate_limits=(("personal_code", 2, 600),))
    me = await person(client, conn, "alice")
    for _ in range(2):
        await code_of(client, me)
    r = await client.post("/api/v1/me/credit-code", headers=me)
    assert r.status_code == 429 and "retry-after" in r.headers


def test_a_code_round_trips_and_its_expiry_is_signed() -> None:
    at = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
    issued = codes.new_code(KEY, at)
    read = codes.read_code(KEY, issued.code)
    assert (read.nonce, read.expires_at) == (issued.nonce, at)
    assert codes.read_code(KEY, issued.code.lower()).nonce == issued.nonce


@given(st.data())
def test_mutated_or_random_codes_are_refused_cleanly(data: st.DataObject) -> None:
    issued = codes.new_code(KEY, datetime(2026, 11, 22, tzinfo=UTC))
    mode = data.draw(st.sampled_from(["flip", "truncate", "random", "wrong_key"]))
    if mode == "flip":
        i = data.draw(st.integers(0, len(issued.code) - 1))
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".replace(issued.code[i], "")
        text = issued.code[:i] + data.draw(st.sampled_from(alphabet)) + issued.code[i + 1:]
    elif mode == "truncate":
        text = issued.code[: data.draw(st.integers(0, len(issued.code) - 1))]
    elif mode == "random":
        text = data.draw(st.text(max_size=80))
    else:
        text = codes.new_code(b"x" * 32, datetime(2026, 11, 22, tzinfo=UTC)).code
    try:
        codes.read_code(KEY, text)
    except codes.InvalidPersonalCode:
        return
    # Changing the last character can keep the decoded bytes (base32 padding bits).
    assert mode == "flip" and codes.read_code(KEY, text).nonce == issued.nonce
