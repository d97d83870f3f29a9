"""What the catalog pages share: product and category URLs, cards, breadcrumbs, the
category navigation, and listing parameters read from a query string.

A product reaches the pages in two forms, the read model's document and the API's
`ProductOut` (a browse page); `Card` is what a listing needs of either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request

from polyshop.api.web.storefront import urls
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.api.web.storefront.pages import Visitor, storefront_of
from polyshop.container import Container

PAGE_SIZE = 24
MAX_PAGE = 400


def product_path(product_id: str, name: str) -> str:
    return urls.product_url(product_id, name)


def category_path(path: str) -> str:
    return urls.category_url(path)


def label(segment: str) -> str:
    return segment.replace("-", " ").replace("_", " ").capitalize()


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@dataclass(frozen=True, slots=True)
class Crumb:
    name: str
    url: str


def crumbs(category: str, *, last: Crumb | None = None) -> list[Crumb]:
    """Home, then each category from the top down to `category`, then `last`."""
    found = [Crumb("Home", "/")]
    segments = [s for s in category.split("/") if s]
    for depth in range(1, len(segments) + 1):
        path = "/".join(segments[:depth])
        found.append(Crumb(label(segments[depth - 1]), category_path(path)))
    return [*found, last] if last else found


def breadcrumb_ld(request: Request, trail: list[Crumb]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": c.name, "item": absolute(request, c.url)}
            for i, c in enumerate(trail, start=1)
        ],
    }


@dataclass(frozen=True, slots=True)
class Category:
    path: str
    label: str
    count: int

    @property
    def url(self) -> str:
        return category_path(self.path)


def children(container: Container, parent: str) -> list[Category]:
    """The categories right below `parent` ("" for the top), with their product counts."""
    depth = parent.count("/") + 1 if parent else 0
    prefix = f"{parent}/" if parent else ""
    return [
        Category(path, label(path.rsplit("/", 1)[-1]), count)
        for path, count in container.catalog.categories().items()
        if path.startswith(prefix) and path.count("/") == depth
    ]


def layout(container: Container) -> dict[str, Any]:
    """What the layout needs of the catalog: the top categories for its navigation."""
    return {"top_categories": children(container, "")}


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    name: str
    brand: str
    url: str
    price: Decimal
    varies: bool
    currency: str
    in_stock: bool
    thumbnail: dict[str, Any] | None


def card(product: dict[str, Any]) -> Card:
    """A listing's card of a document or a `ProductOut`."""
    low = product["price_range"]["min"] if "price_range" in product else product["price_min"]
    high = product["price_range"]["max"] if "price_range" in product else product["price_max"]
    return Card(
        id=product["id"],
        name=product["name"],
        brand=product["brand"],
        url=product_path(product["id"], product["name"]),
        price=Decimal(str(low)),
        varies=Decimal(str(low)) != Decimal(str(high)),
        currency=product["currency"],
        in_stock=bool(product["in_stock"]),
        thumbnail=product.get("thumbnail"),
    )


#: A price filter as a shopper types it: whole units and at most two decimals.
_AMOUNT = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")


def decimal_param(value: str | None) -> Decimal | None:
    """A price filter from the query string; anything but a plain amount (`25`, `19.99`)
    is ignored, so no exponent or digit of another script reaches a store."""
    if not value or not _AMOUNT.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def page_param(value: str | None) -> int:
    """A page number; anything but ASCII digits in range is the first page."""
    number = ascii_int(value, 6)
    return number if number is not None and 0 < number <= MAX_PAGE else 1


def page_html(request: Request, template: str, visitor: Visitor, **context: Any) -> bytes:
    """A catalog page rendered for `visitor`, with the layout's category navigation."""
    storefront = storefront_of(request)
    return storefront.html(
        template,
        visitor=visitor,
        request_path=request.url.path,
        **layout(storefront.container),
        **context,
    )


def cache_key(request: Request, path: str) -> str:
    """The host and the normalized path and choices a cached page is kept under."""
    return str(request.base_url).rstrip("/") + path
