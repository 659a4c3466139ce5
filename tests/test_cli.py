"""The console script as a newcomer runs it: real processes against a real database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.db.conftest import pg_workdir

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
    bad_key = _run(["token", "--department", "scjg", "--scenario", "beef_sop"], env)
    assert bad_key.returncode == 2 and "no enabled scenario 'beef_sop'" in bad_key.stderr
    acting = _run(["token", "--department", "scjg", "--scenario", "beef_soup"], env)
    assert acting.returncode == 0, acting.stderr


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


# --- stopping serve with its embedded PostgreSQL ------------------------------------------------


@pytest.fixture
def embedded_dir() -> Iterator[Path]:
    """A data directory for an embedded PostgreSQL (not under ``tmp_path``: see ``pg_workdir``,
    a nested pytest session closes ``/tmp/pytest-of-root`` to the server's user); whatever
    server is left in it at the end (a failed test) is stopped."""
    with pg_workdir() as data_dir:
        yield data_dir
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGINT)  # fast stop


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XINYI_SECRET_KEY")}
    return {**env, "XINYI_DATA_DIR": str(data_dir)}


def _start_serving(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"serve did not become ready: {proc.communicate()[0]}")


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_soon(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    return output


def test_sigterm_stops_the_embedded_database_and_the_next_serve_starts_and_stops_cleanly(
    embedded_dir: Path,
) -> None:
    tmp_path = embedded_dir
    env = _embedded_env(tmp_path)
    proc, _ = _start_serving(env)
    postgres = _postmaster_pid(tmp_path)
    output = _stop(proc, signal.SIGTERM)
    # Ends by the signal, as a supervisor expects, after a graceful shutdown.
    assert proc.returncode == -signal.SIGTERM, output
    assert "Traceback" not in output, output
    assert _gone_soon(postgres), f"postgres {postgres} still runs after SIGTERM to serve"

    again, port = _start_serving(env)
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/stores", timeout=5).status_code == 200
    second = _postmaster_pid(tmp_path)
    assert second != postgres
    output = _stop(again, signal.SIGTERM)
    assert "Traceback" not in output, output
    assert _gone_soon(second)


def test_a_serve_killed_outright_does_not_keep_the_next_one_from_stopping_the_database(
    embedded_dir: Path,
) -> None:
    tmp_path = embedded_dir
    env = _embedded_env(tmp_path)
    proc, _ = _start_serving(env)
    postgres = _postmaster_pid(tmp_path)
    _stop(proc, signal.SIGKILL)  # no clean-up at all: the server stays, its holder list is stale
    assert _running(postgres)

    again, _ = _start_serving(env)  # joins the running server
    assert _postmaster_pid(tmp_path) == postgres
    output = _stop(again, signal.SIGTERM)
    assert "Traceback" not in output, output
    assert _gone_soon(postgres), "the stale holder of the killed serve kept the database alive"


# --- which address counts for per-address limits -------------------------------------------------


def _dev_logins(port: int, forwarded_for: list[str]) -> list[int]:
    return [httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/dev-login",
                       json={"name": f"user{i}"}, headers={"X-Forwarded-For": value},
                       timeout=10).status_code
            for i, value in enumerate(forwarded_for)]


def test_serve_reads_x_forwarded_for_only_from_trusted_proxies(fresh_db: str,
                                                               tmp_path: Path) -> None:
    env = {**_env(fresh_db, tmp_path), "XINYI_DEMO": "true",
           "XINYI_RATE_LIMITS": "login_address=3/3600"}
    # Default: no proxy is trusted, not even on loopback. Four logins from 127.0.0.1 claiming
    # four addresses are four logins from 127.0.0.1.
    proc, port = _start_serving(env)
    try:
        assert _dev_logins(port, [f"198.51.100.{i}" for i in range(4)]) == [200, 200, 200, 429]
    finally:
        _stop(proc, signal.SIGTERM)

    proc, port = _start_serving({**env, "XINYI_TRUSTED_PROXIES": "127.0.0.1/32"})
    try:
        # The proxy on loopback is trusted now: each forwarded address is its own client …
        assert _dev_logins(port, [f"198.51.100.{i}" for i in range(10, 14)]) == [200] * 4
        # … and what a client writes in front of the proxy's entry does not make it another.
        assert _dev_logins(port, [f"6.6.6.{i}, 203.0.113.9" for i in range(4)]) == [
            200, 200, 200, 429]
    finally:
        _stop(proc, signal.SIGTERM)
