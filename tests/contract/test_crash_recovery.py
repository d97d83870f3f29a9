"""`kill -9` of the projection process mid-batch, then a restart: the read model must end
identical to a full rebuild, on both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from polyshop.config import Settings
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent

pytestmark = pytest.mark.slow


EVENTS, STREAMS = 20_000, 97


def spawn_runner(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POLYSHOP_DATA_DIR": str(settings.data_dir),
        "POLYSHOP_PROJECTION_BATCH_SIZE": "25",
        "POLYSHOP_LOG_LEVEL": "warning",
    }
    if settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = settings.database_url
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "polyshop", "projections", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


def rows(container: Container) -> list[tuple]:
    with container.machinery.read_engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text("SELECT * FROM stream_summaries ORDER BY stream_id")
            ).all()
        ]


def test_kill_minus_nine_mid_batch_then_restart_equals_a_rebuild(
    backend: str, container_for: Callable[..., Container], tmp_path: Path
):
    container = container_for(backend)
    settings = container.settings
    log = tmp_path / "runner.log"
    for start in range(0, EVENTS, 500):
        with container.machinery.store.unit_of_work() as uow:
            for i in range(start, start + 500):
                uow.append(f"stream-{i % STREAMS}", "thing", [NewEvent(f"E{i % 5}", {"i": i})])
    head = container.machinery.store.head()

    for kills in range(3):  # kill it several times at different points
        process = spawn_runner(settings, log)
        deadline = time.monotonic() + 60
        target = head * (kills + 1) // 5
        while container.machinery.runner.position("stream_summaries") < target:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the runner made no progress"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert container.machinery.runner.position("stream_summaries") < head

    process = spawn_runner(settings, log)
    try:
        assert container.machinery.runner.wait_for("stream_summaries", head, timeout=60)
    finally:
        process.terminate()
        process.wait(10)
    after_crashes = rows(container)

    container.machinery.runner.rebuild("stream_summaries")

    assert len(after_crashes) == STREAMS
    assert sum(r[3] for r in after_crashes) == EVENTS  # the event_count column
    assert rows(container) == after_crashes
