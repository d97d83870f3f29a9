"""The catalog's door for the admin: what only admins ask of the catalog, beside the writes
every face shares (`Catalog`).

- the product list with every status (discontinued products stay findable), a SKU or a
  name to look for, browse's filters, and pages bounded at any catalog size;
- bulk imports from CSV, run in the background with their progress (`csv_jobs`).

Writes go through `Catalog` (create, update, discontinue, images through `Media`), so the
admin changes the shop exactly as REST and GraphQL do.
"""

from __future__ import annotations

from sqlalchemy import Engine

from polyshop.catalog import admin_queries
from polyshop.catalog.admin_queries import AdminFilter, AdminPage
from polyshop.catalog.csv_jobs import CsvImports, ImportsBusy, ImportStatus
from polyshop.catalog.service import Catalog

__all__ = ["AdminFilter", "AdminPage", "CatalogAdmin", "ImportStatus", "ImportsBusy"]


class CatalogAdmin:
    #: The read model the product list answers from (what a read of a write waits on).
    read_model = Catalog.read_model
    max_offset = admin_queries.MAX_OFFSET
    count_cap = admin_queries.COUNT_CAP

    def __init__(self, catalog: Catalog, documents: Engine) -> None:
        self.catalog = catalog
        self._documents = documents
        self.imports = CsvImports(catalog)

    def products(self, where: AdminFilter, *, page: int, limit: int) -> AdminPage:
        """One page of the admin's product list (newest first; by name for a name search,
        a SKU typed whole putting its product first). Pages past `max_offset` products
        show the last page allowed: narrow the filters to go further."""
        offset = (max(page, 1) - 1) * limit
        return admin_queries.admin_products(self._documents, where, limit=limit, offset=offset)

    def sku_owners(self, skus: list[str]) -> dict[str, str]:
        """Which of `skus` (normalized) a product has already, and which product: checked
        before a form's writes begin, so a taken SKU refuses the form with nothing written.
        The write decides in the end (DuplicateSku), should two admins race."""
        return admin_queries.sku_owners(self._documents, skus)

    def start_import(self, data: bytes) -> str:
        """Check a CSV file (see `csv_import` for its columns) and import its good products
        in the background; the job's id for `import_status`. Raises CsvRefused, or
        ImportsBusy when this process runs as many imports as it allows at once."""
        return self.imports.start(data)

    def import_status(self, job_id: str) -> ImportStatus | None:
        return self.imports.status(job_id)
