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

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
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
from polyshop.orders.domain import OrderItem
from polyshop.orders.errors import CartAlreadyOrdered, EmptyCart, KeyReused, NotOrderable, TooLarge
from polyshop.runtime import correlation
from polyshop.runtime.group_commit import GroupCommit
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id

log = structlog.get_logger(__name__)

#: Money amounts are kept under 10^8 everywhere (see `money`); an order is no exception.
MAX_TOTAL = Decimal("100000000")


@dataclass(frozen=True, slots=True)
class Placed:
    status_code: int
    response: dict[str, Any]
    replayed: bool


def request_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class Guest:
    """A guest's checkout: the email as given, its key (`accounts.domain.normalize_email`)
    and the hash of the order's access key."""

    email: str
    email_key: str
    access_key_hash: str


def guest_scope(cart_owner: str) -> str:
    """The idempotency scope of a guest's checkouts: its session (36 characters at most)."""
    return "g" + hashlib.sha256(cart_owner.encode()).hexdigest()[:35]


@dataclass(frozen=True, slots=True)
class _Request:
    """One order to place, as its batch sees it: the cart read and the caller's context."""

    user_id: str
    cart_owner: str
    cart_id: str
    key: str
    #: Whose keys these are: the user, or for a guest (no user) its session's cart.
    scope: str
    fingerprint: str
    lines: dict[str, int]
    body: Mapping[str, Any]
    #: The placing request's correlation, actor and key, for every event the order writes.
    metadata: EventMetadata
    guest: Guest | None = None


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
        media_url: MediaUrl = media_path,
    ) -> None:
        """`primary` reads the write database outside any transaction, never a replica: the
        answer or order a refused checkout looks for committed a moment ago."""
        self._store = store
        self._primary = primary
        self._carts = carts
        self._hold = hold
        self._media_url = media_url
        # Two checkouts of one cart never share a transaction: the later one must see the
        # earlier one's order (and its retry, with the same key, the earlier answer).
        self._batches: GroupCommit[_Request, Placed] = GroupCommit(
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
        """`user_id` "" with `guest`: a guest's order, owned by nobody until claimed."""
        fingerprint = request_hash(body)
        scope = user_id or guest_scope(cart_owner)
        try:
            cart = self._carts.snapshot(cart_owner)
            lines = {line.sku: line.quantity for line in cart.lines}
            if not lines:
                raise EmptyCart
            placed = self._batches.submit(
                _Request(
                    user_id,
                    cart_owner,
                    cart.cart_id,
                    key,
                    scope,
                    fingerprint,
                    lines,
                    body,
                    EventMetadata(
                        correlation_id=correlation.correlation_id.get(),
                        actor=f"user:{user_id}" if user_id else "guest",
                        idempotency_key=key,
                    ),
                    guest,
                )
            )
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
        return placed

    def _place_batch(self, requests: Sequence[_Request]) -> list[Placed | Exception]:
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
            if not accepted:
                return outcomes
            _record(uow, requests, accepted, now, outcomes)
        self._empty_carts(requests, accepted)
        return outcomes

    def _empty_carts(self, requests: Sequence[_Request], accepted: Sequence[_Draft]) -> None:
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


def _drafts(
    connection: Any,
    requests: Sequence[_Request],
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
        answered = earlier.get((request.scope, request.key))
        if answered is not None:
            outcomes[i] = _replayed(answered, request.fingerprint)
            continue
        if request.cart_id in ordered:
            outcomes[i] = CartAlreadyOrdered(ordered[request.cart_id])
            continue
        try:
            drafts.append(_draft(i, request, offers, hold_until))
        except (NotOrderable, TooLarge) as refusal:
            outcomes[i] = refusal
    return drafts


def _record(
    uow: UnitOfWork,
    requests: Sequence[_Request],
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
    requests: Sequence[_Request], accepted: Sequence[_Draft], now: datetime
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
    index: int, request: _Request, offers: Mapping[str, Offer], hold_until: datetime
) -> _Draft:
    """The request as an order priced from the catalog; refuse what cannot be sold."""
    lines = request.lines
    refused = sorted(s for s in lines if s not in offers or not offers[s].active)
    if refused:
        raise NotOrderable(refused)
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
    if (total := Decimal(placed.data["total"])) >= MAX_TOTAL:
        raise TooLarge(total)
    return _Draft(index, order_id, items, placed, request.metadata)


def _replayed(row: Any, fingerprint: str) -> Placed | Exception:
    if row.request_hash != fingerprint:
        return KeyReused()
    return Placed(row.status_code, dict(row.response), replayed=True)


def _order_of_cart(primary: Engine, cart_id: str) -> str | None:
    return sql_checkout.order_of_cart(primary, cart_id)


def _earlier_answer(primary: Engine, user_id: str, key: str, fingerprint: str) -> Placed | None:
    row = sql_checkout.earlier_answer(primary, user_id, key)
    if row is None:
        return None
    outcome = _replayed(row, fingerprint)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
