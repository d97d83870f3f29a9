"""The catalog service's rules that need no database: view counting on cached pages, and
inputs refused before any transaction opens."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import pytest

from polyshop.catalog.errors import CatalogError, ProductNotFound
from polyshop.catalog.page_cache import ProductPageCache
from polyshop.catalog.service import Catalog, NewProduct, NewVariant


class Views:
    def __init__(self) -> None:
        self.viewed: list[tuple[str, int | None]] = []
        self.ignored = 0

    def view(self, product_id: str, viewer: int | None) -> None:
        self.viewed.append((product_id, viewer))

    def ignore(self) -> None:
        self.ignored += 1


class Json:
    def page(self, document: dict[str, Any]) -> bytes:
        return b"{}"

    def listing(self, pages: list[bytes], total: int, page: int, limit: int) -> bytes:
        return b"{}"


def catalog(pages: ProductPageCache, views: Views) -> Catalog:
    # No store and no database: every case here must be decided before either is used.
    return Catalog(cast(Any, None), cast(Any, None), pages, views, Json())


def test_a_cached_page_is_a_view_and_a_miss_is_none_and_no_view():
    pages, views = ProductPageCache(), Views()
    product_id = str(uuid.uuid4())
    pages.put(product_id, b'{"id": 1}', ["SKU-1"], pages.token())
    shop = catalog(pages, views)

    assert shop.cached_page(product_id, 7) == b'{"id": 1}'
    assert shop.cached_page(str(uuid.uuid4()), 7) is None

    assert views.viewed == [(product_id, 7)]
    assert (pages.hits, pages.misses) == (1, 1)


def test_a_bad_sku_is_named_by_its_place_among_the_variants():
    shop = catalog(ProductPageCache(), Views())
    product = NewProduct(
        name="Mug",
        description="A mug.",
        brand="Acme",
        category="kitchen",
        price=Decimal("5.00"),
        variants=[NewVariant("MUG-1"), NewVariant("no spaces please")],
    )

    with pytest.raises(CatalogError) as refused:
        shop.create_product(product)

    assert refused.value.field == "variants.1.sku"


def test_an_update_refuses_an_unknown_id_before_a_null_field():
    shop = catalog(ProductPageCache(), Views())

    with pytest.raises(ProductNotFound):
        shop.update_product("not-a-product", {"name": None})
    with pytest.raises(CatalogError) as refused:
        shop.update_product(str(uuid.uuid4()), {"name": "Mug", "brand": None, "variants": None})

    assert refused.value.field == "brand"
    assert str(refused.value) == "cannot be null; leave it out to keep it"
