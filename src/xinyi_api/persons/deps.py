"""Dependencies the personal-credit package provides to handlers: ``persons``."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from xinyi_api.persons.service import PersonalCredit
from xinyi_api.state import platform_of


def _persons(state: State) -> PersonalCredit:
    return platform_of(state).persons


DEPENDENCIES = {"persons": Provide(_persons, sync_to_thread=False)}
PersonsDep = NamedDependency[PersonalCredit]
"""个人信用: personal grades and the dynamic personal code (``xinyi_api.persons``)."""
