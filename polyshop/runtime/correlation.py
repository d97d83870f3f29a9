"""Who and what caused the work in progress, carried across layers without threading arguments.

The HTTP layer sets these per request; the event store copies them into event metadata, so an
event can always be traced to the request (and the log lines) that produced it.
"""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
actor: ContextVar[str | None] = ContextVar("actor", default=None)
