"""Relay-style connections over the catalog's pages: browse listings and search results.

A cursor names a place in the answer's order (opaque to clients: base64 of `offset:N`);
`after` starts the page just past it. The pages beneath are the same offset pages REST's
`page`/`limit` read, so both faces list the same products in the same order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import strawberry
from strawberry.relay import PageInfo

from polyshop.api.graphql.catalog_types import Product, amount
from polyshop.api.rest.problems import unprocessable
from polyshop.search.ports import Facets

#: The most products one page may hold (REST's `limit` allows as many).
MAX_FIRST = 100
#: The furthest cursor a client may hold: REST's last page (page 1,000,000 of 100).
MAX_OFFSET = 100_000_000
_PREFIX = "offset:"


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


@dataclass(frozen=True, slots=True)
class Window:
    """Where a page starts and how many it holds, from `first` and `after`."""

    offset: int
    limit: int


def checked_first(first: int) -> int:
    """A connection's page size, 1 to MAX_FIRST (REST's `limit`), else a 422 naming it."""
    if not 1 <= first <= MAX_FIRST:
        raise unprocessable("first", f"must be between 1 and {MAX_FIRST}")
    return first


def window(first: int, after: str | None) -> Window:
    """`first`/`after` checked: a 422 names the argument, never an error past it."""
    checked_first(first)
    if after is None:
        return Window(0, first)
    try:
        text = base64.urlsafe_b64decode(after.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    place = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not place.isascii() or not place.isdigit():
        raise unprocessable("after", "not a cursor this API gave")
    offset = int(place[:12]) + 1 if len(place) <= 12 else MAX_OFFSET + 1
    if offset > MAX_OFFSET:
        raise unprocessable("after", "past the last page a listing serves")
    return Window(offset, first)


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


def edges_of(documents: Sequence[dict[str, Any]], at: Window) -> list[ProductEdge]:
    return [
        ProductEdge(cursor=cursor(at.offset + i), node=Product.of(doc))
        for i, doc in enumerate(documents)
    ]


class Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info(edges: Sequence[Edge], offset: int, total: int) -> PageInfo:
    """Where a page of `total` items, starting at `offset`, stands (every connection's)."""
    return PageInfo(
        has_next_page=offset + len(edges) < total,
        has_previous_page=offset > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


@strawberry.type(description="A page of the browse listing, in the order asked for.")
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Products listed, on every page together.")

    @classmethod
    def of(cls, documents: Sequence[dict[str, Any]], at: Window, total: int) -> ProductConnection:
        edges = edges_of(documents, at)
        return cls(edges=edges, page_info=page_info(edges, at.offset, total), total_count=total)


@strawberry.type(description="How many matching products carry a value.")
class FacetCount:
    value: str
    count: int


@strawberry.type(description="A bucket of the price facet, by each product's base price.")
class PriceBucket:
    low: float = strawberry.field(name="from", description="Lowest price in the bucket.")
    high: float | None = strawberry.field(
        name="to", description="The price the bucket stops below; null: no upper end."
    )
    count: int


@strawberry.type(description="Counts over every match of the query and filters.")
class SearchFacets:
    brands: list[FacetCount]
    categories: list[FacetCount]
    price_ranges: list[PriceBucket]

    @classmethod
    def of(cls, facets: Facets) -> SearchFacets:
        return cls(
            brands=[FacetCount(value=k, count=n) for k, n in facets.brands.items()],
            categories=[FacetCount(value=k, count=n) for k, n in facets.categories.items()],
            price_ranges=[
                PriceBucket(
                    low=amount(str(b.low)),
                    high=None if b.high is None else amount(str(b.high)),
                    count=b.count,
                )
                for b in facets.price_ranges
            ],
        )


@strawberry.type(description="A page of search results (best first, or in the sort asked).")
class SearchConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches, on every page together.")
    facets: SearchFacets
    corrected_query: str | None = strawberry.field(
        description="The words searched for when a typo in `query` was corrected (each "
        "word as the catalog has it); null when it was searched as typed. Ask again with "
        "`exact: true` to search the words as typed."
    )
    corrected: str | None = strawberry.field(
        deprecation_reason="Renamed `correctedQuery`, as REST names it `corrected_query`."
    )
