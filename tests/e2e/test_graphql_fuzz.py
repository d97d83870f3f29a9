"""The GraphQL schema fuzzed by schemathesis: every query and mutation field, with
generated arguments and selections, must never be a server error (zero 5xx, no masked
`internal-error`).

The real app runs in-process (ASGI, embedded mode, projections running) on a small seeded
catalog; admin fields are called with the operator token, the others as a signed-in
customer, so both get past their gates. Whatever fields the schema has are fuzzed (it is
read by introspection). Generation is derandomized and bounded to stay well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.graphql.checks import GraphQLServerError
from schemathesis.python import asgi
from strawberry.utils.str_converters import to_camel_case

from polyshop.api.graphql.admin import AdminMutation, AdminQuery
from polyshop.api.rest.app import create_app
from polyshop.container import Container
from tests.e2e.shoppers import PASSWORD, SECRET

OPS_TOKEN = "test-ops-token"
#: Examples per field: bounded, so the whole run stays well under a minute on two cores.
MAX_EXAMPLES = 30


def _admin_fields() -> set[str]:
    """The GraphQL names of the admin fields (they take the operator token)."""
    fields = [
        *AdminQuery.__strawberry_definition__.fields,  # type: ignore[attr-defined]
        *AdminMutation.__strawberry_definition__.fields,  # type: ignore[attr-defined]
    ]
    return {field.graphql_name or to_camel_case(field.python_name) for field in fields}


@pytest.fixture
def shop(container_for: Callable[..., Container]) -> Iterator[tuple[Any, str]]:
    """The app around a fresh embedded shop with three products, and a customer's token."""
    container = container_for("sqlite", payment_webhook_secret=SECRET)
    app = create_app(container)
    ops = {"Authorization": f"Bearer {OPS_TOKEN}"}
    with asgi.get_client(app) as client:
        for n, name in enumerate(["Desk Lamp", "Oak Chair", "Wool Rug"]):
            created = client.post(
                "/api/v1/products",
                json={
                    "name": name,
                    "description": f"A {name.lower()} for the fuzzer.",
                    "brand": "Acme",
                    "category": "home/things",
                    "price": 10.0 + n,
                    "variants": [{"sku": f"FUZZ-{n}-A", "stock": 5}, {"sku": f"FUZZ-{n}-B"}],
                },
                headers=ops,
            )
            assert created.status_code == 201, created.text
        response = client.post(
            "/api/v1/auth/register",
            json={"email": "fuzzer@example.com", "password": PASSWORD, "name": "Fuzzer"},
        )
        assert response.status_code == 201, response.text
        token = response.json()["token"]
    try:
        yield app, token
    finally:
        asgi.shutdown_lifespans()  # stops the app's projections before the shop closes


def _schema(app: Any, token: str) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "seed": 21,
            "cache": {"enabled": False},
            "max-failures": 50,
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "database": "none",
            },
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
        }
    )
    schema = schemathesis.graphql.from_asgi("/graphql", app, config=config)
    admin_fields = _admin_fields()

    @schema.auth(refresh_interval=None)
    class Credentials:
        """The operator token for admin fields; none for signing out (it would revoke the
        customer's token for the rest of the run); the customer's token otherwise."""

        def get(self, case: Any, _ctx: Any) -> str | None:
            field = case.operation.definition.field_name
            if field == "signOut":
                return None
            return OPS_TOKEN if field in admin_fields else token

        def set(self, case: Any, data: str, _ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.hook("filter_failure")(_refusal)
    return schema


def _refusal(_ctx: Any, failure: Any, _case: Any, _response: Any) -> bool:
    """A `filter_failure` hook. schemathesis calls any error a resolver raised a "server
    error"; here a query's refusal is an error carrying its REST problem's facts, and one
    whose `extensions.status` is below 500 (a 404, a 422 naming the argument) is the
    documented answer to a bad request, so it is dropped (False). A 5xx status, a masked
    `internal-error` or an error without a status is kept."""
    if not isinstance(failure, GraphQLServerError):
        return True
    statuses = [(error.get("extensions") or {}).get("status") for error in failure.errors]
    return not all(isinstance(status, int) and status < 500 for status in statuses)


def _failures(stream: Any) -> tuple[list[str], int, int]:
    """Every failure described, the cases run, and the server's answers seen as masked
    internal errors (a resolver's crash that GraphQL answers with 200)."""
    found: list[str] = []
    cases = 0
    internal = 0
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                cases += 1
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(f"{failure.operation}: {failure.title}\n{failure.message}")
            for interaction in event.recorder.interactions.values():
                response = interaction.response
                if response is not None and b'"internal-error"' in (response.content or b""):
                    internal += 1
                    body = orjson.loads(response.content)
                    found.append(f"internal error: {interaction.request.body!r} -> {body}")
        elif isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            found.append(f"fatal: {event.exception!r}")
    return found, cases, internal


@pytest.mark.slow
def test_no_generated_query_or_mutation_is_a_server_error(shop: tuple[Any, str]) -> None:
    app, token = shop
    found, cases, internal = _failures(from_schema(_schema(app, token)).execute())
    unique = sorted(set(found))
    print(f"schemathesis graphql: {cases} cases, {internal} internal errors, {len(unique)} found")
    assert cases > 0, "no field was fuzzed"
    assert not unique, "\n\n".join(unique[:20])
