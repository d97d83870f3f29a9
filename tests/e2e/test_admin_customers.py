"""The admin's customers over HTTP, on both backends: the list and its search, a customer's
orders, promoting and demoting admins (an audited RoleChanged event), the refusals: a
customer (403 on every page and post), a post without its CSRF token, an admin demoting
themselves; the operator token may demote any admin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from polyshop.accounts.domain import Role
from polyshop.api.web.storefront.security import CSRF_COOKIE
from tests.e2e.admin_catalog_steps import events, post, shop, signs_in
from tests.e2e.shoppers import OPS, ORDER_BODY, create_product, register


def _role(client: TestClient, user_id: str) -> Role:
    user = shop(client).accounts.get_user(user_id)
    assert user is not None
    return user.role


def test_the_list_searches_by_email_or_name_and_opens_a_customer_with_orders(
    client: TestClient,
):
    create_product(client, "Teapot", [("POT-1", 5)])
    ann = register(client, "ann.lee@example.com")
    assert ann.add("POT-1").status_code == 201
    placed = ann.post("/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": "k-1"})
    assert placed.status_code == 201, placed.text
    register(client, "bob@example.com")
    signs_in(client, "boss@example.com")

    everyone = client.get("/admin/customers").text
    assert everyone.index("ann.lee@example.com") < everyone.index("bob@example.com")
    found = client.get("/admin/customers", params={"q": "ANN"}).text
    assert "ann.lee@example.com" in found
    assert "bob@example.com" not in found

    link = re.search(r'href="(/admin/customers/[0-9a-f-]{36})">ann.lee', found)
    assert link
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert placed.json()["order_id"][-8:] in page.text
    assert "1 order" in page.text


def test_an_admin_promotes_and_demotes_with_an_audited_event_but_never_themselves(
    client: TestClient,
):
    ann = register(client, "ann@example.com")  # the helpers clear the client's cookies
    ann_id = str(ann.get("/api/v1/me").json()["id"])
    boss = signs_in(client, "boss@example.com")

    promoted = post(client, f"/admin/customers/{ann_id}/role", {"role": "admin"})
    assert promoted.status_code == 303
    assert "admin now" in client.get(promoted.headers["location"]).text
    assert _role(client, ann_id) is Role.ADMIN
    changed = [
        e for e in events(client) if e.type == "RoleChanged" and e.stream_id.endswith(ann_id)
    ]
    assert changed[-1].data["role"] == "admin"
    assert changed[-1].metadata.actor == f"user:{boss}"

    own = post(client, f"/admin/customers/{boss}/role", {"role": "customer"})
    assert own.status_code == 409
    assert "cannot remove your own admin role" in own.text
    assert _role(client, boss) is Role.ADMIN

    demoted = post(client, f"/admin/customers/{ann_id}/role", {"role": "customer"})
    assert demoted.status_code == 303
    assert _role(client, ann_id) is Role.CUSTOMER


def test_the_operator_token_demotes_an_admin(client: TestClient):
    boss = signs_in(client, "boss@example.com")
    client.cookies.clear()
    client.cookies.set(CSRF_COOKIE, "c" * 32)
    csrf = client.app.state.storefront.csrf.token_for("c" * 32)  # type: ignore[attr-defined]

    demoted = client.post(
        f"/admin/customers/{boss}/role",
        data={"csrf": csrf, "role": "customer"},
        headers=OPS,
        follow_redirects=False,
    )

    assert demoted.status_code == 303
    assert _role(client, boss) is Role.CUSTOMER


@pytest.mark.parametrize("page", ["/admin/customers", "/admin/customers/{me}"])
def test_a_customer_is_refused_every_customers_page(client: TestClient, page: str):
    me = signs_in(client, "shopper@example.com", admin=False)
    refused = client.get(page.format(me=me))
    assert refused.status_code == 403
    assert "Admins only" in refused.text


def test_a_customer_and_a_post_without_its_token_cannot_change_a_role(client: TestClient):
    ann = register(client, "ann@example.com")
    ann_id = str(ann.get("/api/v1/me").json()["id"])
    signs_in(client, "boss@example.com")
    forged = client.post(
        f"/admin/customers/{ann_id}/role", data={"role": "admin"}, follow_redirects=False
    )
    assert forged.status_code == 403

    client.cookies.clear()
    me = signs_in(client, "shopper@example.com", admin=False)
    client.cookies.set(CSRF_COOKIE, "c" * 32)
    csrf = client.app.state.storefront.csrf.token_for("c" * 32)  # type: ignore[attr-defined]
    for user_id in (ann_id, me):
        refused = client.post(
            f"/admin/customers/{user_id}/role",
            data={"csrf": csrf, "role": "admin"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
    assert _role(client, ann_id) is Role.CUSTOMER
    assert _role(client, me) is Role.CUSTOMER
