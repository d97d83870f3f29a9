"""The API against its own OpenAPI document, judged by schemathesis with every check and
every phase: examples, coverage (boundaries and every kind of invalid input), fuzzing and
the stateful phase (following the document's links: create a product, read it, stock it,
put it in a cart, order it, pay for it, ship it).

The real app runs in-process (ASGI, embedded mode, its projections running), signed in as a
customer for `session` operations and with the operator token for `admin` ones; POST
/orders gets a fresh Idempotency-Key per request and the payment webhook a valid signature,
so those operations are exercised past their gates. Generation is derandomized and bounded,
so the run is the same every time and takes about a minute on two cores.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from polyshop.orders.payments import sign
from tests.e2e.shoppers import PASSWORD, SECRET

OPS_TOKEN = "test-ops-token"
#: Examples per operation and phase: bounded, so the whole run stays about a minute.
MAX_EXAMPLES = 12
#: Steps of one stateful scenario (create a product ... ship the order).
MAX_STEPS = 8

_STRONG_PASSWORDS = st.builds(
    lambda word, n: f"{word}-{n}-Kx9",
    st.sampled_from(["maple", "harbor", "quartz"]),
    st.integers(0, 99),
)


@pytest.fixture
def shop(container_for: Callable[..., Container]) -> Iterator[tuple[Any, str]]:
    """The app around a fresh embedded shop, and a signed-in customer's token."""
    container = container_for("sqlite", payment_webhook_secret=SECRET)
    app = create_app(container)
    with asgi.get_client(app) as client:
        response = client.post(
            "/api/v1/auth/register",
            json={"email": "shopper@example.com", "password": PASSWORD, "name": "Shopper"},
        )
        assert response.status_code == 201, response.text
        token = response.json()["token"]
    try:
        yield app, token
    finally:
        asgi.shutdown_lifespans()  # stops the app's projections before the shop closes


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 16,
            "cache": {"enabled": False},  # nothing written under the working tree
            "max-failures": 50,
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                # Every text field refuses NUL (the document says so, API-wide).
                "allow-x00": False,
                "database": "none",
            },
            "checks": {"enabled": True},
            "phases": {"stateful": {"max-steps": MAX_STEPS}},
        }
    )


def _schema(app: Any, token: str) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())

    @schema.auth(refresh_interval=None)
    class Credentials:
        """The customer's token where the operation takes a session, else the operator
        token; none for sign-up, login and logout (login and logout revoke the token
        they are sent, which would sign the customer out for the rest of the run)."""

        def get(self, case: Any, _ctx: Any) -> str | None:
            security = case.operation.definition.raw.get("security", [])
            if {} in security:  # optional: sign-up, login, logout, recommendations
                return None
            schemes = {scheme for requirement in security for scheme in requirement}
            if "session" in schemes:
                return token
            return OPS_TOKEN if "admin" in schemes else None

        def set(self, case: Any, data: str, _ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.hook("filter_failure")(_beyond_schema)
    return schema


_IMAGE_REFUSED = {
    "/problems/unsupported-format", "/problems/corrupt-image", "/problems/too-many-pixels",
    "/problems/animated-image",
}  # fmt: skip

#: Rules the document states in words that JSON Schema cannot express, because they relate
#: two inputs or an input to the shop's state: a schema-valid request may break them, and
#: then a 422 naming the field is the right answer. By operation: the fields (or problem
#: types) such a 422 names. Anything else refused is a failure.
BEYOND_SCHEMA: dict[str, set[str]] = {
    # min_price above max_price; search pages end at 10,000 results (page times limit).
    "GET /api/v1/products": {"min_price"},
    "GET /api/v1/products/search": {"min_price", "page"},
    # start after end; more than 10,000 buckets between them.
    "GET /api/v1/analytics/products/{product_id}/views": {"start", "end", "bucket"},
    "GET /api/v1/analytics/products/{product_id}/funnel": {"start", "end"},
    # A SKU twice in one product; a variant priced below 0 by its adjustment; an attribute
    # name that strips to nothing (U+0085 and other characters ECMA-262's `\s` leaves out
    # are white space to Python).
    "POST /api/v1/products": {"variants", "price_adjustment", "attributes.[key]"},
    "PATCH /api/v1/products/{product_id}": {"variants", "price_adjustment", "attributes.[key]"},
    # A SKU the shop does not sell (or not of that product); more than 99 in the cart.
    "POST /api/v1/cart/items": {"sku", "quantity"},
    # The cart is empty, or holds what is no longer sold, or totals too much.
    "POST /api/v1/orders": {"/problems/empty-cart", "/problems/not-orderable",
                            "/problems/order-too-large"},
    # The password is a common one, or the email itself; an address at a special-use
    # domain (RFC 6761: `.test`, `.invalid`, `.localhost`), which `format: email` allows.
    "POST /api/v1/auth/register": {"password", "email"},
    "POST /api/v1/auth/login": {"email"},
    # What a file holds (the document says which images are taken, in words); a place past
    # the product's own number of images.
    "POST /api/v1/products/{product_id}/images": {*_IMAGE_REFUSED, "position"},
    "PUT /api/v1/products/{product_id}/images/{image_id}": _IMAGE_REFUSED,
    "PATCH /api/v1/products/{product_id}/images/{image_id}": {"position"},
    "POST /api/v1/products/{product_id}/images/uploads/{upload_id}": {
        *_IMAGE_REFUSED, "position"},
    # A webhook URL whose host resolves to a private address, or to nothing.
    "POST /api/v1/admin/webhooks": {"/problems/receiver-refused"},
}  # fmt: skip


#: Failures that are not the operation's: by failure code, the operations and why.
#: - ST301: DELETE /products/{id} discontinues a product, as the API has always spelled it;
#:   its document stays readable (status `discontinued`) for orders and old links.
#: - ST302: an upload's id names bytes the client PUTs to the upload URL first; attaching it
#:   before that is the 404 the document lists.
NOT_THIS_OPERATION: dict[str, set[str]] = {
    "ST302": {
        "POST /api/v1/products/{product_id}/images/uploads",
        "POST /api/v1/products/{product_id}/images/uploads/{upload_id}",
    },
    "ST301": {
        "GET /api/v1/products/{product_id}",
        "GET /api/v1/products/{product_id}/recommendations",
        "PATCH /api/v1/products/{product_id}",
    },
}


#: An attribute's name as a 422 names it (`attributes.<name>.[key]`), whatever the name.
_ATTRIBUTE_KEY = re.compile(r"^attributes\..*\.\[key\]$", re.DOTALL)


def _beyond_schema(_ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    """A `filter_failure` hook: False drops a rejected valid request that broke one of the
    BEYOND_SCHEMA rules (a 422 naming it), and a NOT_THIS_OPERATION failure; every other
    failure is kept."""
    waived = NOT_THIS_OPERATION.get(failure.code, set())
    if "*" in waived or case.operation.label in waived:
        return False
    allowed = BEYOND_SCHEMA.get(case.operation.label)
    if failure.code != "ST202" or response.status_code != 422 or allowed is None:
        return True
    problem = orjson.loads(response.content)
    fields = {
        _ATTRIBUTE_KEY.sub("attributes.[key]", e.get("field", ""))
        for e in problem.get("errors", [])
    }
    named = {problem.get("type")} | fields
    return not named & allowed


def _prepare_calls() -> Callable[..., None]:
    """A `before_call` hook: a fresh Idempotency-Key per order (a key used again with
    another body is refused, by design) and the payment provider's signature on webhook
    calls, over the exact bytes sent."""
    keys = (f"schemathesis-{n}" for n in itertools.count())

    def before_call(_ctx: Any, case: Any, **_kwargs: Any) -> None:
        headers = case.headers if case.headers is not None else {}
        path, method = case.operation.path, case.operation.method.upper()
        if (path, method) == ("/api/v1/orders", "POST") and headers.get("Idempotency-Key"):
            headers["Idempotency-Key"] = next(keys)
        if path == "/api/v1/payments/webhook" and "X-Payment-Signature" in headers:
            if isinstance(case.body, dict | list | str | int | float | bool | None):
                case.body = json.dumps(case.body).encode()  # sent as is: the bytes signed
            body = case.body if isinstance(case.body, bytes) else b""
            stamp = str(int(time.time()))
            headers["X-Payment-Timestamp"] = stamp
            headers["X-Payment-Signature"] = sign(SECRET, stamp, body)
        case.headers = headers

    return before_call


def _describe(info: Any, recorder: Any, case_id: str) -> str:
    failure = info.failure
    interaction = recorder.interactions.get(case_id)
    answer = ""
    if interaction is not None and interaction.response is not None:
        body = (interaction.response.content or b"")[:300].decode("utf-8", "replace")
        answer = f"\n-> {interaction.response.status_code} {body}"
    return (
        f"{failure.code} {failure.operation}: {failure.title}\n{failure.message}\n"
        f"{info.code_sample[:600]}{answer}"
    )


def _failures(stream: Any) -> tuple[list[str], float, dict[str, int]]:
    """Every failure described, the run's seconds, and the scenarios run per phase."""
    found: list[str] = []
    elapsed = 0.0
    scenarios: dict[str, int] = {}
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            scenarios[event.phase.value] = scenarios.get(event.phase.value, 0) + 1
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        found.append(_describe(check.failure_info, event.recorder, case_id))
        elif isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            found.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            elapsed = event.running_time
    return found, elapsed, scenarios


@pytest.mark.slow
def test_the_api_does_what_its_openapi_document_says(shop: tuple[Any, str]) -> None:
    app, token = shop
    schemathesis.openapi.format("password", _STRONG_PASSWORDS)
    before_call = schemathesis.hook(_prepare_calls())
    try:
        found, elapsed, scenarios = _failures(from_schema(_schema(app, token)).execute())
    finally:
        schemathesis.hooks.unregister(before_call)
    unique = sorted(set(found))
    print(f"schemathesis: {elapsed:.1f} s, scenarios {scenarios}, {len(unique)} failures")
    assert scenarios.get("stateful", 0) > 0, "the stateful phase ran no scenario"
    assert not unique, "\n\n".join(unique)
