"""The consumer's own data (我的) as a plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xinyi_api.hookspecs import hookimpl


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.me.routes import CONTROLLERS

    return CONTROLLERS
