"""kill -9 the process running the projections (and publishing integration events) while
the shop keeps writing: a standby `polyshop projections run` takes the leases over within a
bound, JetStream ends up holding every `ProductCreated` of the log exactly once, in log
order (what the killed process had published past its checkpoint is published again and
dropped by message id), and the read models equal a rebuild: no event applied twice, none
skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from polyshop.config import Settings
from polyshop.container import Container
from polyshop.demo.seeding import seed
from tests.integration_streams import count, delete_stream, stored

#: Seconds a standby may take to notice the dead holder and take its lease (the runner
#: retries a lease every second; PostgreSQL frees a dead session's locks at once).
TAKEOVER_BOUND = 5.0


def projections_run(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {**settings.to_environment(), "POLYSHOP_LOG_LEVEL": "warning"}
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "polyshop", "projections", "run"],
            env={**_base_env(), **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("POLYSHOP_")}


def summaries(shop: Container) -> list[tuple]:
    with shop.machinery.read_engine.connect() as connection:
        query = text("SELECT * FROM stream_summaries ORDER BY stream_id")
        return [tuple(row) for row in connection.execute(query)]


def test_a_killed_publisher_is_replaced_and_the_stream_misses_nothing_and_repeats_nothing(
    settings_for: Callable[..., Settings],
    container_for: Callable[..., Container],
    nats_url: str,
    tmp_path: Path,
):
    tag = uuid.uuid4().hex[:10]
    stream = f"TEST_{tag}"
    publishing = settings_for(
        "postgres",
        nats_url=nats_url,
        nats_stream=stream,
        nats_subject_prefix=f"test.{tag}",
        nats_event_types="ProductCreated",
    )
    writer = container_for("postgres")  # the same database; it publishes nothing itself
    written = 0
    done = threading.Event()

    def write() -> None:
        nonlocal written
        while not done.is_set() and written < 20_000:
            written += seed(writer.machinery.store, written + 100, start=written, batch=100)
            time.sleep(0.02)

    holder = projections_run(publishing, tmp_path / "holder.log")
    standby: subprocess.Popen[bytes] | None = None
    thread = threading.Thread(target=write)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while count(nats_url, stream) < 300:
            assert holder.poll() is None, (tmp_path / "holder.log").read_text()
            assert time.monotonic() < deadline, "the publisher published nothing"
            time.sleep(0.1)
        standby = projections_run(publishing, tmp_path / "standby.log")
        time.sleep(3)  # the standby is up and trying the leases
        before = count(nats_url, stream)
        holder.kill()  # kill -9, mid-stream
        holder.wait()
        killed = time.monotonic()
        while count(nats_url, stream) <= before:
            assert standby.poll() is None, (tmp_path / "standby.log").read_text()
            assert time.monotonic() - killed < TAKEOVER_BOUND + 30, "no takeover"
            time.sleep(0.05)
        takeover = time.monotonic() - killed
        done.set()
        thread.join()
        deadline = time.monotonic() + 60
        while (held := count(nats_url, stream)) < written:
            assert time.monotonic() < deadline, f"{held} of {written} published"
            time.sleep(0.2)
        found = stored(nats_url, stream)
        ids = [int(m.msg_id) for m in found]
        assert len(ids) == written == len(set(ids))
        assert ids == sorted(ids)
        assert takeover < TAKEOVER_BOUND, f"takeover took {takeover:.1f} s"
        print(f"takeover after kill -9: {takeover:.2f} s; {written} events published once")

        runner, head = writer.machinery.runner, writer.machinery.store.head()
        assert runner.wait_for("stream_summaries", head, timeout=60)
        standby.terminate()  # its leases are released: the rebuild takes them here
        standby.wait(30)
        followed = summaries(writer)
        runner.rebuild("stream_summaries")
        assert summaries(writer) == followed
        with writer.machinery.read_engine.connect() as connection:
            events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
        assert sum(row[3] for row in followed) == events  # every event counted once
    finally:
        done.set()
        thread.join()
        for process in (holder, standby):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
        delete_stream(nats_url, stream)
