"""A sixth scenario (信用+家政), packaged in tests/plugin_pkg and installed with pip, is found
through its entry point exactly like the built-ins — with its own table, loader and grades."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import TODAY, app_at, auth, make_token, uscc
from xinyi_api.db.pool import connect
from xinyi_api.settings import Settings

PACKAGE = Path(__file__).resolve().parent.parent / "plugin_pkg"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` the plugin package into a fresh directory (offline, no build deps)."""
    target = tmp_path_factory.mktemp("plugin-site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(target),
         str(PACKAGE)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (target / "xinyi_scenario_housekeeping-0.1.0.dist-info" / "entry_points.txt").exists()
    return target


@pytest.fixture
def installed(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(plugin_site))
    return plugin_site


def test_installed_plugin_is_discovered_through_its_entry_point(
    installed: Path, tmp_path: Path
) -> None:
    app = app_at(Settings(data_dir=tmp_path, secret_key="test-secret-key-not-for-production"))
    loaded = {item.scenario.key: item for item in app.state.scenarios.loaded}
    assert loaded["housekeeping"].distribution == "xinyi-scenario-housekeeping"
    assert "beef_soup" in loaded  # the built-ins come the same way
    assert "housekeeping" in {r.scheme for r in app.state.grader.rules}
    assert "housekeeping" in {s.name for s in app.state.migration_sources}


async def test_installed_plugin_grades_with_its_own_table(
    installed: Path, settings: Settings
) -> None:
    async with AsyncTestClient(app=app_at(settings)) as client:
        headers = auth(make_token(client.app, dept="scjg", region="340400"))
        r = await client.post("/api/v1/enterprises", headers=headers, json={
            "uscc": uscc(601), "name": "淮南巧手家政服务有限公司", "region_code": "340403",
            "industry": "housekeeping"})
        assert r.status_code == 201, r.text
        subject = r.json()["id"]
        assert settings.database_url is not None
        conn = await connect(settings.database_url)
        try:
            await conn.execute(
                "INSERT INTO housekeeping_worker_checks"
                " (subject_id, reported_on, workers, certified_workers) VALUES ($1, $2, 20, 19)",
                subject, TODAY - timedelta(days=3))
        finally:
            await conn.close()
        r = await client.post(f"/api/v1/subjects/{subject}/records", headers=headers, json={
            "kind": "licence", "title": "营业执照", "occurred_on": TODAY.isoformat()})
        assert r.status_code == 201, r.text

        grades = (await client.get(f"/api/v1/subjects/{subject}/scenarios")).json()
        [item] = grades
        assert item["scenario"] == "housekeeping" and item["grade"]["grade"] == "A"
        staff = item["grade"]["explanation"]["indicators"][0]
        assert staff["key"] == "certified_staff" and staff["points"] == 60
        assert "19/20" in staff["reasons"][0]["text"]

        detail = (await client.get("/api/v1/scenarios/housekeeping")).json()
        assert detail["distribution"] == "xinyi-scenario-housekeeping"
        measures = (await client.get(f"/api/v1/subjects/{subject}/measures")).json()
        assert "trusted_badge" in {m["key"] for m in measures[0]["measures"]}
