"""Products from a CSV file: read, grouped into products, each checked by the API's rules.

The file (UTF-8, a header row first, comma-separated, quoted as spreadsheets write it) has
one row per variant; rows sharing a `product` key make one product. Columns, in any order
and letter case:

- `product` (required): the key grouping rows into one product (any text, e.g. `tee-1`);
- `name`, `brand`, `category`, `price` (required on a product's first row), `description`,
  `tags` (separated by `|`), `images` (image URLs or paths, separated by `|`): product
  fields, read from the product's first row; a later row of the product may leave them
  empty or repeat them, but not give another value;
- `sku` (required), `size`, `color`, `price_adjustment`, `stock`: the row's variant;
- `attr:<name>` (e.g. `attr:material`): an attribute of the product.

A product whose rows are all good is imported whole, in one transaction; a product with
any bad row is not imported at all, and every one of its rows is reported (the bad ones
with their reason). Row numbers are the file's line numbers as a spreadsheet shows them
(the header is row 1). Files are bounded: `MAX_BYTES` bytes, `MAX_ROWS` rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from polyshop.catalog import product_rules as rules
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.service import NewProduct

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 80
PRODUCT_COLUMNS = ("name", "description", "brand", "category", "price", "tags", "images")
VARIANT_COLUMNS = ("sku", "size", "color", "price_adjustment", "stock")
REQUIRED_COLUMNS = ("product", "name", "brand", "category", "price", "sku")
ATTRIBUTE_PREFIX = "attr:"
_KNOWN = frozenset(("product", *PRODUCT_COLUMNS, *VARIANT_COLUMNS))


class CsvRefused(ValueError):
    """The file as a whole cannot be read as an import (nothing of it is imported)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was not imported: `field` names the column (empty: the whole row)."""

    row: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ProductRows:
    """One product of the file: its key, the rows it came from, and what they make (None
    when a row is bad: `errors` then says why)."""

    key: str
    rows: tuple[int, ...]
    product: NewProduct | None
    errors: tuple[RowError, ...] = ()


@dataclass(slots=True)
class _Group:
    key: str
    rows: list[int] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)


def read(data: bytes) -> tuple[list[ProductRows], int]:
    """The file's products, each validated, and its number of data rows. Raises CsvRefused
    for a file that is too large, not UTF-8 text, without the required columns, or empty."""
    if len(data) > MAX_BYTES:
        raise CsvRefused(f"the file has more than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRefused("the file is not UTF-8 text") from exc
    groups, count = _grouped(csv.reader(io.StringIO(content, newline="")))
    return [_product(group) for group in groups], count


def _header(reader: Iterator[list[str]]) -> list[str]:
    row = next(reader, None)
    if row is None:
        raise CsvRefused("the file is empty: the first row must name the columns")
    names = [name.strip().lower() for name in row]
    if len(names) > MAX_COLUMNS:
        raise CsvRefused(f"the file has more than {MAX_COLUMNS} columns")
    unknown = [n for n in names if n and n not in _KNOWN and not n.startswith(ATTRIBUTE_PREFIX)]
    if unknown:
        raise CsvRefused(f"unknown column {unknown[0]!r}")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise CsvRefused(f"the header row lacks the column {missing[0]!r}")
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise CsvRefused(f"the column {repeated[0]!r} is given twice")
    return names


def _grouped(reader: Iterator[list[str]]) -> tuple[list[_Group], int]:
    """The rows grouped by product key, in the order keys first appear."""
    try:
        names = _header(reader)
        groups: dict[str, _Group] = {}
        count = 0
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # a blank line, as spreadsheets leave at the end
            count += 1
            if count > MAX_ROWS:
                raise CsvRefused(f"the file has more than {MAX_ROWS:,} rows")
            cells = {n: v for n, v in zip(names, row, strict=False) if n}
            if len(row) > len(names) and any(c.strip() for c in row[len(names) :]):
                cells["\x00extra"] = "1"
            key = cells.get("product", "").strip()
            group = groups.setdefault(key, _Group(key))
            group.rows.append(line)
            group.cells.append(cells)
    except csv.Error as exc:
        raise CsvRefused(f"the file is not valid CSV: {exc}") from exc
    if not groups:
        raise CsvRefused("the file has no rows below its header")
    return list(groups.values()), count


def _product(group: _Group) -> ProductRows:
    """The group's product, or why not: every bad row with its reason, and the rest named
    as held back with it (nothing of a product is imported unless all of it is)."""
    errors = [
        RowError(r, *why)
        for r, c in zip(group.rows, group.cells, strict=True)
        if (why := _row_problem(group, c)) is not None
    ]
    first = group.cells[0]
    built: NewProduct | None = None
    if not errors:
        try:
            built = rules.product(_fields(first, group.cells))
        except CatalogError as exc:
            errors.append(_placed(group, exc))
    if errors:
        bad = {e.row for e in errors}
        held = [
            RowError(r, "", "not imported: another row of this product was refused")
            for r in group.rows
            if r not in bad
        ]
        return ProductRows(
            group.key, tuple(group.rows), None, tuple(sorted(errors + held, key=_by_row))
        )
    return ProductRows(group.key, tuple(group.rows), built)


def _by_row(error: RowError) -> int:
    return error.row


def _row_problem(group: _Group, cells: dict[str, str]) -> tuple[str, str] | None:
    """What is wrong with one row on its own: no key, stray cells, product fields that
    disagree with the product's first row, or a bad variant."""
    if not group.key:
        return "product", "is required (it groups rows into products)"
    if "\x00extra" in cells:
        return "", "has more cells than the header has columns"
    first = group.cells[0]
    if cells is not first:
        for name in (*PRODUCT_COLUMNS, *(n for n in cells if n.startswith(ATTRIBUTE_PREFIX))):
            value = cells.get(name, "").strip()
            if value and value != first.get(name, "").strip():
                return name, "differs from the product's first row (leave it empty or repeat it)"
    try:
        rules.variant(_variant_text(cells))
    except CatalogError as exc:
        return exc.field, str(exc)
    return None


def _placed(group: _Group, error: CatalogError) -> RowError:
    """A product-level refusal, on the row it comes from: `variants.2.sku` is the third
    row's `sku`; a product field is the first row's."""
    parts = error.field.split(".")
    if parts[0] == "variants" and len(parts) == 3 and parts[1].isdigit():
        return RowError(group.rows[int(parts[1])], parts[2], str(error))
    column = error.field.split(".")[0]
    if column == "attributes" and "." in error.field:
        column = ATTRIBUTE_PREFIX + error.field.split(".", 1)[1]
    return RowError(group.rows[0], column, str(error))


def _variant_text(cells: dict[str, str]) -> rules.VariantText:
    return rules.VariantText(
        sku=cells.get("sku", ""),
        size=cells.get("size", ""),
        color=cells.get("color", ""),
        price_adjustment=cells.get("price_adjustment", ""),
        stock=cells.get("stock", ""),
    )


def _fields(first: dict[str, str], rows: list[dict[str, str]]) -> rules.ProductText:
    attributes = [
        (name[len(ATTRIBUTE_PREFIX) :], value)
        for name, value in first.items()
        if name.startswith(ATTRIBUTE_PREFIX) and value.strip()
    ]
    return rules.ProductText(
        name=first.get("name", ""),
        brand=first.get("brand", ""),
        category=first.get("category", ""),
        price=first.get("price", ""),
        description=first.get("description", ""),
        tags=rules.split_list(first.get("tags", ""), "|"),
        images=rules.split_list(first.get("images", ""), "|"),
        attributes=attributes,
        variants=[_variant_text(cells) for cells in rows],
    )
