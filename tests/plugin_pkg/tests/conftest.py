"""Which scenario xinyi-api's pytest fixtures (scenario_client, scenario_token …) put under test:
the app they build enables this one and no other."""

from __future__ import annotations

import pytest

from xinyi_scenario_housekeeping import KEY


@pytest.fixture
def scenario_key() -> str:
    return KEY
