"""Dependencies every handler can ask for by name: ``db``, ``grader``, ``settings``, ``clock``,
``signer``, ``persons``."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from xinyi_api.clock import Clock
from xinyi_api.codes.signer import CodeSigner
from xinyi_api.db.pool import Database
from xinyi_api.grading.service import Grader
from xinyi_api.persons.service import PersonalCredit
from xinyi_api.settings import Settings


def _db(state: State) -> Database:
    return state.db  # type: ignore[no-any-return]


def _grader(state: State) -> Grader:
    return state.grader  # type: ignore[no-any-return]


def _settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def _signer(state: State) -> CodeSigner:
    return state.codes.signer  # type: ignore[no-any-return]


def _persons(state: State) -> PersonalCredit:
    return state.persons  # type: ignore[no-any-return]


def _clock(state: State) -> Clock:
    return state.clock  # type: ignore[no-any-return]


DEPENDENCIES = {
    "db": Provide(_db, sync_to_thread=False),
    "grader": Provide(_grader, sync_to_thread=False),
    "settings": Provide(_settings, sync_to_thread=False),
    "clock": Provide(_clock, sync_to_thread=False),
    "signer": Provide(_signer, sync_to_thread=False),
    "persons": Provide(_persons, sync_to_thread=False),
}

# Handler parameter types: ``db: DB`` asks for the ``db`` dependency by name (Litestar 3 style).
DB = NamedDependency[Database]
GraderDep = NamedDependency[Grader]
SettingsDep = NamedDependency[Settings]
ClockDep = NamedDependency[Clock]
SignerDep = NamedDependency[CodeSigner]
"""The 诚信码 signer, for ``code_url`` fields."""
PersonsDep = NamedDependency[PersonalCredit]
"""个人信用: personal grades and the dynamic personal code (``xinyi_api.persons``)."""
