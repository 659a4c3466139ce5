"""Adding, correcting and withdrawing credit records; the grade follows in the same write."""

from datetime import timedelta

import asyncpg
import pytest

from tests.conftest import TODAY, assert_problem, auth, make_token, uscc

PENALTY = {"kind": "penalty", "severity": "general", "title": "从业人员未取得健康证明上岗",
           "legal_basis": "《中华人民共和国食品安全法》第一百二十六条", "occurred_on": "2026-09-01"}


@pytest.fixture
async def store(client, dept_headers) -> str:
    r = await client.post("/api/v1/enterprises", headers=dept_headers, json={
        "uscc": uscc(3), "name": "张记牛肉汤", "region_code": "340403", "industry": "beef_soup"})
    r = await client.post(f"/api/v1/enterprises/{r.json()['id']}/stores", headers=dept_headers,
                          json={"name": "张记牛肉汤(朝阳路店)", "region_code": "340403",
                                "industry": "beef_soup"})
    return r.json()["id"]


async def _add(client, headers, store, body):
    return await client.post(f"/api/v1/subjects/{store}/records", headers=headers, json=body)


async def _records(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM credit_records")


async def test_adding_records_regrades_in_the_same_write(client, dept_headers, store,
                                                         conn) -> None:
    r = await _add(client, dept_headers, store, {"kind": "licence", "title": "食品经营许可证",
                                                 "occurred_on": "2026-01-10"})
    assert r.status_code == 201 and r.json()["grade"]["grade"] == "unrated"
    r = await _add(client, dept_headers, store, PENALTY)
    body = r.json()
    assert body["record"]["source_department"] == "scjg"
    assert body["record"]["kind_label"] == "行政处罚" and body["record"]["severity_label"] == "一般"
    assert body["record"]["public_until"] == "2027-08-31"
    # 700 + 30 − 80 = 650 → B
    assert (body["grade"]["score"], body["grade"]["grade"]) == (650, "B")
    stored = await conn.fetchrow("SELECT score, grade FROM grades WHERE subject_id = $1"
                                 " AND scheme = 'public'", store)
    assert (stored["score"], stored["grade"]) == (650, "B")
    history = (await client.get(f"/api/v1/subjects/{store}/grade/history")).json()
    # newest first: the penalty (B), the licence (explanation changed), the registration
    assert [h["grade"] for h in history] == ["B", "unrated", "unrated"]


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({**PENALTY, "legal_basis": ""}, "missing-legal-basis"),
        ({**PENALTY, "severity": None}, "invalid-record"),
        ({"kind": "inspection", "title": "检查", "occurred_on": "2026-09-01"}, "invalid-record"),
        ({"kind": "licence", "result": "pass", "title": "许可", "occurred_on": "2026-09-01"},
         "invalid-record"),
        # Tomorrow: a plausible date (2999 is refused as implausible, 400), but in the future.
        ({**PENALTY, "occurred_on": (TODAY + timedelta(days=1)).isoformat()}, "invalid-record"),
        ({**PENALTY, "published_on": "2026-08-01"}, "invalid-record"),
    ],
)
async def test_ill_formed_records_are_422_and_write_nothing(client, dept_headers, store, conn,
                                                            body, slug) -> None:
    assert_problem(await _add(client, dept_headers, store, body), 422, slug)
    assert await _records(conn) == 0


@pytest.mark.parametrize(
    "body",
    [{**PENALTY, "kind": "gossip"}, {**PENALTY, "severity": "huge"},
     {**PENALTY, "occurred_on": "yesterday"}, {**PENALTY, "extra": 1}, {**PENALTY, "title": ""}],
)
async def test_malformed_records_are_400(client, dept_headers, store, conn, body) -> None:
    assert_problem(await _add(client, dept_headers, store, body), 400)
    assert await _records(conn) == 0


async def test_record_on_unknown_subject_is_404(client, dept_headers) -> None:
    assert_problem(await _add(client, dept_headers, "S99999999", PENALTY), 404)


async def test_anonymous_cannot_add_records(client, store, conn) -> None:
    assert_problem(await _add(client, {}, store, PENALTY), 401)
    assert await _records(conn) == 0


async def test_withdrawing_needs_a_reason_and_hides_the_record(client, dept_headers, store,
                                                               conn) -> None:
    record = (await _add(client, dept_headers, store, PENALTY)).json()["record"]
    url = f"/api/v1/records/{record['id']}"
    assert_problem(await client.patch(url, headers=dept_headers, json={"withdrawn": True}), 422,
                   "missing-reason")
    r = await client.patch(url, headers=dept_headers,
                           json={"withdrawn": True, "reason": "处罚决定被行政复议撤销"})
    assert r.status_code == 200 and r.json()["record"]["status_label"] == "已撤销"
    assert r.json()["grade"]["grade"] == "unrated"
    assert (await client.get(f"/api/v1/subjects/{store}/records")).json() == []
    assert await _records(conn) == 1  # kept, never deleted
    assert_problem(await client.patch(url, headers=dept_headers, json={"title": "x"}), 409,
                   "record-final")
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("DELETE FROM credit_records")


async def test_correcting_severity_moves_display_period_and_grade(client, dept_headers,
                                                                  store) -> None:
    record = (await _add(client, dept_headers, store, PENALTY)).json()["record"]
    r = await client.patch(f"/api/v1/records/{record['id']}", headers=dept_headers,
                           json={"severity": "minor", "reason": "按处罚决定书更正情节"})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["public_until"] == "2026-11-30"
    assert r.json()["grade"]["explanation"]["indicators"][0]["points"] == -30


async def test_a_correction_carries_a_reason_kept_in_the_record_history(
        client, dept_headers, store, conn) -> None:
    record = (await _add(client, dept_headers, store, PENALTY)).json()["record"]
    url = f"/api/v1/records/{record['id']}"
    assert_problem(await client.patch(url, headers=dept_headers, json={"title": "更正后的标题"}),
                   422, "missing-reason")
    assert_problem(await client.patch(url, headers=dept_headers, json={"reason": "只有理由"}),
                   422, "invalid-update")
    r = await client.patch(url, headers=dept_headers, json={
        "title": "更正后的标题", "severity": "minor", "reason": "录入错误,按处罚决定书更正"})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["title"] == "更正后的标题"
    entry = await conn.fetchrow("SELECT detail FROM audit_log WHERE action = 'record.update'")
    assert entry["detail"]["reason"] == "录入错误,按处罚决定书更正"
    assert entry["detail"]["corrected"] == ["severity", "title"]
    history = await client.get(f"{url}/history", headers=dept_headers)
    assert history.status_code == 200, history.text
    [revision] = history.json()["revisions"]
    assert (revision["action"], revision["action_label"], revision["reason"]) == (
        "correct", "更正", "录入错误,按处罚决定书更正")
    assert revision["changes"]["title"] == {"before": PENALTY["title"], "after": "更正后的标题"}
    assert revision["changes"]["severity"] == {"before": "general", "after": "minor"}
    assert set(revision["changes"]) == {"title", "severity", "public_until"}
    other = auth(make_token(client.app, dept="ybj", region="340400"))
    assert_problem(await client.get(f"{url}/history", headers=other), 403, "not-record-owner")
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("UPDATE credit_record_history SET reason = 'x'")


async def test_only_the_source_department_may_change_a_record(client, dept_headers, store,
                                                              conn) -> None:
    record = (await _add(client, dept_headers, store, PENALTY)).json()["record"]
    other = auth(make_token(client.app, dept="ybj", region="340400"))
    r = await client.patch(f"/api/v1/records/{record['id']}", headers=other,
                           json={"withdrawn": True, "reason": "x"})
    assert_problem(r, 403, "not-record-owner")
    assert await conn.fetchval("SELECT status FROM credit_records") == "active"


async def test_public_file_of_unknown_subject_is_404(client) -> None:
    assert_problem(await client.get("/api/v1/subjects/S99999999/records"), 404)
    assert_problem(await client.get("/api/v1/subjects/S99999999/grade"), 404)
