"""What the benchmark scripts share: where the database server is, and running the shop as
a server process of its own (so the load generator never shares its interpreter)."""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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


_CREATED: list[str] = []


@atexit.register
def _drop_created() -> None:
    """The databases `fresh_settings` made are this run's alone: gone when it ends."""
    if _CREATED:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            for name in _CREATED:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_settings(mode: str, tag: str, data_dir: Path, **extra: object) -> Settings:
    """Settings for an empty shop: embedded under `data_dir`, or server mode on a new
    PostgreSQL database (dropped when the run ends) and a Redis key prefix of its own."""
    values: dict[str, object] = {"data_dir": data_dir, "log_level": "warning", **extra}
    if mode == "postgres":
        name = f"polyshop_bench_{tag}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        _CREATED.append(name)
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


def rss_mib(pid: int) -> float:
    """The resident memory of process `pid`, in MiB."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank below); nan when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


@dataclass(frozen=True)
class Figures:
    """What one wrk run printed: requests/s and latency percentiles in milliseconds."""

    rate: float
    p50: float
    p90: float
    p99: float
    failed: int

    def __str__(self) -> str:
        failed = f"  ! {self.failed} non-2xx" if self.failed else ""
        return (
            f"{self.rate:8.0f} req/s  p50 {self.p50:6.2f} ms  p90 {self.p90:6.2f} ms"
            f"  p99 {self.p99:6.2f} ms{failed}"
        )


def wrk(
    base: str,
    script: str,
    env: dict[str, str],
    seconds: int = 10,
    connections: int = 64,
) -> Figures:
    """`wrk -t2 -cN --latency` with a Lua script of `benchmarks/lua/`."""
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / "lua" / script),
            base,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    if result.stderr.strip():  # a Lua error: wrk would silently fall back to GET /
        raise RuntimeError(result.stderr)
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Figures(
        rate,
        percentile("50"),
        percentile("90"),
        percentile("99"),
        int(errors.group(1)) if errors else 0,
    )


def wrk_paths(
    base: str, paths: list[str], seconds: int = 10, connections: int = 64, think_ms: int = 0
) -> Figures:
    """wrk over random picks from `paths`; `think_ms` paces each connection like a reader."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    env = {"PATHS_FILE": f.name, "THINK_MS": str(think_ms)}
    return wrk(base, "paths.lua", env, seconds, connections)
