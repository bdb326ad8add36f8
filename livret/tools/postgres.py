"""A throwaway PostgreSQL server for the tests, the benchmark and a try-out: initdb and pg_ctl from the
machine's packages, on a Unix socket in a temporary folder, nothing listening on the network.

PostgreSQL refuses to run as root: when we are root, the server runs as the `postgres` system user (made
by Debian's package) in a folder that user owns, and we connect as its `postgres` role (trust, socket only).
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SYSTEM_USER = "postgres"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (the newest installed version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def available() -> bool:
    return binaries() is not None


class TemporaryPostgres:
    """Start with start(), stop with stop(); url(name) is a database's address, create(name) makes one."""

    def __init__(self, autovacuum: bool = True):
        # The tests turn autovacuum off: its ANALYZE takes a transaction id, which moves PostgreSQL's change
        # marker (livret.db) as if another session had written, at moments no test can foresee.
        self.autovacuum = autovacuum
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL n'est pas installé (paquet Debian « postgresql »).")
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="livret-pg-"))
        self.data, self.socket = self.folder / "data", self.folder / "socket"
        self.socket.mkdir()
        if self.as_root:
            shutil.chown(self.folder, SYSTEM_USER)
            shutil.chown(self.socket, SYSTEM_USER)
        self.role = SYSTEM_USER if self.as_root else getpass.getuser()

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.folder)

    def start(self) -> TemporaryPostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.role, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=64MB -c random_page_cost=1.1"  # SSD, as docs/deploiement.md advises
                   + ("" if self.autovacuum else " -c autovacuum=off"))
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")
        return self

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://{self.role}@/{name}?host={self.socket}"

    def admin(self):
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def create(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
