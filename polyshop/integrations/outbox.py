"""The log as the outbox: integration events published from a checkpoint, at least once.

A projection whose read model is the broker: the runner hands it each batch of the chosen
event types in log order and moves its checkpoint only after `apply` returns, that is after
the broker has acknowledged every message. A crash in between publishes the batch again,
and the broker drops the copies by message id (the log position). The projection's lease
keeps one publisher running across all processes; another takes over when it dies.

Rebuilding this projection (`polyshop projections rebuild integration_events`) publishes
the whole log again: what JetStream stored longer ago than its duplicate window is stored a
second time, which consumers that keep the last position they processed skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.ports import Projection, ReadModelUnavailable
from polyshop.integrations.messages import wanted
from polyshop.integrations.ports import Broker, BrokerUnavailable


class IntegrationEventsProjection(Projection):
    name = "integration_events"
    transactional = False

    def __init__(self, broker: Broker, types: frozenset[str] | None) -> None:
        self._broker = broker
        # Read by the runner to fetch only these types from the log.
        self.event_types = types  # type: ignore[misc]

    def setup(self, generation: int, connection: Any, *, bulk: bool = False) -> None:
        """Nothing to create: the broker's stream is made by the broker adapter."""

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        messages = wanted(events, self.event_types)
        if not messages:
            return
        try:
            self._broker.publish(messages)
        except BrokerUnavailable as exc:
            raise ReadModelUnavailable(str(exc)) from exc

    def activate(self, generation: int, connection: Any) -> None:
        """Nothing to switch: there is one stream, and a rebuild republishes into it."""

    def teardown(self, generation: int, connection: Any) -> None:
        """Nothing to drop: what was published stays published."""
