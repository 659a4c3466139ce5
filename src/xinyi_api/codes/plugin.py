"""诚信码 codes as a plugin: the scan, the H5 page, images and posters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xinyi_api.hookspecs import hookimpl

if TYPE_CHECKING:
    from xinyi_api.platform import Platform


@hookimpl
def route_handlers(platform: Platform) -> Sequence[Any]:
    from xinyi_api.codes.routes import route_handlers as code_routes

    return code_routes(platform.settings)
