"""What the benchmark scripts share: where the database server is, and running the shop as
a server process of its own (so the load generator never shares its interpreter)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from polyshop.container import Container

HERE = Path(__file__).parent
ADMIN_URL = os.environ.get(
    "POLYSHOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


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
