"""A fake WeChat ``jscode2session`` server on loopback, and settings pointing at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import TEST_SECRET
from xinyi_api.settings import Settings

APPID = "wx0123456789abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"


class FakeWechat(BaseHTTPRequestHandler):
    """``/sns/jscode2session``: ``code-<openid>`` logs in ``<openid>``; ``bad`` is an invalid
    code; ``busy`` hits WeChat's own limit; ``garbage`` answers non-JSON."""

    calls: list[dict[str, list[str]]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        FakeWechat.calls.append(params)
        if url.path != "/sns/jscode2session":
            self._send(404, b"not found")
            return
        if params.get("appid") != [APPID] or params.get("secret") != [APP_SECRET]:
            self._json({"errcode": 40013, "errmsg": "invalid appid"})
            return
        code = params.get("js_code", [""])[0]
        if code == "bad":
            self._json({"errcode": 40029, "errmsg": "invalid code"})
        elif code == "busy":
            self._json({"errcode": 45011, "errmsg": "api minute-quota reach limit"})
        elif code == "garbage":
            self._send(200, b"<html>oops</html>")
        elif code.startswith("code-"):
            self._json({"openid": code[5:], "session_key": "c2Vzc2lvbi1rZXk="})
        else:
            self._json({"errcode": -1, "errmsg": "system error"})

    def _json(self, body: object) -> None:
        # Like WeChat: JSON labelled text/plain.
        self._send(200, json.dumps(body).encode(), "text/plain")

    def _send(self, status: int, data: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def wechat_server() -> Iterator[str]:
    """The base URL of a real HTTP server on 127.0.0.1 at a free port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWechat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, wechat_server: str) -> Settings:
    return Settings(
        database_url=database_url, data_dir=tmp_path, secret_key=TEST_SECRET, db_pool_min=1,
        db_pool_max=4, public_base_url="https://xinyi.huainan.gov.cn",
        wechat_api_base=wechat_server, wechat_appid=APPID, wechat_secret=APP_SECRET,
    )


def with_limits(settings: Settings, *limits: tuple[str, int, int]) -> Settings:
    return replace(settings, rate_limits=limits)
