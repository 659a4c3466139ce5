"""Schemathesis over the whole OpenAPI document, as every role, against a real server.

    .venv/bin/python -m tests.contract.run [--max-time SECONDS] [--roles department,consumer]

starts ``xinyi-api serve --demo`` (embedded PostgreSQL in a temporary directory, the demo city,
a fake WeChat ``jscode2session`` on loopback), gets a real token for each role (the CLI for
departments and operators, the demo login for consumers and merchants) and runs
``schemathesis run`` once per role: every operation, the examples, coverage, fuzzing and
stateful phases, bounded by ``--max-time``. It fails on any server error, any answer the
document does not describe (status, content type, headers, body schema), any malformed request
the service accepts, and any operation that ignores its authentication. ``pytest -m contract``
runs it as a test (CI does).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROLES = ("anonymous", "consumer", "merchant", "department", "operator")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,negative_data_rejection,"
          "ignored_auth")
APPID, APP_SECRET = "wx0123456789abcdef", "0123456789abcdef0123456789abcdef"


class _Wechat(BaseHTTPRequestHandler):
    """WeChat's answer to a code it never issued: errcode 40029 (invalid code)."""

    def do_GET(self) -> None:
        code = parse_qs(urlsplit(self.path).query).get("js_code", [""])[0]
        body = ({"openid": code[5:], "session_key": "c2Vzc2lvbi1rZXk="}
                if code.startswith("code-") else {"errcode": 40029, "errmsg": "invalid code"})
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fake_wechat() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Wechat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def demo_server(data_dir: Path, wechat: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``xinyi-api serve --demo`` on a free port; yields its base URL and environment."""
    port = _free_port()
    env = {**os.environ, "XINYI_DATA_DIR": str(data_dir), "XINYI_WECHAT_API_BASE": wechat,
           "XINYI_WECHAT_APPID": APPID, "XINYI_WECHAT_SECRET": APP_SECRET,
           "XINYI_LOG_LEVEL": "WARNING",
           # Fuzzing logs in and rates far more than a person: lift the per-address limits.
           "XINYI_RATE_LIMITS": "login=100000/60,login_address=100000/60,scan=100000/60,"
                                "scan_address=100000/60,rating=100000/60,"
                                "rating_address=100000/60,complaint=100000/60,"
                                "complaint_address=100000/60,claim=100000/60,"
                                "personal_code=100000/60"}
    env.pop("DATABASE_URL", None)
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen([str(BIN / "xinyi-api"), "serve", "--demo", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start:\n"
                                   + (data_dir / "serve.log").read_text())
            time.sleep(0.3)
        yield base, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def role_tokens(base: str, env: dict[str, str]) -> dict[str, str | None]:
    def cli_token(*args: str) -> str:
        done = subprocess.run([str(BIN / "xinyi-api"), "token", *args, "--ttl", "3600"],
                              env=env, capture_output=True, text=True, timeout=120,
                              cwd=env["XINYI_DATA_DIR"], check=True)
        return done.stdout.strip().splitlines()[-1]

    def login(role: str) -> str:
        r = httpx.post(f"{base}/api/v1/auth/dev-login", json={"name": f"contract-{role}",
                                                              "as": role}, timeout=10)
        r.raise_for_status()
        return str(r.json()["access_token"])

    return {"anonymous": None, "consumer": login("consumer"), "merchant": login("merchant"),
            "department": cli_token("--department", "scjg", "--scenario", "beef_soup"),
            "operator": cli_token("--operator", "contract")}


def run_schemathesis(base: str, role: str, token: str | None, max_time: int, seed: int,
                     report_dir: Path) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / "schemathesis"), "run", f"{base}/schema/openapi.json",
            "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", "8", "--max-time", str(max_time), "--seed", str(seed),
            "--workers", "1", "--suppress-health-check", "all", "--warnings", "off",
            "--request-timeout", "10", "--report", "junit",
            "--report-dir", str(report_dir / role)]
    if token is not None:
        args += ["--header", f"Authorization: Bearer {token}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=max_time + 300,
                          env={**os.environ, "NO_COLOR": "1"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=45,
                        help="seconds of fuzzing per role (default 45)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=20261116)
    args = parser.parse_args(argv)
    roles = [r for r in args.roles.split(",") if r]
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="xinyi-contract-") as tmp, fake_wechat() as wechat, \
            demo_server(Path(tmp), wechat) as (base, env):
        tokens = role_tokens(base, env)
        for role in roles:
            done = run_schemathesis(base, role, tokens[role], args.max_time, args.seed,
                                    Path(tmp))
            print(f"==== {role}: exit {done.returncode}", flush=True)
            summary = done.stdout[done.stdout.rfind("SUMMARY"):]
            print(summary if done.returncode == 0 else done.stdout[-20000:] + done.stderr[-5000:],
                  flush=True)
            if done.returncode != 0:
                failed.append(role)
        server_log = (Path(tmp) / "serve.log").read_text()
    if "Traceback" in server_log:
        print("the server logged a traceback:\n" + server_log[-20000:])
        failed.append("server-log")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
