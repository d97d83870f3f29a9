"""Bulk import from CSV (/admin/products/import): upload a file, watch its progress, read
the rows refused and why.

The file is checked as a whole at once (a file that cannot be an import is refused beside
the upload field, nothing imported); its products are then created in the background by
`CatalogAdmin.start_import`, and the job's page refreshes itself every second (a meta
refresh: no script) until the import is done, then shows the per-row report.

Jobs live in the memory of the serving process that runs them (`csv_jobs`): a server of
several workers shows an import's progress only on the worker that took the upload (the
page says "not known here" on another). A process runs two imports at once; a third is
refused (429) with nothing imported.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.api.web.admin.access import Admin, AdminPage, AdminRefused
from polyshop.api.web.admin.catalog_forms import FileForm, uploaded
from polyshop.api.web.admin.catalog_list import PRODUCTS_PATH
from polyshop.api.web.admin.pages import admin_pages
from polyshop.catalog import csv_import
from polyshop.catalog.admin_service import ImportsBusy, ImportStatus
from polyshop.catalog.csv_import import CsvRefused
from polyshop.runtime.correlation import acting_as

router = APIRouter(include_in_schema=False)

IMPORT_PATH = PRODUCTS_PATH + "/import"
_JOB_ID = re.compile(r"^[0-9a-f-]{36}$")
COLUMNS = (
    ("product", "Groups rows into one product (any text); required"),
    ("name, brand, category, price", "Required on a product's first row"),
    ("description", "Plain text"),
    ("tags", "Separated by |"),
    ("images", "Image URLs (https://…) or paths, separated by |"),
    ("sku", "The row's variant; required, unique in the shop"),
    ("size, color", "Optional"),
    ("price_adjustment", "Added to the price, like -2.50; optional"),
    ("stock", "Starting units; optional (0)"),
    ("attr:<name>", "An attribute, e.g. attr:material"),
)
EXAMPLE = (
    "product,name,brand,category,price,sku,size,color,stock,attr:material\n"
    "tee-1,Cotton tee,Acme,clothing/tops,19.99,TEE-RED-S,S,red,10,cotton\n"
    "tee-1,,,,,TEE-RED-M,M,red,12,\n"
)


def _form(request: Request, admin: Admin, status: int = 200, error: str = "") -> HTMLResponse:
    return admin_pages(request).render(
        request,
        "import.html",
        admin,
        status,
        error=error,
        columns=COLUMNS,
        example=EXAMPLE,
        max_rows=csv_import.MAX_ROWS,
        max_mb=csv_import.MAX_BYTES // (1024 * 1024),
    )


@router.get(IMPORT_PATH)
def import_page(request: Request, admin: AdminPage) -> HTMLResponse:
    return _form(request, admin)


@router.post(IMPORT_PATH)
def start_import(request: Request, post: FileForm) -> Response:
    """Start importing the posted file; its progress page follows."""
    file = uploaded(post.form, "file")
    if file is None:
        return _form(request, post.admin, 422, "Choose a CSV file to import.")
    data = file.file.read(csv_import.MAX_BYTES + 1)
    catalog_admin = admin_pages(request).storefront.container.catalog_admin
    try:
        with acting_as(post.admin.viewer.actor):  # the import's events name the admin
            job_id = catalog_admin.start_import(data)
    except CsvRefused as exc:
        return _form(request, post.admin, 422, f"Nothing was imported: {exc}.")
    except ImportsBusy as exc:
        return _form(request, post.admin, 429, f"Nothing was imported: {exc}.")
    return RedirectResponse(f"{IMPORT_PATH}/{job_id}", status_code=303)


@router.get(IMPORT_PATH + "/{job_id}")
def progress_page(request: Request, job_id: str, admin: AdminPage) -> HTMLResponse:
    """The import's progress bar while it runs (refreshing each second), then its report."""
    catalog_admin = admin_pages(request).storefront.container.catalog_admin
    status = catalog_admin.import_status(job_id) if _JOB_ID.match(job_id) else None
    if status is None:
        raise AdminRefused(
            404,
            "No such import",
            "This import is not known here: it ended a long time ago, or the shop restarted.",
        )
    return admin_pages(request).render(
        request, "import_progress.html", admin, job=status, percent=_percent(status)
    )


def _percent(status: ImportStatus) -> int:
    total, done = status.total_rows, status.processed_rows
    return 100 if not total else min(100, done * 100 // total)
