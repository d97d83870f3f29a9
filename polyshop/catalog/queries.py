"""Browse and product-page queries over the product read model (read side only).

A page is two steps: the narrow listing gives the ids of the page (filters and order from
its indexes), then the documents of just those ids are fetched by primary key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, MetaData, case, func, select

from polyshop.catalog import domain
from polyshop.catalog.document_tables import brand_key, define_document_tables
from polyshop.values.money import to_cents

T = TypeVar("T")

# The views every generation is reached through; the same columns as the tables.
documents_view, listing_view, _ = define_document_tables(MetaData(), "")


class Sort(StrEnum):
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NAME = "name"
    POPULAR = "popular"


PRICE_SORTS = frozenset({Sort.PRICE_ASC, Sort.PRICE_DESC})


@dataclass(frozen=True, slots=True)
class Browse:
    category: str | None = None
    brand: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: Sort = Sort.NEWEST


def order_by(sort: Sort) -> list[Any]:
    """Each sort is one listing index read forwards or backwards (ties by id, the same way)."""
    listing = listing_view.c
    orders: dict[Sort, list[Any]] = {
        Sort.NEWEST: [listing.created_at.desc(), listing.product_id.desc()],
        Sort.PRICE_ASC: [listing.price_min_cents, listing.product_id],
        Sort.PRICE_DESC: [listing.price_min_cents.desc(), listing.product_id.desc()],
        Sort.NAME: [listing.name, listing.product_id],
        Sort.POPULAR: [
            listing.units_ordered.desc(),
            listing.created_at.desc(),
            listing.product_id.desc(),
        ],
    }
    return orders[sort]


def filters(browse: Browse, *, ordered: bool = False) -> list[Any]:
    """The listing conditions of `browse`; `ordered` for a query that walks the sort's index."""
    listing = listing_view.c
    where: list[Any] = [listing.status == domain.ACTIVE]
    # Every product has a listing row per category above it: a subtree is an equality.
    where.insert(0, listing.category_prefix == (f"{browse.category}/" if browse.category else ""))
    if browse.brand:  # in any letter case, as the category
        where.append(listing.brand_key == brand_key(browse.brand))
    if browse.min_price is not None:
        where.append(listing.price_max_cents >= to_cents(browse.min_price))
    if browse.max_price is not None:
        # A page not sorted by price checks the price inside its sort's index (every listing
        # index carries it) rather than range-scanning the price index: thousands of rows to
        # sort cost ~100x the ordered walk that stops after the page. `+ 0` keeps SQLite's
        # planner, which has no statistics here, off that plan. A count wants the range.
        price: ColumnElement[Any] = listing.price_min_cents
        if ordered and browse.sort not in PRICE_SORTS:
            price = price + 0
        where.append(price <= to_cents(browse.max_price))
    if browse.in_stock is not None:
        where.append(listing.in_stock == browse.in_stock)
    return where


def documents_by_id(connection: Connection, ids: list[str]) -> list[dict[str, Any]]:
    """The documents of `ids`, in that order."""
    if not ids:
        return []
    rows = connection.execute(
        select(documents_view.c.product_id, documents_view.c.document).where(
            documents_view.c.product_id.in_(ids)
        )
    ).all()
    found = dict(rows)
    return [found[i] for i in ids if i in found]


def list_products(
    engine: Engine,
    browse: Browse,
    *,
    limit: int,
    offset: int,
    known_total: int | None = None,
    reuse: Callable[[str], T | None] | None = None,
) -> tuple[list[tuple[str, dict[str, Any] | T]], int]:
    """One page of (product id, document) and the total; pass `known_total` to skip
    counting again.

    `reuse(product_id)` may supply a product already at hand (a rendered page from a
    cache) in place of its document: only the documents it lacks are fetched and decoded.
    """
    with engine.connect() as connection:
        total = known_total
        if total is None:
            total = connection.execute(
                select(func.count()).select_from(listing_view).where(*filters(browse))
            ).scalar_one()
        ids = (
            connection.execute(
                select(listing_view.c.product_id)
                .where(*filters(browse, ordered=True))
                .order_by(*order_by(browse.sort))
                .limit(limit)
                .offset(offset)
            )
            .scalars()
            .all()
        )
        at_hand = {i: found for i in ids if reuse and (found := reuse(i)) is not None}
        fetched = documents_by_id(connection, [i for i in ids if i not in at_hand])
    by_id: dict[str, dict[str, Any] | T] = {doc["id"]: doc for doc in fetched}
    by_id.update(at_hand)
    return [(i, by_id[i]) for i in ids if i in by_id], int(total)


def get_product(engine: Engine, product_id: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        return connection.execute(
            select(documents_view.c.document).where(documents_view.c.product_id == product_id)
        ).scalar_one_or_none()


def get_products(engine: Engine, product_ids: list[str]) -> list[dict[str, Any]]:
    """The documents of `product_ids` that exist, in that order, read in one query."""
    with engine.connect() as connection:
        return documents_by_id(connection, product_ids)


def product_id_with_slug(engine: Engine, slug: str) -> str | None:
    """The id of the oldest product on sale whose name slugs to `slug`: one lookup on the
    listing's slug index (a newer product with the same name never takes a slug over)."""
    listing = listing_view.c
    with engine.connect() as connection:
        return connection.execute(
            select(listing.product_id)
            .where(listing.category_prefix == "", listing.slug == slug)
            .where(listing.status == domain.ACTIVE)
            .order_by(listing.created_at, listing.product_id)
            .limit(1)
        ).scalar_one_or_none()


def category_counts(engine: Engine) -> dict[str, int]:
    """Active products per category they are filed under (not counting those below)."""
    listing = listing_view.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(listing.category, func.count())
            .where(listing.category_prefix == "", listing.status == domain.ACTIVE)
            .group_by(listing.category)
        ).all()
    return {category: int(count) for category, count in rows}


def listed_names(engine: Engine, *, limit: int, offset: int) -> list[tuple[str, str]]:
    """(product id, name) of active products in id order: the catalog read in pages."""
    listing = listing_view.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(listing.product_id, listing.name)
            .where(listing.category_prefix == "", listing.status == domain.ACTIVE)
            .order_by(listing.product_id)
            .limit(limit)
            .offset(offset)
        ).all()
    return [(product_id, name) for product_id, name in rows]


#: The price ranges a listing's facet counts products in: [from, to) in whole units.
PRICE_RANGES: tuple[tuple[int, int | None], ...] = (
    (0, 25),
    (25, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, 1000),
    (1000, None),
)


@dataclass(frozen=True, slots=True)
class ListingFacets:
    """Counts over every product a browse lists: by brand (ignoring its own brand filter),
    by price range of the cheapest variant, and those in stock."""

    brands: dict[str, int]
    price_ranges: list[tuple[int, int | None, int]]
    in_stock: int


def listing_facets(engine: Engine, browse: Browse) -> ListingFacets:
    listing = listing_view.c
    unbranded = Browse(
        browse.category, None, browse.min_price, browse.max_price, browse.in_stock, browse.sort
    )
    cents = listing.price_min_cents
    ranges = [
        func.coalesce(
            func.sum(case(((cents >= low * 100) & (cents < (high or 10**12) * 100), 1), else_=0)),
            0,
        )
        for low, high in PRICE_RANGES
    ]
    stocked = func.coalesce(func.sum(case((listing.in_stock, 1), else_=0)), 0)
    with engine.connect() as connection:
        brands = connection.execute(
            select(listing.brand, func.count())
            .where(*filters(unbranded))
            .group_by(listing.brand)
            .order_by(func.count().desc(), listing.brand)
            .limit(30)
        ).all()
        counts = connection.execute(select(*ranges, stocked).where(*filters(browse))).one()
    return ListingFacets(
        {brand: int(n) for brand, n in brands},
        [(low, high, int(n)) for (low, high), n in zip(PRICE_RANGES, counts, strict=False)],
        int(counts[-1]),
    )
