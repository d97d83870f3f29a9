"""Runs projections: tails the log for each, in batches, with checkpoints and leases.

One thread per projection. A projection runs in exactly one process at a time (its lease);
other processes stand by and take over when the holder dies. A handler that fails stops its
projection at the failing event, visible in `status()`; it is never skipped or retried hot.

This module is the facade and the workers; the parts are its neighbours: `checkpoints`
(the projections table), `batches` (reading and applying the log), `generations` (new
generations, rebuilds, the swap), `policy` (when to rebuild, and where), `progress`
(read-your-writes waits) and `status` (state and lag).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from polyshop.eventstore.projections.batches import Batches, Fetched
from polyshop.eventstore.projections.checkpoints import Checkpoints, ProjectionFailed
from polyshop.eventstore.projections.generations import Generations
from polyshop.eventstore.projections.policy import BULK_AFTER, RebuildApart, RebuildPolicy
from polyshop.eventstore.projections.ports import (
    Lease,
    Projection,
    ProjectionStatus,
    ReadModelUnavailable,
)
from polyshop.eventstore.projections.progress import WorkerProgress
from polyshop.eventstore.projections.status import read_status
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.runtime.group_commit import GroupCommit
from polyshop.values.clock import utc_now

__all__ = ["BULK_AFTER", "ProjectionFailed", "ProjectionRunner"]

log = structlog.get_logger(__name__)

#: Seconds a worker waits at most before retrying after an unexpected error.
_MAX_BACKOFF = 30.0


class ProjectionRunner:
    """Keeps every read model of the shop up to date with the event log, in this process.

    `start` gives each projection a worker thread that takes the projection's lease, makes
    sure its read model is current (creating or rebuilding it), then follows the log as it
    grows; `stop` ends them. Queries and commands use it for read-your-writes (`wait_for`,
    `wait_past`, `applied`), operators for `status` and `rebuild`, and tests and the CLI
    drive it by hand (`prepare`, `step`, `catch_up`).
    """

    def __init__(
        self,
        store: SqlEventStore,
        projections: Sequence[Projection],
        lease_factory: Callable[[str], Lease],
        *,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        linger: float = 0.02,
        lease_retry: float = 1.0,
        bulk_after: int = BULK_AFTER,
        rebuild_apart: RebuildApart | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`rebuild_apart(projection)`: start a process that rebuilds it (`rebuild`) and exits
        0, or return None to have it rebuilt here; far-behind read models are then rebuilt
        side by side, one process each."""
        self._store = store
        self._projections = {p.name: p for p in projections}
        self._lease_factory = lease_factory
        self._poll_interval = poll_interval
        self._linger = linger
        self._lease_retry = lease_retry
        self._clock = clock
        self._stopping = threading.Event()
        self._checkpoints = Checkpoints(store.read_engine, clock)
        self._progress = WorkerProgress(self.position)
        self._batches = Batches(
            store,
            self._projections,
            self._checkpoints,
            self._progress,
            batch_size=batch_size,
            stopping=self._stopping,
        )
        self._generations = Generations(
            store,
            self._projections,
            self._checkpoints,
            self._batches,
            self._progress,
            lease_factory,
            self._stopping,
        )
        self._policy = RebuildPolicy(
            store,
            self._projections,
            self._checkpoints,
            self._generations,
            bulk_after=bulk_after,
            rebuild_apart=rebuild_apart,
            stopping=self._stopping,
        )
        # Woken by one append, the transactional projections step together (one
        # transaction); a projection never shares a step with itself.
        self._live: GroupCommit[str, int] = GroupCommit(
            self._batches.step_live, key=lambda name: name, settle=0.001
        )
        self._threads: list[threading.Thread] = []

    @property
    def names(self) -> list[str]:
        return list(self._projections)

    @property
    def progress(self) -> threading.Condition:
        """Notified whenever a batch has been applied in this process."""
        return self._progress.changed

    # -- lifecycle -------------------------------------------------------------------------
    def prepare(self) -> None:
        """Give every projection a first generation, so queries never meet a missing table;
        let one written by an older version serve this code until its rebuild swaps in.

        Filling it is the workers' job; this only creates the empty storage and its views.
        """
        for projection in self._projections.values():
            try:
                with self._store.write_engine.begin() as connection:
                    active = self._checkpoints.row(connection, projection.name, None, lock=False)
                    if active is None:
                        self._generations.create(connection, projection, is_active=True)
                    elif active.projection_version != projection.version:
                        projection.adapt_older(
                            active.generation, active.projection_version, connection
                        )
            except IntegrityError:
                pass  # another process created it at the same moment

    def start(self) -> None:
        self._stopping.clear()
        for projection in self._projections.values():
            thread = threading.Thread(
                target=self._work,
                args=(projection,),
                name=f"projection-{projection.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._store.notifier.notify_appended()  # wake every waiting worker
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- workers ---------------------------------------------------------------------------
    def _work(self, projection: Projection) -> None:
        lease = self._lease_factory(projection.name)
        try:
            self._hold_and_follow(projection, lease)
        finally:
            lease.release()  # also drops a standby's connection, held or not

    def _hold_and_follow(self, projection: Projection, lease: Lease) -> None:
        failures, last_error = 0, None
        while not self._stopping.is_set():
            if not lease.acquire():
                self._stopping.wait(self._lease_retry)
                continue
            try:
                self._policy.ensure_current(projection)
                self._follow(projection, lease)
            except ProjectionFailed as failure:
                log.error(
                    "projection stopped",
                    projection=failure.name,
                    position=failure.position,
                    error=failure.error,
                )
                self._stopping.wait()  # stay stopped until the process stops; status shows why
            except (OperationalError, DBAPIError, PoolTimeout, ReadModelUnavailable) as exc:
                # PoolTimeout: no connection within the pool's timeout, e.g. the embedded
                # store's one writer held by rebuilds of several read models at start-up.
                log.warning(
                    "projection store unavailable; retrying",
                    projection=projection.name,
                    error=str(exc).splitlines()[0],
                )
                self._stopping.wait(self._lease_retry)
            except Exception as exc:
                # Anything else would end this worker's thread, and with it the read model,
                # for good: "rebuilding" or "catching up" forever. Try again, backing off;
                # the traceback is logged once per distinct error, not every retry.
                failures += 1
                error = f"{type(exc).__name__}: {exc}"
                if error != last_error:
                    log.exception("projection worker failed; retrying", projection=projection.name)
                    last_error = error
                self._stopping.wait(min(self._lease_retry * 2 ** min(failures, 10), _MAX_BACKOFF))
            else:
                failures, last_error = 0, None
            finally:
                lease.release()

    def _follow(self, projection: Projection, lease: Lease) -> None:
        checked = time.monotonic()
        while not self._stopping.is_set():
            token = self._store.notifier.token()
            if projection.transactional:  # with whichever others were woken with it
                applied = self._live.submit(projection.name)
            else:
                applied = self.step(projection.name)
            if applied >= self._batches.batch_size:  # far behind: switch to the pipelined catch-up
                self._batches.drain(projection.name)
            elif applied:
                # Under a stream of appends, let the next few gather into one batch: one
                # transaction per `linger` instead of one per event, which is what lets the
                # writers (on SQLite, the one writer) keep the database. An idle projection
                # still applies the first event the moment it is woken.
                self._stopping.wait(self._linger)
            else:
                # A PostgreSQL head held back by an open transaction moves when it ends,
                # which wakes us (commits and rollbacks both notify); this poll is for an
                # appender that died without either.
                timeout = self._poll_interval if self._store.is_settled else 0.05
                self._store.notifier.wait(token, timeout)
            if time.monotonic() - checked > 2.0:
                if not lease.is_held():
                    log.warning("projection lease lost", projection=projection.name)
                    return
                checked = time.monotonic()

    # -- applying --------------------------------------------------------------------------
    def step(
        self, name: str, generation: int | None = None, prefetched: Fetched | None = None
    ) -> int:
        """Apply one batch to the active (or the given) generation; return how many applied.

        Raises ProjectionFailed if the projection is, or becomes, failed.
        """
        return self._batches.step(name, generation, prefetched)

    def catch_up(self, name: str) -> None:
        """Bring the active generation up to the head, creating or rebuilding it if needed."""
        self._policy.ensure_current(self._projections[name])
        self._batches.drain(name)

    def rebuild(self, name: str, on_progress: Callable[[int], None] | None = None) -> int:
        """Build a new generation from position 0 beside the serving one, then swap it in.

        Returns the new generation. Concurrent rebuilds of one projection are refused.
        """
        return self._generations.rebuild(name, on_progress)

    # -- queries ---------------------------------------------------------------------------
    def position(self, name: str) -> int:
        """The active generation's checkpoint (0 before the projection first ran)."""
        return self._checkpoints.position(name, None)

    def applied(self, name: str) -> int | None:
        """Where this process's workers last left the read model, from memory (no I/O);
        None when they have not moved it here (it may be followed by another process)."""
        return self._progress.applied(name)

    def wait_for(self, name: str, position: int, timeout: float) -> bool:
        """Block until the projection has applied `position` (read-your-writes)."""
        return self.wait_past(name, position - 1, timeout) >= position

    def wait_past(self, name: str, known: int, timeout: float) -> int:
        """Block until the projection's position passes `known`, or `timeout` passes; return
        the position then (`known` when nothing newer was seen).

        When this process runs the projection, its workers' progress answers from memory;
        the checkpoint is still read now and then, as the projection may run elsewhere.
        """
        return self._progress.wait_past(name, known, timeout)

    def status(self) -> list[ProjectionStatus]:
        return read_status(self._store, self._checkpoints, self._projections, self._clock)
