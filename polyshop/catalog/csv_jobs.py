"""CSV imports running in the background, each under an id a page can poll for progress.

Reading and checking a file takes well under a second, so a file that cannot be imported at
all is refused at once (`CsvRefused`); creating its products (one transaction each, through
the catalog's door like any other write) runs on a thread, and `status` says how far it
got. At most `running` imports run at once in a process (another is refused with
`ImportsBusy`: each holds a thread and the write lock's attention for minutes). Jobs live in
this process's memory: those running, and the most recent `keep` finished (older finished
ones are forgotten first). A server of several workers therefore shows an import's
progress only on the worker that took the upload.

Each thread runs in a copy of the starting request's context, so the events it appends
carry that request's actor and correlation id, as if the admin had created each product.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from polyshop.catalog.csv_import import ProductRows, RowError, read
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import DuplicateSku
from polyshop.catalog.service import Catalog
from polyshop.values.ids import new_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImportStatus:
    """Where an import stands: rows done out of `total_rows`, products created, and the
    rows refused (in row order once `done`)."""

    id: str
    total_rows: int
    processed_rows: int = 0
    created: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()
    done: bool = False
    #: Set when the import stopped on an unexpected failure (the rest was not imported).
    failure: str | None = None
    #: Products not imported because a row of theirs was refused.
    refused: int = 0
    #: The log position of the last product written (what a read of it waits for).
    position: int = 0


class ImportsBusy(Exception):
    """As many imports as a process runs at once are running: try again when one ends."""

    def __init__(self, running: int) -> None:
        self.running = running
        super().__init__(
            f"{running} imports are running already; start this one when one has finished"
        )


@dataclass(slots=True)
class _Job:
    status: ImportStatus
    lock: threading.Lock = field(default_factory=threading.Lock)


class CsvImports:
    def __init__(self, catalog: Catalog, *, keep: int = 50, running: int = 2) -> None:
        self._catalog = catalog
        self._keep = keep
        self._running = running
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, data: bytes) -> str:
        """Check the file and start importing its good products; the job's id. Raises
        CsvRefused (nothing imported) for a file that cannot be read as an import, and
        ImportsBusy when `running` imports are running already."""
        products, rows = read(data)
        job_id = new_id()
        job = _Job(ImportStatus(job_id, rows))
        with self._lock:
            finished = [key for key, known in self._jobs.items() if known.status.done]
            if len(self._jobs) - len(finished) >= self._running:
                raise ImportsBusy(len(self._jobs) - len(finished))
            for key in finished[: max(0, len(finished) - self._keep)]:  # the oldest first
                del self._jobs[key]
            self._jobs[job_id] = job
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(self._run, job, products), name=f"csv-import-{job_id[-8:]}"
        )
        thread.daemon = True
        thread.start()
        return job_id

    def status(self, job_id: str) -> ImportStatus | None:
        """The job's progress; None for an id this process does not know (or forgot)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            return None
        with job.lock:
            return job.status

    def run_now(self, data: bytes) -> ImportStatus:
        """Import on the calling thread and answer the finished status (the CLI, tests)."""
        products, rows = read(data)
        job = _Job(ImportStatus(new_id(), rows))
        self._run(job, products)
        return job.status

    def _run(self, job: _Job, products: list[ProductRows]) -> None:
        try:
            for item in products:
                self._import(job, item)
        except Exception as exc:  # reported on the page; the log has the traceback
            log.exception("csv import %s stopped", job.status.id)
            self._update(job, failure=f"stopped by an unexpected error: {type(exc).__name__}")
        with job.lock:
            errors = tuple(sorted(job.status.errors, key=lambda e: (e.row, e.field)))
            job.status = replace(job.status, errors=errors, done=True)

    def _import(self, job: _Job, item: ProductRows) -> None:
        errors = list(item.errors)
        created, position = None, 0
        if item.product is not None:
            try:
                written = self._catalog.create_product(item.product)
                created, position = written.product_id, written.position
            except DuplicateSku as exc:
                errors = _taken(item, exc.skus)
            except CatalogError as exc:
                errors = [RowError(r, exc.field, str(exc)) for r in item.rows]
        with job.lock:
            status = job.status
            job.status = replace(
                status,
                processed_rows=status.processed_rows + len(item.rows),
                created=status.created + ((created,) if created else ()),
                errors=status.errors + tuple(errors),
                refused=status.refused + (1 if errors else 0),
                position=max(status.position, position),
            )

    def _update(self, job: _Job, **changes: object) -> None:
        with job.lock:
            job.status = replace(job.status, **changes)  # type: ignore[arg-type]


def _taken(item: ProductRows, skus: list[str]) -> list[RowError]:
    """A product refused because the shop already has some of its SKUs: those rows say so,
    the others are held back with them."""
    assert item.product is not None
    taken = set(skus)
    errors = []
    for row, variant in zip(item.rows, item.product.variants, strict=True):
        if variant.sku in taken:
            errors.append(RowError(row, "sku", f"{variant.sku} is already in the catalog"))
        else:
            errors.append(
                RowError(row, "", "not imported: another row of this product was refused")
            )
    return errors
