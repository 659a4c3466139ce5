"""A real browser on a real server: the app on a free port (uvicorn, in a thread, on the test's
clock and database) and Debian's headless Chromium driven by Playwright.

The browser tests need ``/usr/bin/chromium`` (``.ci/system-packages`` installs it). Where it is
missing they are skipped, unless ``XINYI_REQUIRE_BROWSER=1`` (CI sets it) makes that a failure.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, async_playwright

from tests.conftest import app_at, auth, make_token
from xinyi_api.clock import ManualClock
from xinyi_api.settings import Settings

CHROMIUM = os.environ.get("XINYI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclasses.dataclass(frozen=True)
class LiveServer:
    base: str
    app: Litestar

    def department(self) -> dict[str, str]:
        """A city-wide 市场监管 department's headers for this server."""
        return auth(make_token(self.app, dept="scjg", region="340400", scenarios=["beef_soup"]))


@pytest.fixture
def live_server(settings: Settings, clock: ManualClock) -> Iterator[LiveServer]:
    """The app served over real HTTP on 127.0.0.1, on the test's clock and database."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = app_at(dataclasses.replace(settings, public_base_url=base), clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    # time.sleep, not Event.wait: under libfaketime (CI's shifted-clock run) a timed wait on a
    # lock waits on the real monotonic clock for a faked deadline, i.e. for ever.
    while thread.is_alive() and not server.started:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the live server did not start")
    try:
        yield LiveServer(base, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        if os.environ.get("XINYI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} (XINYI_REQUIRE_BROWSER=1)")
        pytest.skip(f"no Chromium at {CHROMIUM}; apt-get install chromium")
    async with async_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()
