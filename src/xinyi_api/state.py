"""Reading the app's ``Platform`` without importing the composition root.

``xinyi_api.platform`` builds everything and so imports nearly every package; a route or a
dependency that imported it at run time would close an import cycle. They read the platform
the app keeps in its state through ``platform_of``, typed by a ``TYPE_CHECKING`` import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from litestar import Litestar

    from xinyi_api.platform import Platform

__all__ = ["PLATFORM_KEY", "platform_of"]

PLATFORM_KEY = "platform"


def platform_of(holder: Litestar | Mapping[str, Any]) -> Platform:
    """The ``Platform`` of an app, or of the ``state`` a handler or dependency is given."""
    state: Mapping[str, Any] = holder if isinstance(holder, Mapping) else holder.state
    return cast("Platform", state[PLATFORM_KEY])
