"""A product's images as the catalog holds them: values and the rules of a gallery.

Two kinds of image share a gallery. An uploaded image (`ProductImage`) names its blobs by
key: the original and its renditions, each with its pixel size, so pages reserve the space.
An external image (`ExternalImage`) is a URL given when the product was created or patched
(`images: [url, ...]`), kept as it was given: no size, no renditions. Both have an id, so
either can be described, moved, replaced or removed; position 0 is the primary image.

The rules here are pure: the commands apply them to the write model's gallery, and the
events they append say what changed, for the read models to apply in turn.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import ImageNotFound

PRODUCT_IMAGE_ADDED = "ProductImageAdded"
PRODUCT_IMAGE_REPLACED = "ProductImageReplaced"
PRODUCT_IMAGE_REMOVED = "ProductImageRemoved"
PRODUCT_IMAGE_REORDERED = "ProductImageReordered"
PRODUCT_IMAGE_DESCRIBED = "ProductImageDescribed"
IMAGE_EVENTS = frozenset(
    {
        PRODUCT_IMAGE_ADDED,
        PRODUCT_IMAGE_REPLACED,
        PRODUCT_IMAGE_REMOVED,
        PRODUCT_IMAGE_REORDERED,
        PRODUCT_IMAGE_DESCRIBED,
    }
)

MAX_IMAGES = 20
MAX_ALT = 300
MAX_ID = 64
FORMATS = frozenset({"jpeg", "png", "webp", "avif"})
# What the shop cannot store (as the REST text guard refuses it): NUL, half a surrogate pair.
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")

#: How a blob key becomes a URL; the composition root may hand out a CDN's instead.
MediaUrl = Callable[[str], str]


def media_path(key: str) -> str:
    """The default URL of a blob: the shop serves it itself under /media."""
    return f"/media/{key}"


def check_alt(alt: str) -> str:
    """Alt text stripped, at most MAX_ALT characters, storable; may be empty."""
    text = alt.strip()
    if len(text) > MAX_ALT:
        raise CatalogError("alt", f"alt text is at most {MAX_ALT} characters")
    if _UNSTORABLE.search(text):
        raise CatalogError("alt", "alt text holds a NUL or half a surrogate pair")
    return text


@dataclass(frozen=True, slots=True)
class ImageFile:
    """One stored blob of an image: the original or a rendition."""

    key: str
    width: int
    height: int
    format: str  # "jpeg" | "png" | "webp" | "avif"

    def __post_init__(self) -> None:
        if not self.key:
            raise CatalogError("image", "an image file needs a blob key")
        if self.format not in FORMATS:
            raise CatalogError("image", f"{self.format!r} is not one of {sorted(FORMATS)}")
        if self.width <= 0 or self.height <= 0:
            raise CatalogError("image", "an image file has a positive width and height")

    def to_event(self) -> dict[str, Any]:
        return {"key": self.key, "width": self.width, "height": self.height, "format": self.format}

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> ImageFile:
        return cls(data["key"], int(data["width"]), int(data["height"]), data["format"])


@dataclass(frozen=True, slots=True)
class ProductImage:
    """An uploaded image: its original and the renditions made from it."""

    id: str
    alt: str
    original: ImageFile
    renditions: tuple[ImageFile, ...] = ()

    def __post_init__(self) -> None:
        check_id(self.id)
        object.__setattr__(self, "alt", check_alt(self.alt))
        object.__setattr__(self, "renditions", tuple(self.renditions))

    @property
    def files(self) -> tuple[ImageFile, ...]:
        return (self.original, *self.renditions)

    def to_event(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alt": self.alt,
            "original": self.original.to_event(),
            "renditions": [r.to_event() for r in self.renditions],
        }

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> ProductImage:
        return cls(
            data["id"],
            data["alt"],
            ImageFile.from_event(data["original"]),
            tuple(ImageFile.from_event(r) for r in data["renditions"]),
        )


@dataclass(frozen=True, slots=True)
class ExternalImage:
    """An image the shop does not store: a URL given with the product."""

    id: str
    url: str
    alt: str = ""

    def to_event(self) -> dict[str, Any]:
        return {"id": self.id, "alt": self.alt, "url": self.url}


GalleryImage = ProductImage | ExternalImage


def check_id(image_id: str) -> None:
    if not image_id or len(image_id) > MAX_ID or _UNSTORABLE.search(image_id):
        raise CatalogError("image_id", f"an image id is 1 to {MAX_ID} storable characters")


def external_id(index: int, url: str) -> str:
    """The id of the external image at `index` of a URL list: derived, so the write model
    and every read model built from the same event agree on it without storing it."""
    return "url-" + hashlib.sha256(f"{index}\n{url}".encode()).hexdigest()[:16]


def external_images(urls: Iterable[str]) -> list[ExternalImage]:
    return [ExternalImage(external_id(i, url), url) for i, url in enumerate(urls)]


def gallery_from_row(values: Sequence[Any]) -> list[GalleryImage]:
    """The gallery a write-model row holds. Rows written before uploads held URL strings:
    those are external images, with the ids the read models gave them."""
    gallery: list[GalleryImage] = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            gallery.append(ExternalImage(external_id(i, value), value))
        elif "original" in value:
            gallery.append(ProductImage.from_event(value))
        else:
            gallery.append(ExternalImage(value["id"], value["url"], value.get("alt", "")))
    return gallery


def gallery_to_row(gallery: Iterable[GalleryImage]) -> list[dict[str, Any]]:
    return [image.to_event() for image in gallery]


def blob_keys(values: Sequence[Any]) -> set[str]:
    """Every blob key a row's gallery refers to (originals and renditions)."""
    return {
        file.key
        for image in gallery_from_row(values)
        if isinstance(image, ProductImage)
        for file in image.files
    }


def external_urls(gallery: Iterable[GalleryImage]) -> list[str]:
    return [image.url for image in gallery if isinstance(image, ExternalImage)]


def index_of(gallery: Sequence[GalleryImage], image_id: str) -> int:
    for i, image in enumerate(gallery):
        if image.id == image_id:
            return i
    raise ImageNotFound(image_id)


# -- the rules: each returns the gallery after the change --------------------------------


def with_added(
    gallery: Sequence[GalleryImage], image: ProductImage, position: int | None
) -> tuple[list[GalleryImage], int]:
    """The gallery with `image` at `position` (None: last), and the position it took."""
    if len(gallery) >= MAX_IMAGES:
        raise CatalogError("images", f"a product holds at most {MAX_IMAGES} images")
    if any(existing.id == image.id for existing in gallery):
        raise CatalogError("image_id", f"the product already has an image {image.id}")
    at = len(gallery) if position is None else position
    if not 0 <= at <= len(gallery):
        raise CatalogError("position", f"position is from 0 to {len(gallery)}")
    return [*gallery[:at], image, *gallery[at:]], at


def with_replaced(
    gallery: Sequence[GalleryImage], image_id: str, image: ProductImage
) -> list[GalleryImage]:
    """New files in the same place under the same id (the alt text given with them)."""
    at = index_of(gallery, image_id)
    return [*gallery[:at], replace(image, id=image_id), *gallery[at + 1 :]]


def without(gallery: Sequence[GalleryImage], image_id: str) -> list[GalleryImage]:
    at = index_of(gallery, image_id)
    return [*gallery[:at], *gallery[at + 1 :]]


def moved(gallery: Sequence[GalleryImage], image_id: str, position: int) -> list[GalleryImage]:
    """The image moved to `position` (0: the primary image), the others in their order."""
    at = index_of(gallery, image_id)
    if not 0 <= position < len(gallery):
        raise CatalogError("position", f"position is from 0 to {len(gallery) - 1}")
    rest = [*gallery[:at], *gallery[at + 1 :]]
    return [*rest[:position], gallery[at], *rest[position:]]


def described(gallery: Sequence[GalleryImage], image_id: str, alt: str) -> list[GalleryImage]:
    at = index_of(gallery, image_id)
    return [*gallery[:at], replace(gallery[at], alt=check_alt(alt)), *gallery[at + 1 :]]


def with_external(gallery: Sequence[GalleryImage], urls: Sequence[str]) -> list[GalleryImage]:
    """The legacy `images: [url, ...]` of a PATCH: it sets the external images only. The
    uploaded ones stay, in their order, first; the URLs follow them."""
    uploaded = [image for image in gallery if isinstance(image, ProductImage)]
    if len(uploaded) + len(urls) > MAX_IMAGES:
        raise CatalogError("images", f"a product holds at most {MAX_IMAGES} images")
    return [*uploaded, *external_images(urls)]
