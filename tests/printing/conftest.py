"""Print job tests: the background runner is off (tests/conftest.py), each test runs jobs
itself; the issuing authority is set, to see it printed."""

from __future__ import annotations

import dataclasses

import pytest
from litestar import Litestar

from tests.conftest import app_at
from xinyi_api.clock import ManualClock
from xinyi_api.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, issuing_authority="淮南市社会信用体系建设领导小组办公室")


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> Litestar:
    return app_at(settings, clock)
