"""Credit records 信用记录 and grades as a plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xinyi_api.hookspecs import hookimpl


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.records.routes import GradeController, RecordController

    return [RecordController, GradeController]
