"""Guest orders in the aggregate: claimed once by the account of their email, the key's
hash kept only on the replayed order, and the read model's document round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from polyshop.orders import domain, guests
from polyshop.orders.domain import Order, OrderItem, fold
from polyshop.orders.errors import InvalidEmail

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def placed(user_id: str = "", guest: tuple[str, str] | None = ("gus@example.com", "h")) -> Order:
    event = domain.placed_event(
        "o1",
        user_id,
        [OrderItem("A", "p1", "Lamp", 1, Decimal("10.00"))],
        "USD",
        {"name": "Gus"},
        "pm_1",
        T0 + timedelta(minutes=15),
        guest=guest,
    )
    return fold(None, event.type, dict(event.data), 1, T0)


def test_a_guest_order_is_claimed_once_and_then_belongs_to_the_account() -> None:
    order = placed()
    [claimed] = order.claim("u9")
    assert claimed.type == domain.ORDER_CLAIMED
    after = fold(order, claimed.type, dict(claimed.data), 2, T0)
    assert after.user_id == "u9"
    assert after.guest_email == "gus@example.com"
    assert after.claim("u10") == []
    assert after.timeline[-1]["event"] == domain.ORDER_CLAIMED


def test_a_customers_order_cannot_be_claimed() -> None:
    assert placed("u1", guest=None).claim("u9") == []


def test_the_read_models_document_round_trips_without_the_keys_hash() -> None:
    order = placed()
    document = domain.document(order)
    assert document["guest_email"] == "gus@example.com"
    assert "access_key_hash" not in document
    assert domain.document(domain.from_document(document)) == document


def test_an_access_key_opens_only_its_order() -> None:
    guest, key = guests.new_guest("Gus@Example.COM")
    assert guest.email_key == "gus@example.com"
    order = placed(guest=(guest.email, guest.access_key_hash))
    assert guests.opens(order, key)
    assert not guests.opens(order, key + "x")
    assert not guests.opens(order, None)
    assert not guests.opens(placed(guest=None), key)


def test_a_guest_without_a_valid_email_is_refused() -> None:
    with pytest.raises(InvalidEmail):
        guests.new_guest("not an address")
