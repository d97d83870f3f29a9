"""The operators' door to the log: how far each read model has got, the streams written,
and waits for a read model to reach a position (read-your-writes).

Faces (the admin API, pages, the CLI) ask this rather than the projection runner or the
read database, so they show the same figures and wait by the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from sqlalchemy import Engine

from polyshop.eventstore.log_browser import LogFilter, LogPage, browse
from polyshop.eventstore.projections.ports import ProjectionStatus
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.projections.waiters import ReadWaits
from polyshop.eventstore.replicas import ReplicaSet, ReplicaState
from polyshop.eventstore.stream_summaries import StreamSummary, list_stream_summaries

_log = structlog.get_logger(__name__)


class UnknownProjection(LookupError):
    """No read model of that name."""


class RebuildRunning(RuntimeError):
    """This read model is being rebuilt already."""


class EventLog:
    def __init__(
        self,
        runner: ProjectionRunner,
        last_position: Callable[[], int],
        reader: Engine,
        replicas: ReplicaSet | None = None,
    ) -> None:
        """`reader` serves the stream summaries read model (a replica when configured)."""
        self._runner = runner
        self._last_position = last_position
        self._reader = reader
        self._replicas = replicas
        self._rebuilds: dict[str, threading.Thread] = {}
        self._rebuilds_lock = threading.Lock()

    def start_projections(self) -> None:
        """Start keeping the read models (the runner's threads; the HTTP app does so on start
        when it runs projections). Stopped when the shop closes."""
        self._runner.start()

    def list_projections(self) -> list[ProjectionStatus]:
        """Each read model's position, lag (events and seconds) and state."""
        return self._runner.status()

    def list_replicas(self, *, probe: bool = False) -> list[ReplicaState]:
        """Each read replica: whether it serves, its lag (WAL bytes and seconds) and the
        read models' positions it holds; `probe`: ask them now (else the last probe)."""
        if self._replicas is None:
            return []
        if probe:
            self._replicas.check()
        return self._replicas.states()

    def projection_names(self) -> list[str]:
        return self._runner.names

    def start_rebuild(self, name: str) -> None:
        """Rebuild read model `name` from position 0 beside the serving copy, then swap it in
        (as `polyshop projections rebuild` does), in a thread of this process: a rebuild of
        millions of events outlives any request. Its progress shows in `list_projections`
        (state `rebuilding`). Raises UnknownProjection, or RebuildRunning while one runs."""
        if name not in self._runner.names:
            raise UnknownProjection(name)
        with self._rebuilds_lock:
            running = self._rebuilds.get(name)
            if running is not None and running.is_alive():
                raise RebuildRunning(name)
            thread = threading.Thread(
                target=self._rebuild, args=(name,), name=f"rebuild-{name}", daemon=True
            )
            self._rebuilds[name] = thread
            thread.start()

    def rebuilding(self) -> set[str]:
        """The read models this process is rebuilding now."""
        with self._rebuilds_lock:
            return {name for name, thread in self._rebuilds.items() if thread.is_alive()}

    def _rebuild(self, name: str) -> None:
        try:
            generation = self._runner.rebuild(name)
        except Exception:  # a thread's failure must reach the log, not vanish
            _log.exception("projection_rebuild_failed", projection=name)
        else:
            _log.info("projection_rebuilt", projection=name, generation=generation)

    def browse(self, where: LogFilter, limit: int = 50) -> LogPage:
        """Events newest first, by stream prefix and type, one bounded window a page
        (`log_browser`); `limit` is held to 1..200."""
        return browse(self._reader, where, max(1, min(limit, 200)))

    def list_streams(
        self, *, stream_type: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[StreamSummary], int]:
        """Streams most recently changed first, with the total for pagination."""
        return list_stream_summaries(
            self._reader, stream_type=stream_type, limit=limit, offset=offset
        )

    def read_waits(self, *, limit: int, timeout: float) -> ReadWaits:
        """Waits for read models to reach a position, at most `limit` at once, each for at
        most `timeout` seconds. Made by the face that awaits them, on its event loop."""
        return ReadWaits(self._runner, self._last_position, limit=limit, timeout=timeout)
