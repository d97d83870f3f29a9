"""The payment provider's webhook: signed, fresh, and harmless when delivered twice."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from polyshop.api.rest.dependencies import ContainerDep
from polyshop.api.rest.models.orders import WebhookIn, WebhookOut
from polyshop.api.rest.openapi import problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes import orders_errors
from polyshop.container import Container
from polyshop.orders import payments
from polyshop.orders.service import Payment, Written

router = APIRouter(
    prefix="/api/v1/payments", tags=["payments"], route_class=translating(orders_errors.problem_of)
)

_SIGNED = {
    "security": [{"paymentSignature": []}],
    "parameters": [
        {
            "name": "X-Payment-Timestamp",
            "in": "header",
            "required": True,
            "description": "Unix seconds when the provider signed; more than 5 minutes off "
            "is refused.",
            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookIn"}}},
    },
}


@router.post(
    "/webhook",
    responses=problems(
        (401, "The signature or timestamp is missing, wrong or stale."),
        (404, "No such order."),
        (409, "The order cannot take this payment (paid already, cancelled): it is recorded "
         "as due for refund."),
        413,
        (422, "The body is not a payment event."),
        (503, "The webhook is not configured (no POLYSHOP_PAYMENT_WEBHOOK_SECRET)."),
    ),
    openapi_extra=_SIGNED,
)  # fmt: skip
async def webhook(request: Request, container: ContainerDep) -> WebhookOut:
    """`{order_id, payment_id, amount, status: succeeded|failed}`, signed as `payments` says.

    A success for the right amount pays the order (its stock is taken); a wrong amount is
    recorded as a failed payment and leaves the order unpaid; a repeat changes nothing; a
    payment the order can no longer take (paid already, cancelled) is recorded as due for
    refund and answered 409.
    """
    body = await request.body()  # the signature is over these exact bytes
    written = await run_in_threadpool(
        receive,
        container,
        request.headers.get("x-payment-timestamp"),
        request.headers.get("x-payment-signature"),
        body,
    )
    order, position = written.order, written.position
    return WebhookOut(
        order_id=order.id, status=order.status.value, duplicate=position == 0, position=position
    )


def receive(
    container: Container, timestamp: str | None, signature: str | None, body: bytes
) -> Written:
    """A provider's delivery checked (secret configured, signature, freshness, shape) and
    recorded: the one way a payment reaches an order, for the webhook and for the
    storefront's test payment page alike. Refusals are problems (401, 422, 503)."""
    secret = container.payment_secret
    if secret is None:
        raise Problem(503, "The payment webhook is not configured.", slug="webhook-disabled")
    try:
        payments.verify(secret, timestamp, signature, body, time.time())
    except payments.BadSignature as exc:
        raise Problem(401, f"Webhook refused: {exc}.", slug="bad-signature") from exc
    try:
        event = WebhookIn.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise Problem(
            422, "The webhook body is not a payment event.", slug="validation-error"
        ) from exc
    payment = Payment(
        event.order_id,
        event.payment_id,
        event.amount,
        succeeded=event.status == "succeeded",
        reason=event.reason,
    )
    return container.orders.record_payment(payment)
