"""Directories for the servers these tests start themselves (replica, restore, PgBouncer)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def pg_workdir() -> Iterator[Path]:
    """A fresh directory under /tmp that PostgreSQL's system user can reach, removed afterwards.

    Not under pytest's ``tmp_path``: when the tests run as root the servers run as another user
    (``xinyi_api.db.cluster.pg_user``), which needs to traverse every parent, and each pytest
    session that starts on the machine sets ``/tmp/pytest-of-root`` back to mode 0700 — a
    replica or a restore under it then fails with "Permission denied" mid-test.
    """
    path = Path(tempfile.mkdtemp(prefix="xinyi-pg-test-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg_tmp() -> Iterator[Path]:
    """``pg_workdir`` for one test."""
    with pg_workdir() as path:
        yield path
