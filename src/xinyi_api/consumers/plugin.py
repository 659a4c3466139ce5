"""Consumers and merchants 消费者与经营者 as a plugin: login, claims, visit proofs on scan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xinyi_api.hookspecs import hookimpl

if TYPE_CHECKING:
    from xinyi_api.codes.hooks import ScanHook
    from xinyi_api.platform import Platform


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.consumers.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def scan_hooks(platform: Platform) -> Sequence[ScanHook]:
    from xinyi_api.consumers.service import visit_hook

    return [visit_hook(platform)]
