"""The test payment page: the storefront acting as the payment provider, so a shop without
one (a laptop, a demo) can take an order to paid. Off in server mode unless
POLYSHOP_TEST_PAYMENTS=true (then 404, as if it did not exist).

Pay or Fail builds the provider's webhook payload, signs it with the shop's payment secret
and hands it to `payments.receive`, the webhook's own path: the signature is checked and
the payment recorded exactly as a provider's delivery would be.
"""

from __future__ import annotations

import time
import uuid

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from polyshop.api.rest.problems import Problem
from polyshop.api.rest.routes.payments import receive
from polyshop.api.web.storefront.forms import FormDep, text
from polyshop.api.web.storefront.order_access import order_for, order_url
from polyshop.api.web.storefront.pages import storefront_of
from polyshop.api.web.storefront.visits import not_found, see_other
from polyshop.orders.errors import OrderChanged, RefundDue
from polyshop.orders.payments import sign

router = APIRouter()


@router.get("/test-payments/{order_id}")
def payment_page(order_id: str, request: Request, key: str = "") -> Response:
    storefront = storefront_of(request)
    if not storefront.container.settings.test_payments_on:
        return not_found(request)
    visitor = storefront.visitor(request)
    order = order_for(storefront.container, visitor, order_id, key[:200])
    if order is None:
        return not_found(request)
    return storefront.render(
        request,
        "test_payment.html",
        visitor=visitor,
        order=order,
        key=key[:200],
        order_url=order_url(visitor, order_id, key[:200] or None),
    )


@router.post("/test-payments/{order_id}")
def pay(order_id: str, request: Request, form: FormDep) -> Response:
    storefront = storefront_of(request)
    container = storefront.container
    if not container.settings.test_payments_on:
        return not_found(request)
    visitor = storefront.visitor(request)
    key = text(form, "key", 200)
    order = order_for(container, visitor, order_id, key)
    if order is None:
        return not_found(request)
    succeeded = text(form, "action", 10) == "pay"
    payload = {
        "order_id": order_id,
        "payment_id": f"test_{uuid.uuid4().hex}",
        "amount": float(order["total"]),
        "status": "succeeded" if succeeded else "failed",
        "reason": "" if succeeded else "declined on the test payment page",
    }
    body = orjson.dumps(payload)
    timestamp = str(int(time.time()))
    try:
        receive(container, timestamp, sign(container.payment_secret or "", timestamp, body), body)
    except Problem as problem:
        return storefront.render(
            request,
            "message.html",
            problem.status,
            title="The payment was not taken",
            message=problem.detail,
        )
    except (RefundDue, OrderChanged):
        return storefront.render(
            request,
            "message.html",
            409,
            title="The payment was not taken",
            message="This order can no longer be paid.",
        )
    return see_other(order_url(visitor, order_id, key or None))
