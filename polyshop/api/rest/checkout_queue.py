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

from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
        body = await _whole_body(receive)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # only a disconnect can come now
            replayed = True
            return body

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


async def _whole_body(receive: Receive) -> Message:
    """The request's body as one message (or the disconnect that cut it short)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
