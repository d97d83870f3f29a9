"""The HTTP skeleton through the real app: ops endpoints, problem+json, limits, request ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent

OPS = {"Authorization": "Bearer test-ops-token"}


class Note(BaseModel):
    stream: str = Field(min_length=1, max_length=50)
    count: int = Field(ge=1, le=10)


def note_router(container: Container) -> APIRouter:
    """A route that writes, standing in for the command endpoints later contexts add."""
    router = APIRouter()

    @router.post("/test/notes", status_code=201)
    def add_note(note: Note) -> dict[str, int]:
        written = container.machinery.store.append(
            note.stream, "note", [NewEvent("Noted", {"count": note.count})]
        )
        return {"position": written.position}

    @router.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return router


@pytest.fixture
def client_for(container_for: Callable[..., Container]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(backend: str, **overrides: object) -> TestClient:
        container = container_for(backend, max_body_bytes=2048, read_wait_timeout=0.3, **overrides)
        app = create_app(container)
        app.include_router(note_router(container))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        client.container = container  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(backend: str, client_for: Callable[..., TestClient]) -> TestClient:
    return client_for(backend)


def head(client: TestClient) -> int:
    return client.container.machinery.store.head()  # type: ignore[attr-defined]


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_liveness_readiness_and_metrics(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "event_store": "ok",
            "sessions_and_carts": "ok",
            "analytics": "ok",
            "media": "ok",
        },
        "replicas": [],
    }

    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'polyshop_http_request_duration_seconds_count{method="GET",route="/readyz"' in (
        metrics.text
    )
    assert 'polyshop_projection_lag_events{projection="stream_summaries"}' in metrics.text


def test_readiness_fails_when_a_store_is_down(client: TestClient):
    def down() -> None:
        raise ConnectionError("refused")

    client.container.readiness_checks["event_store"] = down  # type: ignore[attr-defined]

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "event_store": "error: ConnectionError",
        "sessions_and_carts": "ok",
        "analytics": "ok",
        "media": "ok",
    }


def test_a_session_store_outage_is_degraded_not_unready(client: TestClient):
    def down() -> None:
        raise ConnectionError("refused")

    client.container.degradable_checks["sessions_and_carts"] = down  # type: ignore[attr-defined]

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "event_store": "ok",
            "sessions_and_carts": "error: ConnectionError",
            "analytics": "ok",
            "media": "ok",
        },
        "replicas": [],
    }


def test_an_image_store_outage_is_degraded_not_unready(client: TestClient):
    def down() -> None:
        raise ConnectionError("refused")

    client.container.degradable_checks["media"] = down  # type: ignore[attr-defined]

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["media"] == "error: ConnectionError"


def test_the_shop_address_is_the_storefront_and_the_api_is_documented(client: TestClient):
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in home.text  # the footer leads to the API
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_unknown_path_is_a_problem_document(client: TestClient):
    body = assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert body["title"] == "Not Found"


def test_operator_endpoints_check_the_token(client: TestClient):
    anonymous = client.get("/api/v1/admin/projections")
    assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert_problem(
        client.get("/api/v1/admin/projections", headers={"Authorization": "Bearer guess"}), 401
    )

    response = client.get("/api/v1/admin/projections", headers=OPS)

    assert response.status_code == 200
    projections = {p["name"]: p for p in response.json()["projections"]}
    expected = {
        "stream_summaries",
        "product_documents",
        "order_history",
        "product_sales",
        "bought_together",
        "ordered_carts",  # carts emptied of what was ordered (see cart.ordered)
        "search_index",  # search's own read model: Tantivy embedded, PostgreSQL rows server
    }
    assert set(projections) == expected
    assert {"position", "head", "lag_events", "lag_seconds", "state"} <= (
        projections["stream_summaries"].keys()
    )


def test_malformed_json_is_400_and_writes_nothing(client: TestClient):
    before = head(client)

    response = client.post(
        "/test/notes",
        content=b'{"stream": "a", "count": ',
        headers={"content-type": "application/json"},
    )

    assert assert_problem(response, 400)["title"] == "Malformed JSON"
    assert head(client) == before


def test_wrong_types_are_422_naming_the_field_and_write_nothing(client: TestClient):
    before = head(client)

    response = client.post("/test/notes", json={"stream": "a", "count": "many"})

    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["count"]
    assert "count" in body["detail"]
    assert head(client) == before


def test_oversize_bodies_are_413_and_write_nothing(client: TestClient):
    before = head(client)
    big = b'{"stream": "' + b"x" * 4000 + b'", "count": 1}'

    declared = client.post("/test/notes", content=big, headers={"content-type": "application/json"})

    def chunks() -> Iterator[bytes]:
        yield big[:1500]
        yield big[1500:]

    streamed = client.post(
        "/test/notes", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_problem(declared, 413)
    assert_problem(streamed, 413)
    assert len(declared.headers["x-request-id"]) == 32
    assert head(client) == before


def test_unexpected_errors_are_500_problems_without_internals(client: TestClient):
    response = client.get("/test/boom")

    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"].startswith("An unexpected error")


def test_request_id_is_echoed_and_becomes_the_events_correlation_id(client: TestClient):
    response = client.post(
        "/test/notes", json={"stream": "s1", "count": 2}, headers={"X-Request-ID": "req-12345"}
    )
    generated = client.post("/test/notes", json={"stream": "s2", "count": 2})

    assert response.headers["x-request-id"] == "req-12345"
    assert len(generated.headers["x-request-id"]) == 32
    store = client.container.machinery.store  # type: ignore[attr-defined]
    assert store.read_stream("s1")[0].metadata.correlation_id == "req-12345"
    assert store.read_stream("s2")[0].metadata.correlation_id == generated.headers["x-request-id"]


def test_min_position_reads_your_own_writes(client: TestClient):
    position = client.post("/test/notes", json={"stream": "mine", "count": 1}).json()["position"]

    response = client.get(f"/api/v1/admin/streams?min_position={position}", headers=OPS)

    assert response.status_code == 200
    body = response.json()
    assert [s["stream_id"] for s in body["streams"]] == ["mine"]
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)


def test_min_position_beyond_the_log_is_refused_at_once(client: TestClient):
    """Nobody wrote it, so nobody can be owed it (tests/e2e/test_read_waits_http.py)."""
    response = client.get("/api/v1/admin/streams?min_position=999999", headers=OPS)

    body = assert_problem(response, 409)
    assert (body["min_position"], body["head"]) == (999999, 0)


def test_list_parameters_out_of_range_are_422(client: TestClient):
    for query in ("limit=101", "limit=0", "page=0", "min_position=-1"):
        body = assert_problem(client.get(f"/api/v1/admin/streams?{query}", headers=OPS), 422)
        assert body["errors"][0]["field"] == query.split("=")[0]
