"""Subjects 信用主体 as a plugin: enterprises, stores and the industry registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xinyi_api.hookspecs import hookimpl


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.subjects.routes import CONTROLLERS

    return CONTROLLERS
