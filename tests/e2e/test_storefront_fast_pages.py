"""Pages kept for visitors without a session are answered ahead of routing: each visitor
still gets their own CSRF token (and cookie), a product page still counts its view, and a
change to what the page shows takes it out of memory."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from polyshop.api.web.storefront.security import CSRF_COOKIE
from tests.e2e.test_storefront_catalog import HTML, caught_up, create

_TOKEN = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def _product_url(client: TestClient, name: str) -> tuple[str, str, int]:
    created = create(client, name)
    caught_up(client, created["position"])
    first = client.get(f"/p/{created['product_id']}", headers=HTML)  # 301 to the canonical
    client.cookies.clear()
    return first.url.path, created["product_id"], created["position"]


def test_a_kept_page_is_served_from_memory_with_each_visitors_own_token(client: TestClient):
    url, _, _ = _product_url(client, "Memory Runner")
    assert client.get(url, headers=HTML).status_code == 200  # rendered, and kept
    client.cookies.clear()

    answers = []
    for cookie in ("a" * 32, "b" * 32):
        response = client.get(url, headers={**HTML, "Cookie": f"{CSRF_COOKIE}={cookie}"})
        client.cookies.clear()
        assert response.status_code == 200
        assert "\x00" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        answers.append(_TOKEN.findall(response.text))
    assert answers[0]
    assert answers[1]
    assert set(answers[0]).isdisjoint(answers[1])  # each cookie, its own token

    fresh = client.get(url, headers=HTML)  # no CSRF cookie yet: one is set
    client.cookies.clear()
    assert CSRF_COOKIE in fresh.headers["set-cookie"]
    assert "HttpOnly" in fresh.headers["set-cookie"]

    metrics = client.get("/metrics").text
    assert 'route="storefront (from memory)"' in metrics


def test_a_price_change_takes_the_kept_page_out_of_memory(client: TestClient):
    url, product_id, _ = _product_url(client, "Evicted Runner")
    assert "$50.00" in client.get(url, headers=HTML).text
    client.cookies.clear()
    assert "$50.00" in client.get(url, headers=HTML).text  # from memory now
    client.cookies.clear()

    changed = client.patch(
        f"/api/v1/products/{product_id}",
        json={"price": 61},
        headers={"Authorization": "Bearer test-ops-token"},
    )
    client.cookies.clear()
    caught_up(client, changed.json()["position"])
    started = time.monotonic()  # the cache is evicted by a log follower, a moment after
    while "$61.00" not in (page := client.get(url, headers=HTML).text):
        client.cookies.clear()
        assert time.monotonic() - started < 0.5, "a kept page outlived the price change"
        time.sleep(0.005)
    assert "$50.00" not in page
