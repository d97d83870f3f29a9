"""Which order a visitor may see, and at which URL: a customer their own orders; a guest
the orders their session placed, or any guest order whose key they hold. Anything else is
"no such order" (the pages answer 404 and never say it exists).

Orders are read from their events here, not the history read model: a shopper looks at an
order a moment after placing or paying it, before the read model may have caught up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from polyshop.accounts.domain import Viewer
from polyshop.api.web.storefront.pages import Visitor
from polyshop.container import Container
from polyshop.eventstore.events import RecordedEvent
from polyshop.values.clock import utc_now


def order_for(
    container: Container, visitor: Visitor, order_id: str, key: str | None
) -> dict[str, Any] | None:
    """The order's document if this visitor may see it (None: as if there were none)."""
    orders = container.orders
    if visitor.user is not None and not key:
        viewer = Viewer(visitor.user.id, is_admin=False)
        return orders.get_order(viewer, order_id, as_of=utc_now() + timedelta(minutes=1))
    return orders.guest_order(order_id, access_key=key or None, cart_owner=visitor.cart_owner)


def events_for(
    container: Container, visitor: Visitor, order_id: str, key: str | None
) -> list[RecordedEvent]:
    orders = container.orders
    if visitor.user is not None and not key:
        events = orders.get_events(Viewer(visitor.user.id, is_admin=False), order_id)
    else:
        events = orders.guest_events(
            order_id, access_key=key or None, cart_owner=visitor.cart_owner
        )
    return events or []


def order_url(visitor: Visitor, order_id: str, key: str | None) -> str:
    """The order's page for this visitor: the account's, or the guest link."""
    if key:
        return f"/orders/{quote(order_id)}?key={quote(key)}"
    if visitor.user is not None:
        return f"/account/orders/{quote(order_id)}"
    return f"/orders/{quote(order_id)}"
