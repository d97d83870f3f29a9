"""Views, trending, sales and the funnel over HTTP; recommendations as shoppers see them;
the admin page. Real stores in both modes (DuckDB and SQLite, PostgreSQL and Redis)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from polyshop.container import Container
from tests.e2e.shoppers import (
    OPS,
    PASSWORD,
    Shopper,
    create_product,
    guest,
    register,
    webhook,
)
from tests.e2e.shoppers import ORDER_BODY as BODY


def shop(client: TestClient) -> Container:
    return client.container  # type: ignore[attr-defined]


def admin(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1/analytics{path}", params=params, headers=OPS)
    assert response.status_code == 200, response.text
    return response.json()


def order(shopper: Shopper) -> dict:
    response = shopper.post(
        "/api/v1/orders", json=BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()


def caught_up(client: TestClient, position: int | None = None) -> None:
    """Wait until the read models hold `position` (default: everything written so far)."""
    runner = shop(client).machinery.runner
    if position is None:
        position = max(status.head for status in runner.status())
    for name in ("product_sales", "bought_together", "product_documents"):
        assert runner.wait_for(name, position, 10), name


def product(client: TestClient, name: str, sku: str, price: float = 10.0) -> str:
    """A product whose page can be read at once (the read model has caught up)."""
    product_id = create_product(client, name, [(sku, 9)], price=price)
    caught_up(client)
    return product_id


def test_views_cart_additions_and_sales_per_bucket_and_funnel(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.00)
    visitor = guest(client)
    for _ in range(3):  # the first read fills the page cache, the others are served from it
        assert visitor.get(f"/api/v1/products/{lamp}").status_code == 200
    ann = register(client, "ann@example.com")
    assert ann.add("LAMP-1", 2).status_code == 201
    caught_up(client, order(ann)["position"])
    shop(client).signals.flush()

    series = admin(client, f"/products/{lamp}/views", bucket="minute")
    funnel = admin(client, f"/products/{lamp}/funnel")

    assert series["bucket"] == "minute"
    assert len(series["points"]) >= 24 * 60  # every bucket, empty ones too
    assert sum(p["views"] for p in series["points"]) == 3
    assert sum(p["cart_adds"] for p in series["points"]) == 1
    assert sum(p["units"] for p in series["points"]) == 2
    assert sum(p["revenue"] for p in series["points"]) == 80.0
    assert (funnel["views"], funnel["cart_adds"], funnel["orders"]) == (3, 1, 1)
    assert (funnel["view_to_cart"], funnel["cart_to_order"]) == (0.3333, 1.0)


def test_a_cancelled_order_is_taken_off_the_sales(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.00)
    ann = register(client, "ann@example.com")
    ann.add("LAMP-1", 3)
    placed = order(ann)
    cancelled = ann.post(f"/api/v1/orders/{placed['order_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    caught_up(client, cancelled.json()["position"])

    series = admin(client, f"/products/{lamp}/views", bucket="hour")

    assert sum(p["units"] for p in series["points"]) == 0
    assert sum(p["revenue"] for p in series["points"]) == 0


def test_a_paid_order_cancelled_then_refunded_is_taken_off_once(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.00)
    ann = register(client, "ann@example.com")
    ann.add("LAMP-1", 2)
    placed = order(ann)
    payment = {"order_id": placed["order_id"], "payment_id": "p1", "amount": 80.0}
    paid = webhook(client, {**payment, "status": "succeeded"})
    assert paid.status_code == 200, paid.text
    assert ann.post(f"/api/v1/orders/{placed['order_id']}/cancel").status_code == 200
    refunded = client.post(f"/api/v1/orders/{placed['order_id']}/refund", headers=OPS)
    assert refunded.status_code == 200, refunded.text
    caught_up(client, refunded.json()["position"])

    series = admin(client, f"/products/{lamp}/views", bucket="hour")

    assert sum(p["units"] for p in series["points"]) == 0
    assert sum(p["revenue"] for p in series["points"]) == 0


def test_views_of_unknown_or_discontinued_products_are_ignored_and_counted(client: TestClient):
    old = product(client, "Old Lamp", "OLD-1")
    gone = client.delete(f"/api/v1/products/{old}", headers=OPS).json()["position"]
    caught_up(client, gone)
    signals = shop(client).signals

    assert client.get(f"/api/v1/products/{old}").status_code == 200
    assert client.get(f"/api/v1/products/{uuid.uuid4()}").status_code == 404
    signals.flush()

    assert signals.ignored == 2
    assert "polyshop_signals_ignored_total 2.0" in client.get("/metrics").text
    series = admin(client, f"/products/{old}/views")
    assert sum(p["views"] for p in series["points"]) == 0


def test_trending_ranks_the_most_viewed_products_of_the_window(client: TestClient):
    a = product(client, "Alpha", "A-1")
    b = product(client, "Beta", "B-1")
    for product_id, views in ((a, 1), (b, 3)):
        for _ in range(views):
            client.get(f"/api/v1/products/{product_id}")
    shop(client).signals.flush()

    for window in ("hour", "day"):
        trending = admin(client, "/trending", window=window)
        assert [(t["name"], t["views"], t["growth"]) for t in trending["products"]] == [
            ("Beta", 3, None),
            ("Alpha", 1, None),
        ], window
    assert [t["name"] for t in admin(client, "/trending", limit=1)["products"]] == ["Beta"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/trending", {"window": "week"}, "window"),
        ("/trending", {"limit": 0}, "limit"),
        ("/trending", {"limit": 101}, "limit"),
        ("/products/{id}/views", {"bucket": "second"}, "bucket"),
        ("/products/{id}/views", {"start": "yesterday"}, "start"),
        (
            "/products/{id}/views",
            {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "start",
        ),
        (
            "/products/{id}/views",
            {"start": "2016-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "bucket": "minute"},
            "bucket",
        ),
        (
            "/products/{id}/funnel",
            {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "start",
        ),
    ],
)
def test_bad_analytics_queries_are_422_naming_the_field(client: TestClient, path, params, field):
    lamp = product(client, "Lamp", "LAMP-1")

    response = client.get(f"/api/v1/analytics{path.format(id=lamp)}", params=params, headers=OPS)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text


def test_ten_years_of_minutes_is_refused_with_the_bucket_that_fits(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1")
    params = {"start": "2016-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "bucket": "minute"}

    response = client.get(f"/api/v1/analytics/products/{lamp}/views", params=params, headers=OPS)

    assert "use bucket=day" in response.text
    ok = client.get(
        f"/api/v1/analytics/products/{lamp}/views", params={**params, "bucket": "day"}, headers=OPS
    )
    assert ok.status_code == 200
    assert len(ok.json()["points"]) == 3653


def test_analytics_are_for_admins_and_unknown_products_are_404(client: TestClient):
    customer = register(client, "cus@example.com")
    lamp = product(client, "Lamp", "LAMP-1")
    for path in ("/trending", f"/products/{lamp}/views", f"/products/{lamp}/funnel"):
        assert Shopper(client, None).get(f"/api/v1/analytics{path}").status_code == 401
        assert customer.get(f"/api/v1/analytics{path}").status_code == 403
    for path in ("views", "funnel"):
        for unknown in (str(uuid.uuid4()), "not-a-uuid"):
            response = client.get(f"/api/v1/analytics/products/{unknown}/{path}", headers=OPS)
            assert response.status_code == 404


def buy_together(client: TestClient, email: str, *skus: str) -> int:
    shopper = register(client, email)
    for sku in skus:
        assert shopper.add(sku).status_code == 201
    return order(shopper)["position"]


def recommended(shopper: Shopper, product_id: str, **params: Any) -> list[dict]:
    response = shopper.get(f"/api/v1/products/{product_id}/recommendations", params=params)
    assert response.status_code == 200, response.text
    return response.json()["recommendations"]


def test_recommendations_come_from_orders_and_skip_the_callers_cart(client: TestClient):
    tent = product(client, "Tent", "TENT-1")
    stove = product(client, "Stove", "STOVE-1")
    mat = product(client, "Mat", "MAT-1")
    buy_together(client, "a@example.com", "TENT-1", "STOVE-1")
    caught_up(client, buy_together(client, "b@example.com", "TENT-1", "STOVE-1", "MAT-1"))
    visitor = guest(client)

    found = recommended(visitor, tent)

    assert [(r["product"]["id"], r["reason"]) for r in found] == [
        (stove, "bought_together"),
        (mat, "bought_together"),
    ]
    assert found[0]["product"]["variants"][0]["sku"] == "STOVE-1"
    assert stove not in {r["product"]["id"] for r in recommended(visitor, stove)}
    visitor.add("STOVE-1")
    assert [r["product"]["id"] for r in recommended(visitor, tent)] == [mat]
    assert [r["product"]["id"] for r in recommended(Shopper(client, "bogus"), tent)] == [
        stove,
        mat,
    ]


def test_recommendations_mix_brands_and_check_their_input(client: TestClient):
    target = product(client, "Camp Chair", "CHAIR-0")
    for i in range(6):  # all "Acme", like the target: similar, but one brand
        product(client, f"Camp Chair {i}", f"CHAIR-{i + 1}")

    found = recommended(Shopper(client, None), target, limit=6)

    assert [r["reason"] for r in found] == ["similar", "similar"]  # at most a third per brand
    for limit in (0, 21, "x"):
        response = client.get(f"/api/v1/products/{target}/recommendations", params={"limit": limit})
        assert response.status_code == 422
    for unknown in (str(uuid.uuid4()), "not-a-uuid", "x" * 5000):
        response = client.get(f"/api/v1/products/{unknown}/recommendations")
        assert response.status_code == 404


def test_the_admin_page_draws_charts_for_admins_only(client: TestClient):
    lamp = product(client, "Lamp <b>", "LAMP-1")
    client.get(f"/api/v1/products/{lamp}")
    shop(client).signals.flush()

    anonymous = client.get("/admin/analytics")
    assert anonymous.status_code == 401
    assert "<form" in anonymous.text
    customer = register(client, "cus@example.com")
    assert customer.get("/admin/analytics").status_code == 403

    page = client.get("/admin/analytics", params={"product": lamp, "bucket": "minute"}, headers=OPS)
    assert page.status_code == 200
    assert page.text.count("<svg") >= 3
    assert "Lamp &lt;b&gt;" in page.text
    assert "Lamp <b>" not in page.text
    bad = client.get("/admin/analytics", params={"bucket": "fortnight"}, headers=OPS)
    assert bad.status_code == 422


def test_an_admin_signs_in_through_the_page_form(client: TestClient):
    from polyshop.accounts import commands
    from polyshop.accounts.domain import Role

    register(client, "boss@example.com")
    commands.set_role(shop(client).machinery.store, "boss@example.com", Role.ADMIN)

    wrong = client.post(
        "/admin/login", data={"email": "boss@example.com", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == 401
    signed = client.post(
        "/admin/login",
        data={"email": "boss@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert client.get("/admin/analytics").status_code == 200  # the cookie is the session
    client.cookies.clear()


def test_the_admin_login_form_refuses_posts_from_other_sites(client: TestClient):
    from polyshop.accounts import commands
    from polyshop.accounts.domain import Role

    register(client, "boss@example.com")
    commands.set_role(shop(client).machinery.store, "boss@example.com", Role.ADMIN)

    forged = client.post(
        "/admin/login",
        data={"email": "boss@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )

    assert forged.status_code == 403
    assert "set-cookie" not in forged.headers
    client.cookies.clear()


def test_the_admin_login_form_answers_503_while_sessions_are_unavailable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    from polyshop.ttlstore.errors import StoreUnavailable

    def unavailable(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("redis: down")

    monkeypatch.setattr(shop(client).accounts, "login", unavailable)

    answer = client.post("/admin/login", data={"email": "boss@example.com", "password": PASSWORD})

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(StoreUnavailable.retry_after_seconds)
    assert answer.headers["content-type"].startswith("text/html")
    assert "Sessions are unavailable for a moment" in answer.text
    assert "set-cookie" not in answer.headers


def test_a_product_that_sells_out_leaves_cached_recommendations_at_once(client: TestClient):
    tent, stove, mat = (product(client, n, f"{n.upper()}-1") for n in ("Tent", "Stove", "Mat"))
    buy_together(client, "a@example.com", "TENT-1", "STOVE-1")
    caught_up(client, buy_together(client, "b@example.com", "TENT-1", "MAT-1"))
    visitor = Shopper(client, None)
    assert {r["product"]["id"] for r in recommended(visitor, tent)} == {stove, mat}  # cached

    sold_out = client.post(
        "/api/v1/inventory/STOVE-1/adjust",
        json={"delta": -8, "reason": "sold elsewhere"},
        headers=OPS,
    )
    assert sold_out.status_code == 200, sold_out.text
    caught_up(client, sold_out.json()["position"])

    deadline = time.monotonic() + 5  # the invalidator follows the read model's checkpoint
    while stove in {r["product"]["id"] for r in recommended(visitor, tent)}:
        assert time.monotonic() < deadline, "a sold-out product is still recommended"
        time.sleep(0.02)
    assert [r["product"]["id"] for r in recommended(visitor, tent)] == [mat]
