"""What a product submitted as text must satisfy: the REST API's rules, for the faces and
imports that read products from forms and files (the admin's pages, CSV imports).

The REST API states these rules as its JSON schema (`polyshop.api.rest.models.catalog`);
a form or a CSV cell arrives as text instead, so this module reads text by the same bounds
and patterns (a unit test holds both to the same verdicts) and raises `CatalogError` naming
the field, so every face reports a refusal the same way. The domain's own rules (category
paths, SKUs, a variant's price) are then checked by the domain, as for the API.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from polyshop.catalog import domain
from polyshop.catalog.domain import CatalogError, Variant
from polyshop.catalog.service import NewProduct, NewVariant
from polyshop.values.money import InvalidAmount, parse_amount

MAX_NAME, MAX_BRAND, MAX_LABEL = 200, 100, 50
MAX_DESCRIPTION, MAX_CATEGORY, MAX_SKU, MAX_ATTRIBUTE_VALUE = 10_000, 300, 64, 200
MAX_TAGS, MAX_ATTRIBUTES, MAX_IMAGES, MAX_VARIANTS = 30, 50, 20, 100
MAX_STOCK = 10_000_000

_UNSIGNED = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")
_SIGNED = re.compile(r"^-?[0-9]{1,8}(\.[0-9]{1,2})?$")
_WHOLE = re.compile(r"^[0-9]{1,9}$")
_URL = re.compile(r"^(https?://|/)[^\s\u0085]{1,500}$")
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")


@dataclass(frozen=True, slots=True)
class VariantText:
    """A variant as typed: every value a string (empty: not given)."""

    sku: str
    size: str = ""
    color: str = ""
    price_adjustment: str = ""
    stock: str = ""


@dataclass(frozen=True, slots=True)
class ProductText:
    """A product as typed; `tags` and `images` already split, `attributes` as pairs."""

    name: str
    brand: str
    category: str
    price: str
    variants: Sequence[VariantText]
    description: str = ""
    tags: Sequence[str] = ()
    attributes: Sequence[tuple[str, str]] = ()
    images: Sequence[str] = ()


def text(name: str, value: str, *, limit: int, required: bool = True, strip: bool = True) -> str:
    """`value` stripped (unless `strip` is False), within `limit` characters; a required
    field must keep a character. Text no database can hold (NUL, lone surrogates) is refused."""
    if _UNSTORABLE.search(value):
        raise CatalogError(name, "contains a character the shop cannot store")
    if strip:
        value = value.strip()
    if required and not value.strip():
        raise CatalogError(name, "is required")
    if len(value) > limit:
        raise CatalogError(name, f"is longer than {limit} characters")
    return value


def amount(name: str, value: str, *, signed: bool = False) -> Decimal:
    """An amount written like 19.99 (at most eight digits before the point, two after)."""
    value = value.strip()
    if not (_SIGNED if signed else _UNSIGNED).match(value):
        raise CatalogError(name, "must be an amount like 19.99 (at most two decimals)")
    try:
        return parse_amount(value, allow_negative=signed)
    except InvalidAmount as exc:
        raise CatalogError(name, str(exc)) from exc


def whole(name: str, value: str, *, high: int) -> int:
    """A whole number from 0 to `high`, written in ASCII digits."""
    value = value.strip()
    if not _WHOLE.match(value) or int(value) > high:
        raise CatalogError(name, f"must be a whole number from 0 to {high:,}")
    return int(value)


def split_list(value: str, separator: str = ",") -> list[str]:
    """Items of a list typed in one field, blanks dropped."""
    return [item.strip() for item in value.split(separator) if item.strip()]


def variant(fields: VariantText, prefix: str = "") -> NewVariant:
    """A variant read by the API's rules; fields named `<prefix>sku` and so on."""
    sku = text(f"{prefix}sku", fields.sku, limit=MAX_SKU)
    try:
        sku = domain.normalize_sku(sku)
    except CatalogError as exc:
        raise CatalogError(f"{prefix}sku", str(exc)) from exc
    size = text(f"{prefix}size", fields.size, limit=MAX_LABEL, required=False) or None
    color = text(f"{prefix}color", fields.color, limit=MAX_LABEL, required=False) or None
    adjustment = Decimal("0.00")
    if fields.price_adjustment.strip():
        adjustment = amount(f"{prefix}price_adjustment", fields.price_adjustment, signed=True)
    stock = whole(f"{prefix}stock", fields.stock, high=MAX_STOCK) if fields.stock.strip() else 0
    return NewVariant(sku, size, color, adjustment, stock)


def tags(values: Sequence[str]) -> list[str]:
    if len(values) > MAX_TAGS:
        raise CatalogError("tags", f"at most {MAX_TAGS} tags")
    return [text("tags", tag, limit=MAX_LABEL) for tag in values]


def attributes(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Named facts (`material: cotton`); a name given twice is refused."""
    found: dict[str, str] = {}
    for key, value in pairs:
        name = text("attributes", key, limit=MAX_LABEL)
        if name in found:
            raise CatalogError("attributes", f"{name!r} is given twice")
        found[name] = text(f"attributes.{name}", value, limit=MAX_ATTRIBUTE_VALUE, strip=False)
    if len(found) > MAX_ATTRIBUTES:
        raise CatalogError("attributes", f"at most {MAX_ATTRIBUTES} attributes")
    return found


def images(urls: Sequence[str]) -> list[str]:
    if len(urls) > MAX_IMAGES:
        raise CatalogError("images", f"at most {MAX_IMAGES} images")
    for url in urls:
        if not _URL.match(url):
            raise CatalogError("images", f"{url[:60]!r} is not an http(s) URL or a path")
    return list(urls)


def category(value: str) -> str:
    return domain.normalize_category(text("category", value, limit=MAX_CATEGORY, strip=False))


def product(fields: ProductText) -> NewProduct:
    """A new product by the API's rules (`ProductIn`), then the domain's: a category path,
    SKUs unique within it, no variant priced below zero. Raises CatalogError."""
    price = amount("price", fields.price)
    if not fields.variants:
        raise CatalogError("variants", "a product needs at least one variant (SKU)")
    if len(fields.variants) > MAX_VARIANTS:
        raise CatalogError("variants", f"at most {MAX_VARIANTS} variants")
    variants = [variant(v, f"variants.{i}.") for i, v in enumerate(fields.variants)]
    new = NewProduct(
        name=text("name", fields.name, limit=MAX_NAME),
        description=text(
            "description", fields.description, limit=MAX_DESCRIPTION, required=False, strip=False
        ),
        brand=text("brand", fields.brand, limit=MAX_BRAND),
        category=category(fields.category),
        price=price,
        variants=variants,
        tags=tags(fields.tags),
        attributes=attributes(fields.attributes),
        images=images(fields.images),
    )
    check_variants(price, variants)
    return new


def check_variants(price: Decimal, variants: Sequence[NewVariant]) -> None:
    """SKUs unique among `variants`, each priced from zero to below `LIMIT` (the domain's rules)."""
    seen: set[str] = set()
    for i, item in enumerate(variants):
        if item.sku in seen:
            raise CatalogError(f"variants.{i}.sku", f"{item.sku} appears twice")
        seen.add(item.sku)
        try:
            domain.check_variant_price(
                price, Variant(item.sku, price_adjustment=item.price_adjustment)
            )
        except CatalogError as exc:
            raise CatalogError(f"variants.{i}.price_adjustment", str(exc)) from exc
