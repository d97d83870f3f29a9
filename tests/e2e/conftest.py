"""The HTTP client most end-to-end tests use (see `shoppers.make_client`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from polyshop.container import Container
from tests.e2e.shoppers import make_client


@pytest.fixture
def client(backend: str, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    with make_client(container_for, backend) as client:
        yield client
