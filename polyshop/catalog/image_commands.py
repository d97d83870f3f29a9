"""Image commands: each locks the product's row, applies an `images` rule to the gallery the
write model holds, writes it back and appends the events that say what changed, in one unit
of work. The appends expect the row's version, so two writers never both win a version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyshop.catalog import domain, images, sql_products
from polyshop.catalog.commands import Written
from polyshop.catalog.errors import ProductNotFound
from polyshop.catalog.images import GalleryImage, ProductImage
from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.ports import EventStore

#: A rule over the current gallery: the new gallery and the events that describe it.
Change = Callable[[list[GalleryImage]], tuple[list[GalleryImage], list[NewEvent]]]


def add_image(
    store: EventStore, product_id: str, image: ProductImage, position: int | None
) -> Written:
    def change(gallery: list[GalleryImage]) -> tuple[list[GalleryImage], list[NewEvent]]:
        after, at = images.with_added(gallery, image, position)
        data = {"product_id": product_id, "image": image.to_event(), "position": at}
        return after, [NewEvent(images.PRODUCT_IMAGE_ADDED, data)]

    return _change(store, product_id, change)


def replace_image(
    store: EventStore, product_id: str, image_id: str, image: ProductImage
) -> Written:
    def change(gallery: list[GalleryImage]) -> tuple[list[GalleryImage], list[NewEvent]]:
        after = images.with_replaced(gallery, image_id, image)
        new = after[images.index_of(after, image_id)]
        assert isinstance(new, ProductImage)
        data = {"product_id": product_id, "image_id": image_id, "image": new.to_event()}
        return after, [NewEvent(images.PRODUCT_IMAGE_REPLACED, data)]

    return _change(store, product_id, change)


def update_image(
    store: EventStore, product_id: str, image_id: str, alt: str | None, position: int | None
) -> Written:
    """New alt text and/or a new position (0: make it the primary image); what does not
    change appends nothing."""

    def change(gallery: list[GalleryImage]) -> tuple[list[GalleryImage], list[NewEvent]]:
        events: list[NewEvent] = []
        before = gallery[images.index_of(gallery, image_id)]
        if alt is not None and images.check_alt(alt) != before.alt:
            gallery = images.described(gallery, image_id, alt)
            described = {"product_id": product_id, "image_id": image_id, "alt": alt.strip()}
            events.append(NewEvent(images.PRODUCT_IMAGE_DESCRIBED, described))
        if position is not None:
            order = [image.id for image in gallery]
            gallery = images.moved(gallery, image_id, position)
            if [image.id for image in gallery] != order:
                reordered = {"product_id": product_id, "order": [image.id for image in gallery]}
                events.append(NewEvent(images.PRODUCT_IMAGE_REORDERED, reordered))
        return gallery, events

    return _change(store, product_id, change)


def remove_image(store: EventStore, product_id: str, image_id: str) -> Written:
    def change(gallery: list[GalleryImage]) -> tuple[list[GalleryImage], list[NewEvent]]:
        after = images.without(gallery, image_id)
        data = {"product_id": product_id, "image_id": image_id}
        return after, [NewEvent(images.PRODUCT_IMAGE_REMOVED, data)]

    return _change(store, product_id, change)


def _change(store: EventStore, product_id: str, change: Change) -> Written:
    with store.unit_of_work() as uow:
        row: Any = sql_products.locked_product(uow.connection, product_id)
        if row is None:
            raise ProductNotFound(product_id)
        gallery, events = change(images.gallery_from_row(row.images))
        if not events:
            return Written(product_id, 0)
        sql_products.update_product(
            uow.connection,
            product_id,
            {"images": images.gallery_to_row(gallery), "version": row.version + len(events)},
        )
        uow.append(domain.stream_id(product_id), domain.PRODUCT_STREAM, events, row.version)
    return Written(product_id, uow.position)
