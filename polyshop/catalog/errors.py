"""The catalog's own errors, raised by its commands and its service, mapped by each face.

A broken rule on an input is `domain.CatalogError` (it names the field); the others are about
what the catalog already holds.
"""

from __future__ import annotations

from polyshop.catalog.domain import CatalogError

__all__ = ["CatalogError", "DuplicateSku", "ImageNotFound", "ProductChanged", "ProductNotFound"]


class ProductNotFound(Exception):
    def __init__(self, product_id: str) -> None:
        self.product_id = product_id
        super().__init__(f"no product {product_id}")


class DuplicateSku(Exception):
    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        super().__init__(f"SKU already in the catalog: {', '.join(skus)}")


class ImageNotFound(LookupError):
    """The product has no (uploaded, where one is needed) image of that id."""

    def __init__(self, image_id: str) -> None:
        self.image_id = image_id
        super().__init__(f"no image {image_id}")


class ProductChanged(Exception):
    """The product changed since the editor read it (its version is no longer the one the
    edit expected): saving would silently overwrite someone else's change."""

    def __init__(self, product_id: str, expected: int, current: int) -> None:
        self.product_id, self.expected, self.current = product_id, expected, current
        super().__init__(f"product {product_id} is at version {current}, not {expected}")
