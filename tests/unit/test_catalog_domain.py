from decimal import Decimal

import pytest

from polyshop.catalog.domain import (
    CatalogError,
    ProductDraft,
    Variant,
    normalize_category,
    normalize_sku,
)
from polyshop.values.money import InvalidAmount, from_cents, parse_amount, to_cents


def draft(**overrides) -> ProductDraft:
    values = {
        "name": "Mug",
        "description": "",
        "brand": "Acme",
        "category": "Home/Kitchen",
        "price": Decimal("9.50"),
        "variants": (Variant("MUG-1"),),
    }
    values.update(overrides)
    return ProductDraft(**values)


def test_categories_and_skus_are_normalized_or_refused():
    assert normalize_category(" Electronics/Laptops/ ") == "electronics/laptops"
    assert normalize_sku(" ab-12.x ") == "AB-12.X"
    for bad in ("", "a//b", "spaces here", "a/" * 7 + "a"):
        with pytest.raises(CatalogError) as raised:
            normalize_category(bad)
        assert raised.value.field == "category"
    with pytest.raises(CatalogError):
        normalize_sku("no spaces")


def test_a_draft_needs_unique_skus_and_no_negative_variant_price():
    assert draft().category == "home/kitchen"
    with pytest.raises(CatalogError, match="at least one"):
        draft(variants=())
    with pytest.raises(CatalogError, match="twice"):
        draft(variants=(Variant("A"), Variant("A")))
    with pytest.raises(CatalogError) as raised:
        draft(variants=(Variant("A", price_adjustment=Decimal("-10.00")),))
    assert raised.value.field == "price_adjustment"


def test_a_variant_cannot_cost_more_than_any_amount_can_hold():
    # Each part is a valid amount; their sum has nine digits, which no price may have.
    with pytest.raises(CatalogError, match=r"would cost 136381319\.00") as raised:
        draft(
            price=Decimal("99999999.00"),
            variants=(Variant("A", price_adjustment=Decimal("36381320.00")),),
        )
    assert raised.value.field == "price_adjustment"
    assert draft(
        price=Decimal("99999998.99"), variants=(Variant("A", price_adjustment=Decimal("1.00")),)
    ).price == Decimal("99999998.99")


def test_money_keeps_two_decimals_exactly():
    assert parse_amount("19.9") == Decimal("19.90")
    assert to_cents(Decimal("19.99")) == 1999
    assert from_cents(1999) == Decimal("19.99")
    assert parse_amount("-5", allow_negative=True) == Decimal("-5.00")
    for bad in ("1.999", "-1", "NaN", "Infinity", "abc", "100000000"):
        with pytest.raises(InvalidAmount):
            parse_amount(bad)
