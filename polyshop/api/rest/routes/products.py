"""Catalog endpoints: browse and product pages read documents; admins write through commands."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import (
    AdminDep,
    ContainerDep,
    presented_token,
    read_model_at,
    viewer_of,
)
from polyshop.api.rest.models.catalog import (
    CATEGORY_FILTER_PATTERN,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductsOut,
    ProductWritten,
    VariantIn,
)
from polyshop.api.rest.models.money import PRICE_FILTER_SCHEMA
from polyshop.api.rest.openapi import JSON_BODY, READ_WAIT, problems
from polyshop.api.rest.pagination import PageParams
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.api.rest.route_errors import translating
from polyshop.catalog import domain
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import DuplicateSku, ProductNotFound
from polyshop.catalog.queries import Browse, Sort
from polyshop.catalog.service import READ_MODEL, NewProduct, NewVariant
from polyshop.values.money import InvalidAmount, parse_amount


def catalog_problem(exc: Exception) -> Problem | None:
    """The catalog's errors as problems (for every router that calls the catalog)."""
    match exc:
        case CatalogError():
            return _invalid(exc)
        case DuplicateSku():
            return Problem(
                409, str(exc), slug="duplicate-sku", title="SKU already exists", skus=exc.skus
            )
        case ProductNotFound():
            return not_found(exc.product_id)
    return None


def not_found(product_id: str) -> Problem:
    return Problem(404, f"No product {product_id!r}.", slug="product-not-found")


router = APIRouter(prefix="/api/v1", tags=["catalog"], route_class=translating(catalog_problem))

#: `min_position`, awaited on the event loop before the route runs (see `read_model_at`).
MinPosition = Annotated[int | None, Depends(read_model_at(READ_MODEL))]


def _price(name: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except InvalidAmount as exc:
        raise unprocessable(name, str(exc)) from exc


def _invalid(error: CatalogError, prefix: str = "") -> Problem:
    return unprocessable(f"{prefix}{error.field}", str(error))


def _variants(items: list[VariantIn]) -> list[NewVariant]:
    return [
        NewVariant(item.sku, item.size, item.color, item.price_adjustment, item.stock)
        for item in items
    ]


def new_product(body: ProductIn) -> NewProduct:
    """The catalog's command for a validated body (GraphQL's createProduct builds it too)."""
    return NewProduct(
        name=body.name,
        description=body.description,
        brand=body.brand,
        category=body.category,
        price=body.price,
        variants=_variants(body.variants),
        tags=body.tags,
        attributes=body.attributes,
        images=body.images,
    )


def product_changes(body: ProductPatch) -> dict[str, Any]:
    """The catalog's changes for a validated patch: only the fields sent; a null sent stays
    null, for the catalog to refuse by name (GraphQL's updateProduct builds them too)."""
    changes = body.model_dump(exclude_unset=True, exclude={"variants"})
    if "variants" in body.model_fields_set:
        changes["variants"] = None if body.variants is None else _variants(body.variants)
    return changes


_PRICE_RANGE = (
    " A product's price range runs from its cheapest variant to its dearest, and a product "
    "matches when that range reaches into [min_price, max_price]: with min_price, when any "
    "variant costs at least min_price (its cheapest may cost less); with max_price, when "
    "any variant costs at most max_price. At most two decimals; min_price above max_price "
    "is refused (422)."
)


def browse_filters(
    category: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Only this category and everything below it: a path of up to 6 "
            "segments (`electronics/laptops`), in any letter case; empty: every category.",
            json_schema_extra={"pattern": CATEGORY_FILTER_PATTERN},
            examples=["electronics/laptops"],
        ),
    ] = None,
    brand: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only this brand, compared whole (not a prefix); empty: every brand.",
            examples=["Acme"],
        ),
    ] = None,
    min_price: Annotated[
        Decimal | None,
        Query(
            description="Lowest price wanted." + _PRICE_RANGE,
            json_schema_extra=PRICE_FILTER_SCHEMA,
            examples=[20],
        ),
    ] = None,
    max_price: Annotated[
        Decimal | None,
        Query(
            description="Highest price wanted." + _PRICE_RANGE,
            json_schema_extra=PRICE_FILTER_SCHEMA,
            examples=[100],
        ),
    ] = None,
    in_stock: Annotated[
        bool | None,
        Query(
            description="true: only products with a variant available now; false: only "
            "those with none; absent: both."
        ),
    ] = None,
) -> Browse:
    """The filters browse and search share, validated; a 422 names the offending one."""
    low, high = _price("min_price", min_price), _price("max_price", max_price)
    if low is not None and high is not None and low > high:
        raise unprocessable("min_price", "above max_price")
    try:
        path = domain.normalize_category(category) if category else None
    except CatalogError as exc:
        raise _invalid(exc) from exc
    return Browse(category=path, brand=brand, min_price=low, max_price=high, in_stock=in_stock)


BrowseDep = Annotated[Browse, Depends(browse_filters)]
ProductId = Annotated[
    str,
    Path(
        description="The product's id (a UUID), as `id` in its document.",
        examples=["0190f5a8-7b7e-7cc2-9d1e-1a2b3c4d5e6f"],
    ),
]


@router.get("/products", responses={200: {"model": ProductsOut}, **problems(422, *READ_WAIT)})
def browse_products(
    request: Request,
    container: ContainerDep,
    page: Annotated[PageParams, Query()],
    filters: BrowseDep,
    sort: Annotated[
        Sort,
        Query(
            description="`newest` first (the default), `price_asc` and `price_desc` by the "
            "cheapest variant's price, `name`, or `popular`: most units ordered, net of "
            "orders cancelled, refunded or left unpaid."
        ),
    ] = Sort.NEWEST,
    min_position: MinPosition = None,
) -> Response:
    """Browse active products with filters, a sort and pages."""
    body = container.catalog.browse(
        dataclasses.replace(filters, sort=sort),
        page=page.page,
        limit=page.limit,
        # A read after its own write trusts nothing cached, and is not kept.
        key=None if min_position else request.scope["query_string"],
    )
    return Response(body, media_type="application/json")


@router.get(
    "/products/{product_id}",
    responses={
        200: {"model": ProductOut},
        **problems((404, "No product with this id."), 422, *READ_WAIT),
    },
)
async def get_product_document(
    product_id: ProductId,
    request: Request,
    container: ContainerDep,
    min_position: MinPosition = None,
) -> Response:
    """The product document: variants with price and availability, images, category, brand."""
    catalog, viewer = container.catalog, viewer_of(presented_token(request))
    if not min_position and (page := catalog.cached_page(product_id, viewer)) is not None:
        return Response(page, media_type="application/json")
    page = await run_in_threadpool(catalog.product_page, product_id, viewer)
    return Response(page, media_type="application/json")


@router.post(
    "/products",
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        *JSON_BODY, 401, 403, (409, "A variant's SKU is already taken (`skus` lists them)."), 503
    ),
)
def create_product(body: ProductIn, container: ContainerDep, _: AdminDep) -> ProductWritten:
    """Create a product with its variants (SKUs) and their initial stock."""
    written = container.catalog.create_product(new_product(body))
    return ProductWritten(product_id=written.product_id, position=written.position)


@router.patch(
    "/products/{product_id}",
    responses=problems(
        *JSON_BODY,
        401,
        403,
        (404, "No product with this id."),
        (409, "A new variant's SKU is already taken (`skus` lists them)."),
        503,
    ),
)
def update_product(
    product_id: ProductId, body: ProductPatch, container: ContainerDep, _: AdminDep
) -> ProductWritten:
    """Change product fields (a price change is its own event); add variants."""
    written = container.catalog.update_product(product_id, product_changes(body))
    return ProductWritten(product_id=product_id, position=written.position)


@router.delete(
    "/products/{product_id}", responses=problems(401, 403, (404, "No product with this id."), 503)
)
def discontinue_product(
    product_id: ProductId, container: ContainerDep, _: AdminDep
) -> ProductWritten:
    """Discontinue a product: it leaves browse and search; its history stays."""
    written = container.catalog.discontinue_product(product_id)
    return ProductWritten(product_id=product_id, position=written.position)
