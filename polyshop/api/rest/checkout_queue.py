"""Checkout requests wait their turn at the door, first come first served.

When thousands of buyers press "buy" in the same second, the event loop would otherwise
take every request a step further in turn (read the body, check its text, resolve the
route...) before any one of them reached the checkout: the first buyer's answer would wait
for the last buyer's parsing, and every answer would come as late as the slowest. Here at
most `limit` checkouts are in the works at once; the rest wait, in arrival order, on the
event loop (a semaphore: no thread, no database), so each buyer is served about as late as
their place in the queue says. Other requests never wait here.

A request's body is read whole before it takes a place (it is small, and the size limit
outside this layer bounds it): a client trickling its body holds only its own request, never
a place a buyer is waiting for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.middleware import read_body


class CheckoutQueue:
    def __init__(self, app: ASGIApp, *, limit: int, paths: Collection[str]) -> None:
        """`paths`: the checkout endpoints (POSTs to them queue)."""
        self.app = app
        self._paths = frozenset(paths)
        self._limit = limit
        # One semaphore per event loop: a semaphore serves the loop it first waited on, and
        # an app may outlive a loop (test clients open one each).
        self._turns: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return
        _, replay = await read_body(receive)
        async with self._turn():
            await self.app(scope, replay, send)

    def _turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            for gone in [other for other in self._turns if other.is_closed()]:
                del self._turns[gone]
            turns = self._turns[loop] = asyncio.Semaphore(self._limit)
        return turns
