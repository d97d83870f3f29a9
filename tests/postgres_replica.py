"""A PostgreSQL primary and a streaming hot standby of the test run's own, on spare ports
under a temporary directory, both run as the postgres user (initdb, then
`pg_basebackup -R -X stream` for the standby); the machine's own cluster is left alone.

The standby's replay can be paused and resumed (`pg_wal_replay_pause`), which makes replica
lag on demand, and the standby can be killed (kill -9) and started again."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.local_servers import free_port

USER = "postgres"


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", USER, "--", *command]
    return list(command)


@dataclass
class Node:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        subprocess.run(
            _as_postgres(
                _binary("pg_ctl"), "-D", str(self.directory), "-l", str(self.directory / "log"),
                "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
                "-w", "-t", "60", "start",
            ),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(_binary("pg_ctl"), "-D", str(self.directory), "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
        )

    def kill(self) -> None:
        """kill -9 the postmaster: its backends die with it."""
        pid = int((self.directory / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def sql(self, statement: str) -> object:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(statement)  # type: ignore[arg-type]
            row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


@dataclass
class Replicated:
    primary: Node
    standby: Node
    root: Path

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_replicated() -> Replicated:
    """A primary and its standby, replication running, in a directory of their own that
    the postgres user owns (a test's own temporary folder is root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="polyshop-replica-"))
    root.chmod(0o755)
    shutil.chown(root, USER)
    primary = Node(root / "primary", free_port())
    subprocess.run(
        _as_postgres(_binary("initdb"), "-D", str(primary.directory), "-U", USER,
                     "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with (primary.directory / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\nshared_buffers = 64MB\n"
        )
    with (primary.directory / "pg_hba.conf").open("a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    standby = Node(root / "standby", free_port())
    subprocess.run(
        _as_postgres(_binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", USER, "-D", str(standby.directory), "-R", "-X", "stream"),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    standby.start()
    replicated = Replicated(primary, standby, root)
    deadline = time.monotonic() + 30
    while primary.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") != 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the standby did not start streaming")
        time.sleep(0.1)
    return replicated
