"""The priced cart as the API shows it, and as the cart service keeps it between calls.

A kept view is the document behind one line of the service's own, `<revision> <written>
<priced>\\n`: the cart revision it shows, a time no later than the cart's last write (so the
service can tell the cart cannot have expired meanwhile), and when its oldest catalog
figures were read (so a view patched line by line is still re-priced whole when the
`available` figures it carries reach the view's age limit). The store keeps these bytes
opaque; only the service writes and reads them, and the header never reaches a client.

An add patches the kept view instead of pricing every line again: the added line is priced
from its own fresh offer, the total and item count move by that line's change. Money in a
document is a JSON number with two decimals; it is read back as the exact `Decimal` it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from polyshop.cart import domain
from polyshop.cart.domain import CartLine, PricedCart, PricedLine
from polyshop.catalog.domain import Offer
from polyshop.values.money import to_cents

_CENT = Decimal("0.01")


def document(cart: PricedCart) -> dict[str, Any]:
    """The cart as the API shows it; money as numbers with two decimals (see API.md)."""
    return {
        "items": [item_document(item) for item in cart.items],
        "total": float(cart.total),
        "currency": cart.currency,
        "item_count": cart.item_count,
    }


def item_document(item: PricedLine) -> dict[str, Any]:
    return {
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


@dataclass(frozen=True, slots=True)
class PricedView:
    """A priced cart document, the revision it shows and the times its header keeps."""

    document: dict[str, Any]
    revision: int
    written: float  # no later than the cart's last write; 0 when unknown
    priced: float  # when its oldest catalog figures were read

    @classmethod
    def parse(cls, kept: bytes) -> PricedView | None:
        """A view as `kept` (None for one without the header, written before it existed)."""
        header, _, body = kept.partition(b"\n")
        fields = header.split()
        if len(fields) != 3 or not body:
            return None
        return cls(orjson.loads(body), int(fields[0]), float(fields[1]), float(fields[2]))

    def kept(self, body: bytes | None = None) -> bytes:
        """The bytes to keep: the header line, then the document (`body`, when made)."""
        document = self.body() if body is None else body
        return b"%d %.3f %.3f\n%b" % (self.revision, self.written, self.priced, document)

    def body(self) -> bytes:
        return orjson.dumps(self.document)

    def quantity_of(self, sku: str) -> int:
        item = self._item(sku)
        return int(item["quantity"]) if item is not None else 0

    def with_line(self, line: CartLine, offer: Offer, revision: int, written: float) -> PricedView:
        """This view with `line` (SKU, quantity, product) priced from `offer`, at `revision`.

        A line already shown keeps its price when added and its place; a new line is the
        newest, so it comes last (views list lines in the order they were added)."""
        old = self._item(line.sku)
        if old is not None:
            line = CartLine(
                line.sku,
                line.product_id,
                line.quantity,
                to_cents(money(old["price_when_added"])),
                line.added_at,
            )
        (priced,) = domain.price([line], {line.sku: offer}).items
        new = item_document(priced)
        items = [new if item is old else item for item in self.document["items"]]
        if old is None:
            items.append(new)
        total = money(self.document["total"]) + _counted(new) - _counted(old)
        count = self.document["item_count"] + _units(new) - _units(old)
        patched = {**self.document, "items": items, "total": float(total), "item_count": count}
        return PricedView(patched, revision, written, self.priced)

    def _item(self, sku: str) -> dict[str, Any] | None:
        return next((item for item in self.document["items"] if item["sku"] == sku), None)


def money(number: float) -> Decimal:
    """The exact amount a document's number was written from (at most two decimals)."""
    return Decimal(repr(number)).quantize(_CENT)


def _counted(item: dict[str, Any] | None) -> Decimal:
    return money(item["subtotal"]) if item is not None and item["purchasable"] else Decimal(0)


def _units(item: dict[str, Any] | None) -> int:
    return int(item["quantity"]) if item is not None and item["purchasable"] else 0
