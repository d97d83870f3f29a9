"""Times at the calendar's edges, on every face that reads one from its caller: a moment
that UTC cannot hold (0001-01-01T00:00+05:00 is in year 0 in UTC) or a day with no next
day (9999-12-31) is the caller's mistake, answered 422 with what is wrong, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.admin_shop import admin_signs_in, place
from tests.e2e.graphql_shoppers import order, signed_up
from tests.e2e.shoppers import PASSWORD, create_product, register

BEFORE_YEAR_ONE = "0001-01-01T00:00:00+05:00"


def test_admin_order_pages_refuse_times_outside_the_calendar(client: TestClient) -> None:
    create_product(client, "Mug", [("MUG-1", 5)])
    order_id = place(register(client, "ann@example.com"), "MUG-1")["order_id"]
    admin_signs_in(client)

    last_day = client.get("/admin/orders", params={"placed_to": "9999-12-31"})
    assert last_day.status_code == 422
    assert "Give a day before 9999-12-31" in last_day.text
    assert client.get("/admin/orders", params={"placed_to": "9999-12-30"}).status_code == 200

    cursor = client.get("/admin/orders", params={"before": f"{BEFORE_YEAR_ONE}~x"})
    assert cursor.status_code == 422
    assert "This page link cannot be read" in cursor.text
    assert order_id[-8:] not in cursor.text

    detail = client.get(f"/admin/orders/{order_id}", params={"as_of": BEFORE_YEAR_ONE})
    assert detail.status_code == 422
    assert "outside the calendar in UTC" in detail.text
    client.cookies.clear()


def test_rest_and_graphql_refuse_times_outside_the_calendar(client: TestClient) -> None:
    create_product(client, "Lamp", [("LAMP-1", 5)])
    ann = register(client, "ann@example.com")
    order_id = place(ann, "LAMP-1")["order_id"]

    for params in ({"placed_from": BEFORE_YEAR_ONE}, {"placed_to": BEFORE_YEAR_ONE}):
        listed = ann.get("/api/v1/orders", params=params)
        assert listed.status_code == 422, listed.text
        assert "outside the calendar" in listed.text
    one = ann.get(f"/api/v1/orders/{order_id}", params={"as_of": BEFORE_YEAR_ONE})
    assert one.status_code == 422, one.text
    assert one.json()["errors"][0]["field"] == "as_of"
    assert "outside the calendar" in one.text

    token = signed_up(client, "bob@example.com", PASSWORD)
    answer = order(client, token, order_id, asOf=BEFORE_YEAR_ONE)
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "validation-error", answer
    assert "asOf" in error["message"] or "as_of" in error["message"]
    assert "outside the calendar" in error["message"]
