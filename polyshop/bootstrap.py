"""The composition root: the one place that knows every adapter and wires them by config."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from polyshop.catalog.documents import ProductDocumentProjection
from polyshop.catalog.page_cache import PageCacheInvalidator, ProductPageCache
from polyshop.config import Mode, Settings
from polyshop.container import Container
from polyshop.eventstore.notify import InProcessNotifier
from polyshop.eventstore.postgres import (
    PostgresAdvisoryLease,
    PostgresEventStore,
    PostgresNotifier,
    create_postgres_engine,
    masked,
)
from polyshop.eventstore.projections.file_lease import FileLease
from polyshop.eventstore.projections.ports import Lease, Projection
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.sqlite import SqliteEventStore, create_sqlite_engine
from polyshop.eventstore.stream_summaries import StreamSummaryProjection
from polyshop.eventstore.upcasting import Upcasters
from polyshop.migrations import runner as migrations
from polyshop.search.ports import SearchIndex
from polyshop.search.postgres_index import PostgresSearchIndex
from polyshop.search.tantivy_index import TantivyCatalogIndex, TantivySearchProjection

log = structlog.get_logger(__name__)


class StartupError(Exception):
    """The shop cannot start; the message says which setting or store is at fault."""


def build_projections(extra: list[Projection]) -> list[Projection]:
    return [StreamSummaryProjection(), ProductDocumentProjection(), *extra]


def build(settings: Settings, *, migrate: bool = True) -> Container:
    upcasters = Upcasters()
    store, read_engine, lease_factory = (
        _server(settings, upcasters)
        if settings.mode is Mode.SERVER
        else _embedded(settings, upcasters)
    )
    try:
        return _wire(settings, store, read_engine, lease_factory, migrate=migrate)
    except BaseException:
        store.close()  # its pools and notifier threads would outlive the failed start
        raise


def _wire(
    settings: Settings,
    store: SqlEventStore,
    read_engine: Engine,
    lease_factory: Callable[[str], Lease],
    *,
    migrate: bool,
) -> Container:
    if migrate:
        migrations.upgrade(store.write_engine)
    search: SearchIndex
    closers: list[Callable[[], None]] = []
    extra: list[Projection] = []
    if settings.mode is Mode.SERVER:
        search = PostgresSearchIndex(read_engine)
    else:
        tantivy_index = TantivyCatalogIndex(settings.data_dir / "search")
        search = tantivy_index
        extra.append(TantivySearchProjection(tantivy_index))
        closers.append(tantivy_index.close)
    runner = ProjectionRunner(
        store,
        build_projections(extra),
        lease_factory,
        batch_size=settings.projection_batch_size,
        poll_interval=settings.projection_poll_interval,
    )
    if migrate:
        runner.prepare()
    pages = ProductPageCache()
    invalidator = PageCacheInvalidator(
        pages,
        store,
        lambda: runner.position("product_documents"),
        store.notifier,
        runner.progress,
    )
    closers.insert(0, invalidator.stop)
    checks: dict[str, Callable[[], None]] = {"event_store": store.check}
    if read_engine is not store.write_engine and settings.mode is Mode.SERVER:
        checks["read_database"] = lambda: _ping(read_engine)
    return Container(
        settings=settings,
        store=store,
        runner=runner,
        read_engine=read_engine,
        ops_token=_ops_token(settings),
        lease_factory=lease_factory,
        search=search,
        product_pages=pages,
        background=[invalidator.start],
        readiness_checks=checks,
        closers=closers,
    )


def _embedded(
    settings: Settings, upcasters: Upcasters
) -> tuple[SqlEventStore, Engine, Callable[[str], Lease]]:
    path = settings.sqlite_path
    write_engine = create_sqlite_engine(path, writer=True)
    read_engine = create_sqlite_engine(path, writer=False)
    store = SqliteEventStore(write_engine, read_engine, InProcessNotifier(), upcasters)
    locks = settings.data_dir / "locks"
    return store, read_engine, lambda name: FileLease(locks / f"{name.replace(':', '.')}.lock")


def _server(
    settings: Settings, upcasters: Upcasters
) -> tuple[SqlEventStore, Engine, Callable[[str], Lease]]:
    url = settings.database_url
    assert url is not None
    engine = create_postgres_engine(url, pool_size=settings.db_pool_size)
    try:
        _ping(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StartupError(f"cannot reach PostgreSQL at {masked(url)}: {reason}") from exc
    read_engine = engine
    if settings.read_database_url:
        read_engine = create_postgres_engine(
            settings.read_database_url, pool_size=settings.db_pool_size
        )
    store = PostgresEventStore(engine, engine, PostgresNotifier(url), upcasters)
    return store, read_engine, lambda name: PostgresAdvisoryLease(url, name)


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def _ops_token(settings: Settings) -> str | None:
    """The operator token: from settings, or in embedded mode one made once under the data dir."""
    if settings.ops_token:
        return settings.ops_token
    if settings.mode is Mode.SERVER:
        log.warning("POLYSHOP_OPS_TOKEN is not set: operator endpoints refuse every request")
        return None
    path: Path = settings.data_dir / "ops-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()
