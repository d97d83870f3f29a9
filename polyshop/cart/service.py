"""Cart use cases: add, change, remove, show (priced now), and merge a guest cart at login.

Prices and availability come from the catalog's write model in one query per call; the
priced cart is cached as ready JSON under the cart's revision (see `cart.ports`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sqlalchemy import Engine

from polyshop.cart import domain
from polyshop.cart.domain import CartError, CartLine, PricedCart
from polyshop.cart.ports import CartStore
from polyshop.catalog import pricing
from polyshop.catalog.domain import CatalogError, Offer, normalize_sku
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.ports import EventNotifier
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.money import to_cents

#: How long a priced cart may be shown again without asking the catalog. Price changes
#: void it at once; only `available` (a soft, informational figure) may be this old.
VIEW_TTL = 30.0


class Carts:
    def __init__(
        self,
        store: CartStore,
        catalog: Engine,
        view_ttl: float = VIEW_TTL,
        *,
        on_added: Callable[[str, str], None] = lambda owner, product_id: None,
    ) -> None:
        self.store = store
        self._catalog = catalog
        self._view_ttl = view_ttl
        self._on_added = on_added

    def view(self, owner: str) -> bytes:
        cached = self.store.cached_view(owner)
        if cached is not None:
            return cached
        snapshot = self.store.snapshot(owner)
        priced = domain.price(snapshot.lines, self._offers(line.sku for line in snapshot.lines))
        body = orjson.dumps(document(priced))
        if snapshot.lines:
            self.store.cache_view(owner, body, snapshot.revision, self._view_ttl)
        return body

    def add(
        self, owner: str, quantity: int, *, sku: str | None = None, product_id: str | None = None
    ) -> bytes:
        domain.check_quantity(quantity)
        snapshot = self.store.snapshot(owner)
        code = self._sku(sku, product_id)
        offers = self._offers([code, *(line.sku for line in snapshot.lines)])
        offer = offers.get(code)
        if offer is not None and product_id is not None and offer.product_id != product_id:
            raise CartError("sku", f"{code} is not a variant of product {product_id}")
        have = next((line.quantity for line in snapshot.lines if line.sku == code), 0)
        if have + quantity > domain.MAX_QUANTITY:
            raise domain.QuantityLimit(code, have)
        offer = domain.check_offer(code, offer, have + quantity)
        line = CartLine(code, offer.product_id, quantity, to_cents(offer.unit_price), time.time())
        new_quantity = self.store.add(owner, line, domain.MAX_QUANTITY, domain.MAX_LINES)
        self._on_added(owner, offer.product_id)
        lines = [entry for entry in snapshot.lines if entry.sku != code]
        existing = next((entry for entry in snapshot.lines if entry.sku == code), line)
        lines.append(
            CartLine(
                code,
                existing.product_id,
                new_quantity,
                existing.unit_price_cents,
                existing.added_at,
            )
        )
        return orjson.dumps(document(domain.price(lines, offers)))

    def set_quantity(self, owner: str, sku: str, quantity: int) -> bytes | None:
        """The cart after the change; None if the SKU is not in it."""
        domain.check_quantity(quantity)
        try:
            code = normalize_sku(sku)
        except CatalogError:
            return None
        have = next((e.quantity for e in self.store.snapshot(owner).lines if e.sku == code), 0)
        if not have:
            return None
        if quantity > have:  # fewer is always allowed, even of what is no longer sold
            domain.check_offer(code, self._offers([code]).get(code), quantity)
        if not self.store.set_quantity(owner, code, quantity):
            return None
        return self.view(owner)

    def remove(self, owner: str, sku: str) -> bool:
        try:
            code = normalize_sku(sku)
        except CatalogError:
            return False
        return self.store.remove(owner, code)

    def clear(self, owner: str) -> None:
        self.store.clear(owner)

    def merge(self, guest: str, user: str) -> None:
        """Move a guest cart into the user's: quantities added, capped by availability."""
        incoming = self.store.snapshot(guest).lines
        if not incoming:
            return
        own = self.store.snapshot(user).lines
        offers = self._offers(line.sku for line in [*incoming, *own])
        self.store.put(user, domain.merged(own, incoming, offers))
        self.store.clear(guest)

    def _sku(self, sku: str | None, product_id: str | None) -> str:
        if sku is not None:
            try:
                return normalize_sku(sku)
            except CatalogError as exc:
                raise CartError("sku", str(exc)) from exc
        if product_id is None:
            raise CartError("sku", "give a sku or a product_id")
        with self._catalog.connect() as connection:
            skus = pricing.skus_of(connection, product_id)
        if len(skus) == 1:
            return skus[0]
        if not skus:
            raise domain.NotForSale(product_id, f"no product {product_id}")
        raise CartError("sku", f"product {product_id} has several variants; choose one of {skus}")

    def _offers(self, skus: Iterable[str]) -> dict[str, Offer]:
        wanted = set(skus)
        if not wanted:
            return {}
        with self._catalog.connect() as connection:
            return pricing.offers(connection, wanted)


def document(cart: PricedCart) -> dict[str, Any]:
    """The cart as the API shows it; money as numbers with two decimals (see API.md)."""
    return {
        "items": [
            {
                "product_id": item.product_id,
                "sku": item.sku,
                "name": item.name,
                "size": item.size,
                "color": item.color,
                "image": item.image,
                "quantity": item.quantity,
                "price": float(item.price),
                "subtotal": float(item.subtotal),
                "available": item.available,
                "price_when_added": float(item.price_when_added),
                "price_changed": item.price_changed,
                "purchasable": item.purchasable,
                "notice": item.notice,
            }
            for item in cart.items
        ],
        "total": float(cart.total),
        "currency": cart.currency,
        "item_count": cart.item_count,
    }


def price_watcher(
    carts: CartStore, store: SqlEventStore, notifier: EventNotifier, types: Iterable[str]
) -> LogFollower:
    """Voids the cached views of carts holding a product as soon as its catalog event lands."""
    token = [notifier.token()]

    def wait(timeout: float) -> None:
        token[0] = notifier.wait(token[0], timeout)

    def drop(batch: list[RecordedEvent]) -> None:
        carts.drop_views_for({event.data["product_id"] for event in batch})

    return LogFollower(
        "cart-prices",
        store,
        frozenset(types),
        drop,
        start=store.head,
        limit=store.head,
        wait=wait,
    )
