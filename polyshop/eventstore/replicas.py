"""Reads served by streaming replicas, and the primary when a replica cannot serve them.

A monitor probes each replica every `interval`: whether it answers, how far its replay
trails the primary (bytes of WAL, and seconds since the last transaction it replayed when it
trails at all), and which log position each read model's checkpoint holds there. The
checkpoint moves in the same transaction as its read model, so a replica holding checkpoint
P for a read model holds that read model as of P.

Each connection taken from the read engine (`RoutedEngine`) picks where to read:
- a request that asked for `min_position` (`read_at_least`, set once its wait is over)
  reads from a replica whose checkpoint for that read model has reached it, else from the
  primary: read-your-writes holds across replica lag;
- any other read goes to a replica that answers and trails by at most `max_lag` seconds,
  else to the primary;
- a replica that refuses a connection is marked down at once and the read taken by the
  primary; the monitor brings it back when it answers again.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = structlog.get_logger(__name__)

_floor: ContextVar[tuple[str, int] | None] = ContextVar("polyshop_read_floor", default=None)

_REPLAY = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    " pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
)
_CHECKPOINTS = text("SELECT name, position FROM projections WHERE is_active")
_BEHIND = text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:replayed AS pg_lsn))")


def read_at_least(name: str, position: int) -> None:
    """The reads of this request (this context) need read model `name` at `position` or
    later: only a replica that holds it may serve them."""
    _floor.set((name, position))


@dataclass(frozen=True, slots=True)
class ReplicaState:
    name: str
    up: bool
    #: Bytes of WAL the replica has still to replay; None when unknown (down).
    lag_bytes: int | None = None
    #: 0 when it has replayed everything; else seconds since the last transaction it did.
    lag_seconds: float | None = None
    #: Each read model's checkpoint as the replica holds it.
    positions: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None


class ReplicaNotServing(Exception):
    def __init__(self, state: ReplicaState) -> None:
        why = state.error or f"{state.lag_seconds} s behind"
        super().__init__(f"replica {state.name} does not serve reads: {why}")
        self.state = state


@dataclass
class _Replica:
    name: str
    engine: Engine
    state: ReplicaState


class ReplicaSet:
    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[tuple[str, Engine]],
        *,
        max_lag: float,
        interval: float = 0.5,
    ) -> None:
        """`replicas`: (a name to show, its engine); `max_lag`: seconds a replica may trail
        and still serve reads that asked for no position."""
        self.primary = primary
        self._replicas = [_Replica(n, e, ReplicaState(n, up=False)) for n, e in replicas]
        self._max_lag = max_lag
        self._interval = interval
        self._turn = itertools.count()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._check_safely()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._watch, name="replicas", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)

    def dispose(self) -> None:
        """Close the replicas' pools (the primary's is its owner's to close)."""
        for replica in self._replicas:
            replica.engine.dispose()

    def states(self) -> list[ReplicaState]:
        return [r.state for r in self._replicas]

    def require_serving(self) -> None:
        """Raise unless every replica serves reads (a readiness report: it is down, or
        trails by more than `max_lag`)."""
        for state in self.states():
            if not self._serves(state, None):
                raise ReplicaNotServing(state)

    def check(self) -> None:
        """Probe every replica once."""
        for replica in self._replicas:
            replica.state = self._probe(replica)

    def pick(self) -> tuple[Engine, str | None]:
        """The engine the next read uses, and the replica's name (None: the primary)."""
        floor = _floor.get()
        count = len(self._replicas)
        start = next(self._turn) % count if count else 0
        for i in range(count):
            replica = self._replicas[(start + i) % count]
            if self._serves(replica.state, floor):
                return replica.engine, replica.name
        return self.primary, None

    def mark_down(self, name: str, error: Exception) -> None:
        for replica in self._replicas:
            if replica.name == name and replica.state.up:
                replica.state = ReplicaState(name, up=False, error=_kind(error))
                log.warning("replica refused a connection; reading from the primary",
                            replica=name, error=str(error).splitlines()[0][:200])  # fmt: skip

    def _serves(self, state: ReplicaState, floor: tuple[str, int] | None) -> bool:
        if not state.up:
            return False
        if floor is not None:
            return state.positions.get(floor[0], -1) >= floor[1]
        return state.lag_seconds is not None and state.lag_seconds <= self._max_lag

    def _watch(self) -> None:
        while not self._stopping.wait(self._interval):
            self._check_safely()

    def _check_safely(self) -> None:
        """`check`, counting any surprise (a pool timeout, say) as the replicas being down:
        the monitor must outlive it, and reads go to the primary meanwhile."""
        try:
            self.check()
        except Exception as exc:
            for replica in self._replicas:
                replica.state = ReplicaState(replica.name, up=False, error=_kind(exc))
            log.warning("replica probe failed", error=str(exc).splitlines()[0][:200])

    def _probe(self, replica: _Replica) -> ReplicaState:
        try:
            with replica.engine.connect() as connection:
                in_recovery, replayed, caught_up, age = connection.execute(_REPLAY).one()
                positions = _positions(connection)
            behind = 0
            if in_recovery and replayed is not None:
                with self.primary.connect() as connection:
                    behind = int(connection.execute(_BEHIND, {"replayed": replayed}).scalar_one())
        except DBAPIError as exc:
            if replica.state.up:
                log.warning(
                    "replica down; reading from the primary",
                    replica=replica.name,
                    error=str(exc.orig or exc).strip().splitlines()[0][:200],
                )
            return ReplicaState(replica.name, up=False, error=_kind(exc))
        # Replayed all it has received: current, though the primary may have written a
        # record since (its WAL moves without commits too); else as old as its last replay.
        current = not in_recovery or caught_up or behind <= 0
        seconds = 0.0 if current else float(age) if age is not None else float("inf")
        return ReplicaState(replica.name, True, max(0, behind), seconds, positions)


def _positions(connection: Connection) -> dict[str, int]:
    return {row.name: int(row.position) for row in connection.execute(_CHECKPOINTS)}


def _kind(error: Exception) -> str:
    """What went wrong, as /readyz shows it: the kind only (the message may name hosts and
    users; it goes to the log)."""
    return type(getattr(error, "orig", None) or error).__name__


class RoutedEngine:
    """The read engine the services hold: each `connect()` asks the replica set where to
    read. Everything else (the dialect, `dispose`) is the primary's."""

    def __init__(self, replicas: ReplicaSet) -> None:
        self.replicas = replicas

    def connect(self) -> Connection:
        engine, name = self.replicas.pick()
        if name is None:
            return engine.connect()
        try:
            return engine.connect()
        except DBAPIError as exc:  # refused: the replica died since the last probe
            self.replicas.mark_down(name, exc)
            return self.replicas.primary.connect()

    def dispose(self) -> None:
        self.replicas.dispose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.replicas.primary, name)
