"""What the composition root hands to the delivery layers (HTTP, CLI): the wired shop.

Kept apart from `bootstrap` so the API can name the type without importing every adapter.
It holds services, not engines: the store, the projection runner and the read database are
in `machinery`, for the composition root, the CLI, the app's lifecycle and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from polyshop.accounts.service import Accounts
from polyshop.analytics.recorder import SignalRecorder
from polyshop.analytics.service import Analytics
from polyshop.cart.service import Carts
from polyshop.catalog.admin_service import CatalogAdmin
from polyshop.catalog.page_cache import ProductPageCache
from polyshop.catalog.service import Catalog
from polyshop.config import Settings
from polyshop.eventstore.service import EventLog
from polyshop.integrations.service import Webhooks
from polyshop.inventory.service import Inventory
from polyshop.machinery import Machinery
from polyshop.media.service import Media
from polyshop.orders.checkout import Checkout
from polyshop.orders.service import Orders
from polyshop.recommendations.service import Recommender
from polyshop.search.ports import SearchIndex
from polyshop.search.service import Search


@dataclass
class Container:
    settings: Settings
    #: The store, runner, read database and leases: never for a face.
    machinery: Machinery
    ops_token: str | None
    search: SearchIndex
    product_pages: ProductPageCache
    accounts: Accounts
    carts: Carts
    checkout: Checkout
    analytics: Analytics
    #: Product views and cart additions, buffered and written in batches.
    signals: SignalRecorder
    recommender: Recommender
    #: The payment provider's webhook secret; None = the webhook refuses every call.
    payment_secret: str | None
    #: Signs the web pages' CSRF tokens; None = tokens are plain double-submit values.
    web_secret: str | None
    #: The doors of catalog, inventory and search (recommendations: `recommender`).
    catalog: Catalog
    inventory: Inventory
    search_service: Search
    #: The doors of orders and of the log (projections, streams, read waits).
    orders: Orders
    event_log: EventLog
    #: Product images: uploads, renditions, serving, the garbage sweep.
    media: Media
    #: The admin's catalog: every product listed and searched, CSV imports in the background.
    catalog_admin: CatalogAdmin
    #: Webhooks: registrations, deliveries, dead letters.
    webhooks: Webhooks
    readiness_checks: dict[str, Callable[[], None]] = field(default_factory=dict)
    #: Stores the shop degrades without (sessions and carts): reported, never "not ready".
    degradable_checks: dict[str, Callable[[], None]] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: Started with the HTTP app: work that serves reads (cache invalidation).
    background: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        self.machinery.stop()
        for close in self.closers:
            close()
        self.closers.clear()
        self.machinery.close()
