"""Runs projections: tails the log for each, in batches, with checkpoints and leases.

One thread per projection. A projection runs in exactly one process at a time (its lease);
other processes stand by and take over when the holder dies. A handler that fails stops its
projection at the failing event, visible in `status()`; it is never skipped or retried hot.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import structlog
from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from polyshop.eventstore.clock import as_utc, utc_now
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.ports import (
    Lease,
    Projection,
    ProjectionStatus,
    ReadModelUnavailable,
)
from polyshop.eventstore.projections.recent import RecentEvents
from polyshop.eventstore.schema import projections as table
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.group_commit import GroupCommit

log = structlog.get_logger(__name__)

LIVE, CATCHING_UP, FAILED, REBUILDING, NOT_STARTED = (
    "live",
    "catching_up",
    "failed",
    "rebuilding",
    "not_started",
)
_LAG_COUNT_CAP = 10_000_000
_ANALYZE_AFTER = 10_000  # events applied in one catch-up before planner statistics refresh
#: A read model this many events behind, with more of the log unapplied than applied, is
#: rebuilt in bulk beside the serving copy rather than followed event by event.
BULK_AFTER = 200_000


class ProjectionFailed(Exception):
    """A projection's handler raised on an event; the projection is stopped there."""

    def __init__(self, name: str, position: int, error: str) -> None:
        self.name, self.position, self.error = name, position, error
        super().__init__(f"projection {name!r} failed at position {position}: {error}")


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    generation: int
    position: int


# Moving a checkpoint on from where its worker knows it to be, in one statement that also
# locks it; a checkpoint somewhere else, failed or swapped out matches nothing.
_CLAIM = (
    update(table)
    .where(
        table.c.name == bindparam("n"),
        table.c.generation == bindparam("g"),
        table.c.position == bindparam("old"),
        table.c.state != FAILED,
    )
    .values(position=bindparam("new"), updated_at=bindparam("now"))
)
_CLAIM_ACTIVE = _CLAIM.where(table.c.is_active.is_(True))


_OF = select(table).where(table.c.name == bindparam("n"))
_ACTIVE = _OF.where(table.c.is_active.is_(True))
_GENERATION = _OF.where(table.c.generation == bindparam("g"))
# A checkpoint row by (active or a given generation, locked or not).
_CHECKPOINTS = {
    (True, False): _ACTIVE,
    (True, True): _ACTIVE.with_for_update(),
    (False, False): _GENERATION,
    (False, True): _GENERATION.with_for_update(),
}


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A batch read ahead of its turn: the events in (after, end], read against `head`."""

    after: int
    head: int
    batch: list[RecordedEvent]
    end: int


class _HandlerError(Exception):
    def __init__(self, position: int, cause: BaseException) -> None:
        self.position = position
        self.cause = cause


class ProjectionRunner:
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
        rebuild_apart: Callable[[Projection], subprocess.Popen[bytes] | None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`rebuild_apart(projection)`: start a process that rebuilds it (`rebuild`) and exits
        0, or return None to have it rebuilt here; far-behind read models are then rebuilt
        side by side, one process each."""
        self._store = store
        self._engine = store.write_engine
        self._reader = store.read_engine  # checkpoint reads must not queue for the writer
        self._projections = {p.name: p for p in projections}
        self._lease_factory = lease_factory
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._linger = linger
        self._lease_retry = lease_retry
        self._bulk_after = bulk_after
        self._rebuild_apart = rebuild_apart
        self._clock = clock
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        # What this process's workers have committed to each active read model: lets
        # read-your-writes waits be answered from memory instead of polling checkpoints.
        self._applied: dict[str, int] = {}
        # The checkpoints this process's workers last moved, by (name, generation or None
        # for the active one): the next batch starts there without asking the database.
        # A checkpoint moved by anyone else (a swap, a failure) makes the next claim miss.
        self._claimed: dict[tuple[str, int | None], _Checkpoint] = {}
        self._recent = RecentEvents(store, capacity=4 * batch_size)
        # Woken by one append, the transactional projections step together (one
        # transaction); a projection never shares a step with itself.
        self._live: GroupCommit[str, int] = GroupCommit(
            self._step_live, key=lambda name: name, settle=0.001
        )
        self._threads: list[threading.Thread] = []

    @property
    def names(self) -> list[str]:
        return list(self._projections)

    @property
    def progress(self) -> threading.Condition:
        """Notified whenever a batch has been applied in this process."""
        return self._progress

    # -- lifecycle -------------------------------------------------------------------------
    def prepare(self) -> None:
        """Give every projection a first generation, so queries never meet a missing table;
        let one written by an older version serve this code until its rebuild swaps in.

        Filling it is the workers' job; this only creates the empty storage and its views.
        """
        for projection in self._projections.values():
            try:
                with self._engine.begin() as connection:
                    active = self._checkpoint(connection, projection.name, None, lock=False)
                    if active is None:
                        self._new_generation(connection, projection, is_active=True)
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

    def _work(self, projection: Projection) -> None:
        lease = self._lease_factory(projection.name)
        try:
            self._hold_and_follow(projection, lease)
        finally:
            lease.release()  # also drops a standby's connection, held or not

    def _hold_and_follow(self, projection: Projection, lease: Lease) -> None:
        while not self._stopping.is_set():
            if not lease.acquire():
                self._stopping.wait(self._lease_retry)
                continue
            try:
                self._ensure_current(projection)
                self._follow(projection, lease)
            except ProjectionFailed as failure:
                log.error(
                    "projection stopped",
                    projection=failure.name,
                    position=failure.position,
                    error=failure.error,
                )
                self._stopping.wait()  # stay stopped until the process stops; status shows why
            except (OperationalError, DBAPIError, ReadModelUnavailable) as exc:
                log.warning(
                    "projection store unavailable; retrying",
                    projection=projection.name,
                    error=str(exc).splitlines()[0],
                )
                self._stopping.wait(self._lease_retry)
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
            if applied >= self._batch_size:  # far behind: switch to the pipelined catch-up
                self._drain(projection.name)
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
        self, name: str, generation: int | None = None, prefetched: _Fetched | None = None
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
            with self._progress:
                self._progress.notify_all()
        return applied

    def catch_up(self, name: str) -> None:
        """Bring the active generation up to the head, creating or rebuilding it if needed."""
        self._ensure_current(self._projections[name])
        self._drain(name)

    def _drain(
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
                position = self._position(name, generation)
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
                row = self._checkpoint(connection, name, generation, lock=False)
                if row is not None:
                    projection.refresh_statistics(row.generation, connection)

    def _fetch(self, projection: Projection, after: int, head: int) -> _Fetched:
        with self._reader.connect() as connection:
            batch, end = self._read(connection, projection, after, head, self._batch_size)
        return _Fetched(after, head, batch, end)

    def _apply_batch(
        self,
        projection: Projection,
        generation: int | None,
        head: int,
        limit: int,
        prefetched: _Fetched | None = None,
    ) -> int:
        name = projection.name
        for _ in range(3):  # a checkpoint moved under us is read again, and the batch retried
            known = self._known(name, generation)
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
                    claimed = self._claim(connection, name, generation, known, new_position)
            if claimed:
                self._moved_on(name, generation, known, new_position)
                return max(len(batch), 1)
            self._claimed.pop((name, generation), None)
        return 0

    def _step_live(self, names: Sequence[str]) -> list[int]:
        """Step the live transactional projections woken together, in one transaction.

        One head, one connection, one commit for all of them instead of one each. Any
        trouble (a failing handler, a checkpoint moved) rolls the whole step back, and the
        group commit runs each projection's step alone, where it is dealt with as usual.
        """
        if len(names) == 1:
            return [self.step(names[0])]
        head = self._store.head()
        stepped: list[tuple[str, _Checkpoint, int] | None] = []
        applied: list[int] = []
        with self._engine.begin() as connection:
            for name in names:
                projection = self._projections[name]
                known = self._known(name, None)
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
                    self._claimed.pop((name, None), None)
                    raise RuntimeError(f"the checkpoint of {name!r} moved; stepping alone")
                stepped.append((name, known, new_position))
                applied.append(max(len(batch), 1))
        for moved in stepped:
            if moved is not None:
                self._moved_on(moved[0], None, moved[1], moved[2])
        if any(applied):
            with self._progress:
                self._progress.notify_all()
        return applied

    def _claim_and_apply(
        self,
        connection: Connection,
        projection: Projection,
        generation: int | None,
        known: _Checkpoint,
        batch: list[RecordedEvent],
        new_position: int,
    ) -> bool:
        """Claim first: it locks the checkpoint, so the view and its checkpoint commit
        together or not at all."""
        if not self._claim(connection, projection.name, generation, known, new_position):
            return False
        self._apply(projection, batch, known.generation, connection)
        return True

    def _moved_on(
        self, name: str, generation: int | None, known: _Checkpoint, position: int
    ) -> None:
        """A claim committed: remember where the checkpoint now stands."""
        self._claimed[(name, generation)] = _Checkpoint(known.generation, position)
        self._note_applied(name, generation, position)

    def _known(self, name: str, generation: int | None) -> _Checkpoint | None:
        """Where the projection stands: as this process last moved it, else as stored."""
        known = self._claimed.get((name, generation))
        if known is not None:
            return known
        with self._reader.connect() as connection:
            row = self._checkpoint(connection, name, generation, lock=False)
        if row is None:
            return None
        self._raise_if_failed(row)
        return _Checkpoint(row.generation, row.position)

    def _claim(
        self,
        connection: Connection,
        name: str,
        generation: int | None,
        known: _Checkpoint,
        new_position: int,
    ) -> bool:
        """Move the checkpoint from where it was known to be; False if it was not there
        (moved, failed, or no longer the active generation)."""
        result = connection.execute(
            _CLAIM_ACTIVE if generation is None else _CLAIM,
            {
                "n": name,
                "g": known.generation,
                "old": known.position,
                "new": new_position,
                "now": self._clock(),
            },
        )
        return result.rowcount == 1

    def _read_tail(
        self, projection: Projection, after: int, head: int, limit: int
    ) -> tuple[list[RecordedEvent], int]:
        if self._recent.covers(after, head):
            return self._recent.read(after, head, projection.event_types, limit)
        with self._reader.connect() as connection:
            return self._read(connection, projection, after, head, limit)

    def _note_applied(self, name: str, generation: int | None, position: int) -> None:
        if generation is None:  # the active generation, the one queries read
            self._applied[name] = max(self._applied.get(name, 0), position)

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
                    row = self._checkpoint(connection, projection.name, generation, lock=True)
                    assert row is not None
                    connection.execute(
                        update(table)
                        .where(
                            table.c.name == projection.name, table.c.generation == row.generation
                        )
                        .values(
                            state=FAILED,
                            error=error[:2000],
                            failed_position=failure.position,
                            updated_at=self._clock(),
                        )
                    )
                self._claimed.pop((projection.name, generation), None)
                raise ProjectionFailed(projection.name, failure.position, error) from failure.cause
        raise ProjectionFailed(projection.name, -1, "failed on a batch but on no single event")

    def _read(
        self, connection: Connection, projection: Projection, after: int, head: int, limit: int
    ) -> tuple[list[RecordedEvent], int]:
        batch = self._store.read_range(after, head, limit, connection, projection.event_types)
        full = len(batch) == limit
        return batch, (batch[-1].position if full else head)

    # -- checkpoints -----------------------------------------------------------------------
    def _checkpoint(
        self, connection: Connection, name: str, generation: int | None, *, lock: bool
    ) -> Row[Any] | None:
        query = _CHECKPOINTS[generation is None, lock]
        return connection.execute(query, {"n": name, "g": generation}).first()

    @staticmethod
    def _raise_if_failed(row: Row[Any]) -> None:
        if row.state == FAILED:
            raise ProjectionFailed(row.name, row.failed_position, row.error or "")

    def _ensure_current(self, projection: Projection) -> None:
        """Create the first generation, or rebuild one written by an older projection version."""
        with self._engine.begin() as connection:
            active = self._checkpoint(connection, projection.name, None, lock=True)
            if active is None:
                self._new_generation(connection, projection, is_active=True)
                return
            if active.state == FAILED:
                # A restart retries once (the code may have been fixed); failing again stops it.
                connection.execute(
                    update(table)
                    .where(table.c.name == projection.name, table.c.generation == active.generation)
                    .values(state=CATCHING_UP, error=None, failed_position=None)
                )
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
            self.rebuild(name)
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
            self.rebuild(name)

    def _new_generation(
        self, connection: Connection, projection: Projection, *, is_active: bool, bulk: bool = False
    ) -> int:
        generation = 1 + int(
            connection.execute(
                select(func.coalesce(func.max(table.c.generation), 0)).where(
                    table.c.name == projection.name
                )
            ).scalar_one()
        )
        connection.execute(
            insert(table).values(
                name=projection.name,
                generation=generation,
                projection_version=projection.version,
                position=0,
                is_active=is_active,
                state=CATCHING_UP if is_active else REBUILDING,
                updated_at=self._clock(),
            )
        )
        projection.setup(generation, connection, bulk=bulk)
        if is_active:
            projection.activate(generation, connection)
        return generation

    # -- rebuild ---------------------------------------------------------------------------
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
                for stale in connection.execute(
                    select(table).where(table.c.name == name, table.c.is_active.is_(False))
                ).all():
                    projection.teardown(stale.generation, connection)
                    connection.execute(
                        delete(table).where(
                            table.c.name == name, table.c.generation == stale.generation
                        )
                    )
                has_active = self._checkpoint(connection, name, None, lock=False) is not None
                # Beside a serving copy nothing reads the new one until the swap, so what is
                # cheaper built at the end waits for the end.
                generation = self._new_generation(
                    connection, projection, is_active=not has_active, bulk=has_active
                )
            self._store.refresh_statistics()  # a rebuild reads all the log: tell the planner
            if projection.transactional:
                self._build_from_log(projection, generation)
            self._drain(name, generation, on_progress, refresh=not has_active)
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
                known = _Checkpoint(generation, 0)
                if not self._claim(connection, projection.name, generation, known, head):
                    raise RuntimeError(f"the new generation of {projection.name!r} moved")

    def _swap(self, projection: Projection, generation: int) -> None:
        with self._engine.begin() as connection:
            old = self._checkpoint(connection, projection.name, None, lock=True)
            self._checkpoint(connection, projection.name, generation, lock=True)
            if old is not None:
                connection.execute(
                    update(table)
                    .where(table.c.name == projection.name, table.c.generation == old.generation)
                    .values(is_active=False)
                )
            connection.execute(
                update(table)
                .where(table.c.name == projection.name, table.c.generation == generation)
                .values(is_active=True, state=CATCHING_UP, updated_at=self._clock())
            )
            projection.activate(generation, connection)
        # The memo spoke for the old generation; the checkpoint speaks for the new one.
        self._applied.pop(projection.name, None)
        if old is not None:
            with self._engine.begin() as connection:
                projection.teardown(old.generation, connection)
                connection.execute(
                    delete(table).where(
                        table.c.name == projection.name, table.c.generation == old.generation
                    )
                )
        log.info(
            "projection rebuilt and swapped in", projection=projection.name, generation=generation
        )

    def _position(self, name: str, generation: int | None) -> int:
        with self._reader.connect() as connection:
            row = self._checkpoint(connection, name, generation, lock=False)
        return row.position if row is not None else 0

    # -- queries ---------------------------------------------------------------------------
    def position(self, name: str) -> int:
        """The active generation's checkpoint (0 before the projection first ran)."""
        return self._position(name, None)

    def applied(self, name: str) -> int | None:
        """Where this process's workers last left the read model, from memory (no I/O);
        None when they have not moved it here (it may be followed by another process)."""
        return self._applied.get(name)

    def wait_for(self, name: str, position: int, timeout: float) -> bool:
        """Block until the projection has applied `position` (read-your-writes)."""
        return self.wait_past(name, position - 1, timeout) >= position

    def wait_past(self, name: str, known: int, timeout: float) -> int:
        """Block until the projection's position passes `known`, or `timeout` passes; return
        the position then (`known` when nothing newer was seen).

        When this process runs the projection, its workers' progress answers from memory;
        the checkpoint is still read now and then, as the projection may run elsewhere.
        """
        started = time.monotonic()
        deadline = started + timeout
        check_at = started + 0.1 if name in self._applied else started
        while True:
            now = time.monotonic()
            if now >= check_at:
                if (position := self.position(name)) > known:
                    return position
                check_at = now + (0.1 if name in self._applied else 0.01)
            if now >= deadline:
                return known
            with self._progress:  # checked under the lock that progress is announced with
                if (applied := self._applied.get(name, 0)) > known:
                    return applied
                self._progress.wait(min(deadline, check_at) - now)

    def status(self) -> list[ProjectionStatus]:
        head = self._store.head()
        with self._reader.connect() as connection:
            rows = connection.execute(
                select(table).order_by(table.c.name, table.c.generation)
            ).all()
        result = []
        for name in self._projections:
            mine = [r for r in rows if r.name == name]
            active = next((r for r in mine if r.is_active), None)
            rebuilding = next((r for r in mine if not r.is_active), None)
            result.append(self._status_of(name, active, rebuilding, head))
        return result

    def _status_of(
        self, name: str, active: Row[Any] | None, rebuilding: Row[Any] | None, head: int
    ) -> ProjectionStatus:
        position = active.position if active is not None else 0
        lag_events = (
            self._store.count_between(position, head, _LAG_COUNT_CAP) if head > position else 0
        )
        lag_seconds = 0.0
        if lag_events:
            first = self._store.first_after(position, head)
            recorded = self._store.recorded_at(first) if first is not None else None
            if recorded is not None:
                lag_seconds = max(0.0, (self._clock() - recorded).total_seconds())
        if active is None:
            state = NOT_STARTED
        elif active.state == FAILED:
            state = FAILED
        else:
            state = LIVE if lag_events == 0 else CATCHING_UP
        return ProjectionStatus(
            name=name,
            generation=active.generation if active is not None else 0,
            state=state,
            position=position,
            head=head,
            lag_events=lag_events,
            lag_seconds=round(lag_seconds, 3),
            error=active.error if active is not None else None,
            failed_position=active.failed_position if active is not None else None,
            rebuilding_generation=rebuilding.generation if rebuilding is not None else None,
            rebuilding_position=rebuilding.position if rebuilding is not None else None,
            updated_at=as_utc(active.updated_at) if active is not None else None,
        )
