"""What the composition root hands to the delivery layers (HTTP, CLI): the wired shop.

Kept apart from `bootstrap` so the API can name the type without importing every adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from polyshop.config import Settings
from polyshop.eventstore.projections.ports import Lease
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.sql_store import SqlEventStore


@dataclass
class Container:
    settings: Settings
    store: SqlEventStore
    runner: ProjectionRunner
    read_engine: Engine
    ops_token: str | None
    lease_factory: Callable[[str], Lease]
    readiness_checks: dict[str, Callable[[], None]] = field(default_factory=dict)

    def close(self) -> None:
        self.runner.stop()
        self.store.close()
        if self.read_engine not in (self.store.write_engine, self.store.read_engine):
            self.read_engine.dispose()
