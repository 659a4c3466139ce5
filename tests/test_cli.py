"""The console script as a newcomer runs it: real processes against a real database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET

CLI = [sys.executable, "-m", "xinyi_api.cli"]


@pytest.fixture
def fresh_db(empty_database_url: str) -> str:
    return empty_database_url


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "XINYI_SECRET_KEY": TEST_SECRET,
            "XINYI_DATA_DIR": str(tmp_path)}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_migrate_department_and_token(fresh_db: str, tmp_path: Path) -> None:
    env = _env(fresh_db, tmp_path)
    first = _run(["migrate"], env)
    assert first.returncode == 0, first.stderr
    assert "applied core/0001" in first.stdout
    assert "migrations are current" in _run(["migrate"], env).stdout
    assert _run(["department", "add", "scjg", "--name", "淮南市市场监督管理局",
                 "--region", "340400"], env).returncode == 0
    token = _run(["token", "--department", "scjg", "--ttl", "600"], env)
    assert token.returncode == 0, token.stderr
    assert token.stdout.count(".") == 2
    unknown = _run(["token", "--department", "nope"], env)
    assert unknown.returncode != 0 and "known: scjg" in unknown.stderr


def test_keys_rotate_list_and_retire(fresh_db: str, tmp_path: Path) -> None:
    env = _env(fresh_db, tmp_path)
    assert _run(["migrate"], env).returncode == 0
    rotated = _run(["keys", "rotate", "--purpose", "code"], env)
    assert rotated.returncode == 0, rotated.stderr
    assert "created code-2" in rotated.stdout
    listed = [line.split("\t") for line in _run(["keys", "list"], env).stdout.splitlines()]
    assert [(kid, algorithm, state) for kid, algorithm, _, state in listed] == [
        ("access-1", "Ed25519", "live"), ("code-1", "BLS12381G1", "live"),
        ("code-2", "BLS12381G1", "live")]
    assert _run(["keys", "retire", "code-1"], env).returncode == 0
    last = _run(["keys", "retire", "code-2"], env)
    assert last.returncode != 0 and "only live code key" in last.stderr


def test_bad_configuration_names_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "XINYI_DATA_DIR": str(tmp_path), "XINYI_DB_POOL_MAX": "many"}
    result = _run(["migrate"], env)
    assert result.returncode == 2 and "XINYI_DB_POOL_MAX" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_on_a_fresh_database(fresh_db: str, tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)],
                            env=_env(fresh_db, tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200
        # Both workers answer (several requests spread across them) and neither failed.
        for _ in range(10):
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/stores", timeout=5).status_code == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Traceback" not in output, output
    assert output.count("Application startup complete") == 2, output
