"""Creating and editing a product (/admin/products/new, /admin/products/{id}), and
discontinuing it: forms read by the API's rules, writes through `Catalog` as REST makes them.

A form that breaks a rule is shown again with what was typed and each reason beside its
field (422), and nothing is written: every field is checked first, and a SKU another product
has is refused before the first write. After a write the page is read at the position the
write answered (`min_position`), so the admin sees what they saved.

The edit form carries the product's version (hidden): a save made after someone else
changed the product is refused (409, "changed by someone else meanwhile") and changes
nothing, the catalog checking the version under the product's lock.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.api.rest.dependencies import read_model_at
from polyshop.api.web.admin.access import Admin, AdminPage, AdminRefused
from polyshop.api.web.admin.catalog_forms import (
    ProductForm,
    ProductInput,
    changes,
    new_product,
    read_input,
)
from polyshop.api.web.admin.catalog_list import PRODUCTS_PATH
from polyshop.api.web.admin.image_views import gallery
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.api.web.storefront.urls import product_url
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import DuplicateSku, ProductChanged, ProductNotFound
from polyshop.catalog.service import READ_MODEL, NewVariant
from polyshop.runtime.correlation import acting_as

router = APIRouter(include_in_schema=False)

NEW_PATH = PRODUCTS_PATH + "/new"
#: Blank rows a form offers beyond those filled (no script needed to add one).
SPARE_VARIANT_ROWS, SPARE_ATTRIBUTE_ROWS = 3, 2
SAVED = {
    "created": "Product created.",
    "saved": "Changes saved.",
    "image": "Image added.",
    "images": "Images updated.",
    "discontinued": "Product discontinued: it has left the shop's listings and search; "
    "its history stays.",
}
MinPosition = Annotated[int | None, Depends(read_model_at(READ_MODEL))]


def _rows(filled: list[int], spare: int) -> list[int]:
    """The row numbers a form shows: those filled, then `spare` blank ones."""
    last = max(filled, default=-1)
    return sorted({*filled, *range(last + 1, last + 1 + spare)})


def render_product(
    request: Request,
    admin: Admin,
    typed: ProductInput,
    product: dict[str, Any] | None,
    status: int = 200,
    saved: str = "",
    **extra: Any,
) -> HTMLResponse:
    """The product form (a new product when `product` is None); `extra` for the image
    section: `upload_error`, and `image_errors` and `alts` by image id."""
    pages = admin_pages(request)
    images = gallery(pages.storefront.container, product["id"]) if product else []
    if product and "version" not in typed.values:  # a form shown again by the image pages
        version = pages.storefront.container.catalog.product_version(product["id"])
        typed.values["version"] = str(version) if version is not None else ""
    return pages.render(
        request,
        "product_form.html",
        admin,
        status,
        typed=typed,
        product=product,
        variant_rows=_rows(typed.variant_rows, SPARE_VARIANT_ROWS if product else 5),
        attribute_rows=_rows(typed.attribute_rows, SPARE_ATTRIBUTE_ROWS),
        images=images,
        shop_url=product_url(product["id"], product["name"]) if product else "",
        saved=SAVED.get(saved, ""),
        **{"upload_error": "", "image_errors": {}, "alts": {}, "conflict": False, **extra},
    )


@router.get(NEW_PATH)
def new_page(request: Request, admin: AdminPage) -> HTMLResponse:
    return render_product(request, admin, ProductInput({}), None)


@router.post(NEW_PATH)
def create(request: Request, post: ProductForm) -> Response:
    """Create the product the form describes, or show the form again with the reasons."""
    typed = read_input(post.form)
    product = new_product(typed)
    container = admin_pages(request).storefront.container
    if product is not None and not _skus_free(typed, [v.sku for v in product.variants], container):
        product = None
    if product is None:
        return render_product(request, post.admin, typed, None, 422)
    try:
        with acting_as(post.admin.viewer.actor):
            written = container.catalog.create_product(product)
    except DuplicateSku as exc:
        _taken(typed, [v.sku for v in product.variants], exc.skus)
        return render_product(request, post.admin, typed, None, 422)
    return back_to(written.product_id, written.position, "created")


def _skus_free(typed: ProductInput, skus: list[str], container: Any) -> bool:
    owners = container.catalog_admin.sku_owners(skus)
    _taken(typed, skus, list(owners))
    return not owners


def _taken(typed: ProductInput, skus: list[str], taken: list[str]) -> None:
    for index, sku in enumerate(skus):
        if sku in taken:
            typed.error(CatalogError(f"variants.{index}.sku", f"{sku} is already in the catalog"))


def back_to(product_id: str, position: int, saved: str) -> RedirectResponse:
    at = f"min_position={position}&" if position > 0 else ""
    return RedirectResponse(f"{PRODUCTS_PATH}/{product_id}?{at}saved={saved}", status_code=303)


def document_or_404(request: Request, product_id: str) -> dict[str, Any]:
    doc = admin_pages(request).storefront.container.catalog.product_document(product_id)
    if doc is None:
        raise AdminRefused(404, "No such product", "There is no product with this id.")
    return doc


def values_of(doc: dict[str, Any]) -> ProductInput:
    """An edit form's values: the product as it stands."""
    values = {
        "name": doc["name"],
        "description": doc["description"],
        "brand": doc["brand"],
        "category": doc["category"],
        "price": str(doc["price"]),
        "tags": ", ".join(doc.get("tags", [])),
    }
    attributes = sorted(doc.get("attributes", {}).items())
    for row, (name, text) in enumerate(attributes):
        values[f"attr_name_{row}"], values[f"attr_value_{row}"] = name, text
    return ProductInput(values, attribute_rows=list(range(len(attributes))))


@router.get(PRODUCTS_PATH + "/{product_id}")
def edit_page(
    request: Request,
    product_id: str,
    admin: AdminPage,
    _: MinPosition = None,
    saved: str = "",
) -> HTMLResponse:
    # The version is read before the document: a document newer than it is refused on save
    # (reload), never one older saved over a newer product.
    version = admin_pages(request).storefront.container.catalog.product_version(product_id)
    doc = document_or_404(request, product_id)
    typed = values_of(doc)
    typed.values["version"] = str(version) if version is not None else ""
    return render_product(request, admin, typed, doc, saved=saved)


@router.post(PRODUCTS_PATH + "/{product_id}")
def update(request: Request, product_id: str, post: ProductForm) -> Response:
    """Save the edit form (new variant rows are added), or show it again with reasons."""
    doc = document_or_404(request, product_id)
    typed = read_input(post.form)
    found = changes(typed)
    container = admin_pages(request).storefront.container
    new: list[NewVariant] = found.get("variants", []) if found else []
    if found is None or not _skus_free(typed, [v.sku for v in new], container):
        return render_product(request, post.admin, typed, doc, 422)
    expected = ascii_int(typed.values.get("version"), 9)
    try:
        with acting_as(post.admin.viewer.actor):
            written = container.catalog.update_product(product_id, found, expected)
    except ProductChanged:
        return render_product(request, post.admin, typed, doc, 409, conflict=True)
    except (CatalogError, DuplicateSku) as exc:
        if isinstance(exc, DuplicateSku):
            _taken(typed, [v.sku for v in new], exc.skus)
        else:
            typed.error(exc)
        return render_product(request, post.admin, typed, doc, 422)
    except ProductNotFound:
        raise AdminRefused(404, "No such product", "There is no product with this id.") from None
    return back_to(product_id, written.position, "saved")


@router.post(PRODUCTS_PATH + "/{product_id}/discontinue")
def discontinue(request: Request, product_id: str, post: ProductForm) -> Response:
    """Take the product off sale: it leaves browse and search; its history stays."""
    container = admin_pages(request).storefront.container
    try:
        with acting_as(post.admin.viewer.actor):
            written = container.catalog.discontinue_product(product_id)
    except ProductNotFound:
        raise AdminRefused(404, "No such product", "There is no product with this id.") from None
    return back_to(product_id, written.position, "discontinued")
