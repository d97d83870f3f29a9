"""The one failure every TTL-store port may raise, whichever adapter is behind it."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """The store for sessions and carts cannot be reached; the caller may retry shortly.

    Raised instead of the driver's own errors so the HTTP layer can answer 503 with
    Retry-After without knowing which adapter is wired.
    """

    retry_after_seconds = 5
