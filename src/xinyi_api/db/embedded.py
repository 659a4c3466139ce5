"""Embedded PostgreSQL (pgserver) for development, demos and tests without ``DATABASE_URL``."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from pgserver.postgres_server import PostgresServer, get_server

log = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"
"""Where pgserver lists the processes holding the server of a data directory."""


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def forget_dead_holders(pgdata: Path) -> list[int]:
    """Drop the processes that no longer run from the server's list of holders; return them.

    pgserver stops the server when the last holder lets go. A holder that died without letting
    go (``kill -9``, a crash, or — before this release — ``serve`` stopped by SIGTERM) stays
    listed for ever, and then no later clean exit ever stops the server: it keeps running after
    every ``serve``. Only POSIX (process ids are checked with signal 0).
    """
    path = pgdata / HANDLES_FILE
    if os.name != "posix" or not path.exists():
        return []
    with PostgresServer._lock:  # pgserver's own inter-process lock over this list
        try:
            pids = [int(p) for p in json.loads(path.read_text())]
        except (OSError, ValueError, TypeError):
            return []
        dead = [p for p in pids if p != os.getpid() and not _running(p)]
        if dead:
            path.write_text(json.dumps([p for p in pids if p not in dead]))
    if dead:
        log.warning("embedded PostgreSQL in %s: forgot holders %s, which ended without "
                    "releasing it", pgdata, dead)
    return dead


class EmbeddedPostgres:
    """A handle on a PostgreSQL server living in ``data_dir/pgdata``.

    pgserver counts handles across processes (a parent CLI and its uvicorn workers each hold one)
    and stops the server when the last one is released, so ``stop`` is always safe to call.
    Holders that died without releasing are forgotten first (``forget_dead_holders``).
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pgdata").resolve()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        forget_dead_holders(self.pgdata)
        self._server: Any = get_server(self.pgdata, cleanup_mode="stop")
        self.url: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.pgdata)

    def database_url(self, dbname: str) -> str:
        """URL of another database on the same server."""
        return self._server.get_uri(dbname)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self._server.cleanup()
