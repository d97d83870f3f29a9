"""Where integration events go: a message broker (NATS JetStream in server mode)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from polyshop.integrations.messages import Message


class BrokerUnavailable(Exception):
    """The broker cannot take messages for now; the same ones are offered again later."""


class Broker(Protocol):
    def publish(self, messages: Sequence[Message]) -> None:
        """Publish every message, in order, returning once the broker has stored them all
        (or raising `BrokerUnavailable`). A message whose id the broker has stored already
        is dropped by it, not stored twice."""

    def close(self) -> None: ...
