"""The FastAPI application, assembled around an already-built container."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from polyshop import __version__
from polyshop.api.graphql import router as graphql_router
from polyshop.api.graphql.response_cache import CachedGraphQLAnswers
from polyshop.api.rest import domain_errors, openapi, problems
from polyshop.api.rest.checkout_queue import CheckoutQueue
from polyshop.api.rest.media_files import MediaFiles
from polyshop.api.rest.metrics import ProjectionLagCollector, SignalCollector
from polyshop.api.rest.middleware import HttpMetrics, RequestContextMiddleware
from polyshop.api.rest.page_cache_middleware import CachedProductPages
from polyshop.api.rest.routes import (
    accounts,
    admin,
    analytics,
    cart,
    health,
    images,
    inventory,
    orders,
    payments,
    products,
    recommendations,
    search,
    webhooks,
)
from polyshop.api.rest.text_guard import TextGuard
from polyshop.api.web import admin_analytics, docs
from polyshop.api.web.admin import access as admin_access
from polyshop.api.web.admin import pages as admin_pages
from polyshop.api.web.admin import router as admin_router
from polyshop.api.web.admin import uploads as admin_uploads
from polyshop.api.web.storefront import catalog_view, checkout_pages
from polyshop.api.web.storefront import forms as storefront_forms
from polyshop.api.web.storefront import not_found as storefront_errors
from polyshop.api.web.storefront import pages as storefront
from polyshop.api.web.storefront import router as storefront_router
from polyshop.api.web.storefront.fast_pages import CachedStorefrontPages
from polyshop.container import Container


def create_app(container: Container, *, start_projections: bool | None = None) -> FastAPI:
    """Build the app; the lifespan starts the projection runner and closes the container."""
    run = container.settings.run_projections if start_projections is None else start_projections

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for start in container.background:
            start()
        if run:
            container.event_log.start_projections()
        # What start-up built lives as long as the process: out of the collector's sight,
        # a full collection scans only what requests made since (100 ms less a pause here).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # back within reach: what the container held can now be freed
            container.close()

    app = FastAPI(
        title="polyshop",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from polyshop.api.web.docs: no CDN
        redoc_url=None,
    )
    app.state.container = container
    registry = CollectorRegistry()
    registry.register(ProjectionLagCollector(container.event_log))
    registry.register(SignalCollector(container.signals))
    app.state.metrics_registry = registry
    problems.install(app)
    openapi.install(app)  # the document completed: problems, security, links
    docs.install(app)
    domain_errors.install(app)
    _api_routes(app)
    _storefront(app, container)
    _admin(app)
    _middleware(app, container, registry)
    return app


def _api_routes(app: FastAPI) -> None:
    """The JSON API's routers (and the admin analytics page)."""
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(search.router)  # before products: /products/search is not an id
    app.include_router(products.router)
    app.include_router(recommendations.router)
    app.include_router(analytics.router)
    app.include_router(inventory.router)
    app.include_router(accounts.router)
    app.include_router(cart.router)
    app.include_router(orders.router)
    app.include_router(payments.router)
    app.include_router(images.router)
    app.include_router(admin_analytics.router)
    app.include_router(webhooks.router)
    app.include_router(graphql_router.router())


def _storefront(app: FastAPI, container: Container) -> None:
    """The shop's pages, their CSRF refusals and their HTML error pages."""
    storefront.install(app, container, catalog_view.layout)
    storefront_forms.install(app)
    storefront_errors.install(app)  # HTML 404/405 pages for browsers, outside the API
    app.include_router(storefront_router.router)


def _admin(app: FastAPI) -> None:
    """The admin's pages, on the storefront's CSRF and static files; after every router,
    as its navigation shows only the pages served."""
    app.include_router(admin_router.router)
    admin_access.install(app)
    admin_pages.install(app, app.state.storefront)


def _middleware(app: FastAPI, container: Container, registry: CollectorRegistry) -> None:
    """Plain ASGI layers, innermost first: what is answered from memory ahead of routing,
    then the text guard, then the per-request context around everything."""
    app.add_middleware(CachedProductPages, catalog=container.catalog)
    app.add_middleware(CachedGraphQLAnswers, catalog=container.catalog)
    app.add_middleware(CachedStorefrontPages, storefront=app.state.storefront)
    app.add_middleware(MediaFiles, media=container.media)
    app.add_middleware(TextGuard)  # ahead of the page caches: a refused URL is never served
    app.add_middleware(
        CheckoutQueue,
        limit=container.settings.checkout_concurrency,
        paths=(orders.PLACE_PATH, checkout_pages.PLACE_PATH),
    )
    app.add_middleware(  # added last: the outermost, so it sees every request
        RequestContextMiddleware,
        max_body_bytes=container.settings.max_body_bytes,
        metrics=HttpMetrics(registry),
        large_bodies=(*images.UPLOADS, *admin_uploads.UPLOADS),
        max_large_body_bytes=admin_uploads.body_limit(container.settings.media_max_bytes),
    )
