"""A consumer's scan of a store carries what the mini-program's rating screen needs: the store's
rating dimensions (chosen by the documented rule, before anyone rated it), the consumer's own
latest rating and the visit state — one call, no second round trip."""

from __future__ import annotations

import asyncpg

from tests.ratings.conftest import Client, Shop, consumer, open_shop, rate, scan
from xinyi_api.ratings.service import rating_dimensions


def dimension_keys(client: Client, shop: Shop, industry: str) -> list[str]:
    return [d.key for d in rating_dimensions(client.app.state.scenarios, "store", industry)]


async def test_a_consumer_scan_brings_dimensions_visit_state_and_my_latest_rating(
    client: Client, shop: Shop
) -> None:
    alice = consumer(client.app, "alice")
    personal = (await scan(client, shop, alice))["personal"]
    assert personal["can_rate"] is True and personal["visit_proof"]["store_id"] == shop.id
    assert [d["key"] for d in personal["rating_dimensions"]] == dimension_keys(
        client, shop, "beef_soup")
    assert {d["name_zh"] for d in personal["rating_dimensions"]} >= {"口味", "卫生"}
    assert personal["my_rating"] is None

    written = await rate(client, shop, alice, 4, text="汤很鲜", dimensions={"taste": 5})
    personal = (await scan(client, shop, alice))["personal"]
    mine = personal["my_rating"]
    assert mine["id"] == written["rating"]["id"] and mine["stars"] == 4
    assert mine["text"] == "汤很鲜" and mine["dimensions"] == {"taste": 5}

    edited = await rate(client, shop, alice, 2, status=200, text="今天的汤咸了")
    assert edited["edited"] is True
    assert (await scan(client, shop, alice))["personal"]["my_rating"]["stars"] == 2
    # Another consumer sees their own state, never alice's rating.
    bob = (await scan(client, shop, consumer(client.app, "bob")))["personal"]
    assert bob["my_rating"] is None


async def test_a_hospital_scan_offers_the_pay_later_dimensions(
    client: Client, dept_headers: dict[str, str], conn: asyncpg.Connection
) -> None:
    hospital = await open_shop(client, dept_headers, conn, 502, industry="hospital")
    scenario = client.app.state.scenarios.get("pay_later")
    assert scenario is not None and scenario.dimensions
    personal = (await scan(client, hospital, consumer(client.app, "carol")))["personal"]
    assert [d["key"] for d in personal["rating_dimensions"]] == [
        d.key for d in scenario.dimensions]


async def test_anonymous_scans_carry_nothing_personal(client: Client, shop: Shop) -> None:
    assert (await scan(client, shop, {}))["personal"] is None
