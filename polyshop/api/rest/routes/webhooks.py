"""Webhooks, for admins: register a URL per event type, read each delivery and its
attempts, replay dead letters. Deliveries are signed (`Polyshop-Signature`, see
`integrations/webhook_rules.py`) with the secret the registration answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from polyshop.api.rest.dependencies import AdminDep, ContainerDep
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.route_errors import translating
from polyshop.integrations.service import DELIVERY_STATES, MAX_DESCRIPTION
from polyshop.integrations.webhook_rules import (
    MAX_TYPES,
    MAX_URL,
    Delivery,
    DeliveryNotFound,
    InvalidWebhook,
    ReceiverRefused,
    WebhookNotFound,
)


def webhook_problem(exc: Exception) -> Problem | None:
    match exc:
        case WebhookNotFound():
            return Problem(404, str(exc), slug="webhook-not-found")
        case DeliveryNotFound():
            return Problem(404, str(exc), slug="delivery-not-found")
        case ReceiverRefused():
            return Problem(422, str(exc), slug="receiver-refused", title="Receiver refused")
        case InvalidWebhook():
            return Problem(422, str(exc), slug="invalid-webhook", title=f"Invalid {exc.field}")
    return None


#: What `checked_url` takes: http(s), a host, no user name or password.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9\[][^/?#@\s]*([/?#]\S*)?$"
#: An event type as the log names it, or `*` for all.
TYPE_PATTERN = r"^(\*|[A-Z][A-Za-z0-9]{1,63})$"

router = APIRouter(
    prefix="/api/v1/admin", tags=["webhooks"], route_class=translating(webhook_problem)
)


class WebhookRegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=MAX_URL,
        pattern=URL_PATTERN,
        description="http(s) URL the deliveries are POSTed to; its host must resolve to "
        "public addresses unless POLYSHOP_WEBHOOK_ALLOW_PRIVATE is set.",
    )
    event_types: list[Annotated[str, Field(pattern=TYPE_PATTERN)]] = Field(
        default_factory=list,
        max_length=MAX_TYPES,
        description="Event types to deliver, as in the log (`OrderPlaced`); empty or `*`: all.",
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class RegisteredWebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str] = Field(description="Empty: every event type.")
    description: str
    created_at: datetime
    from_position: int = Field(description="Events after this log position are delivered.")


class RegisteredWebhookWithSecret(RegisteredWebhookOut):
    secret: str = Field(
        description="Signs every delivery: `Polyshop-Signature: t=<unix>,v1=<hex>`, the "
        "HMAC-SHA256 of `<t>.<body>` under this secret."
    )


class RegisteredWebhooksOut(BaseModel):
    webhooks: list[RegisteredWebhookOut]


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None = Field(description="The receiver's answer; null: none came.")
    error: str | None
    ms: int


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: str
    position: int = Field(description="The event's log position, sent as Polyshop-Event-Id.")
    event_type: str
    status: str = Field(description=" | ".join(DELIVERY_STATES))
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryOut):
    log: list[AttemptOut] = Field(description="Every attempt, oldest first.")


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next (older) page; null: no more."
    )


WebhookId = Annotated[str, Path(max_length=36)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]
Status = Annotated[str | None, Query(pattern="^(" + "|".join(DELIVERY_STATES) + ")$")]
Before = Annotated[int | None, Query(ge=1, le=2**62, description="Only ids below this.")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post("/webhooks", status_code=201, responses=problems(*JSON_BODY, 401, 403, 422, 503))
def register_webhook(
    body: WebhookRegistrationIn, container: ContainerDep, _: AdminDep
) -> RegisteredWebhookWithSecret:
    """Register a receiver; the answer holds its signing secret."""
    webhook = container.webhooks.register(body.url, body.event_types, body.description)
    return RegisteredWebhookWithSecret.model_validate(webhook)


@router.get("/webhooks", responses=problems(401, 403, 503))
def list_webhooks(container: ContainerDep, _: AdminDep) -> RegisteredWebhooksOut:
    return RegisteredWebhooksOut(
        webhooks=[RegisteredWebhookOut.model_validate(w) for w in container.webhooks.webhooks()]
    )


@router.get("/webhooks/{webhook_id}", responses=problems(401, 403, 404, 503))
def get_webhook(
    webhook_id: WebhookId, container: ContainerDep, _: AdminDep
) -> RegisteredWebhookWithSecret:
    webhook = container.webhooks.webhook(webhook_id)
    return RegisteredWebhookWithSecret.model_validate(webhook)


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=problems(401, 403, 404, 503))
def remove_webhook(webhook_id: WebhookId, container: ContainerDep, _: AdminDep) -> Response:
    """Stop delivering to it; deliveries not yet made are cancelled, the log stays."""
    container.webhooks.remove(webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", responses=problems(401, 403, 404, 422, 503))
def webhook_deliveries(
    webhook_id: WebhookId,
    container: ContainerDep,
    _: AdminDep,
    status: Status = None,
    before: Before = None,
    limit: Limit = 50,
) -> DeliveriesOut:
    """A webhook's deliveries, newest first."""
    found = container.webhooks.deliveries(webhook_id, status=status, before=before, limit=limit)
    return _page(found, limit)


@router.get("/webhook-deliveries", responses=problems(401, 403, 422, 503))
def all_deliveries(
    container: ContainerDep,
    _: AdminDep,
    status: Status = None,
    before: Before = None,
    limit: Limit = 50,
) -> DeliveriesOut:
    """Every webhook's deliveries, newest first; `status=dead`: the dead letters."""
    return _page(container.webhooks.deliveries(status=status, before=before, limit=limit), limit)


@router.get("/webhook-deliveries/{delivery_id}", responses=problems(401, 403, 404, 503))
def get_delivery(delivery_id: DeliveryId, container: ContainerDep, _: AdminDep) -> DeliveryDetail:
    """One delivery with every attempt made."""
    return DeliveryDetail.model_validate(container.webhooks.delivery(delivery_id))


@router.post("/webhook-deliveries/{delivery_id}/replay", responses=problems(401, 403, 404, 503))
def replay_delivery(
    delivery_id: DeliveryId, container: ContainerDep, _: AdminDep
) -> DeliveryDetail:
    """Send it again as soon as the sender runs (a dead letter, or one the receiver lost)."""
    return DeliveryDetail.model_validate(container.webhooks.replay(delivery_id))


def _page(found: list[Delivery], limit: int) -> DeliveriesOut:
    return DeliveriesOut(
        deliveries=[DeliveryOut.model_validate(d) for d in found],
        next_before=found[-1].id if len(found) == limit else None,
    )
