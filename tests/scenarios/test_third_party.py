"""A sixth scenario (信用+家政), packaged in tests/plugin_pkg and installed with pip, is found
through its entry point exactly like the built-ins — with its own table, loader, endpoint and
grades. The package is what ``xinyi-api scenarios new housekeeping`` writes, filled in; its own
tests pass against the installed package, and so do those of any fresh skeleton once its bases
are filled in."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

from tests.conftest import TEST_SECRET, TODAY, app_at, auth, make_token, uscc
from tests.scenarios.conftest import PACKAGE, pip_install
from xinyi_api.db.pool import connect
from xinyi_api.scenarios.skeleton import render, skeleton_for
from xinyi_api.settings import Settings

CLI = [sys.executable, "-m", "xinyi_api.cli"]
TUTORIAL = {"name_zh": "信用+家政", "name_en": "Credit + housekeeping services",
            "department": "swj"}
"""The options the tutorial was written with: ``scenarios new housekeeping --name-zh 信用+家政
--name-en "Credit + housekeeping services" --department swj``."""
FILLED_IN = {"src/xinyi_scenario_housekeeping/__init__.py", "tests/test_grading.py",
             "tests/test_endpoints.py"}
"""The tutorial's files that differ from the skeleton: its content (docs/scenario-kit.md)."""
PLACEHOLDER = re.compile(r"<待填写 fill in: [^>]*>")


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: no pytest variables of ours, no database settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "XINYI_")) and k != "DATABASE_URL"}
    return {**env, **extra}


def _run_own_tests(package: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """The package's own tests, in a subprocess, against its installed copy in ``site`` (on
    ``DATABASE_URL`` when our run has one, else an embedded PostgreSQL of their own)."""
    server = {"DATABASE_URL": os.environ["DATABASE_URL"]} if "DATABASE_URL" in os.environ else {}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=package, env=_clean_env(PYTHONPATH=str(site), **server), capture_output=True,
        text=True, timeout=600, check=False)


def test_installed_plugin_is_discovered_through_its_entry_point(
    installed: Path, tmp_path: Path
) -> None:
    app = app_at(Settings(data_dir=tmp_path, secret_key=TEST_SECRET))
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


async def test_the_owning_department_records_staff_reports_through_the_own_endpoint(
    installed: Path, settings: Settings
) -> None:
    async with AsyncTestClient(app=app_at(settings)) as client:
        city = auth(make_token(client.app, dept="scjg", region="340400"))
        r = await client.post("/api/v1/enterprises", headers=city, json={
            "uscc": uscc(602), "name": "淮南安心家政服务部", "region_code": "340403",
            "industry": "housekeeping", "kind": "individual"})
        subject = r.json()["id"]
        report = {"reported_on": (TODAY - timedelta(days=1)).isoformat(), "workers": 10,
                  "certified_workers": 3}
        path = f"/api/v1/scenarios/housekeeping/worker-checks/{subject}"
        refused = await client.put(path, headers=city, json=report)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "urn:xinyi:problem:not-scenario-department"
        swj = auth(make_token(client.app, dept="swj", region="340400"))
        r = await client.put(path, headers=swj, json=report)
        assert r.status_code == 200, r.text
        assert r.json()["recorded_by"] == "department:swj"
        audit = (await client.get(f"/api/v1/audit?subject_id={subject}", headers=auth(
            make_token(client.app, "operator", sub="operator:audit")))).json()
        assert "housekeeping.worker_check.put" in {e["action"] for e in audit["items"]}


def test_the_tutorial_is_the_skeleton_with_its_placeholders_filled_in() -> None:
    skeleton = render(skeleton_for("housekeeping", **TUTORIAL))
    tutorial = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*")
                if p.is_file() and not any(part.startswith((".", "__pycache__"))
                                           for part in p.relative_to(PACKAGE).parts)}
    assert tutorial == {p.as_posix() for p in skeleton}, "the tutorial has the skeleton's files"
    for path, text in skeleton.items():
        mine = (PACKAGE / path).read_text(encoding="utf-8")
        if path.as_posix() in FILLED_IN:
            assert mine != text and not PLACEHOLDER.search(mine), path
        else:
            assert mine == text, f"{path} differs from what scenarios new writes"
    assert PLACEHOLDER.search(skeleton[next(p for p in skeleton if p.name == "__init__.py")])


def test_the_tutorials_own_tests_pass_against_the_installed_package(plugin_site: Path) -> None:
    done = _run_own_tests(PACKAGE, plugin_site)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b8 passed\b", done.stdout), done.stdout


def test_a_new_skeleton_fails_check_until_filled_then_installs_and_passes_its_tests(
    tmp_path: Path,
) -> None:
    package, site = tmp_path / "xinyi-scenario-elderly-care", tmp_path / "site"
    env = _clean_env()
    new = subprocess.run([*CLI, "scenarios", "new", "elderly_care", "--name-zh", "信用+养老",
                          "--department", "mzj", "--dir", str(package)],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert new.returncode == 0, new.stderr
    assert "xinyi_scenario_elderly_care" in new.stdout

    check = subprocess.run([*CLI, "scenarios", "check", str(package)], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "Traceback" not in check.stdout + check.stderr
    assert check.stdout.count("basis is still the template's placeholder (待填写)") == 3
    assert "3 problem(s) in 1 scenario(s)" in check.stderr

    module = package / "src" / "xinyi_scenario_elderly_care" / "__init__.py"
    text = module.read_text(encoding="utf-8")
    assert len(PLACEHOLDER.findall(text)) == 4
    module.write_text(PLACEHOLDER.sub("养老服务机构信用管理办法(民发〔2024〕1号)第十条", text),
                      encoding="utf-8")
    check = subprocess.run([*CLI, "scenarios", "check", str(package)], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("ok  elderly_care (rule 1, xinyi-scenario-elderly-care)")

    ruff = subprocess.run([str(Path(sys.executable).with_name("ruff")), "check", "."],
                          cwd=package, capture_output=True, text=True, timeout=120, check=False)
    assert ruff.returncode == 0, ruff.stdout
    pip_install(package, site)
    done = _run_own_tests(package, site)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b8 passed\b", done.stdout), done.stdout


# --- scenarios check PATH --diff --------------------------------------------------------------


def _diff(package: Path, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "scenarios", "check", str(package), "--diff", "--as-of", TODAY.isoformat()],
        env=_clean_env(DATABASE_URL=database_url, XINYI_SECRET_KEY=TEST_SECRET,
                       XINYI_DATA_DIR=str(data_dir)),
        capture_output=True, text=True, timeout=120, check=False)


async def test_check_diff_shows_who_changes_grade_under_a_new_rule_version_and_writes_nothing(
    installed: Path, settings: Settings, tmp_path: Path,
) -> None:
    async with AsyncTestClient(app=app_at(settings)) as client:
        headers = auth(make_token(client.app, dept="scjg", region="340400"))
        swj = auth(make_token(client.app, dept="swj", region="340400"))
        ids = []
        for serial in range(4):
            r = await client.post("/api/v1/enterprises", headers=headers, json={
                "uscc": uscc(700 + serial), "name": f"淮南家政{serial}号", "region_code": "340403",
                "industry": "housekeeping"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        a, b_up, b_down, ungraded = ids
        reports = {a: 19, b_up: 14, ungraded: 19}  # of 20 workers: +60, +20, +60
        for subject, certified in reports.items():
            r = await client.put(f"/api/v1/scenarios/housekeeping/worker-checks/{subject}",
                                 headers=swj, json={
                                     "reported_on": TODAY.isoformat(), "workers": 20,
                                     "certified_workers": certified})
            assert r.status_code == 200, r.text
        for subject in (a, b_up, b_down):
            r = await client.post(f"/api/v1/subjects/{subject}/records", headers=headers, json={
                "kind": "licence", "title": "营业执照", "occurred_on": TODAY.isoformat()})
            assert r.status_code == 201, r.text
        r = await client.post(f"/api/v1/subjects/{b_down}/records", headers=headers, json={
            "kind": "complaint", "severity": "general", "title": "服务态度差",
            "occurred_on": TODAY.isoformat(), "legal_basis": "《消费者权益保护法》第十一条"})
        assert r.status_code == 201, r.text
    # Stored under rule 1 (A ≥ 780, B ≥ 650): a 800 A, b_up 760 B, b_down 680 B; the fourth
    # has no licence and so one fact only: unrated — and here no stored grade at all.
    assert settings.database_url is not None
    conn = await connect(settings.database_url)
    try:
        await conn.execute("DELETE FROM grades WHERE subject_id = $1 AND scheme = 'housekeeping'",
                           ungraded)
        before = await conn.fetch("SELECT * FROM grades ORDER BY subject_id, scheme")
        runs = await conn.fetchval("SELECT count(*) FROM regrade_runs")
    finally:
        await conn.close()

    version2 = tmp_path / "housekeeping-2"
    shutil.copytree(PACKAGE, version2, ignore=shutil.ignore_patterns("__pycache__"))
    module = version2 / "src" / "xinyi_scenario_housekeeping" / "__init__.py"
    text = module.read_text(encoding="utf-8")
    text = text.replace('rule_version="1"', 'rule_version="2"').replace(
        'thresholds=(("A", 780), ("B", 650), ("C", 520))',
        'thresholds=(("A", 750), ("B", 700), ("C", 520))')
    module.write_text(text, encoding="utf-8")

    done = await asyncio.to_thread(_diff, version2, settings.database_url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "housekeeping: rule 2 as of 2026-11-16, against the grades stored now " \
           "(rule 1: 3, no stored grade: 1)" in out, out
    assert "4 covered subject(s); 3 would change grade (75.0%)" in out, out
    assert re.search(r"stored → new:\n    B → A: 1\n    B → C: 1\n    none → unrated: 1\n", out)
    assert "unchanged: A 1" in out
    assert "warning" not in out

    conn = await connect(settings.database_url)
    try:
        assert await conn.fetch("SELECT * FROM grades ORDER BY subject_id, scheme") == before
        assert await conn.fetchval("SELECT count(*) FROM regrade_runs") == runs
    finally:
        await conn.close()

    # The same thresholds without a new rule version: the running service would not regrade.
    module.write_text(text.replace('rule_version="2"', 'rule_version="1"'), encoding="utf-8")
    done = await asyncio.to_thread(_diff, version2, settings.database_url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning: grades change but rule_version is still '1'" in done.stdout
