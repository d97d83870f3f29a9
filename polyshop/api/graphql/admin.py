"""Admin queries and mutations: catalog writes, images, stock, the order lifecycle, the
read models. Every field checks the admin role (or the operator token) first: anonymous
callers are refused 401, customers 403 (see `admin_access`).

The fields live beside the context they serve (`admin_catalog`, `admin_images`,
`admin_orders`); this module joins them into the `AdminQuery` and `AdminMutation` the
schema merges, and holds the operator's view of the read models.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.tools import merge_types

from polyshop.api.graphql.admin_access import AdminInfo, require_admin
from polyshop.api.graphql.admin_catalog import AdminCatalogMutation, AdminCatalogQuery
from polyshop.api.graphql.admin_images import AdminImageMutation
from polyshop.api.graphql.admin_orders import AdminOrdersMutation, AdminOrdersQuery
from polyshop.api.graphql.context import blocking


@strawberry.type(description="How far a read model has applied the event log, and its health.")
class Projection:
    name: str
    generation: int
    state: str = strawberry.field(description="`catching_up`, `live`, `failed` or `rebuilding`.")
    position: int = strawberry.field(description="The last log position it applied.")
    head: int = strawberry.field(description="The log's head when it was measured.")
    lag_events: int = strawberry.field(description="Events behind the head.")
    lag_seconds: float = strawberry.field(description="Seconds behind the newest event.")
    error: str | None
    failed_position: int | None
    rebuilding_generation: int | None
    rebuilding_position: int | None
    updated_at: datetime | None


@strawberry.type
class AdminReadModelsQuery:
    @strawberry.field(
        description="Admins: each read model's position, lag (events and seconds) and state, "
        "as GET /api/v1/admin/projections."
    )
    async def projections(self, info: AdminInfo) -> list[Projection]:
        await require_admin(info)
        statuses = await blocking(info.context.container.event_log.list_projections)
        return [
            Projection(
                name=s.name,
                generation=s.generation,
                state=s.state,
                position=s.position,
                head=s.head,
                lag_events=s.lag_events,
                lag_seconds=s.lag_seconds,
                error=s.error,
                failed_position=s.failed_position,
                rebuilding_generation=s.rebuilding_generation,
                rebuilding_position=s.rebuilding_position,
                updated_at=s.updated_at,
            )
            for s in statuses
        ]


AdminQuery = merge_types("AdminQuery", (AdminCatalogQuery, AdminOrdersQuery, AdminReadModelsQuery))
AdminMutation = merge_types(
    "AdminMutation", (AdminCatalogMutation, AdminImageMutation, AdminOrdersMutation)
)
