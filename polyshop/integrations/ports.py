"""Where integration events go: a message broker (NATS JetStream in server mode), and the
receivers of webhooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from polyshop.integrations.messages import Message
from polyshop.integrations.webhook_rules import Outcome


class BrokerUnavailable(Exception):
    """The broker cannot take messages for now; the same ones are offered again later."""


class Broker(Protocol):
    def publish(self, messages: Sequence[Message]) -> None:
        """Publish every message, in order, returning once the broker has stored them all
        (or raising `BrokerUnavailable`). A message whose id the broker has stored already
        is dropped by it, not stored twice."""

    def close(self) -> None: ...


class Receiver(Protocol):
    """How a delivery reaches a webhook's URL (HTTP in the shop; a fake in unit tests)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """POST `body`; never raises: what went wrong is in the outcome."""

    def refusal(self, url: str) -> str | None:
        """Why the shop will not call `url` (a private address, say); None: it will."""
