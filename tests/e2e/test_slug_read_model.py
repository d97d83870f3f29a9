"""A listing written before slugs were kept (product_documents v10) keeps serving after an
upgrade, on both databases: `product(slug:)` finds nothing (no error) until the rebuild
swaps in a copy with slugs, then finds the product."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import text

from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container


def test_a_listing_without_slugs_answers_none_until_its_rebuild(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    draft = ProductDraft(
        name="Café Crème",
        description="A cup.",
        brand="Acme",
        category="home/kitchen",
        price=Decimal("5.00"),
        variants=(Variant("CUP-1"),),
    )
    commands.import_products(container.machinery.store, [(draft, {"CUP-1": 2})])
    container.machinery.runner.catch_up("product_documents")
    with container.machinery.store.write_engine.begin() as connection:
        (generation,) = connection.execute(
            text(
                "SELECT generation FROM projections WHERE name = 'product_documents' AND is_active"
            )
        ).scalars()
        listing = f"product_listing__g{generation}"
        connection.execute(
            text("UPDATE projections SET projection_version = 10 WHERE name = 'product_documents'")
        )
        connection.execute(text("DROP VIEW product_listing"))
        connection.execute(text(f"DROP INDEX {listing}_by_slug"))
        connection.execute(text(f"ALTER TABLE {listing} DROP COLUMN slug"))
        connection.execute(text(f"CREATE VIEW product_listing AS SELECT * FROM {listing}"))

    def found() -> str | None:
        doc = container.catalog.product_with_slug("cafe-creme")
        return None if doc is None else str(doc["name"])

    container.machinery.runner.prepare()  # what every start does before it serves
    assert found() is None
    container.machinery.runner.rebuild("product_documents")
    assert found() == "Café Crème"
