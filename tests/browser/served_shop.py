"""A real shop for the browser tests: `polyshop seed` then `polyshop serve` in a process of
their own, on a free port, over a small demo catalog in a scratch data directory (embedded
mode), exactly as `make run` serves it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

#: The operator token the journeys change prices and stock with (as a shop's staff would).
OPS_TOKEN = "browser-tests-operator-token"
#: Enough for every category to have a page of products, few enough to seed in seconds.
PRODUCTS = 300
READY_SECONDS = 90


@dataclass
class ServedShop:
    base_url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return self.base_url + path

    def admin(self, method: str, path: str, body: dict[str, object] | None) -> dict[str, Any]:
        """An operator's call to the JSON API (a price change, a stock adjustment)."""
        answer = httpx.request(
            method,
            self.url(path),
            json=body,
            headers={"Authorization": f"Bearer {OPS_TOKEN}"},
            timeout=10,
        )
        answer.raise_for_status()
        written: dict[str, Any] = answer.json()
        return written

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment() -> dict[str, str]:
    """The test run's environment in embedded mode (POLYSHOP_DEMO_PICTURES_DIR, set by
    tests/conftest.py, shares the drawn demo pictures with the rest of the run)."""
    env = {**os.environ, "POLYSHOP_LOG_JSON": "true", "POLYSHOP_OPS_TOKEN": OPS_TOKEN}
    env.pop("POLYSHOP_DATABASE_URL", None)
    env.pop("POLYSHOP_REDIS_URL", None)
    return env


def _polyshop(*args: str) -> list[str]:
    return [sys.executable, "-m", "polyshop", *args]


def start_shop(data_dir: Path, products: int = PRODUCTS) -> ServedShop:
    env = _environment()
    seeded = subprocess.run(
        _polyshop("seed", "--products", str(products), "--data-dir", str(data_dir)),
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"polyshop seed failed:\n{seeded.stdout.decode()[-4000:]}")
    port = _free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            _polyshop("serve", "--no-seed", "--port", str(port), "--data-dir", str(data_dir)),
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    shop = ServedShop(f"http://127.0.0.1:{port}", data_dir, log, process)
    try:
        _wait_until_searchable(shop)
    except BaseException:
        shop.stop()
        raise
    return shop


def _wait_until_searchable(shop: ServedShop) -> None:
    """Up, and its projections caught up far enough that search finds the seeded laptops
    (the journeys start with a search)."""
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if shop.process.poll() is not None:
            raise RuntimeError(f"polyshop serve exited:\n{shop.log.read_text()[-4000:]}")
        try:
            answer = httpx.get(shop.url("/api/v1/products/search?q=laptop&limit=1"), timeout=2)
            if answer.status_code == 200 and answer.json()["total"] > 0:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the shop was not searchable in time:\n{shop.log.read_text()[-4000:]}"
            )
        time.sleep(0.2)
