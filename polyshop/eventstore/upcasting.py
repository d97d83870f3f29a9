"""Schema evolution on read: old events are upcast step by step to the current shape.

The log is never rewritten. A context that changes an event's shape registers a function
from version N to N+1; readers then only ever see the newest shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcast = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """The registered upcast steps, keyed by event type and the version they start from."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcast] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcast], Upcast]:
        """Decorator registering the step that turns `from_version` data into the next version."""

        def decorate(step: Upcast) -> Upcast:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
            self._steps[key] = step
            return step

        return decorate

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every step that exists from `schema_version` onwards."""
        while (step := self._steps.get((event_type, schema_version))) is not None:
            data = step(data)
            schema_version += 1
        return schema_version, data

    def current_version(self, event_type: str) -> int:
        """The version new events of this type should be written at."""
        version = 1
        while (event_type, version) in self._steps:
            version += 1
        return version
