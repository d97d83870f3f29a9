"""Generations of a read model: a new one is set up, built beside the serving one, swapped in.

Queries read the active generation. A rebuild fills a fresh generation from position 0 (set
based where the projection can, then batch by batch) while the old one keeps serving, and
only a finished build is swapped in; the old generation is then dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import structlog
from sqlalchemy import Connection

from polyshop.eventstore.projections.batches import Batches
from polyshop.eventstore.projections.checkpoints import Checkpoint, Checkpoints
from polyshop.eventstore.projections.ports import Lease, Projection
from polyshop.eventstore.projections.progress import WorkerProgress
from polyshop.eventstore.sql_store import SqlEventStore

log = structlog.get_logger(__name__)


class Generations:
    """Creates, rebuilds and swaps the generations of the projections it is given."""

    def __init__(
        self,
        store: SqlEventStore,
        projections: Mapping[str, Projection],
        checkpoints: Checkpoints,
        batches: Batches,
        progress: WorkerProgress,
        lease_factory: Callable[[str], Lease],
        stopping: threading.Event,
    ) -> None:
        self._store = store
        self._engine = store.write_engine
        self._projections = projections
        self._checkpoints = checkpoints
        self._batches = batches
        self._progress = progress
        self._lease_factory = lease_factory
        self._stopping = stopping

    def create(
        self, connection: Connection, projection: Projection, *, is_active: bool, bulk: bool = False
    ) -> int:
        """Set up a new, empty generation (the active one if `is_active`); return it."""
        generation = self._checkpoints.add_generation(
            connection, projection.name, projection.version, is_active=is_active
        )
        projection.setup(generation, connection, bulk=bulk)
        if is_active:
            projection.activate(generation, connection)
        return generation

    def rebuild(self, name: str, on_progress: Callable[[int], None] | None = None) -> int:
        """Build a new generation from position 0 beside the serving one, then swap it in.

        Returns the new generation. Concurrent rebuilds of one projection are refused.
        """
        projection = self._projections[name]
        lease = self._lease_factory(f"{name}:rebuild")
        if not lease.acquire():
            raise RuntimeError(f"a rebuild of {name!r} is already running")
        try:
            with self._engine.begin() as connection:
                for stale in self._checkpoints.inactive(connection, name):
                    projection.teardown(stale.generation, connection)
                    self._checkpoints.delete(connection, name, stale.generation)
                has_active = self._checkpoints.row(connection, name, None, lock=False) is not None
                # Beside a serving copy nothing reads the new one until the swap, so what is
                # cheaper built at the end waits for the end.
                generation = self.create(
                    connection, projection, is_active=not has_active, bulk=has_active
                )
            self._store.refresh_statistics()  # a rebuild reads all the log: tell the planner
            if projection.transactional:
                self._build_from_log(projection, generation)
            self._batches.drain(name, generation, on_progress, refresh=not has_active)
            if has_active and not self._stopping.is_set():  # a stopped build stays aside
                with self._engine.begin() as connection:
                    projection.finish_bulk(generation, connection)
                with self._engine.begin() as connection:  # sees the indexes just committed
                    projection.refresh_statistics(generation, connection)
                self._swap(projection, generation)
            return generation
        finally:
            lease.release()

    def _build_from_log(self, projection: Projection, generation: int) -> None:
        """Let the database build what it can set-based; following then starts from there."""
        head = self._store.head()
        with self._engine.begin() as connection:
            if projection.build_from_log(generation, connection, head):
                known = Checkpoint(generation, 0)
                if not self._checkpoints.claim(
                    connection, projection.name, generation, known, head
                ):
                    raise RuntimeError(f"the new generation of {projection.name!r} moved")

    def _swap(self, projection: Projection, generation: int) -> None:
        name = projection.name
        with self._engine.begin() as connection:
            old = self._checkpoints.row(connection, name, None, lock=True)
            self._checkpoints.row(connection, name, generation, lock=True)
            if old is not None:
                self._checkpoints.deactivate(connection, name, old.generation)
            self._checkpoints.activate(connection, name, generation)
            projection.activate(generation, connection)
        # The memo spoke for the old generation; the checkpoint speaks for the new one.
        self._progress.forget(name)
        if old is not None:
            with self._engine.begin() as connection:
                projection.teardown(old.generation, connection)
                self._checkpoints.delete(connection, name, old.generation)
        log.info("projection rebuilt and swapped in", projection=name, generation=generation)
