"""Embedded PostgreSQL (pgserver) for development, demos and tests without ``DATABASE_URL``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pgserver.postgres_server import get_server

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A handle on a PostgreSQL server living in ``data_dir/pgdata``.

    pgserver counts handles across processes (a parent CLI and its uvicorn workers each hold one)
    and stops the server when the last one is released, so ``stop`` is always safe to call.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pgdata").resolve()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server: Any = get_server(self.pgdata, cleanup_mode="stop")
        self.url: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.pgdata)

    def database_url(self, dbname: str) -> str:
        """URL of another database on the same server."""
        return self._server.get_uri(dbname)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self._server.cleanup()
