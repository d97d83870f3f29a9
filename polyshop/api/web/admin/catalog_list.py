"""The admin's product list (/admin/products): every product, discontinued ones too.

The filters read as a GET form (a filtered list is a link): a SKU or the start of a name,
category, brand, status and stock. The list is `CatalogAdmin.products`: bounded index walks,
counts that stop at 10,000, and pages that stop at 10,000 products (narrow the filters to
reach further), so it answers as fast with a million products as with ten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from polyshop.api.rest.dependencies import read_model_at
from polyshop.api.web.admin.access import AdminPage
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.api.web.storefront.pages import money
from polyshop.catalog import product_rules
from polyshop.catalog.admin_service import AdminFilter
from polyshop.catalog.domain import ACTIVE, DISCONTINUED, CatalogError
from polyshop.catalog.service import READ_MODEL

router = APIRouter(include_in_schema=False)

PRODUCTS_PATH = "/admin/products"
PAGE_SIZE = 25
STOCK_CHOICES = {"": None, "yes": True, "no": False}
MinPosition = Annotated[int | None, Depends(read_model_at(READ_MODEL))]


@dataclass
class ProductQuery:
    """The filters as typed (`params`) and as read (`where`); `errors` by field."""

    params: dict[str, str]
    where: AdminFilter = field(default_factory=AdminFilter)
    errors: dict[str, str] = field(default_factory=dict)


def read_query(q: str, category: str, brand: str, status: str, stock: str) -> ProductQuery:
    """The list's filters; one that cannot be read is named, and the list not shown."""
    params = {
        "q": q.strip()[:200],
        "category": category.strip()[:300],
        "brand": brand.strip()[:100],
        "status": status if status in (ACTIVE, DISCONTINUED) else "",
        "stock": stock if stock in STOCK_CHOICES else "",
    }
    query = ProductQuery({k: v for k, v in params.items() if v})
    path = None
    if params["category"]:
        try:
            path = product_rules.category(params["category"])
        except CatalogError as exc:
            query.errors["category"] = str(exc)
    query.where = AdminFilter(
        text=params["q"],
        category=path,
        brand=params["brand"] or None,
        status=params["status"] or None,
        in_stock=STOCK_CHOICES[params["stock"]],
    )
    return query


@dataclass(frozen=True, slots=True)
class Row:
    """A product as the list shows it."""

    id: str
    name: str
    brand: str
    category: str
    status: str
    skus: str
    price: str
    available: int
    thumbnail: str | None


def row(doc: dict[str, Any]) -> Row:
    variants = doc.get("variants", [])
    prices = [Decimal(str(v["price"])) for v in variants] or [Decimal(str(doc["price"]))]
    low, high = min(prices), max(prices)
    currency = doc.get("currency", "USD")
    price = (
        money(low, currency)
        if low == high
        else f"{money(low, currency)} to {money(high, currency)}"
    )
    skus = ", ".join(v["sku"] for v in variants[:3]) + (" …" if len(variants) > 3 else "")
    thumb = doc.get("thumbnail")
    return Row(
        id=doc["id"],
        name=doc["name"],
        brand=doc["brand"],
        category=doc["category"],
        status=doc["status"],
        skus=skus,
        price=price,
        available=sum(int(v.get("available", 0)) for v in variants),
        thumbnail=thumb["url"] if thumb else None,
    )


@router.get(PRODUCTS_PATH)
def products_page(
    request: Request,
    admin: AdminPage,
    q: str = "",
    category: str = "",
    brand: str = "",
    status: str = "",
    stock: str = "",
    page: str = "",
    _: MinPosition = None,
) -> HTMLResponse:
    """The product list under the filters, a page at a time."""
    catalog_admin = admin_pages(request).storefront.container.catalog_admin
    query = read_query(q, category, brand, status, stock)
    limit = PAGE_SIZE
    last_page = catalog_admin.max_offset // limit
    number = min(ascii_int(page, 6) or 1, last_page)
    listed = None if query.errors else catalog_admin.products(query.where, page=number, limit=limit)
    pages = -(-listed.total // limit) if listed else 0
    more = listed is not None and (number < pages or listed.capped) and number < last_page
    return admin_pages(request).render(
        request,
        "products.html",
        admin,
        query=query,
        listed=listed,
        rows=[row(doc) for doc in listed.documents] if listed else [],
        number=number,
        previous_page=number - 1 if number > 1 else None,
        next_page=number + 1 if more else None,
    )
