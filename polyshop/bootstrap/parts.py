"""Pieces of the wired shop built together: carts and accounts, search, periodic jobs,
readiness checks. Part of the composition root."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from polyshop.accounts.service import Accounts
from polyshop.accounts.sessions import Sessions
from polyshop.accounts.throttle import LoginThrottle
from polyshop.analytics.domain import viewer_key
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.recorder import SignalRecorder
from polyshop.analytics.retention import analytics_retention
from polyshop.bootstrap.media import media_url
from polyshop.bootstrap.stores import TtlStores, ping
from polyshop.cart.service import Carts, price_watcher
from polyshop.catalog.documents import CATALOG_EVENTS
from polyshop.config import Mode, Settings
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.projections.ports import Lease, Projection
from polyshop.eventstore.replicas import ReplicaSet
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.integrations.http_receiver import HttpReceiver
from polyshop.integrations.jetstream import JetStreamBroker
from polyshop.integrations.messages import event_types
from polyshop.integrations.outbox import IntegrationEventsProjection
from polyshop.integrations.service import Webhooks
from polyshop.media.ports import BlobStore
from polyshop.orders.expiry import order_expiry
from polyshop.recommendations.coviews import co_view_counter
from polyshop.recommendations.sql_graph import SqlRecommendationGraph
from polyshop.runtime.periodic import Periodic, leased
from polyshop.search.ports import SearchIndex
from polyshop.search.postgres_index import PostgresSearchIndex
from polyshop.search.postgres_projection import PostgresSearchProjection
from polyshop.search.tantivy_index import TantivyCatalogIndex, TantivySearchProjection


def carts_and_accounts(
    settings: Settings, store: SqlEventStore, ttl: TtlStores, signals: SignalRecorder
) -> tuple[Carts, LogFollower, Accounts]:
    """Carts (priced from the catalog, each addition counted), the follower that voids their
    priced views when prices change, and accounts (a login merges the guest's cart)."""
    carts = Carts(
        ttl.carts,
        store.read_engine,
        max_lines=settings.cart_max_lines,
        cart_ttl=settings.cart_ttl,
        on_added=lambda owner, product_id: signals.cart_add(product_id, viewer_key(owner)),
        media_url=media_url(settings),
    )
    prices = price_watcher(ttl.carts, store, store.notifier, CATALOG_EVENTS)
    accounts = Accounts(
        store,
        store.read_engine,
        Sessions(ttl.sessions, settings.session_ttl),
        LoginThrottle(ttl.attempts),
        on_login=lambda guest, user: carts.merge(guest.cart_owner, user.cart_owner),
    )
    return carts, prices, accounts


def integration_events(settings: Settings, closers: list[Callable[[], None]]) -> list[Projection]:
    """The JetStream publisher, when NATS is configured: a projection of the log."""
    if not settings.nats_url:
        return []
    broker = JetStreamBroker(
        settings.nats_url,
        settings.nats_stream,
        settings.nats_subject_prefix,
        settings.nats_duplicate_window,
    )
    closers.append(broker.close)
    return [IntegrationEventsProjection(broker, event_types(settings.nats_event_types))]


def search_index(
    settings: Settings, store: SqlEventStore, read_engine: Engine, closers: list[Callable[[], None]]
) -> tuple[SearchIndex, Projection]:
    """Search and the projection that keeps it: PostgreSQL's full text in server mode, a
    Tantivy index under the data dir embedded."""
    if settings.mode is Mode.SERVER:
        projection = PostgresSearchProjection(store.head, media_url(settings))
        return PostgresSearchIndex(read_engine), projection
    tantivy_index = TantivyCatalogIndex(settings.data_dir / "search")
    closers.append(tantivy_index.close)
    return tantivy_index, TantivySearchProjection(tantivy_index, media_url(settings))


def periodic_jobs(
    settings: Settings,
    store: SqlEventStore,
    lease_factory: Callable[[str], Lease],
    analytics_store: AnalyticsStore,
    graph: SqlRecommendationGraph,
    webhooks: Webhooks,
) -> list[Periodic]:
    """Unpaid orders released after their hold, old views dropped, viewed-together counted,
    webhooks delivered: each run by one process at a time (a lease)."""
    expiry = order_expiry(
        store,
        store.read_engine,
        lambda: lease_factory("order-expiry"),
        settings.order_expiry_interval,
    )
    retention = analytics_retention(
        analytics_store,
        settings.analytics_retention_days,
        lambda: lease_factory("analytics-retention"),
    )
    co_views = co_view_counter(
        analytics_store,
        graph,
        lambda: lease_factory("co-view-counter"),
        settings.co_view_interval,
    )
    deliveries = leased(
        "webhooks", settings.webhook_interval, webhooks.run_once, lambda: lease_factory("webhooks")
    )
    return [expiry, retention, co_views, deliveries]


def webhooks(settings: Settings, store: SqlEventStore) -> Webhooks:
    """Webhooks: their tables in the write database, deliveries over HTTP."""
    return Webhooks(
        store,
        store.write_engine,
        HttpReceiver(allow_private=settings.webhook_allow_private),
        retention=timedelta(days=settings.webhook_retention_days),
    )


def degradable_checks(
    ttl: TtlStores, analytics: AnalyticsStore, blobs: BlobStore, replicas: ReplicaSet | None
) -> dict[str, Callable[[], None]]:
    """Stores the shop serves without, reported by /readyz: sessions and carts, analytics,
    media, and the read replica (the primary takes its reads)."""
    checks = {"sessions_and_carts": ttl.check, "analytics": analytics.check}
    checks["media"] = blobs.check
    if replicas is not None:
        checks["read_replica"] = replicas.require_serving
    return checks


def readiness_checks(
    settings: Settings, store: SqlEventStore, read_engine: Engine
) -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"event_store": store.check}
    if read_engine is not store.write_engine and settings.mode is Mode.SERVER:
        checks["read_database"] = lambda: ping(read_engine)
    return checks
