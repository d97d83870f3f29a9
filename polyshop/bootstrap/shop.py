"""The wired shop: every store, projection, cache, job and service, built once from settings."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from polyshop.accounts.service import Accounts
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.recorder import SignalRecorder
from polyshop.analytics.sales import SalesProjection
from polyshop.analytics.service import Analytics
from polyshop.api.rest.product_json import RestProductJson, recommendations_json
from polyshop.bootstrap.media import blob_store, media, media_url
from polyshop.bootstrap.parts import (
    carts_and_accounts,
    degradable_checks,
    integration_events,
    periodic_jobs,
    readiness_checks,
    search_index,
    webhooks,
)
from polyshop.bootstrap.stores import (
    Stores,
    TtlStores,
    analytics_store,
    embedded_stores,
    rebuild_in_a_process,
    secret,
    server_stores,
    ttl_stores,
)
from polyshop.cart.ordered import OrderedCartsProjection
from polyshop.cart.service import Carts
from polyshop.catalog.admin_service import CatalogAdmin
from polyshop.catalog.documents import ProductDocumentProjection
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.catalog.page_cache import ProductPageCache, page_cache_invalidator
from polyshop.catalog.service import Catalog
from polyshop.config import Mode, Settings
from polyshop.container import Container
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.projections.ports import Lease, Projection
from polyshop.eventstore.projections.runner import ProjectionRunner
from polyshop.eventstore.service import EventLog
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.stream_summaries import StreamSummaryProjection
from polyshop.eventstore.upcasting import Upcasters
from polyshop.inventory import stock
from polyshop.inventory.service import Inventory
from polyshop.machinery import Machinery
from polyshop.media.ports import BlobStore
from polyshop.media.service import Media
from polyshop.migrations import runner as migrations
from polyshop.orders.checkout import Checkout
from polyshop.orders.history import OrderHistoryProjection
from polyshop.orders.service import Orders
from polyshop.orders.updates import OrderUpdates
from polyshop.recommendations.cache import RecommendationCache
from polyshop.recommendations.copurchase import CoPurchaseProjection
from polyshop.recommendations.service import Recommender, cart_products
from polyshop.recommendations.sql_graph import SqlRecommendationGraph
from polyshop.runtime.periodic import Periodic
from polyshop.search.service import Search


def build_projections(
    extra: list[Projection], media_url: MediaUrl = media_path
) -> list[Projection]:
    return [
        StreamSummaryProjection(),
        ProductDocumentProjection(media_url),
        OrderHistoryProjection(),
        SalesProjection(),
        CoPurchaseProjection(),
        *extra,
    ]


def build(settings: Settings, *, migrate: bool = True) -> Container:
    upcasters = Upcasters()
    stock.register_upcasters(upcasters)
    stores = Stores(
        *server_stores(settings, upcasters)
        if settings.mode is Mode.SERVER
        else embedded_stores(settings, upcasters)
    )
    store = stores.store
    closers: list[Callable[[], None]] = []
    try:
        if migrate:
            migrations.upgrade(store.write_engine)
        return _wire(settings, stores, closers, migrate=migrate)
    except BaseException:
        # Pools, clients and threads opened so far would outlive the failed start.
        for close in closers:
            close()
        store.close()
        if stores.replicas is not None:
            stores.replicas.dispose()
        raise


def _projection_runner(
    settings: Settings,
    store: SqlEventStore,
    lease_factory: Callable[[str], Lease],
    extra: list[Projection],
    closers: list[Callable[[], None]],
) -> ProjectionRunner:
    """The runner of every read model, and of the JetStream publisher when configured."""
    return ProjectionRunner(
        store,
        build_projections([*extra, *integration_events(settings, closers)], media_url(settings)),
        lease_factory,
        batch_size=settings.projection_batch_size,
        poll_interval=settings.projection_poll_interval,
        rebuild_apart=rebuild_in_a_process(settings),
    )


def _page_caches(
    store: SqlEventStore, runner: ProjectionRunner
) -> tuple[ProductPageCache, RecommendationCache, LogFollower]:
    """Product pages and recommendations kept in memory, and the log follower that evicts
    what a catalog event changed once the product read model has it."""
    pages = ProductPageCache()
    recommendations = RecommendationCache()
    invalidator = page_cache_invalidator(
        [pages, recommendations],
        store,
        lambda: runner.position("product_documents"),
        runner.progress,
    )
    return pages, recommendations, invalidator


def _analytics(
    settings: Settings, store: SqlEventStore, closers: list[Callable[[], None]]
) -> tuple[AnalyticsStore, SignalRecorder]:
    """Where product views and cart additions go, and the buffer that writes them in batches
    (closed first, so what it holds is flushed while the store is still open)."""
    analytics = analytics_store(settings, store)
    closers.append(analytics.close)
    signals = SignalRecorder(analytics, interval=settings.analytics_flush_interval)
    closers.insert(0, signals.close)
    return analytics, signals


def _recommender(
    read_engine: Engine,
    graph: SqlRecommendationGraph,
    cache: RecommendationCache,
    accounts: Accounts,
    carts: Carts,
) -> Recommender:
    """ "You might also like", rendered as the API answers it, leaving out what the
    caller's cart holds."""
    in_cart = cart_products(accounts, carts)
    return Recommender(read_engine, graph, cache, render=recommendations_json, in_cart=in_cart)


def _checkout(settings: Settings, store: SqlEventStore, ttl: TtlStores) -> Checkout:
    hold = timedelta(seconds=settings.order_hold)
    return Checkout(
        store,
        store.read_engine,
        ttl.carts,
        hold,
        admission=settings.checkout_admission,
        media_url=media_url(settings),
    )


def _catalog_and_media(
    settings: Settings,
    store: SqlEventStore,
    read_engine: Engine,
    pages: ProductPageCache,
    signals: SignalRecorder,
    lease_factory: Callable[[str], Lease],
    closers: list[Callable[[], None]],
) -> tuple[Catalog, Media, BlobStore, Periodic]:
    """The catalog's door, and the media door over it with its blob store and sweep."""
    catalog = Catalog(
        store, read_engine, pages, signals, RestProductJson(), primary=store.read_engine
    )
    blobs = blob_store(settings, closers)
    images, garbage = media(settings, blobs, catalog, lease_factory)
    closers.insert(0, garbage.stop)
    return catalog, images, blobs, garbage


def _secrets(settings: Settings) -> dict[str, str | None]:
    """The operator token, the payment webhook's secret and the pages' CSRF key: set, or
    made once under the data dir in embedded mode. A server without POLYSHOP_SECRET_KEY
    derives the pages' key from another secret every process shares (None: no such)."""
    ops = secret(settings, "ops_token", "ops-token")
    payments = secret(settings, "payment_webhook_secret", "payment-webhook-secret")
    if settings.secret_key or settings.mode is Mode.EMBEDDED:
        web = secret(settings, "secret_key", "secret-key")
    elif shared := ops or payments:
        web = hmac.new(shared.encode(), b"polyshop web pages", hashlib.sha256).hexdigest()
    else:
        web = None
    return {"ops_token": ops, "payment_secret": payments, "web_secret": web}


def _wire(
    settings: Settings, stores: Stores, closers: list[Callable[[], None]], *, migrate: bool
) -> Container:
    store, read_engine, lease_factory = stores.store, stores.read_engine, stores.lease_factory
    ttl = ttl_stores(settings)
    closers.extend(ttl.closers)
    search, search_projection = search_index(settings, store, read_engine, closers)
    extra = [OrderedCartsProjection(ttl.carts), search_projection]
    runner = _projection_runner(settings, store, lease_factory, extra, closers)
    if migrate:
        runner.prepare()
    pages, recommendations, invalidator = _page_caches(store, runner)
    closers.insert(0, invalidator.stop)
    analytics, signals = _analytics(settings, store, closers)
    carts, prices, accounts = carts_and_accounts(settings, store, ttl, signals)
    closers.insert(0, prices.stop)
    graph = SqlRecommendationGraph(store.write_engine, read_engine)
    hooks = webhooks(settings, store)
    jobs = periodic_jobs(settings, store, lease_factory, analytics, graph, hooks)
    closers[:0] = [job.stop for job in reversed(jobs)]
    checkout = _checkout(settings, store, ttl)
    catalog, images, blobs, garbage = _catalog_and_media(
        settings, store, read_engine, pages, signals, lease_factory, closers
    )
    return Container(
        settings=settings,
        machinery=Machinery(store, runner, read_engine, lease_factory, stores.replicas),
        **_secrets(settings),
        search=search,
        product_pages=pages,
        accounts=accounts,
        carts=carts,
        checkout=checkout,
        analytics=Analytics(analytics, read_engine),
        signals=signals,
        recommender=_recommender(read_engine, graph, recommendations, accounts, carts),
        catalog=catalog,
        inventory=Inventory(store, store.read_engine),
        search_service=Search(search, search_projection.name),
        orders=_orders(settings, store, read_engine, checkout, accounts, closers),
        event_log=EventLog(runner, store.last_position, read_engine, stores.replicas),
        media=images,
        catalog_admin=CatalogAdmin(catalog, read_engine),
        webhooks=hooks,
        background=[
            *(invalidator.start, prices.start, signals.start),
            *(job.start for job in jobs),
            garbage.start,
            *ttl.background,
            *stores.background,
        ],
        readiness_checks=readiness_checks(settings, store, read_engine),
        degradable_checks=degradable_checks(ttl, analytics, blobs, stores.replicas),
        closers=closers,
    )


def _orders(
    settings: Settings,
    store: SqlEventStore,
    read_engine: Engine,
    checkout: Checkout,
    accounts: Accounts,
    closers: list[Callable[[], None]],
) -> Orders:
    """The orders door, with the live updates its watches share: one follower of the log
    (started by the first watch), stopped before the store closes."""
    updates = OrderUpdates(store, store.notifier, limit=settings.order_subscriptions_max)
    closers.insert(0, updates.stop)
    return _orders_claimed_on_sign_up(Orders(store, read_engine, checkout, updates), accounts)


def _orders_claimed_on_sign_up(orders: Orders, accounts: Accounts) -> Orders:
    """Signing up claims the guest orders the same guest session placed with that email."""
    accounts.on_register = lambda user, guest: orders.claim_guest_orders(
        user.id, user.email, guest.cart_owner if guest is not None else None
    )
    return orders
