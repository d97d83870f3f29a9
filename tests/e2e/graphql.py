"""Sending GraphQL operations through the test client, as any client sends them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event


def gql(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    expect_errors: bool = False,
) -> dict[str, Any]:
    """POST the operation to /graphql; the whole response body (`data`, `errors`).

    Without `expect_errors`, an answer carrying errors fails the test with them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    if not expect_errors:
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
    return body


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements requests run meanwhile, on every engine of the shop. Only those
    on AnyIO's worker threads, where resolvers' service calls run: the shop's own
    background threads (projections, cache followers) poll the same engines meanwhile."""
    machinery = client.container.machinery  # type: ignore[attr-defined]
    engines = {machinery.read_engine, machinery.store.read_engine, machinery.store.write_engine}
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name.startswith("AnyIO worker"):
            seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
