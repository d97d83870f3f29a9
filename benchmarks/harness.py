"""What the benchmark scripts share: where the database server is, and running the shop as
a server process of its own (so the load generator never shares its interpreter)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import psycopg
from sqlalchemy.engine import make_url

from polyshop.config import Settings
from polyshop.container import Container

HERE = Path(__file__).parent
ADMIN_URL = os.environ.get(
    "POLYSHOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("POLYSHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def fresh_settings(mode: str, tag: str, data_dir: Path, **extra: object) -> Settings:
    """Settings for an empty shop: embedded under `data_dir`, or server mode on a new
    PostgreSQL database and a Redis key prefix of its own."""
    values: dict[str, object] = {"data_dir": data_dir, "log_level": "warning", **extra}
    if mode == "postgres":
        name = f"polyshop_bench_{tag}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        values["database_url"] = (
            make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        )
        values["redis_url"] = REDIS_URL
        values["redis_prefix"] = f"bench-{name}:"
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def server(
    container: Container, port: int, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    env = {
        **os.environ,
        "POLYSHOP_DATA_DIR": str(container.settings.data_dir),
        "POLYSHOP_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    if container.settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = container.settings.database_url
    log = tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, str(HERE / "serve_with_ceiling.py"), str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(Path(log.name).read_text())
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
