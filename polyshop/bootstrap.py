"""The composition root: the one place that knows every adapter and wires them by config."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from polyshop.accounts.ports import AttemptCounter, SessionStore
from polyshop.accounts.redis_store import RedisAttemptCounter, RedisSessionStore
from polyshop.accounts.service import Accounts
from polyshop.accounts.sessions import Sessions
from polyshop.accounts.sql_store import SqlAttemptCounter, SqlSessionStore
from polyshop.accounts.throttle import LoginThrottle
from polyshop.analytics.domain import viewer_key
from polyshop.analytics.duckdb_store import DuckDbAnalyticsStore
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.postgres_store import PostgresAnalyticsStore
from polyshop.analytics.recorder import SignalRecorder
from polyshop.analytics.retention import analytics_retention
from polyshop.analytics.sales import SalesProjection
from polyshop.analytics.service import Analytics
from polyshop.api.rest.product_json import RestProductJson, recommendations_json
from polyshop.cart.ordered import OrderedCartsProjection
from polyshop.cart.ports import CartStore
from polyshop.cart.redis_store import RedisCartStore
from polyshop.cart.service import Carts, price_watcher
from polyshop.cart.sql_store import SqlCartStore
from polyshop.catalog.documents import CATALOG_EVENTS, ProductDocumentProjection
from polyshop.catalog.page_cache import ProductPageCache, page_cache_invalidator
from polyshop.catalog.service import Catalog
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
from polyshop.eventstore.service import EventLog
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.sqlite import SqliteEventStore
from polyshop.eventstore.stream_summaries import StreamSummaryProjection
from polyshop.eventstore.upcasting import Upcasters
from polyshop.inventory import stock
from polyshop.inventory.service import Inventory
from polyshop.migrations import runner as migrations
from polyshop.orders.checkout import Checkout
from polyshop.orders.expiry import order_expiry
from polyshop.orders.history import OrderHistoryProjection
from polyshop.orders.service import Orders
from polyshop.recommendations.cache import RecommendationCache
from polyshop.recommendations.copurchase import CoPurchaseProjection
from polyshop.recommendations.coviews import co_view_counter
from polyshop.recommendations.service import Recommender, cart_products
from polyshop.recommendations.sql_graph import SqlRecommendationGraph
from polyshop.runtime.sqlite_files import create_sqlite_engine
from polyshop.search.ports import SearchIndex
from polyshop.search.postgres_index import PostgresSearchIndex
from polyshop.search.postgres_projection import PostgresSearchProjection
from polyshop.search.service import Search
from polyshop.search.tantivy_index import TantivyCatalogIndex, TantivySearchProjection
from polyshop.ttlstore.redis_client import RedisKeys, close_redis, create_redis
from polyshop.ttlstore.sql import TtlDatabase, sweeper

log = structlog.get_logger(__name__)


class StartupError(Exception):
    """The shop cannot start; the message says which setting or store is at fault."""


def build_projections(extra: list[Projection]) -> list[Projection]:
    return [
        StreamSummaryProjection(),
        ProductDocumentProjection(),
        OrderHistoryProjection(),
        SalesProjection(),
        CoPurchaseProjection(),
        *extra,
    ]


def build(settings: Settings, *, migrate: bool = True) -> Container:
    upcasters = Upcasters()
    stock.register_upcasters(upcasters)
    store, read_engine, lease_factory = (
        _server(settings, upcasters)
        if settings.mode is Mode.SERVER
        else _embedded(settings, upcasters)
    )
    closers: list[Callable[[], None]] = []
    try:
        return _wire(settings, store, read_engine, lease_factory, closers, migrate=migrate)
    except BaseException:
        # Pools, clients and threads opened so far would outlive the failed start.
        for close in closers:
            close()
        store.close()
        raise


def _wire(
    settings: Settings,
    store: SqlEventStore,
    read_engine: Engine,
    lease_factory: Callable[[str], Lease],
    closers: list[Callable[[], None]],
    *,
    migrate: bool,
) -> Container:
    if migrate:
        migrations.upgrade(store.write_engine)
    ttl = _ttl_stores(settings)
    closers.extend(ttl.closers)
    search: SearchIndex
    extra: list[Projection] = [OrderedCartsProjection(ttl.carts)]
    if settings.mode is Mode.SERVER:
        search = PostgresSearchIndex(read_engine)
        extra.append(PostgresSearchProjection(store.head))
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
        rebuild_apart=rebuild_in_a_process(settings),
    )
    if migrate:
        runner.prepare()
    pages = ProductPageCache()
    recommendations = RecommendationCache()
    invalidator = page_cache_invalidator(
        [pages, recommendations],
        store,
        lambda: runner.position("product_documents"),
        runner.progress,
    )
    closers.insert(0, invalidator.stop)
    checks: dict[str, Callable[[], None]] = {"event_store": store.check}
    if read_engine is not store.write_engine and settings.mode is Mode.SERVER:
        checks["read_database"] = lambda: _ping(read_engine)
    analytics_store = _analytics_store(settings, store)
    closers.append(analytics_store.close)
    signals = SignalRecorder(analytics_store, interval=settings.analytics_flush_interval)
    closers.insert(0, signals.close)  # flushes what is buffered while the store is still open
    carts = Carts(
        ttl.carts,
        store.read_engine,
        max_lines=settings.cart_max_lines,
        cart_ttl=settings.cart_ttl,
        on_added=lambda owner, product_id: signals.cart_add(product_id, viewer_key(owner)),
    )
    prices = price_watcher(ttl.carts, store, store.notifier, CATALOG_EVENTS)
    closers.insert(0, prices.stop)
    accounts = Accounts(
        store,
        Sessions(ttl.sessions, settings.session_ttl),
        LoginThrottle(ttl.attempts),
        on_login=lambda guest, user: carts.merge(guest.cart_owner, user.cart_owner),
    )
    expiry = order_expiry(
        store, lambda: lease_factory("order-expiry"), settings.order_expiry_interval
    )
    closers.insert(0, expiry.stop)
    retention = analytics_retention(
        analytics_store,
        settings.analytics_retention_days,
        lambda: lease_factory("analytics-retention"),
    )
    closers.insert(0, retention.stop)
    graph = SqlRecommendationGraph(store.write_engine, read_engine)
    co_views = co_view_counter(
        analytics_store,
        graph,
        lambda: lease_factory("co-view-counter"),
        settings.co_view_interval,
    )
    closers.insert(0, co_views.stop)
    checkout = Checkout(store, ttl.carts, timedelta(seconds=settings.order_hold))
    return Container(
        settings=settings,
        store=store,
        runner=runner,
        read_engine=read_engine,
        ops_token=_secret(settings, "ops_token", "ops-token"),
        lease_factory=lease_factory,
        search=search,
        product_pages=pages,
        accounts=accounts,
        carts=carts,
        checkout=checkout,
        analytics=Analytics(analytics_store, read_engine),
        signals=signals,
        recommender=Recommender(
            read_engine,
            graph,
            recommendations,
            render=recommendations_json,
            in_cart=cart_products(accounts, carts),
        ),
        payment_secret=_secret(settings, "payment_webhook_secret", "payment-webhook-secret"),
        catalog=Catalog(store, read_engine, pages, signals, RestProductJson()),
        inventory=Inventory(store, store.read_engine),
        search_service=Search(
            search, "search_index" if "search_index" in runner.names else "product_documents"
        ),
        orders=Orders(store, read_engine, checkout),
        event_log=EventLog(runner, store.last_position, read_engine),
        background=[
            invalidator.start,
            prices.start,
            expiry.start,
            signals.start,
            retention.start,
            co_views.start,
            *ttl.background,
        ],
        readiness_checks=checks,
        degradable_checks={"sessions_and_carts": ttl.check, "analytics": analytics_store.check},
        closers=closers,
    )


def rebuild_in_a_process(
    settings: Settings,
) -> Callable[[Projection], subprocess.Popen[bytes] | None]:
    """Start `polyshop projections rebuild NAME` on the same shop, in a process of its own.

    Embedded, only for a read model outside the SQLite file (the search index): the file
    has one writer at a time, and a second process's bulk transactions (an index over a
    million rows is one statement) would hold this process's writes past their timeout.
    The child itself writes only checkpoints there, and may wait long for them.
    """
    # The child's start-up warnings are this process's own, already said; its errors are not.
    environment = {**os.environ, **settings.to_environment(), "POLYSHOP_LOG_LEVEL": "error"}
    if settings.mode is Mode.EMBEDDED:
        environment["POLYSHOP_SQLITE_BUSY_TIMEOUT"] = "600"

    def start(projection: Projection) -> subprocess.Popen[bytes] | None:
        if settings.mode is Mode.EMBEDDED and projection.transactional:
            return None
        command = [
            sys.executable,
            *("-m", "polyshop", "projections", "rebuild", "--quiet", projection.name),
        ]
        return subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)  # noqa: S603

    return start


def _analytics_store(settings: Settings, store: SqlEventStore) -> AnalyticsStore:
    """Views in DuckDB beside the embedded shop; in server mode, a partitioned table in the
    primary database (every process writes its own batches; DuckDB allows one writer)."""
    if settings.mode is Mode.SERVER:
        return PostgresAnalyticsStore(store.write_engine)
    return DuckDbAnalyticsStore(settings.data_dir / "analytics.duckdb")


@dataclass
class _TtlStores:
    sessions: SessionStore
    attempts: AttemptCounter
    carts: CartStore
    check: Callable[[], None]
    background: list[Callable[[], None]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)


def _ttl_stores(settings: Settings) -> _TtlStores:
    """Sessions, login counters and carts: Redis when configured, else a SQLite file.

    Server mode without Redis works on one host only (the file is local): logged, not refused,
    so a single-server shop needs no Redis.
    """
    if settings.redis_url:
        client = create_redis(settings.redis_url)
        keys = RedisKeys(settings.redis_prefix)
        return _TtlStores(
            sessions=RedisSessionStore(client, keys),
            attempts=RedisAttemptCounter(client, keys),
            carts=RedisCartStore(client, keys, settings.cart_ttl),
            check=lambda: _ping_redis(client),
            closers=[lambda: close_redis(client)],
        )
    if settings.mode is Mode.SERVER:
        log.warning("POLYSHOP_REDIS_URL is not set: sessions and carts live in a local file")
    database = TtlDatabase.open(settings.data_dir / "ttl.sqlite3")
    sweep = sweeper(database)
    return _TtlStores(
        sessions=SqlSessionStore(database),
        attempts=SqlAttemptCounter(database),
        carts=SqlCartStore(database, settings.cart_ttl),
        check=lambda: _ping(database.reader),
        background=[sweep.start],
        closers=[sweep.stop, database.close],
    )


def _ping_redis(client: Redis) -> None:
    client.ping()


def _embedded(
    settings: Settings, upcasters: Upcasters
) -> tuple[SqlEventStore, Engine, Callable[[str], Lease]]:
    path = settings.sqlite_path
    write_engine = create_sqlite_engine(
        path, writer=True, busy_timeout=settings.sqlite_busy_timeout
    )
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


def _secret(settings: Settings, name: str, file: str) -> str | None:
    """A shared secret (operator token, payment webhook): from settings, or in embedded mode
    made once under the data dir so a laptop shop works with no configuration."""
    configured: str | None = getattr(settings, name)
    if configured:
        return configured
    if settings.mode is Mode.SERVER:
        log.warning(f"POLYSHOP_{name.upper()} is not set: its endpoints refuse every request")
        return None
    path: Path = settings.data_dir / file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()
