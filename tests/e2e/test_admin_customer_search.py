"""The admin's customer search, on both backends: the start of an email or of a name finds
a customer (in any letter case), each once, in email order; and a name search walks the
lower(name) index (migration 0011) rather than reading every user."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from polyshop.accounts.sql_customers import search_queries
from tests.e2e.admin_catalog_steps import shop, signs_in
from tests.e2e.shoppers import PASSWORD


def signed_up(client: TestClient, email: str, name: str) -> None:
    answer = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert answer.status_code == 201, answer.text
    client.cookies.clear()


def test_a_search_finds_by_email_or_name_start_each_customer_once(client: TestClient):
    signed_up(client, "zed@example.com", "Annie Zed")
    signed_up(client, "ann.lee@example.com", "Ann Lee")  # email and name both match
    signed_up(client, "bob@example.com", "Bob Ann")
    signs_in(client, "boss@example.com")

    found = client.get("/admin/customers", params={"q": "ANN"}).text
    assert re.search(r'role="status">2 accounts\.', found), found
    listed = re.findall(r'<a href="/admin/customers/[0-9a-f-]{36}">([^<]+)</a>', found)
    assert listed == ["ann.lee@example.com", "zed@example.com"]
    by_name = client.get("/admin/customers", params={"q": "annie z"}).text
    assert re.findall(r'<a href="/admin/customers/[0-9a-f-]{36}">([^<]+)</a>', by_name) == [
        "zed@example.com"
    ]
    client.cookies.clear()


def test_a_name_search_walks_the_name_index(client: TestClient):
    engine = shop(client).machinery.store.write_engine
    page, _count = search_queries("ann", limit=20, offset=0)
    sql = str(page.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        else:  # a test's few rows would be read whole: ask whether the index can serve
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {sql}")).all()
    assert "ix_accounts_users_name_lower" in " ".join(str(row) for row in plan), plan
