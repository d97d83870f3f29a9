"""The HTTP client most end-to-end tests use: the real app around a fresh shop of the
test's backend, with `client.container` for the tests that look behind the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from polyshop.api.rest.app import create_app
from polyshop.container import Container


@pytest.fixture
def client(backend: str, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    container = container_for(backend, read_wait_timeout=5)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        client.container = container  # type: ignore[attr-defined]
        yield client
