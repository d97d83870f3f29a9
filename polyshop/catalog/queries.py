"""Browse and product-page queries over the product documents (read side only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, MetaData, func, select

from polyshop.catalog import domain
from polyshop.catalog.documents import define_document_tables
from polyshop.money import to_cents

# The view every generation is reached through; the same columns as the tables.
documents_view = define_document_tables(MetaData(), "")[0]


class Sort(StrEnum):
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Browse:
    category: str | None = None
    brand: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: Sort = Sort.NEWEST


def _order(sort: Sort) -> list[Any]:
    d = documents_view.c
    return {
        Sort.NEWEST: [d.created_at.desc(), d.product_id],
        Sort.PRICE_ASC: [d.price_min_cents, d.product_id],
        Sort.PRICE_DESC: [d.price_min_cents.desc(), d.product_id],
        Sort.NAME: [d.name, d.product_id],
    }[sort]


def filters(browse: Browse) -> list[Any]:
    d = documents_view.c
    where: list[Any] = [d.status == domain.ACTIVE]
    if browse.category:
        # The subtree as a key range: 'a/b' matches 'a/b' and 'a/b/...' through the index.
        subtree = (d.category > browse.category + "/") & (d.category < browse.category + "0")
        where.append((d.category == browse.category) | subtree)
    if browse.brand:
        where.append(d.brand == browse.brand)
    if browse.min_price is not None:
        where.append(d.price_max_cents >= to_cents(browse.min_price))
    if browse.max_price is not None:
        where.append(d.price_min_cents <= to_cents(browse.max_price))
    if browse.in_stock is not None:
        where.append(d.in_stock.is_(browse.in_stock))
    return where


def list_products(
    engine: Engine, browse: Browse, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = filters(browse)
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(documents_view).where(*where)
        ).scalar_one()
        rows = (
            connection.execute(
                select(documents_view.c.document)
                .where(*where)
                .order_by(*_order(browse.sort))
                .limit(limit)
                .offset(offset)
            )
            .scalars()
            .all()
        )
    return list(rows), int(total)


def get_product(engine: Engine, product_id: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        return connection.execute(
            select(documents_view.c.document).where(documents_view.c.product_id == product_id)
        ).scalar_one_or_none()
