"""What keeps one client's subscriptions in bounds on both databases: a user holds at most
`MAX_WATCHES_PER_VIEWER` watches however many connections they open, leaving the rest of
the process's for everyone else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from polyshop.orders.updates import MAX_WATCHES_PER_VIEWER
from tests.e2e.test_graphql_subscriptions import (
    connection,
    pay,
    placed_order,
    subscribe,
    update,
    wait_until,
    watching,
)


def test_one_user_cannot_take_every_subscription_of_the_process(client: TestClient) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    other, theirs = placed_order(client, "other@example.com")
    per_connection = 16
    assert 2 * per_connection == MAX_WATCHES_PER_VIEWER
    with (
        connection(client, token=owner.token) as first,
        connection(client, token=owner.token) as second,
        connection(client, token=owner.token) as third,
    ):
        for n in range(per_connection):
            subscribe(first, f"a{n}", order_id)
            subscribe(second, f"b{n}", order_id)
        wait_until(lambda: watching(client) == MAX_WATCHES_PER_VIEWER, "watching 32")
        subscribe(third, "over", order_id)
        pay(client, order_id)  # a watch let through would answer "paid" here
        refused = third.receive_json()
        assert (refused["type"], refused["id"]) == ("next", "over"), refused
        error = refused["payload"]["errors"][0]
        assert error["extensions"]["code"] == "too-many-subscriptions"
        assert error["extensions"]["status"] == 429
        assert "one user may hold at most 32" in error["message"]
        assert watching(client) == MAX_WATCHES_PER_VIEWER
        with connection(client, token=other.token) as elsewhere:
            subscribe(elsewhere, "theirs", theirs)  # someone else still gets one
            wait_until(lambda: watching(client) == MAX_WATCHES_PER_VIEWER + 1, "theirs")
            pay(client, theirs)
            assert update(elsewhere, "theirs")["status"] == "paid"
    wait_until(lambda: watching(client) == 0, "all closed")
