"""Catalog commands: each changes the write model and appends its events in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polyshop.catalog import domain, images, sql_products
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.catalog.errors import DuplicateSku, ProductChanged, ProductNotFound
from polyshop.catalog.images import ProductImage
from polyshop.eventstore.events import NewEvent, StreamAppend
from polyshop.eventstore.ports import EventStore, UnitOfWork
from polyshop.inventory import stock as inventory
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id
from polyshop.values.money import from_cents, parse_amount, to_cents

__all__ = [
    "DuplicateSku",
    "ProductChanged",
    "ProductNotFound",
    "Written",
    "add_variant",
    "create_product",
    "discontinue_product",
    "import_products",
    "update_product",
]


@dataclass(frozen=True, slots=True)
class Written:
    product_id: str
    position: int


_EDITABLE = ("name", "description", "brand", "category", "tags", "attributes", "images")


def create_product(store: EventStore, draft: ProductDraft, stock: Mapping[str, int]) -> Written:
    (written,) = import_products(store, [(draft, stock)])
    return written


def import_products(
    store: EventStore,
    items: Sequence[tuple[ProductDraft, Mapping[str, int]]],
    pictures: Sequence[Sequence[ProductImage]] | None = None,
) -> list[Written]:
    """Create many products (with their stock) in one transaction and a few statements.

    `pictures`, one sequence per item, are images whose blobs are stored already (a bulk
    import's, the demo catalog's): each becomes a ProductImageAdded right after its
    product's ProductCreated, as if it had been uploaded then."""
    ids = [new_id() for _ in items]
    pairs = list(zip(ids, (draft for draft, _ in items), strict=True))
    galleries = [list(p) for p in pictures] if pictures is not None else [[] for _ in items]
    now = utc_now()
    with store.unit_of_work() as uow:
        _refuse_existing_skus(uow, [v.sku for _, d in pairs for v in d.variants])
        sql_products.insert_products(uow.connection, pairs, now, galleries)
        _insert_variants(uow, [(pid, v) for pid, d in pairs for v in d.variants])
        levels = [{v.sku: stock.get(v.sku, 0) for v in d.variants} for d, stock in items]
        inventory.start_keeping(uow, {sku: n for level in levels for sku, n in level.items()})
        # Each product's stock right after the product: a read model built from the log
        # meets a product and its availability in the same batch, and writes it once.
        uow.append_many(
            [
                append
                for (pid, draft), level, gallery in zip(pairs, levels, galleries, strict=True)
                for append in (
                    StreamAppend(
                        domain.stream_id(pid),
                        domain.PRODUCT_STREAM,
                        [
                            NewEvent(domain.PRODUCT_CREATED, domain.created_event(pid, draft)),
                            *_added(pid, draft, gallery),
                        ],
                    ),
                    *inventory.first_events(level),
                )
            ]
        )
    return [Written(pid, uow.position) for pid in ids]


def _added(product_id: str, draft: ProductDraft, gallery: list[ProductImage]) -> list[NewEvent]:
    """The events of images a product is created with, after its external ones (URLs)."""
    first = len(draft.images)
    return [
        NewEvent(
            images.PRODUCT_IMAGE_ADDED,
            {"product_id": product_id, "image": image.to_event(), "position": first + i},
        )
        for i, image in enumerate(gallery)
    ]


def update_product(
    store: EventStore,
    product_id: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Written:
    """Apply the given fields; a changed price is its own PriceChanged event. With
    `expected_version`, ProductChanged (nothing written) unless the product, read under its
    lock, is still at that version."""
    with store.unit_of_work() as uow:
        row = _locked_product(uow, product_id)
        if expected_version is not None and row.version != expected_version:
            raise ProductChanged(product_id, expected_version, row.version)
        new_events: list[NewEvent] = []
        values: dict[str, Any] = {}
        edited: dict[str, Any] = {}
        for name in _EDITABLE:
            if name not in changes:
                continue
            value = changes[name]
            if name == "category":
                value = domain.normalize_category(value)
            if name == "images":
                value, gallery = _external_images(row, value)
                if gallery is not None:
                    edited[name], values[name] = value, gallery
            elif value != getattr(row, name):
                edited[name] = values[name] = value
        if edited:
            new_events.append(
                NewEvent(domain.PRODUCT_UPDATED, {"product_id": product_id, "changes": edited})
            )
        if "price" in changes:
            price = parse_amount(changes["price"])
            old = from_cents(row.price_cents)
            if price != old:
                for variant in sql_products.variants_of(uow.connection, product_id):
                    domain.check_variant_price(price, variant)
                values["price_cents"] = to_cents(price)
                new_events.append(
                    NewEvent(
                        domain.PRICE_CHANGED,
                        {
                            "product_id": product_id,
                            "old_price": str(old),
                            "price": str(price),
                            "currency": row.currency,
                        },
                    )
                )
        if not new_events:
            return Written(product_id, 0)
        values["version"] = row.version + len(new_events)
        sql_products.update_product(uow.connection, product_id, values)
        uow.append(domain.stream_id(product_id), domain.PRODUCT_STREAM, new_events, row.version)
    return Written(product_id, uow.position)


def add_variant(
    store: EventStore, product_id: str, variant: Variant, initial_stock: int
) -> Written:
    with store.unit_of_work() as uow:
        row = _locked_product(uow, product_id)
        domain.check_variant_price(from_cents(row.price_cents), variant)
        _refuse_existing_skus(uow, [variant.sku])
        _insert_variants(uow, [(product_id, variant)])
        sql_products.update_product(uow.connection, product_id, {"version": row.version + 1})
        uow.append(
            domain.stream_id(product_id),
            domain.PRODUCT_STREAM,
            [
                NewEvent(
                    domain.VARIANT_ADDED, {"product_id": product_id, "variant": variant.to_event()}
                )
            ],
            row.version,
        )
        inventory.initialize(uow, {variant.sku: initial_stock})
    return Written(product_id, uow.position)


def discontinue_product(store: EventStore, product_id: str) -> Written:
    with store.unit_of_work() as uow:
        row = _locked_product(uow, product_id)
        if row.status == domain.DISCONTINUED:
            return Written(product_id, 0)
        sql_products.update_product(
            uow.connection,
            product_id,
            {"status": domain.DISCONTINUED, "version": row.version + 1},
        )
        uow.append(
            domain.stream_id(product_id),
            domain.PRODUCT_STREAM,
            [NewEvent(domain.PRODUCT_DISCONTINUED, {"product_id": product_id})],
            row.version,
        )
    return Written(product_id, uow.position)


def _external_images(row: Any, urls: Sequence[str]) -> tuple[list[str], list[Any] | None]:
    """A PATCH's `images` (URLs) and, when they differ from the external images the product
    has, the row's new gallery: the URLs set the external images only, so uploaded images
    (managed by `image_commands`) are never lost to a URL list."""
    gallery = images.gallery_from_row(row.images)
    urls = list(urls)
    if urls == images.external_urls(gallery):
        return urls, None
    return urls, images.gallery_to_row(images.with_external(gallery, urls))


def _locked_product(uow: UnitOfWork, product_id: str) -> Any:
    row = sql_products.locked_product(uow.connection, product_id)
    if row is None:
        raise ProductNotFound(product_id)
    return row


def _refuse_existing_skus(uow: UnitOfWork, skus: list[str]) -> None:
    if existing := sql_products.taken_skus(uow.connection, skus):
        raise DuplicateSku(existing)


def _insert_variants(uow: UnitOfWork, new: list[tuple[str, Variant]]) -> None:
    sql_products.insert_variants(uow.connection, new)
