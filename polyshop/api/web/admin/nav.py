"""The admin's navigation: one list, in the order the header shows it.

Adding a page is one line here (its label and path) and its route; an entry whose path no
route serves yet is not shown, so the list may name pages other engineers are still building.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A header link: `label` to `path`, current on `path`, below it and below `also`."""

    label: str
    path: str
    also: tuple[str, ...] = ()

    def covers(self, path: str) -> int:
        """How specifically this entry covers `path` (0: not at all)."""
        best = 0
        for own in (self.path, *self.also):
            if path == own or path.startswith(own.rstrip("/") + "/"):
                best = max(best, len(own))
        return best


NAV: tuple[NavEntry, ...] = (
    NavEntry("Dashboard", "/admin"),
    NavEntry("Catalog", "/admin/products"),
    NavEntry("Inventory", "/admin/inventory"),
    NavEntry("Orders", "/admin/orders"),
    NavEntry("Customers", "/admin/customers"),
    NavEntry("Operations", "/admin/projections", also=("/admin/events",)),
    NavEntry("Analytics", "/admin/analytics"),
)


def served(entries: Sequence[NavEntry], routed: Iterable[str]) -> tuple[NavEntry, ...]:
    """The entries whose path a GET route serves."""
    paths = set(routed)
    return tuple(entry for entry in entries if entry.path in paths)


def current(entries: Sequence[NavEntry], path: str) -> str | None:
    """The path of the entry `path` belongs to (the most specific), or None."""
    best = max(entries, key=lambda e: e.covers(path), default=None)
    return best.path if best is not None and best.covers(path) else None
