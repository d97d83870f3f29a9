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
from polyshop.api.rest.pagination import Page, PageParams
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.catalog import commands, domain
from polyshop.catalog.domain import CatalogError, ProductDraft, Variant, is_product_id
from polyshop.catalog.page_cache import ProductPageCache
from polyshop.catalog.queries import Browse, Sort, get_product, list_products
from polyshop.money import InvalidAmount, parse_amount

router = APIRouter(prefix="/api/v1", tags=["catalog"])

READ_MODEL = "product_documents"
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


def _variants(items: list[VariantIn]) -> tuple[tuple[Variant, ...], dict[str, int]]:
    variants, stock = [], {}
    for i, item in enumerate(items):
        try:
            sku = domain.normalize_sku(item.sku)
        except CatalogError as exc:
            raise _invalid(exc, f"variants.{i}.") from exc
        variants.append(Variant(sku, item.size, item.color, item.price_adjustment))
        stock[sku] = item.stock
    return tuple(variants), stock


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
    browse = dataclasses.replace(filters, sort=sort)
    pages = container.product_pages
    key = dataclasses.astuple(browse)[:-1]  # the total does not depend on the sort
    token = pages.token()
    known = None if min_position else pages.total(key)
    entries, total = list_products(
        container.read_engine,
        browse,
        limit=page.limit,
        offset=page.offset,
        known_total=known,
        # A cached page may predate `min_position` until the invalidator catches up.
        reuse=None if min_position else pages.rendered,
    )
    if known is None:
        pages.put_total(key, total, token)
    # Each product is rendered once and cached as its product page is (evicted by its
    # events); a listing is those pages joined, not twenty documents validated again.
    parts = [e if isinstance(e, bytes) else _render(pages, e, token) for _, e in entries]
    envelope = Page(**page.envelope(total)).model_dump_json().encode()
    body = b'{"products":[' + b",".join(parts) + b"]," + envelope[1:]
    if not min_position:  # served from memory next time, until what it shows changes
        pages.put_listing(
            request.scope["query_string"],
            body,
            [product_id for product_id, _ in entries],
            sort is Sort.POPULAR,
            token,
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
    pages = container.product_pages
    if not min_position and (page := pages.get(product_id)) is not None:
        container.signals.view(product_id, viewer_of(presented_token(request)))
        return Response(page, media_type="application/json")
    token = pages.token()
    doc = (
        await run_in_threadpool(get_product, container.read_engine, product_id)
        if is_product_id(product_id)
        else None
    )
    if doc is None:
        container.signals.ignore()
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")
    page = _render(pages, doc, token)
    if doc["status"] == domain.ACTIVE:
        container.signals.view(product_id, viewer_of(presented_token(request)))
    else:
        container.signals.ignore()  # a discontinued product: shown, not counted
    return Response(page, media_type="application/json")


def _render(pages: ProductPageCache, doc: dict[str, Any], token: int) -> bytes:
    """The product page of `doc`, kept in the page cache for product pages and listings.

    Only pages of products on sale are cached, so every cache hit is a view to count.
    """
    page = ProductOut.of(doc).model_dump_json().encode()
    if doc["status"] == domain.ACTIVE:
        pages.put(doc["id"], page, (v["sku"] for v in doc["variants"]), token)
    return page


@router.post(
    "/products",
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        *JSON_BODY, 401, 403, (409, "A variant's SKU is already taken (`skus` lists them)."), 503
    ),
)
def create_product(body: ProductIn, container: ContainerDep, _: AdminDep) -> ProductWritten:
    """Create a product with its variants (SKUs) and their initial stock."""
    variants, stock = _variants(body.variants)
    try:
        draft = ProductDraft(
            name=body.name,
            description=body.description,
            brand=body.brand,
            category=body.category,
            price=body.price,
            variants=variants,
            tags=tuple(body.tags),
            attributes=dict(body.attributes),
            images=tuple(body.images),
        )
        written = commands.create_product(container.store, draft, stock)
    except CatalogError as exc:
        raise _invalid(exc) from exc
    except commands.DuplicateSku as exc:
        raise _duplicate(exc) from exc
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
    _known(product_id)
    nulls = sorted(k for k, v in body.model_dump(exclude_unset=True).items() if v is None)
    if nulls:  # absent keeps a field; null would erase it, which no field allows
        raise unprocessable(nulls[0], "cannot be null; leave it out to keep it")
    changes = body.model_dump(exclude_unset=True, exclude={"variants"})
    new_variants, stock = _variants(body.variants or [])
    try:
        written = commands.update_product(container.store, product_id, changes)
        position = written.position
        for variant in new_variants:
            position = commands.add_variant(
                container.store, product_id, variant, stock[variant.sku]
            ).position
    except CatalogError as exc:
        raise _invalid(exc) from exc
    except commands.DuplicateSku as exc:
        raise _duplicate(exc) from exc
    except commands.ProductNotFound as exc:
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found") from exc
    return ProductWritten(product_id=product_id, position=position)


@router.delete(
    "/products/{product_id}", responses=problems(401, 403, (404, "No product with this id."), 503)
)
def discontinue_product(
    product_id: ProductId, container: ContainerDep, _: AdminDep
) -> ProductWritten:
    """Discontinue a product: it leaves browse and search; its history stays."""
    _known(product_id)
    try:
        written = commands.discontinue_product(container.store, product_id)
    except commands.ProductNotFound as exc:
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found") from exc
    return ProductWritten(product_id=product_id, position=written.position)


def _known(product_id: str) -> None:
    if not is_product_id(product_id):
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")


def _duplicate(exc: commands.DuplicateSku) -> Problem:
    return Problem(409, str(exc), slug="duplicate-sku", title="SKU already exists", skus=exc.skus)
