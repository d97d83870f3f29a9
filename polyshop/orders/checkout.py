"""Placing an order: the cart becomes an order in one transaction, or nothing happens.

Inside one unit of work on the write database: prices and names come from the catalog's
write model (whatever the client sent is ignored); every line is reserved against the
locked stock rows (all or nothing: no oversell, no deadlock); `OrderPlaced` and the
inventory events are appended, the idempotency key recorded with the answer, and the cart's
id recorded with the order. A retry with the same key and body gets the stored answer
(found before its batch reserves anything, when the key's row stops the retry's
transaction, or when its cart is already empty).

A cart's contents become at most one order, whatever keys the requests carry (a
double-click, a client that makes a new key per attempt): the order records the id of the
cart it consumed, a primary key, and any later checkout of that cart id is refused with
`CartAlreadyOrdered` naming the order. The cart is emptied of what was ordered right after
the commit and, whatever happens then (a crash, a cart store that is down), again from the
log by `cart.ordered.OrderedCartsProjection`; both are idempotent.

Orders placed at the same moment share that unit of work (group commit, see
`polyshop.runtime.group_commit`): under a flash sale, one transaction, one lock hold of the hot
SKU's row and one commit serve every order that arrived while the previous one ran, each
still granted or refused on its own, first come first served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from polyshop.cart.ports import CartStore, OrderedCart
from polyshop.catalog import pricing
from polyshop.catalog.domain import Offer
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import EventMetadata, NewEvent, StreamAppend
from polyshop.eventstore.ports import EventStore, UnitOfWork
from polyshop.inventory import stock
from polyshop.orders import domain, sql_checkout
from polyshop.orders.admission import Admission, Ticket
from polyshop.orders.checkout_request import (
    CheckoutRequest,
    Guest,
    Placed,
    guest_scope,
    replayed,
    request_hash,
    settled,
)
from polyshop.orders.domain import OrderItem
from polyshop.orders.errors import CartAlreadyOrdered, EmptyCart, NotOrderable, TooLarge
from polyshop.orders.screening import Refused, Screening
from polyshop.runtime import correlation
from polyshop.runtime.group_commit import GroupCommit
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id

log = structlog.get_logger(__name__)

#: Times a buyer is screened before the transaction decides regardless (each time means the
#: SKU's stock moved between the read and the buyer's turn).
_SCREENINGS = 3


class Checkout:
    """Places carts as orders; what arrives together is placed together (group commit)."""

    def __init__(
        self,
        store: EventStore,
        primary: Engine,
        carts: CartStore,
        hold: timedelta,
        *,
        max_batch: int = 64,
        admission: int = 64,
        media_url: MediaUrl = media_path,
    ) -> None:
        """`primary` reads the write database outside any transaction, never a replica: the
        answer or order a refused checkout looks for committed a moment ago. `admission`:
        buyers of one SKU let onto the transaction path at once (`orders.admission`)."""
        self._store = store
        self._primary = primary
        self._carts = carts
        self._hold = hold
        self._media_url = media_url
        self._admission = Admission(admission)
        self._screening = Screening(
            primary, self._admission.learn, round_size=4 * max_batch, media_url=media_url
        )
        # Two checkouts of one cart never share a transaction: the later one must see the
        # earlier one's order (and its retry, with the same key, the earlier answer).
        self._batches: GroupCommit[CheckoutRequest, Placed] = GroupCommit(
            self._place_batch, max_batch=max_batch, key=lambda r: r.cart_owner
        )

    @property
    def primary(self) -> Engine:
        return self._primary

    def place(
        self,
        *,
        user_id: str,
        cart_owner: str,
        key: str,
        body: Mapping[str, Any],
        guest: Guest | None = None,
    ) -> Placed:
        """`user_id` "" with `guest`: a guest's order, owned by nobody until claimed.

        A cart its stock cannot cover, under a flash sale, is refused by the screening's
        read without entering the group commit; the rest wait for a place on the
        transaction path (`Admission`), which decides under its locks."""
        fingerprint = request_hash(body)
        scope = user_id or guest_scope(cart_owner)
        lines: dict[str, int] = {}
        try:
            cart = self._carts.snapshot(cart_owner)
            lines = {line.sku: line.quantity for line in cart.lines}
            if not lines:
                raise EmptyCart
            request = CheckoutRequest(
                user_id,
                cart_owner,
                cart.cart_id,
                key,
                scope,
                fingerprint,
                lines,
                body,
                _metadata(user_id, key),
                guest,
            )
            admitted = self._admit(request)
            if isinstance(admitted, Ticket):
                with admitted:
                    return self._batches.submit(request)
        except (
            EmptyCart,
            NotOrderable,
            TooLarge,
            stock.InsufficientStock,
            IntegrityError,
            ConcurrencyConflict,
        ):
            # Only now look for an earlier request with this key that committed after our
            # batch looked: it may have emptied the cart or taken the stock, and its key
            # row stops ours (IntegrityError). Its answer is ours too. Else another
            # process may have placed this cart meanwhile: its cart row stopped ours.
            earlier = _earlier_answer(self._primary, scope, key, fingerprint)
            if earlier is not None:
                return earlier
            if lines and (order_id := _order_of_cart(self._primary, cart.cart_id)) is not None:
                raise CartAlreadyOrdered(order_id) from None
            raise
        if isinstance(admitted, Refused):  # the screening looked for all of the above already
            raise admitted.reason
        return admitted

    def _admit(self, request: CheckoutRequest) -> Ticket | Placed | Refused:
        """A place on the transaction path, or the screening's answer. A buyer whose SKUs
        are believed short is screened (a fresh read) before anything else; one let through
        waits for a place, and is screened again if the SKU runs short meanwhile."""
        deadline = self._admission.deadline()
        for _ in range(_SCREENINGS):
            if self._admission.short(request.lines):
                verdict = self._screening.screen(request)
                if verdict is not None:
                    return verdict
            entered = self._admission.enter(request.lines, deadline)
            if isinstance(entered, Ticket):
                return entered
        # Stock moving both ways under us every time: the transaction decides.
        return self._admission.take(request.lines, deadline)

    def _place_batch(self, requests: Sequence[CheckoutRequest]) -> list[Placed | Exception]:
        """Place each request or refuse it on its own, all in one unit of work; then empty
        the carts of the orders placed."""
        now = utc_now()
        hold_until = now + self._hold
        outcomes: list[Placed | Exception] = [EmptyCart()] * len(requests)
        with self._store.unit_of_work() as uow:
            drafts = _drafts(uow.connection, requests, hold_until, outcomes, self._media_url)
            booked = stock.reserve_many(
                uow,
                [stock.Hold(d.order_id, requests[d.index].lines, d.metadata) for d in drafts],
                hold_until,
            )
            for draft in drafts:
                if draft.order_id in booked.refused:
                    outcomes[draft.index] = stock.InsufficientStock(booked.refused[draft.order_id])
            accepted = [d for d in drafts if d.order_id not in booked.refused]
            if accepted:
                _record(uow, requests, accepted, now, outcomes)
        # Committed: the locked rows' figures are what admission and screening go by next.
        self._admission.learn(booked.levels.values())
        if accepted:
            self._empty_carts(requests, accepted)
        return outcomes

    def _empty_carts(self, requests: Sequence[CheckoutRequest], accepted: Sequence[_Draft]) -> None:
        """After the commit, every cart of the batch at once: one round trip (Redis) or one
        turn of the cart file's single writer (embedded), not one each. If this fails, or
        the process dies first, the log's `OrderedCartsProjection` does it."""
        consumed = [
            OrderedCart(
                requests[d.index].cart_owner, requests[d.index].cart_id, requests[d.index].lines
            )
            for d in accepted
        ]
        try:
            self._carts.consume(consumed)
        except Exception as exc:  # the orders stand; the log empties their carts
            log.warning("carts not emptied after orders", carts=len(consumed), error=str(exc))


def _metadata(user_id: str, key: str) -> EventMetadata:
    """The placing request's correlation, actor and key, for every event the order writes."""
    return EventMetadata(
        correlation_id=correlation.correlation_id.get(),
        actor=f"user:{user_id}" if user_id else "guest",
        idempotency_key=key,
    )


def _drafts(
    connection: Any,
    requests: Sequence[CheckoutRequest],
    hold_until: datetime,
    outcomes: list[Placed | Exception],
    media_url: MediaUrl,
) -> list[_Draft]:
    """The batch's orders priced and ready for their stock; the others' outcomes set
    (a replayed answer, a cart ordered already, a refusal)."""
    earlier = sql_checkout.earlier_answers(connection, [(r.scope, r.key) for r in requests])
    ordered = sql_checkout.orders_of_carts(connection, [r.cart_id for r in requests])
    offers = pricing.offers(connection, {sku for r in requests for sku in r.lines}, media_url)
    drafts: list[_Draft] = []
    for i, request in enumerate(requests):
        answer = settled(request, earlier, ordered, offers)
        if answer is None:
            drafts.append(_draft(i, request, offers, hold_until))
        else:
            outcomes[i] = answer
    return drafts


def _record(
    uow: UnitOfWork,
    requests: Sequence[CheckoutRequest],
    accepted: Sequence[_Draft],
    now: datetime,
    outcomes: list[Placed | Exception],
) -> None:
    """Append the accepted orders, and keep each one's answer under its key and its cart
    with the order, in the batch's transaction."""
    uow.append_many(
        [
            StreamAppend(
                domain.stream_id(d.order_id), domain.ORDER_STREAM, [d.placed], 0, d.metadata
            )
            for d in accepted
        ]
    )
    remembered = []
    for draft in accepted:
        request = requests[draft.index]
        response = draft.response(uow.position)
        outcomes[draft.index] = Placed(201, response, replayed=False)
        remembered.append(
            {
                "user_id": request.scope,
                "key": request.key,
                "request_hash": request.fingerprint,
                "order_id": draft.order_id,
                "status_code": 201,
                "response": response,
                "created_at": now,
            }
        )
    sql_checkout.remember(uow.connection, remembered)
    sql_checkout.record_carts(
        uow.connection,
        [
            {"cart_id": requests[d.index].cart_id, "order_id": d.order_id, "created_at": now}
            for d in accepted
        ],
    )
    sql_checkout.record_guests(uow.connection, _guest_rows(requests, accepted, now))


def _guest_rows(
    requests: Sequence[CheckoutRequest], accepted: Sequence[_Draft], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for draft in accepted:
        request = requests[draft.index]
        if request.guest is not None:
            rows.append(
                {
                    "order_id": draft.order_id,
                    "email_key": request.guest.email_key,
                    "placed_by": request.cart_owner,
                    "claimed_by": None,
                    "created_at": now,
                }
            )
    return rows


@dataclass(frozen=True, slots=True)
class _Draft:
    """An order its batch may place, priced, waiting for its stock."""

    index: int
    order_id: str
    items: list[OrderItem]
    placed: NewEvent
    metadata: EventMetadata

    def response(self, position: int) -> dict[str, Any]:
        data = self.placed.data
        return {
            "order_id": self.order_id,
            "status": domain.Status.PENDING_PAYMENT.value,
            "total": data["total"],
            "currency": data["currency"],
            "items": [domain.item_document(item) for item in self.items],
            "hold_until": data["hold_until"],
            "position": position,
        }


def _draft(
    index: int, request: CheckoutRequest, offers: Mapping[str, Offer], hold_until: datetime
) -> _Draft:
    """The request as an order priced from the catalog (`settled` has found it sellable)."""
    lines = request.lines
    items = [
        OrderItem(
            sku=sku,
            product_id=offers[sku].product_id,
            name=offers[sku].name,
            quantity=quantity,
            unit_price=offers[sku].unit_price,
            image=offers[sku].image,
            size=offers[sku].size,
            color=offers[sku].color,
        )
        for sku, quantity in sorted(lines.items())
    ]
    order_id = new_id()
    placed = domain.placed_event(
        order_id,
        request.user_id,
        items,
        offers[items[0].sku].currency,
        dict(request.body["shipping_address"]),
        str(request.body["payment_method_id"]),
        hold_until,
        cart=(request.cart_owner, request.cart_id),
        guest=(request.guest.email, request.guest.access_key_hash) if request.guest else None,
    )
    return _Draft(index, order_id, items, placed, request.metadata)


def _order_of_cart(primary: Engine, cart_id: str) -> str | None:
    return sql_checkout.order_of_cart(primary, cart_id)


def _earlier_answer(primary: Engine, user_id: str, key: str, fingerprint: str) -> Placed | None:
    row = sql_checkout.earlier_answer(primary, user_id, key)
    if row is None:
        return None
    outcome = replayed(row, fingerprint)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
