"""Local PostgreSQL servers from the binaries the embedded server ships (``pgserver``).

The reference implementation of what docs/operations.md asks an operator to do, used by the
tests and the benchmark: a **streaming replica** (``pg_basebackup -R`` from a running primary,
then a second server on another port) and a **point-in-time restore** (a base backup plus the
archived WAL, replayed up to a target). Nothing here runs in the service itself.

Every server is a plain ``postgres`` started with ``pg_ctl`` from ``pgserver``'s
``pginstall/bin``. PostgreSQL refuses to run as root: when this process is root, the commands run
as the system user ``pgserver`` creates for its own servers (``pgserver``), and the directories
they write are handed to that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LocalServer", "base_backup", "bin_dir", "free_port", "pg_user", "run_pg"]

PG_SYSTEM_USER = "pgserver"
"""The unprivileged user pgserver runs PostgreSQL as when started by root."""


def bin_dir() -> Path:
    """``pgserver``'s ``pginstall/bin`` (``postgres``, ``pg_ctl``, ``pg_basebackup`` …)."""
    import pgserver

    return Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


def pg_user() -> str | None:
    """The system user to run PostgreSQL commands as: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/sh", PG_SYSTEM_USER],  # noqa: S603, S607
                       check=True,
                       capture_output=True)
    return PG_SYSTEM_USER


def hand_over(path: Path) -> None:
    """Make ``path`` (a directory we created) usable by the PostgreSQL user, parents included."""
    user = pg_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for parent in path.parents:
        with contextlib.suppress(OSError):
            parent.chmod(parent.stat().st_mode | 0o011)  # traversable, not readable


def run_pg(program: str, *args: str | Path, timeout: float = 120.0,
           env: dict[str, str] | None = None) -> str:
    """Run a PostgreSQL program of :func:`bin_dir`; its stdout. Raises ``RuntimeError`` with
    its stderr on failure."""
    command = [str(bin_dir() / program), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                          user=pg_user(), env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LocalServer:
    """One PostgreSQL server in ``pgdata``, listening on 127.0.0.1:``port`` (trust auth, as the
    embedded server)."""

    pgdata: Path
    port: int = field(default_factory=free_port)
    settings: dict[str, str] = field(default_factory=dict)
    """Settings (``name: value`` as written in a configuration file) appended to
    ``postgresql.auto.conf`` when the server first starts."""
    _configured: bool = False

    @property
    def log_file(self) -> Path:
        return self.pgdata.parent / f"{self.pgdata.name}.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def init(cls, pgdata: Path, **kwargs: Any) -> LocalServer:
        """``initdb`` a new cluster (user ``postgres``, trust, UTF-8) in ``pgdata``."""
        pgdata.mkdir(mode=0o700, parents=True, exist_ok=False)
        hand_over(pgdata)
        run_pg("initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "--encoding=utf8",
               "--no-sync")
        return cls(pgdata, **kwargs)

    def configure(self, settings: dict[str, str]) -> None:
        """Append ``settings`` to ``postgresql.auto.conf`` (read at the next start)."""
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def start(self, *, wait: float = 30.0) -> LocalServer:
        if self.settings and not self._configured:
            self.configure(self.settings)
            self._configured = True
        options = [f"-p {self.port}", "-h 127.0.0.1", "-k \"\""]
        self.log_file.touch()
        hand_over(self.log_file)
        run_pg("pg_ctl", "-D", self.pgdata, "-l", self.log_file, "-o", " ".join(options),
               "-w", "-t", str(int(wait)), "start", timeout=wait + 10)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clients disconnected; ``immediate``: a crash)."""
        if (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                run_pg("pg_ctl", "-D", self.pgdata, "-m", mode, "-w", "stop", timeout=60)

    def promote(self) -> None:
        run_pg("pg_ctl", "-D", self.pgdata, "-w", "promote")

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Until ``text`` appears in the server log (e.g. a recovery message)."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} not in {self.log_file} after {timeout} s:\n"
                                   + self.log()[-2000:])
            time.sleep(0.05)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.pgdata, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.log_file.unlink()


def base_backup(primary_host: str, primary_port: int, target: Path, *,
                replica: bool = True, extra: Sequence[str] = ()) -> None:
    """``pg_basebackup`` of the running primary into ``target`` (WAL streamed along; ``-R``
    writes ``standby.signal`` and ``primary_conninfo`` when ``replica``)."""
    target.mkdir(mode=0o700, parents=True, exist_ok=False)
    hand_over(target)
    run_pg("pg_basebackup", "-h", primary_host, "-p", str(primary_port), "-U", "postgres",
           "-D", target, "-X", "stream", "-c", "fast", "--no-sync",
           *(("-R",) if replica else ()), *extra)


@contextlib.contextmanager
def streaming_replica(primary_host: str, primary_port: int, workdir: Path,
                      **settings: str) -> Iterator[LocalServer]:
    """A hot-standby replica of the primary, streaming, on a free port; removed on exit."""
    pgdata = workdir / "replica"
    base_backup(primary_host, primary_port, pgdata)
    server = LocalServer(pgdata, settings={"hot_standby": "on", **settings})
    server.start()
    try:
        yield server
    finally:
        server.remove()


def archive_settings(archive: Path) -> dict[str, str]:
    """Settings of a primary that archives every completed WAL segment into ``archive``."""
    archive.mkdir(parents=True, exist_ok=True)
    hand_over(archive)
    return {"wal_level": "replica", "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            "archive_timeout": "60"}


def point_in_time_restore(backup: Path, archive: Path, target: Path, *,
                          target_time: str | None = None, target_name: str | None = None,
                          port: int | None = None) -> LocalServer:
    """Start a new server from a base backup (``backup``, a plain-format ``pg_basebackup``),
    replaying the archived WAL up to ``target_time`` (a timestamptz literal, the last
    transaction committed *before* it is kept) or the restore point ``target_name``, then
    promoted. Waits until it accepts connections as a primary."""
    shutil.copytree(backup, target)
    hand_over(target)
    if pg_user() is not None:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in target.rglob("*"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    target.chmod(0o700)
    settings = {"restore_command": f"'cp {archive}/%f %p'",
                "recovery_target_action": "promote", "recovery_target_inclusive": "false"}
    if target_time is not None:
        settings["recovery_target_time"] = f"'{target_time}'"
    if target_name is not None:
        settings["recovery_target_name"] = f"'{target_name}'"
    server = LocalServer(target) if port is None else LocalServer(target, port=port)
    server.configure(settings)
    (target / "recovery.signal").touch()
    if pg_user() is not None:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for name in ("recovery.signal", "postgresql.auto.conf"):
            os.chown(target / name, entry.pw_uid, entry.pw_gid)
    server.start()
    server.wait_for("database system is ready to accept connections")
    return server
