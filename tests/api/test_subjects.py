"""Registering, changing, closing and searching enterprises and stores."""

import pytest

from tests.conftest import assert_problem, uscc

ENT = {"name": "淮南老韩家牛肉汤有限公司", "region_code": "340403", "industry": "beef_soup",
       "address": "田家庵区洞山中路 88 号"}
STORE = {"name": "老韩家牛肉汤(洞山店)", "region_code": "340403", "industry": "beef_soup"}


async def _enterprise(client, headers, n: int = 1, **over) -> dict:
    r = await client.post("/api/v1/enterprises", headers=headers,
                          json={**ENT, "uscc": uscc(n), **over})
    assert r.status_code == 201, r.text
    return r.json()


async def _store(client, headers, enterprise_id: str, **over) -> dict:
    r = await client.post(f"/api/v1/enterprises/{enterprise_id}/stores", headers=headers,
                          json={**STORE, **over})
    assert r.status_code == 201, r.text
    return r.json()


async def _count(conn, table: str = "subjects") -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table}")


async def test_registering_an_enterprise_returns_its_profile(client, dept_headers) -> None:
    ent = await _enterprise(client, dept_headers, latitude=32.62, longitude=117.0)
    assert ent["id"].startswith("E") and len(ent["id"]) == 9
    assert ent["uscc"] == uscc(1) and ent["kind"] == "enterprise"
    assert ent["grade"]["grade"] == "unrated" and ent["grade"]["grade_label"] == "暂无评级"
    assert (await client.get(f"/api/v1/enterprises/{ent['id']}")).json()["name"] == ENT["name"]


async def test_duplicate_uscc_is_409_and_names_the_existing_subject(client, dept_headers,
                                                                   conn) -> None:
    first = await _enterprise(client, dept_headers)
    r = await client.post("/api/v1/enterprises", headers=dept_headers,
                          json={**ENT, "uscc": uscc(1).lower()})
    body = assert_problem(r, 409, "duplicate-uscc")
    assert body["existing_id"] == first["id"]
    assert await _count(conn) == 1


async def test_invalid_uscc_is_422_with_the_reason(client, dept_headers, conn) -> None:
    bad = uscc(1)[:-1] + ("0" if uscc(1)[-1] != "0" else "1")
    body = assert_problem(await client.post("/api/v1/enterprises", headers=dept_headers,
                                            json={**ENT, "uscc": bad}), 422, "invalid-uscc")
    assert "check character" in body["detail"]
    assert await _count(conn) == 0


@pytest.mark.parametrize(
    "body",
    [
        {**ENT, "uscc": "X", "typo_field": 1},  # unknown field
        {**ENT, "uscc": uscc(1), "region_code": 340403},  # wrong type
        {**ENT, "uscc": uscc(1), "region_code": "34040"},  # pattern
        {**ENT, "uscc": uscc(1), "name": ""},  # too short
        {**ENT, "uscc": uscc(1), "latitude": 123.0, "longitude": 1.0},  # out of range
        {"uscc": uscc(1)},  # missing fields
    ],
)
async def test_malformed_bodies_are_400_and_write_nothing(client, dept_headers, conn,
                                                          body) -> None:
    assert_problem(await client.post("/api/v1/enterprises", headers=dept_headers, json=body), 400)
    assert await _count(conn) == 0


async def test_half_a_location_is_422(client, dept_headers, conn) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers,
                          json={**ENT, "uscc": uscc(1), "latitude": 32.6})
    assert_problem(r, 422, "invalid-location")
    assert await _count(conn) == 0


async def test_not_json_is_400(client, dept_headers) -> None:
    r = await client.post("/api/v1/enterprises", headers={**dept_headers,
                          "content-type": "application/json"}, content=b"{not json")
    assert_problem(r, 400)


async def test_oversized_body_is_413(client, dept_headers, conn) -> None:
    huge = {**ENT, "uscc": uscc(1), "address": "很" * 100_000}
    assert_problem(await client.post("/api/v1/enterprises", headers=dept_headers, json=huge), 413)
    assert await _count(conn) == 0


async def test_department_outside_its_region_is_403(client, district_headers, conn) -> None:
    r = await client.post("/api/v1/enterprises", headers=district_headers,
                          json={**ENT, "uscc": uscc(1), "region_code": "340422"})
    assert_problem(r, 403, "out-of-region")
    assert await _count(conn) == 0


async def test_a_store_gets_its_own_file_and_grade(client, dept_headers) -> None:
    ent = await _enterprise(client, dept_headers)
    store = await _store(client, dept_headers, ent["id"])
    assert store["id"].startswith("S") and store["enterprise_name"] == ENT["name"]
    assert store["grade"]["grade"] == "unrated"
    grade = (await client.get(f"/api/v1/subjects/{store['id']}/grade")).json()
    assert grade["subject_id"] == store["id"] and grade["rule_version"] == "1"


async def test_store_of_unknown_enterprise_is_404(client, dept_headers) -> None:
    r = await client.post("/api/v1/enterprises/E99999999/stores", headers=dept_headers,
                          json=STORE)
    assert_problem(r, 404)


async def test_closing_an_enterprise_closes_its_stores_and_keeps_them(client, dept_headers,
                                                                      conn) -> None:
    ent = await _enterprise(client, dept_headers)
    store = await _store(client, dept_headers, ent["id"])
    r = await client.patch(f"/api/v1/enterprises/{ent['id']}", headers=dept_headers,
                           json={"closed": True, "closed_reason": "经营者申请注销"})
    assert r.status_code == 200 and r.json()["closed"] is True
    closed_store = (await client.get(f"/api/v1/stores/{store['id']}")).json()
    assert closed_store["closed"] is True
    assert await _count(conn) == 2  # nothing deleted
    r = await client.post(f"/api/v1/enterprises/{ent['id']}/stores", headers=dept_headers,
                          json=STORE)
    assert_problem(r, 409, "subject-closed")


async def test_subjects_cannot_be_deleted_even_in_sql(client, dept_headers, conn) -> None:
    import asyncpg

    ent = await _enterprise(client, dept_headers)
    with pytest.raises(asyncpg.RestrictViolationError, match="never deleted"):
        await conn.execute("DELETE FROM subjects WHERE id = $1", ent["id"])


async def test_empty_update_is_422(client, dept_headers) -> None:
    ent = await _enterprise(client, dept_headers)
    r = await client.patch(f"/api/v1/enterprises/{ent['id']}", headers=dept_headers, json={})
    assert_problem(r, 422, "empty-update")


async def test_ids_stay_stable_after_renaming(client, dept_headers) -> None:
    ent = await _enterprise(client, dept_headers)
    r = await client.patch(f"/api/v1/enterprises/{ent['id']}", headers=dept_headers,
                           json={"name": "淮南韩记餐饮有限公司"})
    assert r.json()["id"] == ent["id"] and r.json()["name"] == "淮南韩记餐饮有限公司"


async def test_malformed_ids_are_400_not_500(client) -> None:
    assert_problem(await client.get("/api/v1/stores/'; DROP TABLE subjects;--"), 400)
    assert_problem(await client.get("/api/v1/enterprises/E123"), 400)


async def test_store_search_filters_and_pages(client, dept_headers) -> None:
    a = await _enterprise(client, dept_headers, 1)
    b = await _enterprise(client, dept_headers, 2, name="八公山豆腐宴", industry="catering",
                          kind="individual")
    ids = [(await _store(client, dept_headers, a["id"], name=f"老韩家牛肉汤({n}店)"))["id"]
           for n in ("洞山", "朝阳", "国庆")]
    other = await _store(client, dept_headers, b["id"], name="八公山豆腐宴(寿县店)",
                         region_code="340422", industry="catering")
    page1 = (await client.get("/api/v1/stores", params={"q": "牛肉汤", "limit": 2})).json()
    assert [i["id"] for i in page1["items"]] == ids[:2]
    page2 = (await client.get("/api/v1/stores", params={"q": "牛肉汤", "limit": 2,
                                                        "cursor": page1["next_cursor"]})).json()
    assert [i["id"] for i in page2["items"]] == ids[2:] and page2["next_cursor"] is None
    by_region = (await client.get("/api/v1/stores", params={"region": "340422"})).json()
    assert [i["id"] for i in by_region["items"]] == [other["id"]]
    city = (await client.get("/api/v1/stores", params={"region": "340400"})).json()
    assert len(city["items"]) == 4
    by_kind = (await client.get("/api/v1/stores", params={"kind": "individual"})).json()
    assert [i["id"] for i in by_kind["items"]] == [other["id"]]
    unrated = (await client.get("/api/v1/stores", params={"grade": "unrated"})).json()
    assert len(unrated["items"]) == 4 and unrated["items"][0]["grade_label"] == "暂无评级"
    assert (await client.get("/api/v1/stores", params={"grade": "A"})).json()["items"] == []


async def test_search_treats_wildcards_literally(client, dept_headers) -> None:
    ent = await _enterprise(client, dept_headers)
    await _store(client, dept_headers, ent["id"])
    assert (await client.get("/api/v1/stores", params={"q": "%"})).json()["items"] == []


async def test_bad_search_parameters_are_400(client) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"grade": "E"}, {"region": "34"},
                   {"cursor": "x"}):
        assert_problem(await client.get("/api/v1/stores", params=params), 400)
