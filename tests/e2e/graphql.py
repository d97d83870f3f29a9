"""Sending GraphQL operations through the test client, as any client sends them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


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
