"""Read models as SQL tables, one set per generation, queried through a view per table.

Queries name the view (`stream_summaries`); each generation's tables carry a suffix
(`stream_summaries__g3`). Activating a generation re-points the views in one transaction, so
readers switch from the old copy to the rebuilt one atomically.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from sqlalchemy import Connection, MetaData, Table

from polyshop.eventstore.projections.ports import Projection


class SqlTableProjection(Projection):
    """A transactional projection whose read model is a few tables in the event store's DB."""

    transactional = True

    def __init__(self) -> None:
        self._tables: dict[int, dict[str, Table]] = {}

    @abstractmethod
    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        """Declare the read model's tables; each table's name must end with `suffix`."""

    def tables(self, generation: int) -> dict[str, Table]:
        """This generation's tables by their view (unsuffixed) name."""
        if generation not in self._tables:
            suffix = f"__g{generation}"
            declared = self.define_tables(MetaData(), suffix)
            self._tables[generation] = {t.name.removesuffix(suffix): t for t in declared}
        return self._tables[generation]

    def setup(self, generation: int, connection: Any) -> None:
        for table in self.tables(generation).values():
            table.create(connection, checkfirst=True)

    def activate(self, generation: int, connection: Any) -> None:
        conn: Connection = connection
        for view, table in self.tables(generation).items():
            conn.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")
            conn.exec_driver_sql(f"CREATE VIEW {view} AS SELECT * FROM {table.name}")

    def teardown(self, generation: int, connection: Any) -> None:
        for table in self.tables(generation).values():
            table.drop(connection, checkfirst=True)
        self._tables.pop(generation, None)
