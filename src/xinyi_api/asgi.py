"""ASGI entry point for uvicorn workers: ``uvicorn --factory xinyi_api.asgi:app_from_env``."""

from __future__ import annotations

from litestar import Litestar

from xinyi_api.app import create_app
from xinyi_api.settings import Settings


def app_from_env() -> Litestar:
    """Build the app from the environment (each worker process calls this once)."""
    return create_app(Settings.from_env())
