"""How far each projection has got: its state, and its lag behind the log in events and time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from polyshop.eventstore.projections.checkpoints import (
    CATCHING_UP,
    FAILED,
    LIVE,
    NOT_STARTED,
    Checkpoints,
)
from polyshop.eventstore.projections.ports import ProjectionStatus
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.values.clock import as_utc

_LAG_COUNT_CAP = 10_000_000


def read_status(
    store: SqlEventStore,
    checkpoints: Checkpoints,
    names: Iterable[str],
    clock: Callable[[], datetime],
) -> list[ProjectionStatus]:
    """One status per projection named, in that order, against the log's head now."""
    head = store.head()
    rows = checkpoints.rows()
    result = []
    for name in names:
        mine = [r for r in rows if r.name == name]
        active = next((r for r in mine if r.is_active), None)
        rebuilding = next((r for r in mine if not r.is_active), None)
        result.append(_status_of(store, clock, name, active, rebuilding, head))
    return result


def _status_of(
    store: SqlEventStore,
    clock: Callable[[], datetime],
    name: str,
    active: Row[Any] | None,
    rebuilding: Row[Any] | None,
    head: int,
) -> ProjectionStatus:
    position = active.position if active is not None else 0
    lag_events = store.count_between(position, head, _LAG_COUNT_CAP) if head > position else 0
    lag_seconds = 0.0
    if lag_events:
        first = store.first_after(position, head)
        recorded = store.recorded_at(first) if first is not None else None
        if recorded is not None:
            lag_seconds = max(0.0, (clock() - recorded).total_seconds())
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
