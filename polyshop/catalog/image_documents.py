"""The images of a product document: what a page needs to show them, folded from events.

Each image of a document is `{id, alt, format, width, height, url, renditions, srcset}`, in
position order (the primary image first): `url` is the largest file in the image's own format
(a rendition, or the original when none is that format), `width` and `height` are that file's
(so a page reserves the space), `renditions` every rendition with its URL and size, and
`srcset` per format the `srcset` attribute of a `<source>` (`"u1 160w, u2 320w"`). An external
image (a URL given with the product) has its URL, no size and no renditions. The document's
`thumbnail` is its primary image at a listing's size (`THUMBNAIL_WIDTH`, or the closest).

URLs are made once here, by the `media_url` the composition root gives the projection, so a
page is served as the read model holds it. Every change sets absolute values, and adding an
image twice adds it once: replaying a suffix of events gives the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyshop.catalog import images
from polyshop.catalog.images import MediaUrl, ProductImage

#: The width a listing shows an image at; the thumbnail is the smallest rendition as wide.
THUMBNAIL_WIDTH = 320


def external_entries(urls: Sequence[str]) -> list[dict[str, Any]]:
    return [
        external_entry(image.id, image.url, image.alt) for image in images.external_images(urls)
    ]


def external_entry(image_id: str, url: str, alt: str = "") -> dict[str, Any]:
    return {
        "id": image_id,
        "alt": alt,
        "format": None,
        "width": None,
        "height": None,
        "url": url,
        "renditions": [],
        "srcset": {},
    }


def uploaded_entry(image: ProductImage, media_url: MediaUrl) -> dict[str, Any]:
    source = image.original.format
    own = [r for r in image.renditions if r.format == source]
    shown = max(own, key=lambda r: r.width) if own else image.original
    renditions = sorted(image.renditions, key=lambda r: (r.format, r.width))
    srcset: dict[str, list[str]] = {}
    for r in renditions:
        srcset.setdefault(r.format, []).append(f"{media_url(r.key)} {r.width}w")
    return {
        "id": image.id,
        "alt": image.alt,
        "format": source,
        "width": shown.width,
        "height": shown.height,
        "url": media_url(shown.key),
        "renditions": [
            {"url": media_url(r.key), "width": r.width, "height": r.height, "format": r.format}
            for r in renditions
        ],
        "srcset": {fmt: ", ".join(urls) for fmt, urls in srcset.items()},
    }


def gallery_entries(
    gallery: Sequence[images.GalleryImage], media_url: MediaUrl
) -> list[dict[str, Any]]:
    return [
        uploaded_entry(image, media_url)
        if isinstance(image, ProductImage)
        else external_entry(image.id, image.url, image.alt)
        for image in gallery
    ]


def thumbnail(entry: dict[str, Any]) -> dict[str, Any]:
    """An image at a listing's size: the smallest rendition in its own format at least
    THUMBNAIL_WIDTH wide (else its widest), or the image itself when it has none."""
    own = [r for r in entry["renditions"] if r["format"] == entry["format"]]
    wide = [r for r in own if r["width"] >= THUMBNAIL_WIDTH]
    if wide:
        chosen = min(wide, key=lambda r: r["width"])
    elif own:
        chosen = max(own, key=lambda r: r["width"])
    else:
        chosen = entry
    return {"url": chosen["url"], "width": chosen["width"], "height": chosen["height"]}


def finish_images(doc: dict[str, Any]) -> None:
    """Derive the document's `thumbnail`: its primary image's (None without images)."""
    doc["thumbnail"] = thumbnail(doc["images"][0]) if doc["images"] else None


def apply_update(doc: dict[str, Any], changes: dict[str, Any]) -> None:
    """A ProductUpdated's changes; its `images` are URLs, which set the external images."""
    doc.update({name: value for name, value in changes.items() if name != "images"})
    if "images" in changes:
        set_external(doc, changes["images"])


def set_external(doc: dict[str, Any], urls: Sequence[str]) -> None:
    """A URL list (created with the product, or patched) sets its external images: the
    uploaded ones stay first, in their order, as `images.with_external` keeps them."""
    uploaded = [entry for entry in doc["images"] if entry["format"] is not None]
    doc["images"] = [*uploaded, *external_entries(urls)]


def apply_image_event(
    doc: dict[str, Any], event_type: str, data: dict[str, Any], media_url: MediaUrl
) -> None:
    entries: list[dict[str, Any]] = doc["images"]
    at = {entry["id"]: i for i, entry in enumerate(entries)}
    if event_type == images.PRODUCT_IMAGE_ADDED:
        entry = uploaded_entry(ProductImage.from_event(data["image"]), media_url)
        if entry["id"] in at:  # replayed: it is in place already
            entries[at[entry["id"]]] = entry
        else:
            entries.insert(min(data["position"], len(entries)), entry)
    elif event_type == images.PRODUCT_IMAGE_REPLACED:
        if data["image_id"] in at:
            image = ProductImage.from_event({**data["image"], "id": data["image_id"]})
            entries[at[data["image_id"]]] = uploaded_entry(image, media_url)
    elif event_type == images.PRODUCT_IMAGE_REMOVED:
        doc["images"] = [entry for entry in entries if entry["id"] != data["image_id"]]
    elif event_type == images.PRODUCT_IMAGE_REORDERED:
        rank = {image_id: i for i, image_id in enumerate(data["order"])}
        entries.sort(key=lambda entry: rank.get(entry["id"], len(rank)))
    elif event_type == images.PRODUCT_IMAGE_DESCRIBED and data["image_id"] in at:
        entries[at[data["image_id"]]]["alt"] = data["alt"]
