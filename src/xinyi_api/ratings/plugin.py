"""Ratings 消费者评价 as a plugin: endpoints, the rating summary on scans, ratings in grades."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xinyi_api.hookspecs import hookimpl

if TYPE_CHECKING:
    from xinyi_api.codes.hooks import ProfileContributor, ScanHook
    from xinyi_api.grading.service import FileLoader
    from xinyi_api.platform import Platform


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.ratings.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def scan_profile_contributors(platform: Platform) -> Sequence[ProfileContributor]:
    from xinyi_api.ratings.service import rating_contributor

    return [rating_contributor(platform.scenarios)]


@hookimpl
def scan_hooks(platform: Platform) -> Sequence[ScanHook]:
    from xinyi_api.ratings.service import rating_hook

    return [rating_hook(platform)]


@hookimpl
def grade_loaders() -> Sequence[FileLoader]:
    from xinyi_api.ratings.service import load_ratings

    return [load_ratings]
