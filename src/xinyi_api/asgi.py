"""ASGI entry point for uvicorn workers: ``uvicorn --factory xinyi_api.asgi:app_from_env``."""

from __future__ import annotations

import gc

from litestar import Litestar

from xinyi_api.app import create_app
from xinyi_api.settings import Settings


def app_from_env() -> Litestar:
    """Build the app from the environment (each worker process calls this once).

    Everything built so far — modules, the app, its routes and schemas, the plugins: about
    140 000 objects — lives as long as the worker, so it is moved out of the garbage
    collector's sight (``gc.freeze``). A full collection then walks only what requests made
    since: measured in ``bench/`` (docs/operations.md, "What keeps a worker's scans fast"), full
    collections of a worker took 150–185 ms before and are what made the scan's p99.
    """
    app = create_app(Settings.from_env())
    gc.collect()
    gc.freeze()
    return app
