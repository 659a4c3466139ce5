"""The plugin manager: the core's own packages and every installed extension, through one
registry of hooks (``xinyi_api.hookspecs``).

``DEFAULT_PLUGINS`` are the modules of the core that register through the hooks exactly as a
third-party package does; a third-party package adds a module under the entry-point group
``xinyi_api.plugins`` (``[project.entry-points."xinyi_api.plugins"] my_plugin = "pkg.hooks"``).
The manager is built once per process.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import Any

import pluggy

from xinyi_api import hookspecs

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "collect", "plugin_manager"]

ENTRY_POINT_GROUP = "xinyi_api.plugins"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "xinyi_api.health",
    "xinyi_api.db.plugin",
    "xinyi_api.subjects.plugin",
    "xinyi_api.records.plugin",
    "xinyi_api.grading.plugin",
    "xinyi_api.codes.plugin",
    "xinyi_api.accountability.plugin",
    "xinyi_api.consumers.plugin",
    "xinyi_api.ratings.plugin",
    "xinyi_api.persons.plugin",
    "xinyi_api.me.plugin",
    "xinyi_api.scenarios.plugin",
    "xinyi_api.imports.plugin",
    "xinyi_api.core_commands",
)
"""The core's own packages, registered like any plugin (datasette's ``DEFAULT_PLUGINS``)."""


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """Every default plugin and every installed extension, loaded once per process."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


def collect(hook: str, **kwargs: Any) -> list[Any]:
    """Call ``hook`` on every plugin and flatten the lists they return, in registration order
    (the core's first)."""
    results: Sequence[Sequence[Any]] = getattr(plugin_manager().hook, hook)(**kwargs)
    # pluggy calls the last registered implementation first; the core comes first here.
    return [item for part in reversed(results) for item in part]
