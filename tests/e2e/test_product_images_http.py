"""Product images as HTTP shows them: the document's images and thumbnail, and the same
primary image wherever the product shows (browse, search, recommendations, cart lines,
order snapshots). Images are added through the catalog service (uploads are the media
context's), as the upload route adds them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from polyshop.catalog import images
from polyshop.catalog.images import ImageFile, ProductImage
from tests.e2e.shoppers import OPS, Shopper, register
from tests.e2e.test_orders_http import place

LEGACY = "https://img.example/1.jpg"


def picture(image_id: str, alt: str = "") -> ProductImage:
    renditions = tuple(
        ImageFile(f"{image_id}{w}{fmt}", w, w * 3 // 4, fmt)
        for fmt in ("avif", "webp", "jpeg")
        for w in (160, 320, 640)
    )
    return ProductImage(image_id, alt, ImageFile(f"{image_id}o", 2000, 1500, "jpeg"), renditions)


def new_product(client: TestClient, name: str, sku: str, brand: str) -> str:
    body = {
        "name": name,
        "description": "For tests.",
        "brand": brand,
        "category": "home/lamps",
        "price": 40,
        "images": [LEGACY],
        "variants": [{"sku": sku, "stock": 5}],
    }
    response = client.post("/api/v1/products", json=body, headers=OPS)
    assert response.status_code == 201, response.text
    return str(response.json()["product_id"])


def product_page(client: TestClient, product_id: str, position: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/products/{product_id}", params={"min_position": position})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_product_document_carries_its_images_in_order_with_renditions_and_srcset(
    client: TestClient,
):
    catalog = client.container.catalog  # type: ignore[attr-defined]
    pid = new_product(client, "Desk lamp", "LAMP-1", "Acme")
    catalog.add_image(pid, picture("a", alt="Front"))
    last = catalog.update_image(pid, "a", primary=True)

    doc = product_page(client, pid, last.position)

    assert doc["images"][0] == {
        "id": "a",
        "alt": "Front",
        "format": "jpeg",
        "width": 640,
        "height": 480,
        "url": "/media/a640jpeg",
        "renditions": [
            {"url": f"/media/a{w}{fmt}", "width": w, "height": w * 3 // 4, "format": fmt}
            for fmt in ("avif", "jpeg", "webp")
            for w in (160, 320, 640)
        ],
        "srcset": {
            fmt: f"/media/a160{fmt} 160w, /media/a320{fmt} 320w, /media/a640{fmt} 640w"
            for fmt in ("avif", "jpeg", "webp")
        },
    }
    assert doc["images"][1] == {
        "id": images.external_id(0, LEGACY),
        "alt": "",
        "format": None,
        "width": None,
        "height": None,
        "url": LEGACY,
        "renditions": [],
        "srcset": {},
    }
    assert doc["thumbnail"] == {"url": "/media/a320jpeg", "width": 320, "height": 240}


def test_a_url_list_patch_keeps_the_uploaded_images(client: TestClient):
    catalog = client.container.catalog  # type: ignore[attr-defined]
    pid = new_product(client, "Desk lamp", "LAMP-1", "Acme")
    catalog.add_image(pid, picture("a"))

    response = client.patch(
        f"/api/v1/products/{pid}", json={"images": ["/static/2.png"]}, headers=OPS
    )

    assert response.status_code == 200, response.text
    doc = product_page(client, pid, response.json()["position"])
    assert [(i["id"], i["url"]) for i in doc["images"]] == [
        ("a", "/media/a640jpeg"),
        (images.external_id(0, "/static/2.png"), "/static/2.png"),
    ]


def test_the_primary_image_shows_in_browse_search_recommendations_carts_and_orders(
    client: TestClient,
):
    catalog = client.container.catalog  # type: ignore[attr-defined]
    lamp = new_product(client, "Desk lamp", "LAMP-1", "Acme")
    new_product(client, "Floor lamp", "LAMP-2", "Lumen")
    catalog.add_image(lamp, picture("a"))
    last = catalog.add_image(lamp, picture("b"), position=0)
    thumb = "/media/b320jpeg"
    wait = {"min_position": last.position}

    listed = client.get("/api/v1/products", params={**wait, "category": "home"}).json()
    found = client.get("/api/v1/products/search", params={**wait, "q": "desk lamp"}).json()
    shopper: Shopper = register(client, "ann@example.com")
    similar = shopper.get(f"/api/v1/products/{new_id_of(listed, 'Floor lamp')}/recommendations")
    assert shopper.add("LAMP-1").status_code == 201
    line = shopper.cart()["items"][0]
    order = place(shopper)

    by_name = {p["name"]: p for p in listed["products"]}
    assert by_name["Desk lamp"]["thumbnail"]["url"] == thumb
    assert by_name["Floor lamp"]["thumbnail"]["url"] == LEGACY
    assert found["results"][0]["thumbnail"]["url"] == thumb
    assert [i["id"] for i in found["results"][0]["images"]] == [
        "b",
        images.external_id(0, LEGACY),
        "a",
    ]
    assert similar.status_code == 200, similar.text
    shown = {r["product"]["id"]: r["product"] for r in similar.json()["recommendations"]}
    assert shown[lamp]["thumbnail"]["url"] == thumb
    assert line["image"] == thumb
    assert order.status_code == 201, order.text
    assert order.json()["items"][0]["image"] == thumb


def new_id_of(listing: dict[str, Any], name: str) -> str:
    return next(str(p["id"]) for p in listing["products"] if p["name"] == name)
