"""The operators' door to the log: how far each read model has got, the streams written,
and waits for a read model to reach a position (read-your-writes).

Faces (the admin API, pages, the CLI) ask this rather than the projection runner or the
read database, so they show the same figures and wait by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from polyshop.eventstore.projections.ports import ProjectionStatus
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.projections.waiters import ReadWaits
from polyshop.eventstore.stream_summaries import StreamSummary, list_stream_summaries


class EventLog:
    def __init__(
        self, runner: ProjectionRunner, last_position: Callable[[], int], reader: Engine
    ) -> None:
        """`reader` serves the stream summaries read model (a replica when configured)."""
        self._runner = runner
        self._last_position = last_position
        self._reader = reader

    def start_projections(self) -> None:
        """Start keeping the read models (the runner's threads; the HTTP app does so on start
        when it runs projections). Stopped when the shop closes."""
        self._runner.start()

    def list_projections(self) -> list[ProjectionStatus]:
        """Each read model's position, lag (events and seconds) and state."""
        return self._runner.status()

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
