"""A product's images as its admin page lists them, read from the write model
(`Catalog.images_of`): an image just uploaded is listed at once, whatever the read
models' lag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyshop.catalog.images import ProductImage
from polyshop.container import Container

_THUMB_FORMATS = ("webp", "jpeg", "png")


@dataclass(frozen=True, slots=True)
class Shown:
    """An image as the product page lists it."""

    id: str
    alt: str
    src: str
    uploaded: bool
    position: int


def _thumbnail(view: dict[str, Any]) -> str:
    """The smallest rendition at least 300 pixels wide in a format every browser shows."""
    fitting = [r for r in view["renditions"] if r["format"] in _THUMB_FORMATS and r["width"] >= 300]
    best = min(fitting, key=lambda r: (_THUMB_FORMATS.index(r["format"]), r["width"]), default=None)
    return best["url"] if best else str(view["url"])


def gallery(container: Container, product_id: str) -> list[Shown]:
    """The product's images in order (the primary first), from the write model."""
    shown = []
    for position, image in enumerate(container.catalog.images_of(product_id)):
        if isinstance(image, ProductImage):
            src, uploaded_here = _thumbnail(container.media.view(image)), True
        else:
            src, uploaded_here = image.url, False
        shown.append(Shown(image.id, image.alt, src, uploaded_here, position))
    return shown
