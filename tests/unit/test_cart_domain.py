"""Cart rules: pricing at today's prices in Decimal, notices, quantity bounds, merging, and
patching a priced view with one line as pricing the whole cart would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polyshop.cart import domain
from polyshop.cart.domain import CartError, CartLine, NotEnoughStock, NotForSale
from polyshop.cart.views import PricedView, document, money
from polyshop.catalog.domain import Offer
from polyshop.values.money import to_cents


def offer(sku: str, price: str, available: int = 10, *, active: bool = True) -> Offer:
    return Offer(sku, f"p-{sku}", f"Product {sku}", Decimal(price), "USD", active, available)


def line(sku: str, quantity: int, cents: int, at: float = 0.0) -> CartLine:
    return CartLine(sku, f"p-{sku}", quantity, cents, at)


def test_totals_are_exact_decimals_at_todays_prices() -> None:
    cart = domain.price(
        [line("A", 3, 10, at=1), line("B", 1, 20, at=2)],
        {"A": offer("A", "0.10"), "B": offer("B", "0.20")},
    )
    assert cart.total == Decimal("0.50")
    assert [(item.sku, item.subtotal) for item in cart.items] == [
        ("A", Decimal("0.30")),
        ("B", Decimal("0.20")),
    ]
    assert cart.item_count == 4


def test_a_changed_price_is_charged_and_said() -> None:
    (item,) = domain.price([line("A", 2, 1999)], {"A": offer("A", "17.99")}).items
    assert item.price == Decimal("17.99")
    assert item.price_when_added == Decimal("19.99")
    assert item.price_changed
    assert item.notice == "The price changed from 19.99 to 17.99."


def test_lines_that_cannot_be_bought_say_why_and_do_not_count() -> None:
    cart = domain.price(
        [line("GONE", 1, 500, at=1), line("OLD", 1, 500, at=2), line("LOW", 5, 500, at=3)],
        {"OLD": offer("OLD", "5.00", active=False), "LOW": offer("LOW", "5.00", available=2)},
    )
    gone, old, low = cart.items
    assert not gone.purchasable
    assert "no longer in the catalog" in (gone.notice or "")
    assert not old.purchasable
    assert "no longer sold" in (old.notice or "")
    assert low.purchasable
    assert low.notice == "Only 2 available."
    assert cart.total == Decimal("25.00")


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**9])
def test_quantities_must_be_1_to_99(quantity: int) -> None:
    with pytest.raises(CartError) as refused:
        domain.check_quantity(quantity)
    assert refused.value.field == "quantity"


def test_the_soft_availability_check() -> None:
    domain.check_offer("A", offer("A", "1.00", available=3), 3)
    with pytest.raises(NotEnoughStock, match="only 3 of A available"):
        domain.check_offer("A", offer("A", "1.00", available=3), 4)
    with pytest.raises(NotForSale):
        domain.check_offer("A", None, 1)
    with pytest.raises(NotForSale, match="no longer sold"):
        domain.check_offer("A", offer("A", "1.00", active=False), 1)


def test_merging_adds_quantities_capped_by_availability() -> None:
    own = [line("A", 2, 100), line("B", 4, 100)]
    guest = [line("A", 3, 120), line("B", 5, 100), line("C", 1, 100), line("D", 1, 100)]
    offers = {
        "A": offer("A", "1.00", available=50),
        "B": offer("B", "1.00", available=3),  # less than the user already holds
        "C": offer("C", "1.00", available=1),
        "D": offer("D", "1.00", active=False),
    }
    merged = {entry.sku: entry for entry in domain.merged(own, guest, offers)}
    assert merged["A"].quantity == 5
    assert merged["A"].unit_price_cents == 100  # the user's line keeps its own history
    assert "B" not in merged  # already at or above what is available: left as it was
    assert merged["C"].quantity == 1
    assert "D" not in merged


def test_merging_never_exceeds_the_line_limit() -> None:
    merged = domain.merged(
        [line("A", 60, 100)], [line("A", 60, 100)], {"A": offer("A", "1.00", available=500)}
    )
    assert merged[0].quantity == domain.MAX_QUANTITY


def test_merging_stops_at_the_number_of_lines_keeping_the_guests_first_choices() -> None:
    own = [line("A", 1, 100, at=1), line("B", 1, 100, at=2)]
    guest = [
        line("NEWEST", 1, 100, at=40),
        line("A", 2, 100, at=30),  # the user holds A: joins it whatever the room
        line("FIRST", 1, 100, at=10),
        line("GONE", 1, 100, at=5),  # cannot be bought: takes no room
        line("SECOND", 1, 100, at=20),
    ]
    offers = {sku: offer(sku, "1.00") for sku in ("A", "B", "FIRST", "SECOND", "NEWEST")}
    merged = domain.merged(own, guest, offers, max_lines=4)
    assert [(entry.sku, entry.quantity) for entry in merged] == [
        ("FIRST", 1),
        ("SECOND", 1),
        ("A", 3),
    ]


def test_merging_into_a_full_cart_only_adds_to_its_lines() -> None:
    own = [line("A", 1, 100), line("B", 1, 100)]
    guest = [line("C", 1, 100), line("B", 4, 100)]
    offers = {sku: offer(sku, "1.00") for sku in "ABC"}
    merged = domain.merged(own, guest, offers, max_lines=2)
    assert [(entry.sku, entry.quantity) for entry in merged] == [("B", 5)]


@pytest.mark.parametrize(
    ("sku", "quantity", "price"),
    [
        ("B", 2, "0.20"),  # more of a line: its place and price when added stay
        ("B", 1, "0.30"),  # a line whose price changed since it was added
        ("D", 3, "0.10"),  # a new line, the newest
    ],
)
def test_patching_a_priced_view_gives_what_pricing_the_whole_cart_gives(
    sku: str, quantity: int, price: str
) -> None:
    lines = [line("A", 3, 10, at=1), line("B", 1, 20, at=2), line("C", 1, 500, at=3)]
    offers = {
        "A": offer("A", "0.10"),
        "B": offer("B", "0.20"),
        "C": offer("C", "5.00", active=False),  # shown, not counted
        "D": offer("D", "0.10"),
    }
    view = PricedView(document(domain.price(lines, offers)), 7, 3.0, 100.0)
    added = offer(sku, price)
    have = view.quantity_of(sku)
    held = CartLine(sku, f"p-{sku}", have + quantity, to_cents(added.unit_price), 9.0)
    patched = view.with_line(held, added, 8, 9.0)

    before = {entry.sku: entry for entry in lines}
    whole = [entry for entry in lines if entry.sku != sku]
    kept = before.get(sku, held)
    whole.append(CartLine(sku, kept.product_id, have + quantity, kept.unit_price_cents, 9.0))
    expected = document(domain.price(whole, {**offers, sku: added}))
    assert sorted(patched.document["items"], key=lambda i: i["sku"]) == sorted(
        expected["items"], key=lambda i: i["sku"]
    )
    assert (patched.document["total"], patched.document["item_count"]) == (
        expected["total"],
        expected["item_count"],
    )
    assert [item["sku"] for item in patched.document["items"]][-1:] == (
        [sku] if sku == "D" else ["C"]
    )
    assert (patched.revision, patched.written, patched.priced) == (8, 9.0, 100.0)


def test_a_kept_view_reads_back_as_kept_and_its_money_exactly() -> None:
    cart = domain.price([line("A", 3, 10)], {"A": offer("A", "0.10")})
    view = PricedView(document(cart), 12, 1.5, 2.25)
    assert PricedView.parse(view.kept()) == view
    assert PricedView.parse(view.body()) is None  # a view kept before views had a header
    assert money(view.document["total"]) == Decimal("0.30")
