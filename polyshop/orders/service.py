"""The orders door: what every face (REST, GraphQL, pages) asks of orders, and nothing else.

It places carts (through `Checkout`, group commit and all), reads orders from the history
read model or, for time travel and the audit trail, from their events, and changes them
through the lifecycle. The rules a face must not repeat live here once: a checkout needs an
idempotency key and a valid shipping address; another user's order does not exist for the
caller (never "forbidden": ids cannot be probed); only admins list anyone's orders; a
payment the order can no longer take is refused as due for refund.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from polyshop.accounts.domain import AccountError, Address, Viewer
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import NewEvent, RecordedEvent
from polyshop.eventstore.ports import EventStore
from polyshop.inventory.stock import InsufficientStock
from polyshop.orders import (
    admin_listing,
    daily_sales,
    domain,
    guests,
    history,
    lifecycle,
    sql_checkout,
)
from polyshop.orders.admin_listing import AdminOrderFilter, Cursor, OrdersPage
from polyshop.orders.audit import Audit
from polyshop.orders.checkout import Checkout
from polyshop.orders.checkout_request import Placed
from polyshop.orders.domain import Order
from polyshop.orders.errors import (
    InvalidAddress,
    KeyRequired,
    OrderChanged,
    OrderNotFound,
    OthersOrders,
    OutOfStock,
    RefundDue,
)
from polyshop.orders.updates import OrderUpdate, OrderUpdates, Watch
from polyshop.values.money import from_cents

PAYMENT_ACTOR = "payment-provider"


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders to list; `user_id` is whose (admins only, None: everyone's)."""

    user_id: str | None = None
    status: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """An order after a command, and the log position written (0: nothing to write)."""

    order: Order
    position: int

    @property
    def document(self) -> dict[str, Any]:
        return domain.document(self.order)


@dataclass(frozen=True, slots=True)
class Sales:
    """Orders placed in a period: how many (in any status), and the revenue of those paid
    (paid, shipped or delivered; refunded and unpaid ones bring nothing), per currency."""

    orders: int
    paid_orders: int
    revenue: dict[str, Decimal]


#: Statuses whose orders count as revenue: money taken and not given back.
REVENUE_STATUSES = frozenset({"paid", "shipped", "delivered"})


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment provider's report on one order's payment."""

    order_id: str
    payment_id: str
    amount: Decimal
    succeeded: bool
    reason: str | None = None


class Orders:
    def __init__(
        self,
        store: EventStore,
        reader: Engine,
        checkout: Checkout,
        updates: OrderUpdates,
    ) -> None:
        """`reader` serves the order-history read model (a replica when configured);
        `store` holds the events, read on the primary; `updates` feeds live watches of
        orders."""
        self._store = store
        self._reader = reader
        self._checkout = checkout
        self._updates = updates

    def place(
        self, *, user_id: str | None, cart_owner: str, key: str | None, body: Mapping[str, Any]
    ) -> Placed:
        """Place the caller's cart: all or nothing, once per key and once per cart.
        Without `user_id`, a guest's order: `body["email"]` is required, and the first
        answer carries the order's `access_key` (a replay cannot: only its hash is kept)."""
        if not key or not key.strip():
            raise KeyRequired
        try:
            Address(**body["shipping_address"])  # the same rules as the address book
        except AccountError as exc:
            raise InvalidAddress(exc.field, str(exc)) from exc
        guest, access_key = (None, None) if user_id else guests.new_guest(body.get("email") or "")
        try:
            placed = self._checkout.place(
                user_id=user_id or "",
                cart_owner=cart_owner,
                key=key.strip(),
                body=body,
                guest=guest,
            )
        except InsufficientStock as exc:
            raise OutOfStock(exc.skus) from exc
        except ConcurrencyConflict as exc:
            raise OrderChanged from exc
        if access_key is None or placed.replayed:
            return placed
        return Placed(placed.status_code, {**placed.response, "access_key": access_key}, False)

    def guest_order(
        self, order_id: str, *, access_key: str | None = None, cart_owner: str | None = None
    ) -> dict[str, Any] | None:
        """A guest order for whoever holds its key, or for the guest session that placed it
        (until it is claimed); None otherwise, as for an order that does not exist. Read
        from its events: the guest looks right after placing it."""
        order = self._guest_order(order_id, access_key, cart_owner)
        return domain.document(order) if order is not None else None

    def guest_events(
        self, order_id: str, *, access_key: str | None = None, cart_owner: str | None = None
    ) -> list[RecordedEvent] | None:
        if self._guest_order(order_id, access_key, cart_owner) is None:
            return None
        return lifecycle.history(self._store, order_id)

    def cancel_guest_order(
        self, order_id: str, *, access_key: str | None = None, cart_owner: str | None = None
    ) -> Written:
        if self._guest_order(order_id, access_key, cart_owner) is None:
            raise OrderNotFound(order_id)
        return self._act(order_id, lambda o: o.cancel("cancelled by the guest"), "guest")

    def claim_guest_orders(self, user_id: str, email: str, placed_by: str | None) -> list[str]:
        """The guest orders that the guest session `placed_by` (a cart owner) placed with
        `email` join `user_id`'s account (`OrderClaimed`). Called when that guest signs up
        with that email. Orders placed with the email from other sessions stay guest
        orders, opened by their links: signing up proves no one owns an address (nothing
        is verified by mail), so an email alone must not hand over someone's orders."""
        if placed_by is None:
            return []
        _, email_key = guests.normalize_email(email)
        claimed = []
        unclaimed = sql_checkout.unclaimed_guest_orders(
            self._checkout.primary, email_key, placed_by
        )
        for order_id in unclaimed:
            self._act(order_id, lambda o: o.claim(user_id), f"user:{user_id}")
            sql_checkout.mark_claimed(self._checkout.primary, order_id, user_id)
            claimed.append(order_id)
        return claimed

    def _guest_order(
        self, order_id: str, access_key: str | None, cart_owner: str | None
    ) -> Order | None:
        row = sql_checkout.guest_order(self._checkout.primary, order_id)
        if row is None:
            return None
        order = lifecycle.load(self._store, order_id)
        if order is None:
            return None
        by_session = (
            cart_owner is not None and row.claimed_by is None and row.placed_by == cart_owner
        )
        return order if by_session or guests.opens(order, access_key) else None

    def list_orders(
        self, viewer: Viewer, where: OrderFilter, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The viewer's orders newest first (admins: anyone's, or one user's)."""
        if where.user_id is not None and not viewer.is_admin:
            raise OthersOrders
        owner = where.user_id if viewer.is_admin else viewer.user_id
        return history.list_orders(
            self._reader,
            history.OrderFilter(
                user_id=owner,
                status=where.status,
                placed_from=where.placed_from,
                placed_to=where.placed_to,
            ),
            limit=limit,
            offset=offset,
        )

    def sales_on(self, admin: Viewer, first: date, last: date) -> Sales:
        """Orders placed on the UTC days `first` to `last` (inclusive) and their paid revenue,
        from the per-day roll-up (admins only)."""
        if not admin.is_admin:
            raise OthersOrders
        orders, paid, revenue = 0, 0, dict[str, Decimal]()
        for status, currency, count, cents in daily_sales.sales_on(self._reader, first, last):
            orders += count
            if status in REVENUE_STATUSES:
                paid += count
                revenue[currency] = revenue.get(currency, Decimal("0.00")) + from_cents(cents)
        return Sales(orders, paid, revenue)

    def awaiting_shipment(self, admin: Viewer, limit: int = 10) -> tuple[list[dict[str, Any]], int]:
        """Paid orders not yet shipped, longest waiting first (at most `limit`, 1 to 100),
        and how many there are, counted to `admin_listing.COUNT_CAP` (a count that reaches
        it means "that many or more"). Admins only."""
        if not admin.is_admin:
            raise OthersOrders
        cap = admin_listing.COUNT_CAP
        orders, total = history.oldest_in_status(
            self._reader, domain.Status.PAID.value, max(1, min(limit, 100)), cap
        )
        return orders, min(total, cap)

    def list_for_admin(
        self,
        admin: Viewer,
        where: AdminOrderFilter,
        *,
        guest_email: str | None = None,
        before: Cursor | None = None,
        after: Cursor | None = None,
        limit: int = 50,
    ) -> OrdersPage:
        """Anyone's orders under `where`, newest first, one keyset page (`limit` 1 to 100)
        older than `before` or newer than `after` (admins only). `guest_email`: the
        customer's orders include those placed as a guest with this email."""
        if not admin.is_admin:
            raise OthersOrders
        if guest_email is not None:
            where = replace(where, order_ids=self._guest_order_ids(guest_email))
        return admin_listing.page_orders(
            self._reader, where, before=before, after=after, limit=max(1, min(limit, 100))
        )

    def _guest_order_ids(self, email: str) -> tuple[str, ...]:
        try:
            _, key = guests.normalize_email(email)
        except AccountError:
            return ()
        return tuple(sql_checkout.guest_orders_by_email(self._checkout.primary, key, 1000))

    def get_order(
        self, viewer: Viewer, order_id: str, as_of: datetime | None = None
    ) -> dict[str, Any] | None:
        """The order's document (None: none the viewer may see); with `as_of`, as it stood
        then, replayed from its events."""
        if as_of is not None:
            order = lifecycle.load(self._store, order_id, as_of=as_of)
            if order is None or not viewer.may_see(order.user_id):
                return None
            return domain.document(order)
        document = history.get_order(self._reader, order_id)
        if document is None or not viewer.may_see(document["user_id"]):
            return None
        return document

    def get_audit(self, viewer: Viewer, order_id: str) -> Audit | None:
        """The order now, the lifecycle actions its state allows, and its audit trail from
        one read of its events, exact right after a change (None: no order the viewer may
        see)."""
        audit = Audit.of(lifecycle.history(self._store, order_id))
        if audit is None or not viewer.may_see(audit.document["user_id"]):
            return None
        return audit

    def get_events(self, viewer: Viewer, order_id: str) -> list[RecordedEvent] | None:
        """The audit trail: every event of the order (None: none the viewer may see)."""
        events = lifecycle.history(self._store, order_id)
        order = Order.replay(events)
        if order is None or not viewer.may_see(order.user_id):
            return None
        return events

    @property
    def watching(self) -> int:
        """Live watches open in this process (what `watch` counts against its limit)."""
        return self._updates.watching

    def watch(
        self,
        viewer: Viewer,
        order_id: str,
        deliver: Callable[[OrderUpdate], None],
        *,
        after_version: int | None = None,
    ) -> Watch:
        """Live updates of an order the viewer may see: `deliver` gets each new event (on
        another thread), first those after `after_version` when given; `close()` the
        watch to stop. Someone else's order is `OrderNotFound`, as everywhere; a process
        at its limit of watches, or a viewer at `MAX_WATCHES_PER_VIEWER`, raises
        `TooManyWatches`."""
        return self._updates.watch(
            order_id,
            deliver,
            may_see=lambda order: viewer.may_see(order.user_id),
            after_version=after_version,
            holder=viewer.actor,
        )

    def cancel(self, viewer: Viewer, order_id: str, reason: str = "") -> Written:
        """Cancel while not shipped: unpaid stock released, paid stock put back."""
        why = reason or f"cancelled by {viewer.actor}"

        def decide(order: Order) -> list[NewEvent]:
            if not viewer.may_see(order.user_id):
                raise OrderNotFound(order_id)
            return order.cancel(why)

        return self._act(order_id, decide, viewer.actor)

    def events_of(self, viewer: Viewer, order_ids: list[str]) -> dict[str, list[RecordedEvent]]:
        """The audit trails of several orders from one read of the log, by order id; those
        the viewer may not see are left out. A page of orders with their events costs one
        read, not one per order."""
        streams = self._store.read_streams([domain.stream_id(i) for i in order_ids])
        trails: dict[str, list[RecordedEvent]] = {}
        for order_id in order_ids:
            events = streams.get(domain.stream_id(order_id), [])
            order = Order.replay(events)
            if order is not None and viewer.may_see(order.user_id):
                trails[order_id] = events
        return trails

    def ship(self, admin: Viewer, order_id: str, tracking_number: str) -> Written:
        return self._act(order_id, lambda o: o.ship(tracking_number), admin.actor)

    def deliver(self, admin: Viewer, order_id: str) -> Written:
        return self._act(order_id, lambda o: o.deliver(), admin.actor)

    def refund(self, admin: Viewer, order_id: str, reason: str = "") -> Written:
        why = reason or "refunded by an admin"
        return self._act(order_id, lambda o: o.refund(why), admin.actor)

    def record_payment(self, payment: Payment) -> Written:
        """A success for the right amount pays the order; anything else is recorded as a
        failed payment; a repeat changes nothing (position 0). A payment the order can no
        longer take is recorded as due for refund, then refused (`RefundDue`)."""

        def decide(order: Order) -> list[NewEvent]:
            if payment.succeeded:
                return order.pay(payment.payment_id, payment.amount)
            return order.fail_payment(
                payment.payment_id, payment.amount, payment.reason or "declined"
            )

        written = self._act(payment.order_id, decide, PAYMENT_ACTOR)
        if written.order.refund_due(payment.payment_id):
            raise RefundDue(written.order.status.value)
        return written

    def _act(self, order_id: str, decide: Callable[[Order], list[NewEvent]], actor: str) -> Written:
        try:
            order, position = lifecycle.act(self._store, order_id, decide, actor=actor)
        except ConcurrencyConflict as exc:
            raise OrderChanged from exc
        return Written(order, position)
