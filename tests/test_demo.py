from collections import Counter

from xinyi_api.db.pool import connect
from xinyi_api.demo.loader import load_demo


async def test_demo_loads_once_with_grades_across_the_scale(client, database_url) -> None:
    conn = await connect(database_url)
    try:
        report = await load_demo(conn, client.app.state.settings)
        assert report.startswith("demo data loaded")
        assert await load_demo(conn, client.app.state.settings) == "demo data already loaded"
        stores = await conn.fetchval("SELECT count(*) FROM subjects WHERE type = 'store'")
        enterprises = await conn.fetchval("SELECT count(*) FROM subjects WHERE type <> 'store'")
        assert enterprises >= 200 and stores >= enterprises
        grades = Counter(r["grade"] for r in await conn.fetch(
            "SELECT grade FROM grades WHERE scheme = 'public'"))
        assert set(grades) == {"A", "B", "C", "D", "unrated"}
    finally:
        await conn.close()
    r = await client.get("/api/v1/stores", params={"q": "牛肉汤", "grade": "A"})
    assert r.json()["items"] and "牛肉汤" in r.json()["items"][0]["name"]
    # 信易游 offers are enrolled at the demo's hotels and scenic spots
    offers = (await client.get("/api/v1/scenarios/tourism/participants")).json()
    assert {o["key"] for p in offers for o in p["offers"]} == {"deposit_free_ab",
                                                               "xinyiyou_discount_a"}
