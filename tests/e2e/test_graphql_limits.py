"""/graphql's limits and tooling as a client meets them: refusals before anything runs,
persisted queries, introspection by mode, GraphiQL from the shop's own files, and what a
cross-site page cannot make a signed-in browser do."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from polyshop.api.graphql import limits, query_text
from polyshop.api.graphql.graphiql import STATIC_DIR
from polyshop.api.rest.dependencies import SESSION_COOKIE
from polyshop.container import Container
from tests.e2e.graphql import gql
from tests.e2e.shoppers import make_client, register

SIGN_UP = (
    'mutation { signUp(email: "%s", password: "correct horse battery", name: "Ann") '
    "{ ... on SignedIn { token user { email } } } }"
)


def refused(body: dict[str, Any], code: str) -> dict[str, Any]:
    assert body["data"] is None, body  # nothing ran: no field has even a null
    assert [error["extensions"]["code"] for error in body["errors"]] == [code], body
    return body["errors"][0]["extensions"]  # type: ignore[no-any-return]


def assert_nobody_signed_up(client: TestClient, email: str) -> None:
    register(client, email)  # 201: the refused sign-up never happened


def test_a_deep_mutation_is_refused_before_it_runs(client: TestClient):
    deep = "user { " * limits.MAX_DEPTH + "email" + " }" * limits.MAX_DEPTH
    mutation = SIGN_UP.replace("user { email }", deep) % "deep@example.com"
    facts = refused(gql(client, mutation, expect_errors=True), "query-too-deep")
    assert facts["maxDepth"] == limits.MAX_DEPTH
    assert_nobody_signed_up(client, "deep@example.com")


def test_a_costly_operation_is_refused_with_its_cost_and_the_budget(
    backend: str, container_for: Callable[..., Container]
):
    with make_client(container_for, backend, graphql_max_cost=1) as client:
        body = gql(client, SIGN_UP % "costly@example.com", expect_errors=True)
        facts = refused(body, "query-too-costly")
        assert (facts["cost"], facts["budget"]) == (2, 1)  # signUp and its user: objects
        assert "budget is 1" in body["errors"][0]["message"]
        assert_nobody_signed_up(client, "costly@example.com")

        answer = gql(client, '{ product(id: "no-such-product") { id name } }')
        assert answer["data"] == {"product": None}
        assert answer["extensions"]["cost"] == {"requestedQueryCost": 1, "budget": 1}


def test_a_page_size_counts_in_the_cost(client: TestClient):
    query = "query($n: Int!) { products(first: $n) { edges { node { id name } } } }"
    facts = refused(gql(client, query, {"n": 1000}, expect_errors=True), "query-too-costly")
    assert facts["cost"] > facts["budget"] == 1000
    assert gql(client, query, {"n": 5})["data"]["products"]["edges"] == []


def test_aliases_and_size_are_bounded(client: TestClient):
    aliased = " ".join(f"a{i}: __typename" for i in range(limits.MAX_ALIASES + 1))
    refused(gql(client, "{ " + aliased + " }", expect_errors=True), "too-many-aliases")
    huge = "{ " + "__typename " * (limits.MAX_TOKENS + 1) + "}"
    refused(gql(client, huge, expect_errors=True), "query-too-large")


def test_a_query_text_past_the_bound_is_refused_however_few_its_tokens(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    # Comments are not tokens: this text is two tokens and 64 K characters long.
    padded = "#" + "x" * query_text.MAX_QUERY_CHARS + "\n{ __typename }"
    before = query_text._parsed.cache_info().currsize
    facts = refused(gql(client, padded, expect_errors=True), "query-too-large")
    assert facts == {"code": "query-too-large", "length": len(padded), "maxChars": 65536}
    sha256 = hashlib.sha256(padded.encode()).hexdigest()
    stored = client.post("/graphql", json={"query": padded, "extensions": apq(sha256)})
    refused(stored.json(), "query-too-large")
    again = client.post("/graphql", json={"extensions": apq(sha256)}).json()
    assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": padded}})
        answer = ws.receive_json()
        assert (answer["id"], answer["type"]) == ("1", "error"), answer
        assert answer["payload"][0]["extensions"]["code"] == "query-too-large"
    assert query_text._parsed.cache_info().currsize == before  # nothing of it was kept
    short = padded[: query_text.MAX_QUERY_CHARS - 20] + "\n{ __typename }"
    assert gql(client, short)["data"] == {"__typename": "Query"}
    # A URL that long is past any HTTP client's limit: a GET meets a lower bound instead.
    monkeypatch.setattr(query_text, "MAX_QUERY_CHARS", 1000)
    by_get = client.get("/graphql", params={"query": short[-2000:]})
    refused(by_get.json(), "query-too-large")


def apq(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


def test_automatic_persisted_queries_round_trip(client: TestClient):
    query = '{ product(id: "none") { id } }'
    sha256 = hashlib.sha256(query.encode()).hexdigest()

    first = client.post("/graphql", json={"extensions": apq(sha256)}).json()
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"

    wrong = client.post("/graphql", json={"query": "{ __typename }", "extensions": apq(sha256)})
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"

    stored = client.post("/graphql", json={"query": query, "extensions": apq(sha256)})
    assert stored.json()["data"] == {"product": None}
    by_hash = client.post("/graphql", json={"extensions": apq(sha256)})
    assert by_hash.json()["data"] == {"product": None}
    by_get = client.get(
        "/graphql",
        params={"extensions": json.dumps(apq(sha256))},
        headers={"Accept": "text/html, application/json"},  # a hash is an operation, not a page
    )
    assert by_get.status_code == 200
    assert by_get.json()["data"] == {"product": None}


def test_a_persisted_mutation_still_needs_post(client: TestClient):
    mutation = SIGN_UP % "get@example.com"
    sha256 = hashlib.sha256(mutation.encode()).hexdigest()
    client.post("/graphql", json={"query": "{ __typename }", "extensions": apq("0" * 64)})
    assert client.post("/graphql", json={"extensions": apq(sha256)}).json()["errors"]
    response = client.get(
        "/graphql", params={"query": mutation, "extensions": json.dumps(apq(sha256))}
    )
    assert response.status_code == 400
    assert_nobody_signed_up(client, "get@example.com")


@pytest.mark.parametrize("introspection", [True, False])
def test_introspection_can_be_turned_off(
    introspection: bool, backend: str, container_for: Callable[..., Container]
):
    with make_client(container_for, backend, graphql_introspection=introspection) as client:
        body = gql(client, "{ __schema { queryType { name } } }", expect_errors=True)
        if introspection:
            assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        else:
            refused(body, "introspection-disabled")
        assert gql(client, "{ __typename }")["data"] == {"__typename": "Query"}


def test_introspection_is_on_in_embedded_mode_and_off_in_server_mode(
    client: TestClient, backend: str
):
    body = gql(client, '{ __type(name: "Product") { name } }', expect_errors=True)
    if backend == "sqlite":
        assert body["data"] == {"__type": {"name": "Product"}}
    else:
        refused(body, "introspection-disabled")


def test_graphiql_is_served_with_every_file_from_the_shop(client: TestClient):
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'none'" in policy
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 6
    recorded = dict(
        reversed(line.split()) for line in (STATIC_DIR / "SHA256SUMS").read_text().splitlines()
    )
    for url in urls:
        assert url.startswith("/graphql/assets/"), url
        asset = client.get(url.replace("&amp;", "&"))
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        name = Path(url.split("?")[0]).name
        if name in recorded:  # a vendored file is the one its checksum names
            assert hashlib.sha256(asset.content).hexdigest() == recorded[name]
    assert client.get("/graphql/assets/graphiql.min.js").headers["cache-control"] == (
        "public, max-age=300"  # without the hash, a client must come back for a new release
    )
    assert client.get("/graphql/assets/SHA256SUMS").status_code == 404


def test_a_cross_site_form_cannot_run_an_operation_with_the_session_cookie(client: TestClient):
    shopper = register(client, "victim@example.com")
    cookie = {"Cookie": f"{SESSION_COOKIE}={shopper.token}"}
    mutation = SIGN_UP % "forged@example.com"
    attempts = [
        {"data": {"query": mutation}},  # <form> (application/x-www-form-urlencoded)
        {"files": {"query": (None, mutation)}},  # <form enctype="multipart/form-data">
        {
            "content": json.dumps({"query": mutation}),
            "headers": {"Content-Type": "text/plain"},
        },
    ]
    for attempt in attempts:
        headers = {**cookie, **attempt.pop("headers", {})}
        response = client.post("/graphql", headers=headers, **attempt)
        assert response.status_code == 400, response.text
    client.cookies.clear()
    assert client.get("/graphql", params={"query": mutation}).status_code == 400
    assert_nobody_signed_up(client, "forged@example.com")

    as_json = client.post("/graphql", headers=cookie, json={"query": "{ __typename }"})
    assert as_json.json() == {
        "data": {"__typename": "Query"},
        "extensions": {"cost": {"requestedQueryCost": 0, "budget": 1000}},
    }


def test_a_subscription_over_a_limit_or_unreadable_is_answered_not_left_hanging(
    client: TestClient,
):
    deep = "a { " * (limits.MAX_DEPTH + 1) + "b" + " }" * (limits.MAX_DEPTH + 1)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": f"subscription {{ {deep} }}"}}
        )
        answer = ws.receive_json()
        assert (answer["id"], answer["type"]) == ("1", "error"), answer
        assert answer["payload"][0]["extensions"]["code"] == "query-too-deep"
        # Unreadable: the protocol closes the connection (4400) naming the syntax error.
        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": "subscription { a( }"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4400
        assert closed.value.reason.startswith("Syntax Error")
