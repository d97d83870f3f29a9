"""When a read model is rebuilt rather than followed, and where the rebuild runs.

A generation written by an older projection version is rebuilt (it serves meanwhile); so is
one far behind after a large import, since building from the whole log with the indexes made
at the end costs less than following. A rebuild may run in a process of its own.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Mapping

import structlog

from polyshop.eventstore.projections.checkpoints import FAILED, Checkpoints
from polyshop.eventstore.projections.generations import Generations
from polyshop.eventstore.projections.ports import Projection
from polyshop.eventstore.sql_store import SqlEventStore

log = structlog.get_logger(__name__)

#: A read model this many events behind, with more of the log unapplied than applied, is
#: rebuilt in bulk beside the serving copy rather than followed event by event.
BULK_AFTER = 200_000

#: Starts a process that rebuilds a projection and exits 0, or returns None (rebuild here).
RebuildApart = Callable[[Projection], subprocess.Popen[bytes] | None]


class RebuildPolicy:
    """Decides, as a worker takes a projection on, whether its read model must be rebuilt."""

    def __init__(
        self,
        store: SqlEventStore,
        projections: Mapping[str, Projection],
        checkpoints: Checkpoints,
        generations: Generations,
        *,
        bulk_after: int,
        rebuild_apart: RebuildApart | None,
        stopping: threading.Event,
    ) -> None:
        self._store = store
        self._engine = store.write_engine
        self._projections = projections
        self._checkpoints = checkpoints
        self._generations = generations
        self._bulk_after = bulk_after
        self._rebuild_apart = rebuild_apart
        self._stopping = stopping

    def ensure_current(self, projection: Projection) -> None:
        """Create the first generation, or rebuild one written by an older projection version."""
        with self._engine.begin() as connection:
            active = self._checkpoints.row(connection, projection.name, None, lock=True)
            if active is None:
                self._generations.create(connection, projection, is_active=True)
                return
            if active.state == FAILED:
                # A restart retries once (the code may have been fixed); failing again stops it.
                self._checkpoints.clear_failure(connection, projection.name, active.generation)
        if active.projection_version != projection.version:
            log.info(
                "projection version changed; rebuilding",
                projection=projection.name,
                old=active.projection_version,
                new=projection.version,
            )
            self._rebuild_here_or_apart(projection.name)
            return
        behind = self._store.head() - active.position
        if behind >= self._bulk_after and behind > active.position:
            # After a large import (a seeded catalog): building a generation from the whole
            # log with its indexes made at the end costs less than following, whose index
            # upkeep grows with the tables (product documents at 1M: about twice linear).
            log.info("projection far behind; rebuilding in bulk", projection=projection.name)
            self._rebuild_here_or_apart(projection.name)

    def _rebuild_here_or_apart(self, name: str) -> None:
        """Rebuild in a process of its own when one is started (`rebuild_apart`): after
        a large import every read model rebuilds at once, and in threads of one process they
        would take turns on its interpreter (three at 250,000 products: slower together
        than one after another). The caller keeps the projection's lease meanwhile."""
        process = self._rebuild_apart(self._projections[name]) if self._rebuild_apart else None
        if process is None:
            self._generations.rebuild(name)
            return
        while process.poll() is None:
            if self._stopping.wait(0.5):
                process.terminate()  # a stopped build is thrown away, never swapped in
                process.wait(30)
                return
        if process.returncode != 0:
            log.warning(
                "rebuild in a process of its own failed; rebuilding here",
                projection=name,
                exit_code=process.returncode,
            )
            self._generations.rebuild(name)
