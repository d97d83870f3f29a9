"""The wired shop's engine room: the event store, the projection runner, the read database
and the leases.

Kept apart from `Container` so that what the faces hold is services: the composition root,
the CLI, the HTTP app's lifecycle (through `EventLog`) and tests reach these; a face never does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from polyshop.eventstore.projections.ports import Lease
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.replicas import ReplicaSet
from polyshop.eventstore.sql_store import SqlEventStore


@dataclass
class Machinery:
    store: SqlEventStore
    #: Keeps every read model; started by the HTTP app or `polyshop projections run`.
    runner: ProjectionRunner
    #: Serves the read models: a replica when configured, else the store's own database.
    read_engine: Engine
    #: A lease by name, held by one process at a time (projections, periodic jobs).
    lease_factory: Callable[[str], Lease]
    #: The streaming replicas `read_engine` routes between; None: no replica configured.
    replicas: ReplicaSet | None = None

    def stop(self) -> None:
        """Stop the projection runner: first, before what it feeds is closed."""
        self.runner.stop()

    def close(self) -> None:
        """Close the store and the read database: last, once nothing else uses them."""
        self.store.close()
        if self.replicas is not None:
            self.replicas.stop()
            self.replicas.dispose()
        elif self.read_engine not in (self.store.write_engine, self.store.read_engine):
            self.read_engine.dispose()
