"""`/metrics` is open by default (local use) and, with POLYSHOP_METRICS_REQUIRE_TOKEN, only
for the operator token as a bearer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from polyshop.config import Settings
from tests.e2e.shoppers import OPS, guest, make_client


def test_metrics_are_open_by_default(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "polyshop_projection_lag_events" in response.text


def test_restricted_metrics_answer_only_the_operator_token(backend, container_for):
    with make_client(container_for, backend, metrics_require_token=True) as client:
        customer = guest(client)
        refused = {
            "no token": client.get("/metrics"),
            "wrong token": client.get("/metrics", headers={"Authorization": "Bearer nope"}),
            "a session": customer.get("/metrics"),
            "not a bearer": client.get("/metrics", headers={"Authorization": "test-ops-token"}),
        }
        for why, response in refused.items():
            assert response.status_code == 401, why
            assert response.headers["content-type"] == "application/problem+json", why
            assert response.headers["www-authenticate"].startswith("Bearer"), why
            assert "polyshop_" not in response.text, why

        allowed = client.get("/metrics", headers=OPS)

        assert allowed.status_code == 200
        assert "polyshop_projection_lag_events" in allowed.text
        assert client.get("/healthz").status_code == 200  # the rest of ops stays as it was


def test_requiring_a_token_that_server_mode_lacks_is_refused_at_start():
    with pytest.raises(ValidationError, match="needs POLYSHOP_OPS_TOKEN"):
        Settings(metrics_require_token=True, database_url="postgresql://db/shop")
    assert Settings(metrics_require_token=True).metrics_require_token  # embedded makes one
