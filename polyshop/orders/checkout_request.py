"""What one checkout asks and answers, apart from how it is placed: the request as its batch
and its screening see it, the answer kept under the idempotency key, and the scopes keys live
in (a user, or a guest's session)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from polyshop.catalog.domain import Offer
from polyshop.eventstore.events import EventMetadata
from polyshop.orders.errors import CartAlreadyOrdered, KeyReused, NotOrderable, TooLarge

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
class CheckoutRequest:
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


def replayed(row: Any, fingerprint: str) -> Placed | Exception:
    if row.request_hash != fingerprint:
        return KeyReused()
    return Placed(row.status_code, dict(row.response), replayed=True)


def settled(
    request: CheckoutRequest,
    earlier: Mapping[tuple[str, str], Any],
    ordered: Mapping[str, str],
    offers: Mapping[str, Offer],
) -> Placed | Exception | None:
    """The request's answer before any stock is looked at, from what was read for it: the
    answer kept under its key (or `KeyReused` for another body), its cart ordered already,
    a line no longer sold, or a total too large; None when only its stock can refuse it.
    The transaction and the screening both ask this, so both answer alike."""
    answered = earlier.get((request.scope, request.key))
    if answered is not None:
        return replayed(answered, request.fingerprint)
    if request.cart_id in ordered:
        return CartAlreadyOrdered(ordered[request.cart_id])
    lines = request.lines
    unsold = sorted(sku for sku in lines if sku not in offers or not offers[sku].active)
    if unsold:
        return NotOrderable(unsold)
    total = sum((offers[sku].unit_price * quantity for sku, quantity in lines.items()), Decimal(0))
    if total >= MAX_TOTAL:
        return TooLarge(total)
    return None
