"""A subscription's mailbox: updates posted from another thread arrive in order, and a
client that reads slowly loses the oldest, never the newest (the status now)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from polyshop.api.graphql.subscriptions import Mailbox
from polyshop.orders.updates import OrderUpdate


def update(version: int) -> OrderUpdate:
    return OrderUpdate("o1", f"status-{version}", "OrderPaid", version, datetime.now(UTC), version)


def test_a_slow_reader_keeps_the_newest_updates_in_order() -> None:
    async def run() -> list[int]:
        mailbox = Mailbox(asyncio.get_running_loop(), size=3)
        poster = threading.Thread(target=lambda: [mailbox.post(update(v)) for v in range(1, 11)])
        poster.start()
        await asyncio.to_thread(poster.join)
        await asyncio.sleep(0)  # let the posted callbacks run
        return [(await mailbox.get()).version for _ in range(3)]

    assert asyncio.run(run()) == [8, 9, 10]


def test_a_waiting_reader_is_woken_by_a_post_from_another_thread() -> None:
    async def run() -> str:
        mailbox = Mailbox(asyncio.get_running_loop())
        waiting = asyncio.ensure_future(mailbox.get())
        await asyncio.sleep(0.01)
        assert not waiting.done()
        threading.Thread(target=mailbox.post, args=(update(2),)).start()
        return (await asyncio.wait_for(waiting, 5)).status

    assert asyncio.run(run()) == "status-2"


def test_posting_after_the_loop_closed_is_harmless() -> None:
    loop = asyncio.new_event_loop()
    mailbox = Mailbox(loop)
    loop.close()
    mailbox.post(update(1))  # the connection is gone: nothing to deliver to, no error
