"""Operator views of the log and its read models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from polyshop.api.rest.dependencies import AdminDep, ContainerDep, read_model_at
from polyshop.api.rest.openapi import READ_WAIT, problems
from polyshop.api.rest.pagination import Page, PageParams

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class ProjectionOut(BaseModel):
    name: str
    generation: int
    state: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    error: str | None
    failed_position: int | None
    rebuilding_generation: int | None
    rebuilding_position: int | None
    updated_at: datetime | None


class ProjectionsOut(BaseModel):
    projections: list[ProjectionOut]


class StreamOut(BaseModel):
    stream_id: str
    stream_type: str
    version: int
    event_count: int
    last_event_type: str
    last_position: int
    first_recorded_at: datetime
    last_recorded_at: datetime


class StreamsOut(Page):
    streams: list[StreamOut]


@router.get("/projections", responses=problems(401, 403, 503))
def get_projections(container: ContainerDep, _: AdminDep) -> ProjectionsOut:
    """Each read model's position, lag (events and seconds) and state."""
    statuses = container.event_log.list_projections()
    return ProjectionsOut(
        projections=[ProjectionOut.model_validate(s, from_attributes=True) for s in statuses]
    )


@router.get("/streams", responses=problems(401, 403, 422, *READ_WAIT))
def list_streams(
    container: ContainerDep,
    _: AdminDep,
    page: Annotated[PageParams, Query()],
    stream_type: Annotated[
        str | None,
        Query(max_length=100, description="Only streams of this type (`order`, `product`...)."),
    ] = None,
    min_position: Annotated[int | None, Depends(read_model_at("stream_summaries"))] = None,
) -> StreamsOut:
    """Event streams, most recently changed first (from the stream_summaries read model)."""
    summaries, total = container.event_log.list_streams(
        stream_type=stream_type, limit=page.limit, offset=page.offset
    )
    return StreamsOut(
        streams=[StreamOut.model_validate(s, from_attributes=True) for s in summaries],
        **page.envelope(total),
    )
