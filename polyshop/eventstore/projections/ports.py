"""What a projection is, as the runner sees it.

A projection turns events into a read model. Read models come in generations: the active one
serves queries while a newer one may be rebuilt from position 0 beside it, then swapped in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from polyshop.eventstore.events import RecordedEvent


class ReadModelUnavailable(Exception):
    """The read model's store cannot be reached for now (a stopped Redis, say): not the
    projection's fault, so the runner retries the batch later instead of failing it."""


class Projection(ABC):
    """A named read model fed by the log.

    `transactional` projections keep their read model in the event store's database: the
    runner hands them its connection and moves the checkpoint in the same transaction, so each
    event takes effect exactly once. Others (a search index, Redis, DuckDB) get no connection
    and must apply idempotently, since a crash between apply and checkpoint replays a batch.
    """

    name: ClassVar[str]
    #: Bump when the read model's shape or logic changes: the runner then rebuilds it.
    version: ClassVar[int] = 1
    transactional: ClassVar[bool] = True
    #: Event types the projection cares about; None means all.
    event_types: ClassVar[frozenset[str] | None] = None

    @abstractmethod
    def setup(self, generation: int, connection: Any, *, bulk: bool = False) -> None:
        """Create the storage of a new, empty generation.

        `bulk`: the generation will be filled from the whole log before anything reads it,
        so what is cheaper to build once at the end (secondary indexes) may wait for
        `finish_bulk`.
        """

    @abstractmethod
    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        """Apply a batch of events, in position order, to the given generation."""

    @abstractmethod
    def activate(self, generation: int, connection: Any) -> None:
        """Make this generation the one queries read."""

    @abstractmethod
    def teardown(self, generation: int, connection: Any) -> None:
        """Drop a generation that is no longer needed."""

    def build_from_log(self, generation: int, connection: Any, up_to: int) -> bool:
        """Fill a new, empty generation with the effect of every event up to `up_to`, set
        based, in the database that holds the log (`connection`, inside the runner's
        transaction, which moves the checkpoint to `up_to` with it). For read models that
        are plain aggregates of the log; it must equal applying those events one by one.
        False: this projection cannot, and is built event by event."""
        return False

    def adapt_older(self, generation: int, version: int, connection: Any) -> None:  # noqa: B027
        """The active generation was written by projection `version`, older than this
        code's, and serves until its rebuild is swapped in. Before anything queries it, give
        this code's queries what they read, where the shape changed (a view, say)."""

    def finish_bulk(self, generation: int, connection: Any) -> None:  # noqa: B027
        """After a bulk build, before the generation serves: build what `setup` deferred."""

    def refresh_statistics(self, generation: int, connection: Any) -> None:  # noqa: B027
        """After a bulk catch-up: let the query planner see what the tables now hold."""


class Lease(Protocol):
    """The exclusive right to run one projection among all processes of a deployment."""

    def acquire(self) -> bool:
        """Try once, without blocking."""

    def is_held(self) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """How far a projection has got, and whether it is healthy."""

    name: str
    generation: int
    state: str  # catching_up | live | failed | rebuilding
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    error: str | None
    failed_position: int | None
    rebuilding_generation: int | None
    rebuilding_position: int | None
    updated_at: datetime | None
