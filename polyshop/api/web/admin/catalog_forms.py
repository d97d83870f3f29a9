"""The catalog pages' forms: read with the CSRF check the admin's other forms have, and
turned into catalog input by the API's own rules (`catalog.product_rules`).

A product form has more fields than the admin's small forms (a row per variant and per
attribute), and image and CSV uploads carry a file, so they are read here with their own
bounds; the CSRF check and its refusal are the foundation's (`access`).

A refusal is kept per form field (`errors`, by the input's name), so a page can show each
reason beside its field and keep what was typed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from polyshop.api.web.admin.access import Admin, AdminPage, AdminRefused
from polyshop.api.web.storefront.pages import storefront_of
from polyshop.api.web.storefront.security import CSRF_FIELD, CsrfRefused
from polyshop.catalog import product_rules as rules
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.service import NewProduct, NewVariant

MAX_VARIANT_ROWS = rules.MAX_VARIANTS
MAX_ATTRIBUTE_ROWS = rules.MAX_ATTRIBUTES
#: The columns of a variant row: the form's suffix and the rules' field name.
VARIANT_FIELDS = (
    ("sku", "sku"),
    ("size", "size"),
    ("color", "color"),
    ("adj", "price_adjustment"),
    ("stock", "stock"),
)
_BY_RULE = {rule: short for short, rule in VARIANT_FIELDS}
#: Room for every row of a full product, and a text field's longest value.
_MAX_FIELDS = 5 * MAX_VARIANT_ROWS + 2 * MAX_ATTRIBUTE_ROWS + 40
_MAX_PART = 4 * rules.MAX_DESCRIPTION

EXPIRED = AdminRefused(
    403,
    "This form has expired",
    "The page you sent this from is too old, or came from another site. Nothing was "
    "changed: go back, reload the page and try again.",
)


@dataclass(frozen=True, slots=True)
class Posted:
    admin: Admin
    form: FormData


def _check(request: Request, form: FormData) -> None:
    token = form.get(CSRF_FIELD)
    try:
        storefront_of(request).csrf.check(request, token if isinstance(token, str) else None)
    except CsrfRefused:
        raise EXPIRED from None


async def product_form(request: Request, admin: AdminPage) -> Posted:
    """A product form, once the poster is an admin and its CSRF token matches."""
    form = await request.form(max_files=0, max_fields=_MAX_FIELDS, max_part_size=_MAX_PART)
    _check(request, form)
    return Posted(admin, form)


async def file_form(request: Request, admin: AdminPage) -> AsyncIterator[Posted]:
    """A form carrying one file (an image, a CSV), checked like any admin form; the file's
    size is bounded by the request's own limit (see `uploads`). Its spooled file is closed
    once the route is done with it."""
    form = await request.form(max_files=1, max_fields=10, max_part_size=_MAX_PART)
    try:
        _check(request, form)
        yield Posted(admin, form)
    finally:
        await form.close()


ProductForm = Annotated[Posted, Depends(product_form)]
FileForm = Annotated[Posted, Depends(file_form)]


def value(form: FormData, name: str) -> str:
    """A text field as posted ("" when absent or a file)."""
    got = form.get(name)
    return got if isinstance(got, str) else ""


def uploaded(form: FormData, name: str) -> UploadFile | None:
    got = form.get(name)
    return got if isinstance(got, UploadFile) and got.filename else None


@dataclass
class ProductInput:
    """A product form as typed (`values`, to show again) and what it makes, or why not."""

    values: dict[str, str]
    variant_rows: list[int] = field(default_factory=list)
    attribute_rows: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, exc: CatalogError) -> None:
        """Keep `exc` beside the field it names (the first reason a field gets stays)."""
        self.errors.setdefault(form_field(exc.field, self.variant_rows), str(exc))


def form_field(rule_field: str, rows: list[int]) -> str:
    """The form input a rule's field names: `variants.1.sku` is the SKU input of the
    second filled variant row; product fields are their own names."""
    parts = rule_field.split(".")
    if parts[0] == "variants" and len(parts) == 3 and parts[1].isdigit():
        index = int(parts[1])
        row = rows[index] if index < len(rows) else index
        return f"v_{_BY_RULE.get(parts[2], parts[2])}_{row}"
    if parts[0] == "attributes":
        return "attributes"
    return parts[0]


def read_input(form: FormData) -> ProductInput:
    """The typed values of a product form, with its filled variant and attribute rows."""
    names = [str(key) for key in form]
    values = {name: value(form, name) for name in names if name != CSRF_FIELD}
    typed = ProductInput(values)
    for row in range(MAX_VARIANT_ROWS):
        if any(values.get(f"v_{short}_{row}", "").strip() for short, _ in VARIANT_FIELDS):
            typed.variant_rows.append(row)
    for row in range(MAX_ATTRIBUTE_ROWS):
        if values.get(f"attr_name_{row}", "").strip() or values.get(f"attr_value_{row}", ""):
            typed.attribute_rows.append(row)
    return typed


def _variant_text(typed: ProductInput, row: int) -> rules.VariantText:
    get = typed.values.get
    return rules.VariantText(
        sku=get(f"v_sku_{row}", ""),
        size=get(f"v_size_{row}", ""),
        color=get(f"v_color_{row}", ""),
        price_adjustment=get(f"v_adj_{row}", ""),
        stock=get(f"v_stock_{row}", ""),
    )


def _attributes(typed: ProductInput) -> list[tuple[str, str]]:
    get = typed.values.get
    return [(get(f"attr_name_{r}", ""), get(f"attr_value_{r}", "")) for r in typed.attribute_rows]


def new_product(typed: ProductInput) -> NewProduct | None:
    """The product the form describes (None: `typed.errors` says why). Every variant row is
    checked, so each bad row shows its own reason at once."""
    for index, row in enumerate(typed.variant_rows):
        try:
            rules.variant(_variant_text(typed, row), f"variants.{index}.")
        except CatalogError as exc:
            typed.error(exc)
    try:
        product = rules.product(_product_text(typed))
    except CatalogError as exc:
        typed.error(exc)
        return None
    return None if typed.errors else product


def _product_text(typed: ProductInput) -> rules.ProductText:
    get = typed.values.get
    return rules.ProductText(
        name=get("name", ""),
        brand=get("brand", ""),
        category=get("category", ""),
        price=get("price", ""),
        description=get("description", ""),
        tags=rules.split_list(get("tags", "")),
        attributes=_attributes(typed),
        variants=[_variant_text(typed, row) for row in typed.variant_rows],
    )


def changes(typed: ProductInput) -> dict[str, Any] | None:
    """The edit form's fields as the catalog's changes, new variant rows as `variants`
    (None: `typed.errors` says why). Each field is checked before anything is written."""
    get = typed.values.get
    found: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("name", lambda: rules.text("name", get("name", ""), limit=rules.MAX_NAME)),
        ("brand", lambda: rules.text("brand", get("brand", ""), limit=rules.MAX_BRAND)),
        ("category", lambda: rules.category(get("category", ""))),
        ("price", lambda: rules.amount("price", get("price", ""))),
        ("tags", lambda: rules.tags(rules.split_list(get("tags", "")))),
        ("attributes", lambda: rules.attributes(_attributes(typed))),
        (
            "description",
            lambda: rules.text(
                "description",
                get("description", ""),
                limit=rules.MAX_DESCRIPTION,
                required=False,
                strip=False,
            ),
        ),
    ]
    for name, check in checks:
        try:
            found[name] = check()
        except CatalogError as exc:
            typed.error(exc)
    variants: list[NewVariant] = []
    for index, row in enumerate(typed.variant_rows):
        try:
            variants.append(rules.variant(_variant_text(typed, row), f"variants.{index}."))
        except CatalogError as exc:
            typed.error(exc)
    if "price" in found and not typed.errors:
        try:
            rules.check_variants(found["price"], variants)
        except CatalogError as exc:
            typed.error(exc)
    if typed.errors:
        return None
    return {**found, "variants": variants} if variants else found
