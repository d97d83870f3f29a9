"""Checkpoints: the projections table, one row per generation of each read model.

A row says how far into the log its generation has got (`position`), whether it is the one
queries read (`is_active`), and its state (failed, with the error and the event, or not).
Every statement on that table is here. A worker moves a checkpoint only from where it knows
it to be (`claim`), so one moved by anyone else (a swap, a failure, another process) makes
the claim miss instead of being overwritten; this process remembers where it last left each
checkpoint, so the next batch starts without asking the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, func, insert, select, update

from polyshop.eventstore.schema import projections as table

LIVE, CATCHING_UP, FAILED, REBUILDING, NOT_STARTED = (
    "live",
    "catching_up",
    "failed",
    "rebuilding",
    "not_started",
)


class ProjectionFailed(Exception):
    """A projection's handler raised on an event; the projection is stopped there."""

    def __init__(self, name: str, position: int, error: str) -> None:
        self.name, self.position, self.error = name, position, error
        super().__init__(f"projection {name!r} failed at position {position}: {error}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
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


def raise_if_failed(row: Row[Any]) -> None:
    if row.state == FAILED:
        raise ProjectionFailed(row.name, row.failed_position, row.error or "")


class Checkpoints:
    """The projections table's rows; `generation` None means the active one.

    Methods taking a connection run inside the caller's transaction; the others read on
    the read engine, so checkpoint reads never queue for the writer.
    """

    def __init__(self, reader: Engine, clock: Callable[[], datetime]) -> None:
        self._reader = reader
        self._clock = clock
        # The checkpoints this process's workers last moved, by (name, generation or None
        # for the active one): the next batch starts there without asking the database.
        # A checkpoint moved by anyone else (a swap, a failure) makes the next claim miss.
        self._claimed: dict[tuple[str, int | None], Checkpoint] = {}

    # -- reading ---------------------------------------------------------------------------
    def row(
        self, connection: Connection, name: str, generation: int | None, *, lock: bool
    ) -> Row[Any] | None:
        query = _CHECKPOINTS[generation is None, lock]
        return connection.execute(query, {"n": name, "g": generation}).first()

    def position(self, name: str, generation: int | None) -> int:
        with self._reader.connect() as connection:
            row = self.row(connection, name, generation, lock=False)
        return row.position if row is not None else 0

    def rows(self) -> Sequence[Row[Any]]:
        """Every checkpoint, by name then generation."""
        with self._reader.connect() as connection:
            return connection.execute(
                select(table).order_by(table.c.name, table.c.generation)
            ).all()

    def inactive(self, connection: Connection, name: str) -> Sequence[Row[Any]]:
        """The generations of `name` that are not serving (an unfinished rebuild)."""
        return connection.execute(
            select(table).where(table.c.name == name, table.c.is_active.is_(False))
        ).all()

    # -- where this process left them ------------------------------------------------------
    def known(self, name: str, generation: int | None) -> Checkpoint | None:
        """Where the projection stands: as this process last moved it, else as stored."""
        known = self._claimed.get((name, generation))
        if known is not None:
            return known
        with self._reader.connect() as connection:
            row = self.row(connection, name, generation, lock=False)
        if row is None:
            return None
        raise_if_failed(row)
        return Checkpoint(row.generation, row.position)

    def claim(
        self,
        connection: Connection,
        name: str,
        generation: int | None,
        known: Checkpoint,
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

    def moved_on(self, name: str, generation: int | None, known: Checkpoint, position: int) -> None:
        """A claim committed: remember where the checkpoint now stands."""
        self._claimed[(name, generation)] = Checkpoint(known.generation, position)

    def forget(self, name: str, generation: int | None) -> None:
        """The checkpoint was not where this process left it: read it again next time."""
        self._claimed.pop((name, generation), None)

    # -- states ----------------------------------------------------------------------------
    def mark_failed(
        self, connection: Connection, name: str, generation: int | None, position: int, error: str
    ) -> None:
        row = self.row(connection, name, generation, lock=True)
        assert row is not None
        connection.execute(
            update(table)
            .where(table.c.name == name, table.c.generation == row.generation)
            .values(
                state=FAILED,
                error=error[:2000],
                failed_position=position,
                updated_at=self._clock(),
            )
        )

    def clear_failure(self, connection: Connection, name: str, generation: int) -> None:
        connection.execute(
            update(table)
            .where(table.c.name == name, table.c.generation == generation)
            .values(state=CATCHING_UP, error=None, failed_position=None)
        )

    # -- generations -----------------------------------------------------------------------
    def add_generation(
        self, connection: Connection, name: str, version: int, *, is_active: bool
    ) -> int:
        """Insert the checkpoint of a new generation at position 0; return its number."""
        generation = 1 + int(
            connection.execute(
                select(func.coalesce(func.max(table.c.generation), 0)).where(table.c.name == name)
            ).scalar_one()
        )
        connection.execute(
            insert(table).values(
                name=name,
                generation=generation,
                projection_version=version,
                position=0,
                is_active=is_active,
                state=CATCHING_UP if is_active else REBUILDING,
                updated_at=self._clock(),
            )
        )
        return generation

    def deactivate(self, connection: Connection, name: str, generation: int) -> None:
        connection.execute(
            update(table)
            .where(table.c.name == name, table.c.generation == generation)
            .values(is_active=False)
        )

    def activate(self, connection: Connection, name: str, generation: int) -> None:
        connection.execute(
            update(table)
            .where(table.c.name == name, table.c.generation == generation)
            .values(is_active=True, state=CATCHING_UP, updated_at=self._clock())
        )

    def delete(self, connection: Connection, name: str, generation: int) -> None:
        connection.execute(
            delete(table).where(table.c.name == name, table.c.generation == generation)
        )
