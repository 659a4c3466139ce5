"""Dependencies every handler can ask for by name: ``db``, ``grader``, ``settings``, ``clock``,
``industries`` — each read from the app's typed ``Platform``. Packages provide their own
(``codes.deps``: ``signer``; ``persons.deps``: ``persons``; ``scenarios.deps``)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from xinyi_api.clock import Clock
from xinyi_api.db.pool import Database
from xinyi_api.grading.service import Grader
from xinyi_api.industries import IndustryRegistry
from xinyi_api.settings import Settings
from xinyi_api.state import platform_of

WRITING_ROLES = frozenset({"department", "operator", "merchant"})
"""Callers who change public data: their reads go to the primary, so they see their own writes
at once (a replica may lag by a few milliseconds)."""


def _db(state: State, request: Request[Any, Any, Any]) -> Database:
    db = platform_of(state).db
    if db.has_replica:
        user = request.scope.get("user")
        if getattr(user, "role", None) in WRITING_ROLES:
            return db.primary_only
    return db


def _grader(state: State) -> Grader:
    return platform_of(state).grader


def _settings(state: State) -> Settings:
    return platform_of(state).settings


def _clock(state: State) -> Clock:
    return platform_of(state).clock


def _industries(state: State) -> IndustryRegistry:
    return platform_of(state).industries


DEPENDENCIES = {
    "db": Provide(_db, sync_to_thread=False),
    "grader": Provide(_grader, sync_to_thread=False),
    "settings": Provide(_settings, sync_to_thread=False),
    "clock": Provide(_clock, sync_to_thread=False),
    "industries": Provide(_industries, sync_to_thread=False),
}

# Handler parameter types: ``db: DB`` asks for the ``db`` dependency by name (Litestar 3 style).
DB = NamedDependency[Database]
GraderDep = NamedDependency[Grader]
SettingsDep = NamedDependency[Settings]
ClockDep = NamedDependency[Clock]
IndustriesDep = NamedDependency[IndustryRegistry]
"""行业: the industry registry (the core's and the enabled scenarios')."""
