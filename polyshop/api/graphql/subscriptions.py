"""Subscriptions over WebSocket (graphql-transport-ws), fed by the event log.

`orderUpdated(id)` sends each new event of an order as it lands, with the status after it:
the customer's page sees "paid" and "shipped" without asking again. The orders door checks
who may watch (the owner or an admin; someone else's order does not exist, as for every
read), and the process's one follower of the log feeds every watch (`orders.updates`).

The follower delivers on its own thread; each subscription's mailbox takes updates onto the
event loop and keeps at most `MAILBOX` of them. A client reading slower than its order
changes loses the oldest ones, never the latest: what it sees last is always the status
now, and versions tell it what it skipped (`afterVersion` on a new subscription fetches
them).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import suppress
from datetime import datetime

import strawberry
from strawberry.types import Info

from polyshop.api.graphql.context import GraphQLContext, blocking
from polyshop.api.graphql.errors import Refused, problem_of, query_error, unauthenticated
from polyshop.orders.updates import OrderUpdate as Update
from polyshop.orders.updates import TooManyWatches, Watch

#: Updates one subscription holds for a client that reads slowly (the oldest go first).
MAILBOX = 8


@strawberry.type(description="The event behind an order update.")
class OrderUpdateEvent:
    type: str = strawberry.field(description="`OrderPaid`, `OrderShipped`...")
    version: int = strawberry.field(description="The order's version after it (1: placed).")
    occurred_at: datetime


@strawberry.type(description="An order changed: the event, and the status after it.")
class OrderUpdate:
    order_id: strawberry.ID
    status: str = strawberry.field(description="As REST says it: `paid`, `shipped`...")
    event: OrderUpdateEvent
    position: int = strawberry.field(
        description="The event's log position: pass it as `minPosition` to read the order "
        "at least as new as this update."
    )

    @classmethod
    def of(cls, update: Update) -> OrderUpdate:
        return cls(
            order_id=strawberry.ID(update.order_id),
            status=update.status,
            event=OrderUpdateEvent(
                type=update.event_type, version=update.version, occurred_at=update.occurred_at
            ),
            position=update.position,
        )


class Mailbox:
    """Updates from the follower's thread to one subscription on the event loop, at most
    `size` waiting: a full mailbox drops its oldest, so the newest status always arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = MAILBOX) -> None:
        self._loop = loop
        self._items: deque[Update] = deque(maxlen=size)
        self._ready = asyncio.Event()

    def post(self, update: Update) -> None:
        """From any thread."""
        with suppress(RuntimeError):  # the loop closed: the connection is gone
            self._loop.call_soon_threadsafe(self._put, update)

    def _put(self, update: Update) -> None:
        self._items.append(update)
        self._ready.set()

    async def get(self) -> Update:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


def too_many(exc: TooManyWatches) -> Refused:
    """The refusal of one watch too many: the process's (503, try again shortly) or the
    viewer's own (429, close one first)."""
    if exc.per_viewer:
        return Refused(
            type="/problems/too-many-subscriptions",
            title="Too Many Requests",
            status=429,
            detail=f"{exc}; complete one of yours first.",
            retry_after=None,
        )
    return Refused(
        type="/problems/too-many-subscriptions",
        title="Service Unavailable",
        status=503,
        detail=f"{exc}; try again shortly.",
        retry_after=5,
    )


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(
        description="Each new event of the order, with its status after it (owner or admin "
        "only). With `afterVersion`, first the events after that version (a client "
        "resuming where it was)."
    )
    async def order_updated(
        self,
        info: Info[GraphQLContext, None],
        id: strawberry.ID,
        after_version: int | None = None,
    ) -> AsyncGenerator[OrderUpdate, None]:
        context = info.context
        viewer = await context.viewer()
        if viewer is None:
            raise query_error(unauthenticated())
        mailbox = Mailbox(asyncio.get_running_loop())
        opened: list[Watch] = []  # kept even if this task is cancelled while opening

        def open_watch() -> None:
            opened.append(
                context.container.orders.watch(
                    viewer, str(id), mailbox.post, after_version=after_version
                )
            )

        try:
            try:
                await blocking(open_watch)
            except TooManyWatches as exc:
                raise query_error(too_many(exc)) from exc
            except Exception as exc:
                if (problem := problem_of(exc)) is None:
                    raise
                raise query_error(problem) from exc
            while True:
                yield OrderUpdate.of(await mailbox.get())
        finally:
            for watch in opened:
                watch.close()
