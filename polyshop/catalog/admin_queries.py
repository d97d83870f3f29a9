"""The admin's product list over the product read model: every status, searchable by SKU
or name, filtered like browse, and fast with a million products.

Each part of a page is an ordered walk of one listing index that stops after the page:
the listing's indexes all start (category_prefix, status, ...), so a list of every status
walks each status's index and merges the few rows each yields; a name search is a prefix
range on the name index, tried as typed and in the usual letter cases (`cotton`,
`Cotton`, `COTTON`); a SKU is looked up by its key. Counts stop at `COUNT_CAP` (a page says
"more than 10,000"), and pages stop at `MAX_OFFSET`: past it, narrow the filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Select, func, literal, select, union_all

from polyshop.catalog import domain
from polyshop.catalog.document_tables import brand_key, define_document_tables
from polyshop.catalog.queries import documents_by_id

_, listing_view, skus_view = define_document_tables(MetaData(), "")

COUNT_CAP = 10_000
MAX_OFFSET = 10_000
STATUSES = (domain.ACTIVE, domain.DISCONTINUED)
#: Above every character a name can hold: `name < prefix + _TOP` bounds a prefix range.
_TOP = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class AdminFilter:
    """`text`: a SKU or the start of a name; `status` None: every status."""

    text: str = ""
    category: str | None = None
    brand: str | None = None
    status: str | None = None
    in_stock: bool | None = None


@dataclass(frozen=True, slots=True)
class AdminPage:
    """Documents in order (newest first, or by name for a name search), and how many match
    (`capped`: at least `total`, counting stopped there)."""

    documents: list[dict[str, Any]]
    total: int
    capped: bool


def _conditions(where: AdminFilter, status: str) -> list[Any]:
    listing = listing_view.c
    conditions: list[Any] = [
        listing.category_prefix == (f"{where.category}/" if where.category else ""),
        listing.status == status,
    ]
    if where.brand:
        conditions.append(listing.brand_key == brand_key(where.brand))
    if where.in_stock is not None:
        conditions.append(listing.in_stock == where.in_stock)
    return conditions


def _spellings(text: str) -> list[str]:
    """The letter cases a name may start with, as typed first, without repeats."""
    forms = [text, text.lower(), text.capitalize(), text.title(), text.upper()]
    return list(dict.fromkeys(forms))


def _walks(where: AdminFilter, depth: int) -> tuple[list[Select[Any]], list[str]]:
    """One bounded, ordered index walk per status (and per spelling of a name), and the
    column the merged rows are ordered by."""
    listing = listing_view.c
    statuses = [where.status] if where.status else list(STATUSES)
    walks = []
    text = where.text.strip()
    for status in statuses:
        if not text:
            walks.append(
                select(listing.product_id, listing.created_at.label("sort_key"))
                .where(*_conditions(where, status))
                .order_by(listing.created_at.desc(), listing.product_id.desc())
                .limit(depth)
            )
            continue
        for prefix in _spellings(text):
            walks.append(
                select(listing.product_id, listing.name.label("sort_key"))
                .where(
                    *_conditions(where, status),
                    listing.name >= prefix,
                    listing.name < prefix + _TOP,
                    func.substr(listing.name, 1, len(prefix)) == prefix,
                )
                .order_by(listing.name, listing.product_id)
                .limit(depth)
            )
    return walks, ["desc"] if not text else ["asc"]


def admin_products(engine: Engine, where: AdminFilter, *, limit: int, offset: int) -> AdminPage:
    """One page of the admin's list; a SKU typed whole puts its product first."""
    offset = min(offset, MAX_OFFSET)
    with engine.connect() as connection:
        sku_owner = _sku_owner(connection, where) if offset == 0 else None
        walks, (direction,) = _walks(where, offset + limit)
        merged = _merged(walks)
        key = merged.c.sort_key.desc() if direction == "desc" else merged.c.sort_key
        tie = merged.c.product_id.desc() if direction == "desc" else merged.c.product_id
        ids = list(
            dict.fromkeys(
                connection.execute(
                    select(merged.c.product_id).order_by(key, tie).limit(offset + limit * 2)
                ).scalars()
            )
        )[offset : offset + limit]
        total, capped = _count(connection, walks)
        if sku_owner is not None and sku_owner not in ids:
            ids = [sku_owner, *ids][:limit]
            total += 0 if capped or _found_by(connection, walks, sku_owner) else 1
        elif sku_owner is not None:
            ids = [sku_owner, *(i for i in ids if i != sku_owner)]
        documents = documents_by_id(connection, ids)
    return AdminPage(documents, total, capped)


def _merged(walks: list[Select[Any]]) -> Any:
    """The walks' rows together; each walk kept whole (its own order and limit) inside a
    subquery, which SQLite requires of a compound select's parts."""
    if len(walks) == 1:
        return walks[0].subquery()
    parts = [select(*walk.subquery().c) for walk in walks]
    return union_all(*parts).subquery()


def _count(connection: Connection, walks: list[Select[Any]]) -> tuple[int, bool]:
    """How many rows the walks find together, counting at most COUNT_CAP (+1 to know)."""
    merged = _merged([walk.limit(COUNT_CAP + 1).order_by(None) for walk in walks])
    distinct = select(merged.c.product_id).distinct().subquery()
    found = int(connection.execute(select(func.count()).select_from(distinct)).scalar_one())
    return min(found, COUNT_CAP), found > COUNT_CAP


def _found_by(connection: Connection, walks: list[Select[Any]], product_id: str) -> bool:
    """Whether the walks find `product_id` themselves (its name matches too, beyond the
    page): then the count holds it already, and the SKU's product is not counted twice."""
    own = [walk.where(listing_view.c.product_id == product_id).limit(1) for walk in walks]
    found = connection.execute(select(_merged(own).c.product_id).limit(1)).first()
    return found is not None


def _sku_owner(connection: Connection, where: AdminFilter) -> str | None:
    """The product whose SKU is `where.text` (any letter case), when it passes the other
    filters; None when the text is not a SKU of the catalog."""
    text = where.text.strip()
    if not text:
        return None
    try:
        sku = domain.normalize_sku(text)
    except domain.CatalogError:
        return None
    owner = connection.execute(
        select(skus_view.c.product_id).where(skus_view.c.sku == sku)
    ).scalar_one_or_none()
    if owner is None:
        return None
    listing = listing_view.c
    statuses = [where.status] if where.status else list(STATUSES)
    passes = connection.execute(
        select(literal(1))
        .select_from(listing_view)
        .where(
            listing.product_id == owner,
            listing.status.in_(statuses),
            *_conditions(where, statuses[0])[:1],
            *_conditions(where, statuses[0])[2:],
        )
    ).first()
    return owner if passes is not None else None


def sku_owners(engine: Engine, skus: list[str]) -> dict[str, str]:
    """The products (by id) that already have any of `skus`, as the read model knows."""
    if not skus:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(skus_view.c.sku, skus_view.c.product_id).where(skus_view.c.sku.in_(skus))
        ).all()
    return {str(sku): str(product_id) for sku, product_id in rows}
