"""Tailing the log in batches: read a projection's next events, apply them, move its checkpoint.

A transactional projection's batch and checkpoint commit in one transaction, the checkpoint
claimed first (it locks the row). Any other applies first, then claims: a crash between the
two replays the batch, which such projections must take. A handler that raises is retried
one event per transaction up to the culprit, and the projection is marked failed there.
Far behind, `drain` reads batch N+1 while batch N is being applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.checkpoints import Checkpoint, Checkpoints, ProjectionFailed
from polyshop.eventstore.projections.ports import Projection, ReadModelUnavailable
from polyshop.eventstore.projections.progress import WorkerProgress
from polyshop.eventstore.projections.recent import RecentEvents
from polyshop.eventstore.sql_store import SqlEventStore

_ANALYZE_AFTER = 10_000  # events applied in one catch-up before planner statistics refresh


@dataclass(frozen=True, slots=True)
class Fetched:
    """A batch read ahead of its turn: the events in (after, end], read against `head`."""

    after: int
    head: int
    batch: list[RecordedEvent]
    end: int


class _HandlerError(Exception):
    def __init__(self, position: int, cause: BaseException) -> None:
        self.position = position
        self.cause = cause


class Batches:
    """Applies batches of the log to projections' generations (None: the active one)."""

    def __init__(
        self,
        store: SqlEventStore,
        projections: Mapping[str, Projection],
        checkpoints: Checkpoints,
        progress: WorkerProgress,
        *,
        batch_size: int,
        stopping: threading.Event,
    ) -> None:
        self._store = store
        self._engine = store.write_engine
        self._reader = store.read_engine  # checkpoint reads must not queue for the writer
        self._projections = projections
        self._checkpoints = checkpoints
        self._progress = progress
        self._batch_size = batch_size
        self._stopping = stopping
        self._recent = RecentEvents(store, capacity=4 * batch_size)

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def step(
        self, name: str, generation: int | None = None, prefetched: Fetched | None = None
    ) -> int:
        """Apply one batch to the active (or the given) generation; return how many applied.

        Raises ProjectionFailed if the projection is, or becomes, failed.
        """
        projection = self._projections[name]
        head = prefetched.head if prefetched is not None else self._store.head()
        try:
            applied = self._apply_batch(projection, generation, head, self._batch_size, prefetched)
        except _HandlerError:
            self._isolate_failure(projection, generation, head)
        if applied:
            self._progress.announce()
        return applied

    def drain(
        self,
        name: str,
        generation: int | None = None,
        on_progress: Callable[[int], None] | None = None,
        *,
        refresh: bool = True,
    ) -> None:
        """Apply batches until caught up, reading batch N+1 while batch N is being applied;
        then, after a large catch-up and if `refresh`, update the planner's statistics.

        Reading (decoding rows in Python) and applying (mostly waiting on the database)
        overlap, so a replay costs about the larger of the two rather than their sum.
        """
        projection = self._projections[name]
        applied = 0
        with ThreadPoolExecutor(1, thread_name_prefix=f"prefetch-{name}") as pool:
            while not self._stopping.is_set():
                head = self._store.head()
                position = self._checkpoints.position(name, generation)
                if position >= head:
                    break
                pending = pool.submit(self._fetch, projection, position, head)
                while True:
                    fetched = pending.result()
                    if fetched.end < head:
                        pending = pool.submit(self._fetch, projection, fetched.end, head)
                    applied += self.step(name, generation, fetched)
                    if on_progress is not None:
                        on_progress(fetched.end)
                    if fetched.end >= head or self._stopping.is_set():
                        break

        if refresh and applied >= _ANALYZE_AFTER:
            with self._engine.begin() as connection:
                row = self._checkpoints.row(connection, name, generation, lock=False)
                if row is not None:
                    projection.refresh_statistics(row.generation, connection)

    def step_live(self, names: Sequence[str]) -> list[int]:
        """Step the live transactional projections woken together, in one transaction.

        One head, one connection, one commit for all of them instead of one each. Any
        trouble (a failing handler, a checkpoint moved) rolls the whole step back, and the
        group commit runs each projection's step alone, where it is dealt with as usual.
        """
        if len(names) == 1:
            return [self.step(names[0])]
        head = self._store.head()
        stepped: list[tuple[str, Checkpoint, int] | None] = []
        applied: list[int] = []
        with self._engine.begin() as connection:
            for name in names:
                projection = self._projections[name]
                known = self._checkpoints.known(name, None)
                if known is None or known.position >= head:
                    stepped.append(None)
                    applied.append(0)
                    continue
                batch, new_position = self._read_tail(
                    projection, known.position, head, self._batch_size
                )
                if not self._claim_and_apply(
                    connection, projection, None, known, batch, new_position
                ):
                    self._checkpoints.forget(name, None)
                    raise RuntimeError(f"the checkpoint of {name!r} moved; stepping alone")
                stepped.append((name, known, new_position))
                applied.append(max(len(batch), 1))
        for moved in stepped:
            if moved is not None:
                self._moved_on(moved[0], None, moved[1], moved[2])
        if any(applied):
            self._progress.announce()
        return applied

    def _fetch(self, projection: Projection, after: int, head: int) -> Fetched:
        with self._reader.connect() as connection:
            batch, end = self._read(connection, projection, after, head, self._batch_size)
        return Fetched(after, head, batch, end)

    def _apply_batch(
        self,
        projection: Projection,
        generation: int | None,
        head: int,
        limit: int,
        prefetched: Fetched | None = None,
    ) -> int:
        name = projection.name
        for _ in range(3):  # a checkpoint moved under us is read again, and the batch retried
            known = self._checkpoints.known(name, generation)
            if known is None or known.position >= head:
                return 0
            if prefetched is not None and prefetched.after == known.position and limit > 1:
                batch, new_position = prefetched.batch, prefetched.end
            else:
                batch, new_position = self._read_tail(projection, known.position, head, limit)
            if projection.transactional:
                with self._engine.begin() as connection:
                    claimed = self._claim_and_apply(
                        connection, projection, generation, known, batch, new_position
                    )
            else:  # an external index: the batch is applied first (replays are harmless)
                self._apply(projection, batch, known.generation, None)
                with self._engine.begin() as connection:
                    claimed = self._checkpoints.claim(
                        connection, name, generation, known, new_position
                    )
            if claimed:
                self._moved_on(name, generation, known, new_position)
                return max(len(batch), 1)
            self._checkpoints.forget(name, generation)
        return 0

    def _claim_and_apply(
        self,
        connection: Connection,
        projection: Projection,
        generation: int | None,
        known: Checkpoint,
        batch: list[RecordedEvent],
        new_position: int,
    ) -> bool:
        """Claim first: it locks the checkpoint, so the view and its checkpoint commit
        together or not at all."""
        if not self._checkpoints.claim(
            connection, projection.name, generation, known, new_position
        ):
            return False
        self._apply(projection, batch, known.generation, connection)
        return True

    def _moved_on(
        self, name: str, generation: int | None, known: Checkpoint, position: int
    ) -> None:
        """A claim committed: remember where the checkpoint now stands."""
        self._checkpoints.moved_on(name, generation, known, position)
        self._progress.note(name, generation, position)

    def _read_tail(
        self, projection: Projection, after: int, head: int, limit: int
    ) -> tuple[list[RecordedEvent], int]:
        if self._recent.covers(after, head):
            return self._recent.read(after, head, projection.event_types, limit)
        with self._reader.connect() as connection:
            return self._read(connection, projection, after, head, limit)

    def _read(
        self, connection: Connection, projection: Projection, after: int, head: int, limit: int
    ) -> tuple[list[RecordedEvent], int]:
        batch = self._store.read_range(after, head, limit, connection, projection.event_types)
        full = len(batch) == limit
        return batch, (batch[-1].position if full else head)

    def _apply(
        self, projection: Projection, batch: list[RecordedEvent], generation: int, connection: Any
    ) -> None:
        if not batch:
            return
        try:
            projection.apply(batch, generation, connection)
        except (OperationalError, ReadModelUnavailable):
            raise  # the database or the read model's store went away: retry later
        except Exception as exc:
            raise _HandlerError(batch[0].position, exc) from exc

    def _isolate_failure(
        self, projection: Projection, generation: int | None, head: int
    ) -> NoReturn:
        """Re-apply one event per transaction up to the culprit, then mark the projection failed."""
        for _ in range(self._batch_size + 1):
            try:
                if self._apply_batch(projection, generation, head, 1) == 0:
                    break
            except _HandlerError as failure:
                error = f"{type(failure.cause).__name__}: {failure.cause}"
                with self._engine.begin() as connection:
                    self._checkpoints.mark_failed(
                        connection, projection.name, generation, failure.position, error
                    )
                self._checkpoints.forget(projection.name, generation)
                raise ProjectionFailed(projection.name, failure.position, error) from failure.cause
        raise ProjectionFailed(projection.name, -1, "failed on a batch but on no single event")
