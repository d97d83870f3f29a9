"""Subscriptions over WebSocket (graphql-transport-ws), fed by the event log."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(description="PLACEHOLDER: replaced by orderUpdated.")
    async def subscription_placeholder(self) -> AsyncIterator[bool]:
        yield True
