"""Checkout requests wait their turn at the door, first come first served.

When thousands of buyers press "buy" in the same second, the event loop would otherwise
take every request a step further in turn (read the body, check its text, resolve the
route...) before any one of them reached the checkout: the first buyer's answer would wait
for the last buyer's parsing, and every answer would come as late as the slowest. Here at
most `limit` checkouts are in the works at once; the rest wait, in arrival order, on the
event loop (a semaphore: no thread, no socket read, no database), so each buyer is served
about as late as their place in the queue says. Other requests never wait here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send


class CheckoutQueue:
    def __init__(self, app: ASGIApp, *, limit: int, paths: Collection[str]) -> None:
        """`paths`: the checkout endpoints (POSTs to them queue)."""
        self.app = app
        self._paths = frozenset(paths)
        self._limit = limit
        self._turns: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return
        if self._turns is None:  # made on the server's own loop, by its first checkout
            self._turns = asyncio.Semaphore(self._limit)
        async with self._turns:
            await self.app(scope, receive, send)
