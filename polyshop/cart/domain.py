"""Cart rules, free of storage: quantity bounds, pricing a cart, merging a guest cart.

A line remembers the price it was added at only to tell the shopper it changed; what the
cart costs is always today's catalog price, summed in `Decimal`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from polyshop.catalog.domain import CURRENCY, Offer
from polyshop.values.money import from_cents

MAX_QUANTITY = 99
#: Different items (lines) one cart may hold, unless the shop sets another limit.
MAX_LINES = 250


class CartError(ValueError):
    """A cart rule was broken; `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


class NotForSale(Exception):
    def __init__(self, sku: str, reason: str) -> None:
        self.sku = sku
        super().__init__(reason)


class NotEnoughStock(Exception):
    """The soft check at add time: checkout does the hard one, under a lock."""

    def __init__(self, sku: str, available: int, wanted: int) -> None:
        self.sku = sku
        self.available = available
        super().__init__(
            f"only {available} of {sku} available, {wanted} wanted"
            if available
            else f"{sku} is out of stock"
        )


class QuantityLimit(Exception):
    def __init__(self, sku: str, current: int) -> None:
        self.sku = sku
        self.current = current
        super().__init__(
            f"at most {MAX_QUANTITY} of one SKU per cart; {current} of {sku} already in it"
        )


class CartFull(Exception):
    """A new line would take the cart past its number of lines (a setting): nothing changed."""

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        super().__init__(
            f"a cart holds at most {max_lines} different items; remove one to add another"
        )


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    product_id: str
    quantity: int
    unit_price_cents: int  # when first added
    added_at: float  # epoch seconds


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError("quantity", f"must be between 1 and {MAX_QUANTITY}")
    return quantity


def check_offer(sku: str, offer: Offer | None, wanted: int) -> Offer:
    if offer is None:
        raise NotForSale(sku, f"no product has SKU {sku}")
    if not offer.active:
        raise NotForSale(sku, f"{sku} ({offer.name}) is no longer sold")
    if offer.available < wanted:
        raise NotEnoughStock(sku, offer.available, wanted)
    return offer


@dataclass(frozen=True, slots=True)
class PricedLine:
    product_id: str
    sku: str
    name: str
    quantity: int
    price: Decimal
    subtotal: Decimal
    available: int
    price_when_added: Decimal
    price_changed: bool
    purchasable: bool
    notice: str | None
    size: str | None
    color: str | None
    image: str | None


@dataclass(frozen=True, slots=True)
class PricedCart:
    items: tuple[PricedLine, ...]
    total: Decimal
    currency: str
    item_count: int


def price(lines: Iterable[CartLine], offers: Mapping[str, Offer]) -> PricedCart:
    """Price every line at today's price; lines that cannot be bought do not count."""
    items: list[PricedLine] = []
    for line in sorted(lines, key=lambda entry: entry.added_at):
        offer = offers.get(line.sku)
        then = from_cents(line.unit_price_cents)
        if offer is None:
            items.append(_gone(line, then))
            continue
        notice = None
        if not offer.active:
            notice = "This product is no longer sold."
        elif offer.available == 0:
            notice = "Out of stock."
        elif offer.available < line.quantity:
            notice = f"Only {offer.available} available."
        elif offer.unit_price != then:
            notice = f"The price changed from {then} to {offer.unit_price}."
        items.append(
            PricedLine(
                product_id=line.product_id,
                sku=line.sku,
                name=offer.name,
                quantity=line.quantity,
                price=offer.unit_price,
                subtotal=offer.unit_price * line.quantity,
                available=offer.available,
                price_when_added=then,
                price_changed=offer.unit_price != then,
                purchasable=offer.active,
                notice=notice,
                size=offer.size,
                color=offer.color,
                image=offer.image,
            )
        )
    counted = [i for i in items if i.purchasable]
    return PricedCart(
        items=tuple(items),
        total=sum((i.subtotal for i in counted), Decimal("0.00")),
        currency=CURRENCY,
        item_count=sum(i.quantity for i in counted),
    )


def _gone(line: CartLine, then: Decimal) -> PricedLine:
    return PricedLine(
        product_id=line.product_id,
        sku=line.sku,
        name="",
        quantity=line.quantity,
        price=then,
        subtotal=Decimal("0.00"),
        available=0,
        price_when_added=then,
        price_changed=False,
        purchasable=False,
        notice="This product is no longer in the catalog.",
        size=None,
        color=None,
        image=None,
    )


def merged(
    own: Iterable[CartLine],
    guest: Iterable[CartLine],
    offers: Mapping[str, Offer],
    max_lines: int = MAX_LINES,
) -> list[CartLine]:
    """The user's lines after adding a guest cart's: quantities summed, capped by what is
    available (never cutting what the user already had) and by the per-line limit.

    Guest lines that cannot be bought at all are dropped. The cart never passes `max_lines`
    lines: the user's own lines all stay, guest units of SKUs the user holds always join
    them, and guest lines of other SKUs come in the order the guest added them, while
    there is room; the newer ones past the limit are left out.
    """
    mine = {line.sku: line for line in own}
    room = max_lines - len(mine)
    result: list[CartLine] = []
    for line in sorted(guest, key=lambda entry: entry.added_at):
        offer = offers.get(line.sku)
        if offer is None or not offer.active:
            continue
        existing = mine.get(line.sku)
        have = existing.quantity if existing else 0
        cap = min(MAX_QUANTITY, max(offer.available, have))
        quantity = min(have + line.quantity, cap)
        if quantity <= have:
            continue
        if existing is None:
            if room <= 0:
                continue
            room -= 1
        base = existing or line
        result.append(
            CartLine(base.sku, base.product_id, quantity, base.unit_price_cents, base.added_at)
        )
    return result
