"""The product read model: one denormalized document per product, kept by a projection.

Browse and product pages read only this table (through indexes on the filter and sort
columns); the document is what the API returns, so a page is one indexed read. Catalog
events shape the document; inventory events carry each SKU's resulting availability.
The tables themselves, and the listing rows a document becomes, are in `document_tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from polyshop.catalog import domain, image_documents, images, slugs
from polyshop.catalog.document_tables import (
    DOCUMENTS,
    LISTING,
    SKUS,
    define_document_tables,
    listing_rows,
)
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import (
    SqlTableProjection,
    bulk_insert,
    bulk_upsert,
)
from polyshop.inventory import stock as inventory

CATALOG_EVENTS = {
    domain.PRODUCT_CREATED,
    domain.PRODUCT_UPDATED,
    domain.PRICE_CHANGED,
    domain.VARIANT_ADDED,
    domain.PRODUCT_DISCONTINUED,
    *images.IMAGE_EVENTS,
}
STOCK_EVENTS = {
    inventory.STOCK_ADJUSTED,
    inventory.STOCK_RESERVED,
    inventory.RESERVATION_COMMITTED,
    inventory.RESERVATION_RELEASED,
}


class ProductDocumentProjection(SqlTableProjection):
    name = "product_documents"
    # 8: listing's brand_key; 9: without search's rows; 10: images as objects, thumbnail;
    # 11: listing's slug
    version = 11
    event_types = frozenset(CATALOG_EVENTS | STOCK_EVENTS)

    def __init__(self, media_url: MediaUrl = media_path) -> None:
        super().__init__()
        self._media_url = media_url

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return define_document_tables(metadata, suffix)

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        tables = self.tables(generation)
        docs: dict[str, dict[str, Any]] = {}
        sku_owner: dict[str, str] = {}
        units = self._preload(connection, tables, events, docs, sku_owner)
        fold(events, docs, sku_owner, self._media_url)
        # Not in `fold`: a count moves by increments, which only this transactional
        # projection applies exactly once (an external index may replay a suffix).
        for product_id, change in units_ordered(events, sku_owner).items():
            units[product_id] = units.get(product_id, 0) + change
        bulk_upsert(
            connection,
            tables[DOCUMENTS],
            [
                {"product_id": d["id"], "document": d, "units_ordered": units.get(d["id"], 0)}
                for d in docs.values()
            ],
            key=["product_id"],
            assignments={
                "document": "excluded.document",
                "units_ordered": "excluded.units_ordered",
            },
        )
        listing = tables[LISTING]
        if docs:  # a product may have moved category: replace all its listing rows
            connection.execute(listing.delete().where(listing.c.product_id.in_(sorted(docs))))
            bulk_insert(
                connection,
                listing,
                [row for d in docs.values() for row in listing_rows(d, units.get(d["id"], 0))],
            )
        bulk_upsert(
            connection,
            tables[SKUS],
            [{"sku": s, "product_id": p} for s, p in sku_owner.items()],
            key=["sku"],
            assignments={"product_id": "excluded.product_id"},
        )

    def adapt_older(self, generation: int, version: int, connection: Any) -> None:
        """Let an older generation's listing serve this code's queries until the rebuild
        swaps in: computed stand-ins for the columns it lacks (brand_key from SQL lower,
        ASCII only in SQLite; no slug, so slug lookups find nothing for that while)."""
        if version > 10:
            return
        listing = self.tables(generation)[LISTING].name
        present = {c["name"] for c in inspect(connection).get_columns(listing)}
        missing = {
            "brand_key": "lower(brand) AS brand_key",
            "slug": f"CAST(NULL AS VARCHAR({slugs.MAX_SLUG})) AS slug",
        }
        added = [sql for column, sql in missing.items() if column not in present]
        if added:
            connection.exec_driver_sql(f"DROP VIEW IF EXISTS {LISTING}")
            connection.exec_driver_sql(
                f"CREATE VIEW {LISTING} AS SELECT *, {', '.join(added)} FROM {listing}"
            )

    @staticmethod
    def _preload(
        connection: Connection,
        tables: dict[str, Table],
        events: Sequence[RecordedEvent],
        docs: dict[str, dict[str, Any]],
        sku_owner: dict[str, str],
    ) -> dict[str, int]:
        """Load, in two queries, every existing document the batch touches; return their
        units ordered."""
        skus = {e.data["sku"] for e in events if e.type in STOCK_EVENTS}
        if skus:
            rows = connection.execute(
                select(tables[SKUS]).where(tables[SKUS].c.sku.in_(sorted(skus)))
            ).all()
            sku_owner.update({r.sku: r.product_id for r in rows})
        product_ids = {e.data["product_id"] for e in events if e.type in CATALOG_EVENTS}
        product_ids |= set(sku_owner.values())
        if not product_ids:
            return {}
        table = tables[DOCUMENTS]
        rows = connection.execute(
            select(table.c.product_id, table.c.document, table.c.units_ordered).where(
                table.c.product_id.in_(sorted(product_ids))
            )
        ).all()
        docs.update({r.product_id: r.document for r in rows})
        return {r.product_id: r.units_ordered for r in rows}


def units_ordered(events: Sequence[RecordedEvent], sku_owner: dict[str, str]) -> dict[str, int]:
    """How the units ordered of each product move over `events`."""
    change: dict[str, int] = {}
    for event in events:
        if units := units_ordered_change(event):
            owner = sku_owner.get(event.data["sku"])
            if owner is not None:
                change[owner] = change.get(owner, 0) + units
    return change


def relists(event: RecordedEvent) -> bool:
    """Whether the event may change which products a browse lists, its totals, or its order
    (other than `popular`'s). A catalog change may; a stock change only when it takes a SKU
    to or from zero available, since `in_stock` is the one stock fact listings filter on."""
    if event.type in CATALOG_EVENTS:
        return True
    data = event.data
    if event.type == inventory.STOCK_RESERVED:
        moved = -data["quantity"]
    elif event.type == inventory.RESERVATION_RELEASED:
        moved = data["quantity"]
    elif event.type == inventory.STOCK_ADJUSTED:
        moved = data["delta"]
    else:  # committed: reserved units leave the shelf; what is available stays
        moved = 0
    after = data["available"]
    return (after - moved > 0) != (after > 0)


def units_ordered_change(event: RecordedEvent) -> int:
    """How an event moves its SKU's units ordered: what `popular` sorts by.

    Read from stock, not orders: a reservation is an order's units, a release gives back
    those of an order cancelled before it was paid (or expired), and a restock returns
    those of a paid order cancelled or refunded. Orders not yet paid count, so a flash sale
    shows at once; one left unpaid stops counting when its hold expires.
    """
    data = event.data
    if event.type == inventory.STOCK_RESERVED:
        return int(data["quantity"])
    if event.type == inventory.RESERVATION_RELEASED:
        return -int(data["quantity"])
    if event.type == inventory.STOCK_ADJUSTED and data["returned"]:
        return -int(data["delta"])
    return 0


def fold(
    events: Sequence[RecordedEvent],
    docs: dict[str, dict[str, Any]],
    sku_owner: dict[str, str],
    media_url: MediaUrl = media_path,
) -> None:
    """Apply events to the documents they touch (loaded into `docs` beforehand).

    Replaying a suffix of events already applied gives the same documents: every change
    sets absolute values, and adding a variant twice adds it once. External indexes that
    cannot checkpoint atomically rely on this.
    """
    for event in events:
        data = event.data
        if event.type == domain.PRODUCT_CREATED:
            docs[data["product_id"]] = _new_document(data, event)
            for variant in data["variants"]:
                sku_owner[variant["sku"]] = data["product_id"]
        elif event.type in CATALOG_EVENTS:
            doc = docs.get(data["product_id"])
            if doc is not None:
                _apply_catalog_event(doc, event, media_url)
                for variant in doc["variants"]:
                    sku_owner[variant["sku"]] = doc["id"]
        elif event.type in STOCK_EVENTS:
            owner = sku_owner.get(data["sku"])
            if owner is not None and owner in docs:
                _set_available(docs[owner], data["sku"], data["available"])
    for doc in docs.values():
        finish(doc)


def finish(doc: dict[str, Any]) -> None:
    """Derive what browse and search filter on (price range, `in_stock`) and show (thumbnail)."""
    prices = [Decimal(v["price"]) for v in doc["variants"]]
    doc["price_min"], doc["price_max"] = str(min(prices)), str(max(prices))
    doc["in_stock"] = doc["status"] == domain.ACTIVE and any(
        v["available"] > 0 for v in doc["variants"]
    )
    image_documents.finish_images(doc)


def _new_document(data: dict[str, Any], event: RecordedEvent) -> dict[str, Any]:
    doc = {
        "id": data["product_id"],
        "name": data["name"],
        "description": data["description"],
        "brand": data["brand"],
        "category": data["category"],
        "tags": data["tags"],
        "attributes": data["attributes"],
        "images": image_documents.external_entries(data["images"]),
        "status": domain.ACTIVE,
        "currency": data["currency"],
        "price": data["price"],
        "variants": [],
        "created_at": event.recorded_at.isoformat(),
        "updated_at": event.recorded_at.isoformat(),
    }
    for variant in data["variants"]:
        _add_variant(doc, variant)
    return doc


def _add_variant(doc: dict[str, Any], variant: dict[str, Any]) -> None:
    if any(v["sku"] == variant["sku"] for v in doc["variants"]):
        return
    doc["variants"].append(
        {
            "sku": variant["sku"],
            "size": variant["size"],
            "color": variant["color"],
            "price_adjustment": variant["price_adjustment"],
            "available": 0,
        }
    )
    _reprice(doc)


def _apply_catalog_event(doc: dict[str, Any], event: RecordedEvent, media_url: MediaUrl) -> None:
    data = event.data
    if event.type == domain.PRODUCT_UPDATED:
        image_documents.apply_update(doc, data["changes"])
    elif event.type in images.IMAGE_EVENTS:
        image_documents.apply_image_event(doc, event.type, data, media_url)
    elif event.type == domain.PRICE_CHANGED:
        doc["price"] = data["price"]
    elif event.type == domain.VARIANT_ADDED:
        _add_variant(doc, data["variant"])
    elif event.type == domain.PRODUCT_DISCONTINUED:
        doc["status"] = domain.DISCONTINUED
    _reprice(doc)
    doc["updated_at"] = event.recorded_at.isoformat()


def _reprice(doc: dict[str, Any]) -> None:
    base = Decimal(doc["price"])
    for variant in doc["variants"]:
        variant["price"] = str(base + Decimal(variant["price_adjustment"]))


def _set_available(doc: dict[str, Any], sku: str, available: int) -> None:
    for variant in doc["variants"]:
        if variant["sku"] == sku:
            variant["available"] = available
