from litestar.testing import AsyncTestClient

from tests.conftest import assert_problem, uscc


async def test_health_and_ready(client: AsyncTestClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_create_enterprise_and_store(client: AsyncTestClient, dept_headers) -> None:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(1), "name": "淮南老韩家牛肉汤有限公司", "region_code": "340403",
        "industry": "beef_soup"})
    assert r.status_code == 201, r.text
    ent = r.json()
    r = await client.post(f"/api/v1/enterprises/{ent['id']}/stores", headers=dept_headers, json={
        "name": "老韩家牛肉汤(洞山店)", "region_code": "340403", "industry": "beef_soup"})
    assert r.status_code == 201, r.text
    r = await client.get("/api/v1/stores", params={"q": "牛肉汤"})
    assert r.json()["items"][0]["name"] == "老韩家牛肉汤(洞山店)"
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={"uscc": "x"})
    assert_problem(r, 400)


async def test_openapi_marks_who_may_call_each_operation(client: AsyncTestClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    create = spec["paths"]["/api/v1/enterprises"]["post"]
    assert create["security"] == [{"BearerToken": []}]
    assert "Who may call:** department" in create["description"]
    search = spec["paths"]["/api/v1/stores"]["get"]
    assert "security" not in search and "anyone" in search["description"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
