"""The checkout queue at the door: at most `limit` checkouts in the works, the rest served
in the order they came, and nothing else ever queued behind them."""

from __future__ import annotations

import asyncio
from typing import Any

from polyshop.api.rest.checkout_queue import CheckoutQueue


class Shop:
    """The app behind the door: notes who is inside, and lets each one out when told."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.entered: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        self.entered.append(scope["client_name"])
        await self.release.wait()
        self.inside -= 1


def request(name: str, method: str = "POST", path: str = "/api/v1/orders") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "client_name": name}


async def nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def ignore(_: Any) -> None:
    return None


def test_checkouts_beyond_the_limit_wait_their_turn_in_arrival_order():
    async def scenario() -> tuple[Shop, int]:
        shop = Shop()
        door = CheckoutQueue(shop, limit=2, paths=["/api/v1/orders", "/checkout/place"])
        buyers = []
        for n in range(6):
            path = "/checkout/place" if n % 2 else "/api/v1/orders"
            buyers.append(asyncio.create_task(door(request(f"b{n}", path=path), nothing, ignore)))
            await asyncio.sleep(0.01)
        inside_while_held = shop.inside
        # Browsing and other posts are never held up by the queue.
        browse = asyncio.create_task(door(request("page", "GET"), nothing, ignore))
        cart = asyncio.create_task(
            door(request("cart", path="/api/v1/cart/items"), nothing, ignore)
        )
        await asyncio.sleep(0.05)
        assert shop.inside == 4
        shop.release.set()
        await asyncio.gather(*buyers, browse, cart)
        return shop, inside_while_held

    shop, inside_while_held = asyncio.run(scenario())
    assert inside_while_held == 2
    checkouts = [name for name in shop.entered if name.startswith("b")]
    assert checkouts == ["b0", "b1", "b2", "b3", "b4", "b5"]
    assert shop.most == 4  # two checkouts and the two requests that never queue


def test_a_body_trickling_in_holds_no_place():
    async def scenario() -> Shop:
        shop = Shop()
        door = CheckoutQueue(shop, limit=1, paths=["/api/v1/orders"])
        never = asyncio.Event()

        async def trickle() -> dict[str, Any]:
            await never.wait()  # the rest of the body never comes
            return {"type": "http.disconnect"}

        slow = asyncio.create_task(door(request("slow"), trickle, ignore))
        await asyncio.sleep(0.01)
        buyer = asyncio.create_task(door(request("buyer"), nothing, ignore))
        await asyncio.sleep(0.05)
        assert shop.entered == ["buyer"]
        shop.release.set()
        await buyer
        slow.cancel()
        return shop

    assert asyncio.run(scenario()).most == 1
