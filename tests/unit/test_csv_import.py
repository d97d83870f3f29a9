"""The CSV import's rules, without a database: rows grouped into products, every bad row
named with its reason, a product with one bad row held back whole, files refused whole when
they cannot be read; and the text rules agreeing with the REST API's own model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from polyshop.api.rest.models.catalog import ProductIn
from polyshop.catalog import product_rules
from polyshop.catalog.csv_import import MAX_ROWS, CsvRefused, read
from polyshop.catalog.domain import CatalogError

HEADER = "product,name,brand,category,price,sku,size,color,stock,tags,attr:material\n"


def rows(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_rows_sharing_a_key_make_one_product_with_a_variant_each():
    products, count = read(
        rows(
            "tee,Cotton tee,Acme,Clothing/Tops,19.99,tee-s,S,red,5,cotton|summer,cotton",
            "mug,Mug,Acme,kitchen,8,MUG-1,,,,,",
            "tee,,,,,TEE-M,M,red,7,,",
        )
    )

    assert count == 3
    tee, mug = products
    assert tee.rows == (2, 4)
    assert tee.errors == ()
    assert tee.product is not None
    assert [(v.sku, v.size, v.stock) for v in tee.product.variants] == [
        ("TEE-S", "S", 5),
        ("TEE-M", "M", 7),
    ]
    assert tee.product.category == "clothing/tops"
    assert list(tee.product.tags) == ["cotton", "summer"]
    assert dict(tee.product.attributes) == {"material": "cotton"}
    assert mug.product is not None
    assert mug.product.price == Decimal("8.00")


def test_a_bad_row_holds_back_its_whole_product_and_names_row_and_reason():
    products, _ = read(
        rows(
            "tee,Cotton tee,Acme,clothing,19.99,TEE-S,S,,5,,",
            "tee,,,,,TEE M,M,,-1,,",
            "mug,Mug,Acme,kitchen,8,MUG-1,,,,,",
        )
    )

    tee, mug = products
    assert tee.product is None
    reasons = {(e.row, e.field) for e in tee.errors}
    assert (3, "sku") in reasons  # a space in a SKU: the first problem of row 3
    assert (2, "") in reasons  # the good row, held back with it
    assert all("not imported" in e.reason for e in tee.errors if e.row == 2)
    assert mug.product is not None
    assert mug.errors == ()


@pytest.mark.parametrize(
    ("line", "row_field"),
    [
        ("p,,Acme,kitchen,8,SKU-1,,,,,", (2, "name")),
        ("p,Mug,Acme,Kitchen Stuff,8,SKU-1,,,,,", (2, "category")),
        ("p,Mug,Acme,kitchen,8.999,SKU-1,,,,,", (2, "price")),
        ("p,Mug,Acme,kitchen,1e3,SKU-1,,,,,", (2, "price")),
        ("p,Mug,Acme,kitchen,8,SKU-1,,,10000001,,", (2, "stock")),
        ("p,Mug,Acme,kitchen,8,SKU-1,,,³,,", (2, "stock")),
        (",Mug,Acme,kitchen,8,SKU-1,,,,,", (2, "product")),
        ("p,Mug,Acme,kitchen,8,SKU-1," + "x" * 51 + ",,,,", (2, "size")),
    ],
)
def test_each_rule_names_the_row_and_column(line: str, row_field: tuple[int, str]):
    (product,), _ = read(rows(line))

    assert product.product is None
    assert row_field in {(e.row, e.field) for e in product.errors}


def test_a_sku_twice_in_a_product_and_a_disagreeing_field_are_refused():
    products, _ = read(
        rows(
            "a,Mug,Acme,kitchen,8,SKU-1,,,,,",
            "a,,,,,sku-1,,,,,",
            "b,Cup,Acme,kitchen,8,CUP-1,,,,,",
            "b,Cup,Other,,,CUP-2,,,,,",
        )
    )

    a, b = products
    assert (3, "sku") in {(e.row, e.field) for e in a.errors}
    assert (5, "brand") in {(e.row, e.field) for e in b.errors}
    assert a.product is None
    assert b.product is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"name,price\nMug,8\n", "lacks the column 'product'"),
        (HEADER.encode() + b"\n", "no rows"),
        (b"\xff\xfe" + HEADER.encode(), "UTF-8"),
        ((HEADER.rstrip() + ",colour\n").encode(), "unknown column 'colour'"),
        (HEADER.encode() + b"p,Mug,Acme,k,8,S1,,,,,\n" * (MAX_ROWS + 1), "more than"),
    ],
)
def test_a_file_that_cannot_be_an_import_is_refused_whole(data: bytes, reason: str):
    with pytest.raises(CsvRefused, match=reason):
        read(data)


# -- the text rules agree with the REST API's model ---------------------------------------

_BASE: dict[str, Any] = {
    "name": "Mug",
    "brand": "Acme",
    "category": "kitchen",
    "price": "8.00",
    "variants": [{"sku": "MUG-1"}],
}


@pytest.mark.parametrize(
    "change",
    [
        {"name": "   "},
        {"name": "n" * 201},
        {"brand": "b" * 101},
        {"price": "8.001"},
        {"price": "-1"},
        {"price": "100000000"},
        {"tags": ["t"] * 31},
        {"tags": ["t" * 51]},
        {"images": ["ftp://x"]},
        {"variants": []},
        {"variants": [{"sku": "M", "stock": 10_000_001}]},
        {"variants": [{"sku": "M", "price_adjustment": "-9"}]},
        {"variants": [{"sku": "M", "size": "s" * 51}]},
        {"name": "Mug\x00"},
        {"name": "n" * 200},
        {"price": "99999999.99"},
        {"tags": ["t"] * 30},
        {"variants": [{"sku": "M", "stock": 10_000_000, "price_adjustment": "-8"}]},
    ],
)
def test_text_rules_accept_and_refuse_what_the_rest_model_does(change: dict[str, Any]):
    body = {**_BASE, **change}
    try:
        ProductIn.model_validate(body)
        rest_ok = _domain_ok(body)
    except ValidationError:
        rest_ok = False
    try:
        product_rules.product(_as_text(body))
        text_ok = True
    except CatalogError:
        text_ok = False
    assert text_ok == rest_ok


def _domain_ok(body: dict[str, Any]) -> bool:
    """What the REST route adds after its model: the text guard (no NUL), the catalog's
    rules (a category path, no variant priced below zero)."""
    try:
        product_rules.category(body["category"])
        price = Decimal(body["price"])
        for v in body["variants"]:
            if price + Decimal(v.get("price_adjustment", "0")) < 0:
                return False
        return "\x00" not in body["name"]
    except CatalogError:
        return False


def _as_text(body: dict[str, Any]) -> product_rules.ProductText:
    return product_rules.ProductText(
        name=body["name"],
        brand=body["brand"],
        category=body["category"],
        price=body["price"],
        tags=body.get("tags", []),
        images=body.get("images", []),
        variants=[
            product_rules.VariantText(
                sku=v["sku"],
                size=v.get("size", ""),
                stock=str(v.get("stock", "")),
                price_adjustment=v.get("price_adjustment", ""),
            )
            for v in body["variants"]
        ],
    )
