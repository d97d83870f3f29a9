"""Double-clicks through the real HTTP server on both databases: six signed-in buyers each
send ten POST /orders for their cart at the same instant, every request with a new
Idempotency-Key. Exactly six orders; every other answer is a clean 409 naming the order
the cart became (or 422, the cart being empty by then); no 5xx."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx2 as httpx

from polyshop.container import Container
from tests.e2e.shoppers import OPS, PASSWORD
from tests.e2e.shoppers import ORDER_BODY as BODY
from tests.e2e.test_flash_sale_http import live  # noqa: F401 (the fixture)

BUYERS, CLICKS = 6, 10


def test_ten_simultaneous_checkouts_of_one_cart_place_one_order(live: tuple[str, Container]):  # noqa: F811
    base, _ = live
    created = httpx.post(
        f"{base}/api/v1/products",
        json={
            "name": "Desk lamp",
            "description": "Bright.",
            "brand": "Acme",
            "category": "home/lamps",
            "price": 35.00,
            "variants": [{"sku": "LAMP-1", "stock": 100}],
        },
        headers=OPS,
    )
    assert created.status_code == 201
    tokens = []
    for _ in range(BUYERS):
        registered = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD},
        )
        token = registered.json()["token"]
        added = httpx.post(
            f"{base}/api/v1/cart/items",
            json={"sku": "LAMP-1", "quantity": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert added.status_code in (200, 201), added.text
        tokens.append(token)
    barrier = threading.Barrier(BUYERS * CLICKS)
    answers: list[tuple[str, httpx.Response]] = []
    lock = threading.Lock()

    def click(token: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            response = client.post(
                "/api/v1/orders",
                json=BODY,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            )
        with lock:
            answers.append((token, response))

    threads = [threading.Thread(target=click, args=(t,)) for t in tokens for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    statuses = Counter(response.status_code for _, response in answers)
    assert statuses[201] == BUYERS, statuses
    assert statuses[201] + statuses[409] + statuses[422] == BUYERS * CLICKS, statuses
    placed = {token: r.json()["order_id"] for token, r in answers if r.status_code == 201}
    for token, response in answers:
        if response.status_code == 409:
            assert response.json()["type"] == "/problems/cart-already-ordered"
            assert response.json()["order_id"] == placed[token]
            assert response.headers["location"] == f"/api/v1/orders/{placed[token]}"
        elif response.status_code == 422:
            assert response.json()["type"] == "/problems/empty-cart"
    stock = httpx.get(f"{base}/api/v1/inventory/LAMP-1", headers=OPS).json()
    assert (stock["reserved"], stock["available"]) == (BUYERS, 100 - BUYERS)
