"""Accountability 问责 as a plugin: audit log, objections, repairs, commitments, districts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xinyi_api.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.accountability.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    from xinyi_api.accountability.cli import audit, holidays

    return [audit, holidays]
