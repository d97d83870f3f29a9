"""Steps the admin catalog and customer tests share: an admin signed in through the admin's
form (the client keeps its session and CSRF cookies), form posts with the page's token, and
a look at the event log."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from PIL import Image

from polyshop.accounts import commands
from polyshop.accounts.domain import Role
from polyshop.container import Container
from polyshop.eventstore.events import RecordedEvent
from tests.e2e.shoppers import PASSWORD, register


def shop(client: TestClient) -> Container:
    return client.container  # type: ignore[attr-defined]


def signs_in(client: TestClient, email: str, *, admin: bool = True) -> str:
    """`email` registers and signs in at /admin/login (made an admin first, unless not);
    the client keeps the session. Returns the user's id."""
    shopper = register(client, email)
    user_id = str(shopper.get("/api/v1/me").json()["id"])
    if admin:
        commands.set_role(shop(client).machinery.store, email, Role.ADMIN)
    client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "next": "/admin"},
        follow_redirects=False,
    )
    return user_id


def token(client: TestClient, page: str = "/admin/products/new") -> str:
    """The CSRF token of a page's forms (opening it sets the CSRF cookie too)."""
    html = client.get(page).text
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, f"no CSRF field on {page}"
    return found.group(1)


def post(client: TestClient, path: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    """A form post with the CSRF token a page of the admin hands out."""
    return client.post(path, data={"csrf": token(client), **data}, follow_redirects=False, **kwargs)


def events(client: TestClient) -> list[RecordedEvent]:
    """Every event in the log (tests write a few hundred at most)."""
    store, found, after = shop(client).machinery.store, [], 0
    while batch := store.read_all(after, 1000):
        found.extend(batch)
        after = batch[-1].position
    return found


def skus_created(client: TestClient) -> set[str]:
    """Every SKU a ProductCreated or VariantAdded event in the log names."""
    skus = set()
    for event in events(client):
        if event.type == "ProductCreated":
            skus |= {v["sku"] for v in event.data["variants"]}
        elif event.type == "VariantAdded":
            skus.add(event.data["variant"]["sku"])
    return skus


def jpeg(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (200, 90, 40))
    image.paste((30, 110, 190), (width // 4, height // 4, width * 3 // 4, height * 3 // 4))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def product_form(name: str, *variants: tuple[str, str, str], **fields: str) -> dict[str, str]:
    """A new-product form: (sku, size, stock) per variant row."""
    data = {
        "name": name,
        "brand": "Acme",
        "category": "clothing/tops",
        "price": "19.99",
        "description": f"{name}, for tests.",
        "tags": "cotton, summer",
        "attr_name_0": "material",
        "attr_value_0": "cotton",
        **fields,
    }
    for row, (sku, size, stock) in enumerate(variants):
        data |= {f"v_sku_{row}": sku, f"v_size_{row}": size, f"v_stock_{row}": stock}
    return data


def created_id(client: TestClient, response: httpx.Response) -> str:
    """The id of the product a form created, once its page (where the browser goes next,
    reading at the write's position) shows it."""
    assert response.status_code == 303, response.text
    found = re.match(r"^/admin/products/([0-9a-f-]{36})\?", response.headers["location"])
    assert found, response.headers["location"]
    assert client.get(response.headers["location"]).status_code == 200
    return found.group(1)
