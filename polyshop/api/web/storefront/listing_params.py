"""A listing's state in its query string (filters, sort, page) and the links that change it:
facet links, sort options and page links. Category and search pages share it; every link is
a plain GET, so filtering works with JavaScript off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from polyshop.api.web.storefront.catalog_view import decimal_param, page_param
from polyshop.api.web.storefront.pages import money


@dataclass(frozen=True, slots=True)
class Params:
    """What a shopper chose; unknown values fall back to the defaults, never an error page."""

    sort: str
    page: int = 1
    brand: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    q: str | None = None
    #: Search the words as typed (no typo correction).
    exact: bool = False

    @classmethod
    def of(cls, request: Request, sorts: Iterable[str], default: str) -> Params:
        query = request.query_params
        sort = query.get("sort", default)
        q = (query.get("q") or "").strip()[:200]
        return cls(
            sort=sort if sort in sorts else default,
            page=page_param(query.get("page")),
            brand=(query.get("brand") or "").strip()[:100] or None,
            min_price=decimal_param(query.get("min_price")),
            max_price=decimal_param(query.get("max_price")),
            in_stock=query.get("in_stock") == "1",
            q=q or None,
            exact=query.get("exact") == "1",
        )

    def query(self, default_sort: str, **changes: Any) -> str:
        """The query string of these choices with `changes` (page back to 1 unless given)."""
        chosen = replace(self, **{"page": 1, **changes})
        pairs = [
            ("q", chosen.q),
            ("exact", "1" if chosen.exact else None),
            ("brand", chosen.brand),
            ("min_price", chosen.min_price),
            ("max_price", chosen.max_price),
            ("in_stock", "1" if chosen.in_stock else None),
            ("sort", None if chosen.sort == default_sort else chosen.sort),
            ("page", chosen.page if chosen.page > 1 else None),
        ]
        kept = [(k, str(v)) for k, v in pairs if v is not None]
        return "?" + urlencode(kept) if kept else ""


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str
    count: int | None = None
    current: bool = False


def sort_links(path: str, params: Params, sorts: dict[str, str], default: str) -> list[Link]:
    return [
        Link(name, path + params.query(default, sort=value), current=params.sort == value)
        for value, name in sorts.items()
    ]


def brand_links(path: str, params: Params, brands: dict[str, int], default: str) -> list[Link]:
    return [
        Link(
            brand,
            path + params.query(default, brand=None if params.brand == brand else brand),
            count,
            params.brand is not None and params.brand.lower() == brand.lower(),
        )
        for brand, count in brands.items()
    ]


def price_links(
    path: str, params: Params, ranges: list[tuple[int, int | None, int]], default: str
) -> list[Link]:
    links = []
    for low, high, count in ranges:
        if not count:
            continue
        name = f"{money(low)} to {money(high)}" if high else f"{money(low)} and up"
        lo, hi = Decimal(low), (Decimal(high) - Decimal("0.01") if high else None)
        current = params.min_price == lo and params.max_price == hi
        url = params.query(default, min_price=None, max_price=None)
        if not current:
            url = params.query(default, min_price=lo, max_price=hi)
        links.append(Link(name, path + url, count, current))
    return links


def stock_link(path: str, params: Params, in_stock: int, default: str) -> Link:
    return Link(
        "In stock only",
        path + params.query(default, in_stock=not params.in_stock),
        in_stock,
        params.in_stock,
    )


@dataclass(frozen=True, slots=True)
class Pagination:
    links: list[Link]
    prev: str | None
    next: str | None


def pagination(path: str, params: Params, total: int, size: int, default: str) -> Pagination:
    """Links to the first, last and nearby pages, and rel=prev/next."""
    last = max(1, -(-total // size))
    shown = sorted({1, last, *range(max(1, params.page - 2), min(last, params.page + 2) + 1)})
    links = [
        Link(str(n), path + params.query(default, page=n), current=n == params.page) for n in shown
    ]
    prev = path + params.query(default, page=params.page - 1) if params.page > 1 else None
    nxt = path + params.query(default, page=params.page + 1) if params.page < last else None
    return Pagination(links if last > 1 else [], prev, nxt)
