"""Who and what caused the work in progress, carried across layers without threading arguments.

The HTTP layer sets these per request; the event store copies them into event metadata, so an
event can always be traced to the request (and the log lines) that produced it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
actor: ContextVar[str | None] = ContextVar("actor", default=None)


@contextmanager
def acting_as(who: str | None) -> Iterator[None]:
    """Events appended inside name `who` as their actor (unless their writer names one):
    what a command causes in other streams (stock moved by an order) says who caused it."""
    token = actor.set(who)
    try:
        yield
    finally:
        actor.reset(token)
