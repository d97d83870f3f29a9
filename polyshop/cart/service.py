"""Cart use cases: add, change, remove, show (priced now), and merge a guest cart at login.

Prices and availability come from the catalog's write model. The priced cart is kept as
ready JSON under the cart's revision (see `cart.ports` and `cart.views`), so showing it
again costs no catalog query, and an add costs the same whatever the cart holds: it looks
up the one offer it adds, writes the one line, and patches the kept view of the revision
before it into the view of the revision it wrote. Only when no view is kept (or the kept
one is too old) is the whole cart priced, once.

Stamping the patched view relies on the store's revisions: every write bumps a cart's
revision by exactly one, so the add that finds revision `r` kept wrote `r + 1` unless
another write came between, and then `r + 1` is already past when the view is kept (the
view is never served). The one other way a cart's revision moves is its expiry (the cart
starts again); a view is patched only while the cart cannot have expired since.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine

from polyshop.cart import domain
from polyshop.cart.domain import CartError, CartFull, CartLine, QuantityLimit
from polyshop.cart.ports import CartStore
from polyshop.cart.views import PricedView, document
from polyshop.catalog import pricing
from polyshop.catalog.domain import CatalogError, Offer, normalize_sku
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.ports import EventNotifier, EventStore
from polyshop.values.money import to_cents

#: How long a priced cart may be shown again without asking the catalog. Price changes
#: void it at once; only `available` (a soft, informational figure) may be this old.
VIEW_TTL = 30.0
#: The carts' own time to live when none is given (`Settings.cart_ttl`'s default).
CART_TTL = 7 * 86400.0
#: How long before a cart could expire an add stops patching its view: more than an add
#: takes and more than clocks of two app servers differ by.
EXPIRY_MARGIN = 600.0


class Carts:
    def __init__(
        self,
        store: CartStore,
        catalog: Engine,
        view_ttl: float = VIEW_TTL,
        *,
        max_lines: int = domain.MAX_LINES,
        cart_ttl: float = CART_TTL,
        on_added: Callable[[str, str], None] = lambda owner, product_id: None,
        media_url: MediaUrl = media_path,
    ) -> None:
        self.store = store
        self._media_url = media_url
        self._catalog = catalog
        self._view_ttl = view_ttl
        self._max_lines = max_lines
        self._cart_ttl = cart_ttl
        self._on_added = on_added

    def view(self, owner: str) -> bytes:
        kept = self.store.cached_view(owner)
        return _body(kept) if kept is not None else self._price_and_keep(owner)

    def add(
        self, owner: str, quantity: int, *, sku: str | None = None, product_id: str | None = None
    ) -> bytes:
        """Add units of a SKU; the answer is the cart after it. Costs one offer lookup and one
        store write whatever the cart holds (see the module's docstring).

        Raises `CartFull` (nothing changed) when the SKU is a new line and the cart already
        holds `max_lines` lines."""
        domain.check_quantity(quantity)
        code = self._sku(sku, product_id)
        offer = self._offers([code]).get(code)
        if offer is not None and product_id is not None and offer.product_id != product_id:
            raise CartError("sku", f"{code} is not a variant of product {product_id}")
        before = self._current(owner)
        have = before.quantity_of(code)
        if have + quantity > domain.MAX_QUANTITY:
            raise QuantityLimit(code, have)
        offer = domain.check_offer(code, offer, have + quantity)
        line = CartLine(code, offer.product_id, quantity, to_cents(offer.unit_price), time.time())
        new_quantity = self.store.add(owner, line, domain.MAX_QUANTITY, self._max_lines)
        self._on_added(owner, offer.product_id)
        # A quantity other than `have + quantity` means the line changed between the read
        # and the add (another tab, or the cart expired and started again): the patched
        # view would not be the cart at `r + 1`, so the cart is priced whole instead.
        if new_quantity != have + quantity or not self._outlives(before):
            return self._price_and_keep(owner)
        held = CartLine(code, offer.product_id, new_quantity, line.unit_price_cents, line.added_at)
        after = before.with_line(held, offer, before.revision + 1, line.added_at)
        body = after.body()
        self._keep(owner, after, body)
        return body

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
        """Move a guest cart into the user's: quantities added, capped by availability, and
        never past the cart's number of lines (see `domain.merged` for which lines stay).

        Each line goes in as an add, whose line limit the store checks atomically: a line
        another tab added meanwhile still counts, and the guest's line is then left out."""
        incoming = self.store.snapshot(guest).lines
        if not incoming:
            return
        own = self.store.snapshot(user).lines
        offers = self._offers(line.sku for line in [*incoming, *own])
        had = {line.sku: line.quantity for line in own}
        for line in domain.merged(own, incoming, offers, self._max_lines):
            more = line.quantity - had.get(line.sku, 0)
            extra = CartLine(line.sku, line.product_id, more, line.unit_price_cents, line.added_at)
            try:
                self.store.add(user, extra, domain.MAX_QUANTITY, self._max_lines)
            except (CartFull, QuantityLimit):
                continue
        self.store.clear(guest)

    def _current(self, owner: str) -> PricedView:
        """The cart as it is now, priced: the kept view while it is good, else priced whole."""
        kept = self.store.cached_view(owner)
        view = PricedView.parse(kept) if kept is not None else None
        return view if view is not None else self._price(owner)

    def _price_and_keep(self, owner: str) -> bytes:
        priced = self._price(owner)
        body = priced.body()
        if priced.document["items"]:
            self._keep(owner, priced, body)
        return body

    def _price(self, owner: str) -> PricedView:
        """The whole cart priced now, under the revision it was read at."""
        priced_at = time.time()
        snapshot = self.store.snapshot(owner)
        cart = domain.price(snapshot.lines, self._offers(line.sku for line in snapshot.lines))
        written = max((line.added_at for line in snapshot.lines), default=0.0)
        return PricedView(document(cart), snapshot.revision, written, priced_at)

    def _keep(self, owner: str, view: PricedView, body: bytes) -> None:
        """Keep the view (whose document is `body`) until its oldest catalog figures are
        `view_ttl` old."""
        ttl = view.priced + self._view_ttl - time.time()
        if ttl > 0.05:
            self.store.cache_view(owner, view.kept(body), view.revision, ttl)

    def _outlives(self, view: PricedView) -> bool:
        """Whether the cart at the view's revision certainly had not expired by now, so the
        revision after it is the next write's (a cart starting again starts its count anew).

        A cart lives `cart_ttl` past its last write, which is no earlier than `written`. A
        cart that never had a revision (0) has nothing to lose by starting again."""
        margin = min(EXPIRY_MARGIN, self._cart_ttl / 4)
        return view.revision == 0 or time.time() < view.written + self._cart_ttl - margin

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
            return pricing.offers(connection, wanted, self._media_url)


def _body(kept: bytes) -> bytes:
    """The document of a kept view (one kept before views had a header is all document)."""
    return kept if kept.startswith(b"{") else kept.partition(b"\n")[2]


def price_watcher(
    carts: CartStore, store: EventStore, notifier: EventNotifier, types: Iterable[str]
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
