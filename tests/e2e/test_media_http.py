"""Product images over HTTP, on both kinds of shop: embedded (files under the data dir) and
server mode with its images in a real S3 store (SeaweedFS).

Upload, the refusals that store nothing, renditions, the headers a CDN would send, 304,
ranges, edits, removal, the garbage sweep, uploads straight to the store, and a rebuild that
gives back the same images.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from polyshop.container import Container
from tests.e2e.shoppers import OPS, create_product, make_client, register

GPS_TAG = 0x8825
#: Rules that are the same code in both modes are tested once, on the embedded shop.
EMBEDDED = "sqlite"


def jpeg(width: int = 800, height: int = 600, *, gps: bool = False, seed: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), (40 + seed, 120, 200))
    for x in range(0, width, 40):  # some detail, so encoders have work to do
        image.paste((200, 80 + seed, 40), (x, 0, x + 20, height))
    exif = Image.Exif()
    if gps:
        exif[GPS_TAG] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def shop(
    backend: str,
    container_for: Callable[..., Container],
    request: pytest.FixtureRequest,
) -> Iterator[TestClient]:
    overrides: dict[str, Any] = {"media_gc_grace": 0}
    if backend == "postgres":  # server mode keeps its images in S3, a bucket of this test's
        overrides |= _own_bucket(request)
    with make_client(container_for, backend, **overrides) as client:
        yield client


def _own_bucket(request: pytest.FixtureRequest) -> dict[str, Any]:
    s3: dict[str, str] = request.getfixturevalue("s3_bucket")
    bucket = f"polyshop-media-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id=s3["key_id"],
        aws_secret_access_key=s3["secret"],
    )

    def drop() -> None:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
        client.close()

    request.addfinalizer(drop)
    return {
        "s3_bucket": bucket,  # made by the shop at start
        "s3_endpoint_url": s3["endpoint_url"],
        "s3_access_key_id": s3["key_id"],
        "s3_secret_access_key": s3["secret"],
    }


def upload(client: TestClient, product_id: str, data: bytes, **form: Any) -> httpx.Response:
    response = client.post(
        f"/api/v1/products/{product_id}/images",
        files={"file": ("picture.jpg", data, "image/jpeg")},
        data={k: str(v) for k, v in form.items()},
        headers=OPS,
    )
    client.cookies.clear()
    return response


def document(client: TestClient, product_id: str, position: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/products/{product_id}", params={"min_position": position})
    assert response.status_code == 200, response.text
    return dict(response.json())


def blob_keys(client: TestClient) -> set[str]:
    media = client.container.media  # type: ignore[attr-defined]
    return {blob.key for blob in media.blobs.list()}


def test_an_upload_becomes_renditions_in_the_document(shop: TestClient) -> None:
    product_id = create_product(shop, "Lamp", [("LAMP-1", 5)])
    response = upload(shop, product_id, jpeg(gps=True), alt="A blue lamp")
    assert response.status_code == 201, response.text
    image = response.json()["image"]
    assert image["alt"] == "A blue lamp"
    assert (image["format"], image["width"], image["height"]) == ("jpeg", 640, 480)
    widths = {(r["format"], r["width"]) for r in image["renditions"]}
    # never wider than the original (800): no 1280 rendition
    assert widths == {(f, w) for f in ("jpeg", "webp", "avif") for w in (160, 320, 640)}
    assert set(image["srcset"]) == {"jpeg", "webp", "avif"}
    assert image["srcset"]["webp"].count("w,") == 2

    doc = document(shop, product_id, response.json()["position"])
    assert doc["images"] == [image]

    for rendition in image["renditions"]:
        served = shop.get(rendition["url"])
        assert served.status_code == 200
        with Image.open(io.BytesIO(served.content)) as picture:
            assert picture.format.lower() == rendition["format"]
            assert picture.size == (rendition["width"], rendition["height"])
            assert GPS_TAG not in picture.getexif()  # the shop never gives away where it was taken


def test_served_like_a_cdn_immutable_etag_304_range_head(shop: TestClient) -> None:
    product_id = create_product(shop, "Chair", [("CHAIR-1", 5)])
    image = upload(shop, product_id, jpeg()).json()["image"]
    url = next(r["url"] for r in image["renditions"] if r["format"] == "webp")
    full = shop.get(url)
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/webp"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    assert etag == '"' + url.rsplit("/", 1)[1].split(".")[0] + '"'  # the content hash

    revalidated = shop.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""

    part = shop.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == full.content[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(full.content)}"
    tail = shop.get(url, headers={"Range": "bytes=-7"})
    assert tail.content == full.content[-7:]
    beyond = shop.get(url, headers={"Range": f"bytes={len(full.content)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(full.content)}"

    head = shop.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))

    missing = shop.get("/media/" + "0" * 64 + ".webp")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def _svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")  # 400 Mpx in a few KB
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "kind"),
    [
        (_svg(), 422, "/problems/unsupported-format"),
        (b"GIF89a" + b"\0" * 100, 422, "/problems/unsupported-format"),
        (b"just some text", 422, "/problems/unsupported-format"),
        (jpeg()[:2000], 422, "/problems/corrupt-image"),
        (_bomb(), 422, "/problems/too-many-pixels"),
    ],
    ids=["svg", "gif", "text", "truncated-jpeg", "decompression-bomb"],
)
def test_what_is_not_an_acceptable_image_is_refused_and_stores_nothing(
    shop: TestClient, data: bytes, status: int, kind: str
) -> None:
    created = shop.post(
        "/api/v1/products",
        json={
            "name": "Desk",
            "description": "A desk.",
            "brand": "Acme",
            "category": "home/desks",
            "price": 100,
            "variants": [{"sku": "DESK-1", "stock": 5}],
        },
        headers=OPS,
    ).json()
    product_id = created["product_id"]
    before = blob_keys(shop)
    response = upload(shop, product_id, data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == kind
    assert blob_keys(shop) == before
    assert document(shop, product_id, created["position"])["images"] == []


def test_a_file_over_the_byte_limit_is_refused_with_413(
    container_for: Callable[..., Container],
) -> None:
    with make_client(container_for, EMBEDDED, media_max_bytes=50_000) as client:
        product_id = create_product(client, "Rug", [("RUG-1", 5)])
        response = upload(client, product_id, jpeg(3000, 2000))
        assert response.status_code == 413, response.text
        assert blob_keys(client) == set()


def test_only_admins_change_images(shop: TestClient) -> None:
    product_id = create_product(shop, "Vase", [("VASE-1", 5)])
    anonymous = shop.post(
        f"/api/v1/products/{product_id}/images", files={"file": ("a.jpg", jpeg(), "image/jpeg")}
    )
    assert anonymous.status_code == 401
    customer = register(shop, "ann@example.com").post(
        f"/api/v1/products/{product_id}/images", files={"file": ("a.jpg", jpeg(), "image/jpeg")}
    )
    assert customer.status_code == 403
    assert upload(shop, str(uuid.uuid4()), jpeg()).status_code == 404


def test_edit_order_replace_remove_then_the_sweep(shop: TestClient) -> None:
    product_id = create_product(shop, "Sofa", [("SOFA-1", 5)])
    first = upload(shop, product_id, jpeg(seed=1)).json()["image"]
    second = upload(shop, product_id, jpeg(seed=2), alt="side view").json()["image"]
    base = f"/api/v1/products/{product_id}/images"

    primary = shop.patch(f"{base}/{second['id']}", json={"primary": True}, headers=OPS)
    assert primary.status_code == 200, primary.text
    described = shop.patch(f"{base}/{first['id']}", json={"alt": "front"}, headers=OPS)
    doc = document(shop, product_id, described.json()["position"])
    assert [(i["id"], i["alt"]) for i in doc["images"]] == [
        (second["id"], "side view"),
        (first["id"], "front"),
    ]
    assert doc["thumbnail"]["url"] in {r["url"] for r in doc["images"][0]["renditions"]}

    replaced = shop.put(
        f"{base}/{first['id']}",
        files={"file": ("b.jpg", jpeg(seed=3), "image/jpeg")},
        headers=OPS,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["image"]["id"] == first["id"]
    assert replaced.json()["image"]["alt"] == "front"
    assert replaced.json()["image"]["url"] != first["url"]

    removed = shop.delete(f"{base}/{second['id']}", headers=OPS)
    assert removed.status_code == 200
    doc = document(shop, product_id, removed.json()["position"])
    assert [i["id"] for i in doc["images"]] == [first["id"]]
    assert shop.delete(f"{base}/{second['id']}", headers=OPS).status_code == 404

    swept = shop.container.media.collect_garbage()  # type: ignore[attr-defined]
    assert swept.deleted > 0
    live = replaced.json()["image"]
    for rendition in live["renditions"]:
        assert shop.get(rendition["url"]).status_code == 200  # never one still referenced
    for rendition in second["renditions"]:
        assert shop.get(rendition["url"]).status_code == 404
    for rendition in first["renditions"]:  # the files the replacement superseded
        assert shop.get(rendition["url"]).status_code == 404


def test_the_sweep_keeps_young_blobs(
    container_for: Callable[..., Container],
) -> None:
    with make_client(container_for, EMBEDDED, media_gc_grace=3600) as client:
        product_id = create_product(client, "Bed", [("BED-1", 5)])
        image = upload(client, product_id, jpeg()).json()["image"]
        client.delete(f"/api/v1/products/{product_id}/images/{image['id']}", headers=OPS)
        assert client.container.media.collect_garbage().deleted == 0  # type: ignore[attr-defined]
        assert client.get(image["url"]).status_code == 200


def test_a_large_file_goes_straight_to_the_store_then_is_attached(shop: TestClient) -> None:
    product_id = create_product(shop, "Poster", [("POSTER-1", 5)])
    started = shop.post(
        f"/api/v1/products/{product_id}/images/uploads",
        json={"content_type": "image/jpeg"},
        headers=OPS,
    )
    assert started.status_code == 201, started.text
    ticket = started.json()
    data = jpeg(1600, 1200)
    if ticket["url"].startswith("/"):  # polyshop's own signed URL (files store)
        flipped = "1" if ticket["url"][-1] == "0" else "0"
        tampered = ticket["url"][:-1] + flipped
        assert shop.put(tampered, content=data).status_code == 403
        put = shop.put(ticket["url"], content=data, headers=ticket["headers"])
    else:  # the object store's presigned URL
        put = httpx.put(ticket["url"], content=data, headers=ticket["headers"])
    assert put.status_code in (200, 204), put.text

    attach = f"/api/v1/products/{product_id}/images/uploads/{ticket['upload_id']}"
    attached = shop.post(attach, json={"alt": "poster"}, headers=OPS)
    assert attached.status_code == 201, attached.text
    assert attached.json()["image"]["alt"] == "poster"
    assert {r["width"] for r in attached.json()["image"]["renditions"]} == {160, 320, 640, 1280}
    again = shop.post(attach, json={}, headers=OPS)
    assert again.status_code == 404
    assert again.json()["type"] == "/problems/upload-not-found"


def test_a_rebuild_gives_back_the_same_images(shop: TestClient) -> None:
    product_id = create_product(shop, "Clock", [("CLOCK-1", 5)])
    base = f"/api/v1/products/{product_id}/images"
    ids = [upload(shop, product_id, jpeg(seed=s)).json()["image"]["id"] for s in range(3)]
    shop.patch(f"{base}/{ids[2]}", json={"position": 0, "alt": "top"}, headers=OPS)
    last = shop.delete(f"{base}/{ids[1]}", headers=OPS).json()["position"]
    before = document(shop, product_id, last)
    shop.container.machinery.runner.rebuild("product_documents")  # type: ignore[attr-defined]
    after = document(shop, product_id, last)
    assert after["images"] == before["images"]
    assert [i["id"] for i in after["images"]] == [ids[2], ids[0]]
    assert after["images"][0]["alt"] == "top"


def test_with_a_cdn_every_read_model_names_the_cdn(
    container_for: Callable[..., Container],
) -> None:
    cdn = "https://cdn.example.com/shop"
    with make_client(container_for, EMBEDDED, media_base_url=cdn) as client:
        product_id = create_product(client, "Kettle", [("KETTLE-1", 5)])
        written = upload(client, product_id, jpeg()).json()
        assert written["image"]["url"].startswith(cdn + "/")
        doc = document(client, product_id, written["position"])
        urls = [doc["thumbnail"]["url"], *(r["url"] for r in doc["images"][0]["renditions"])]
        assert all(url.startswith(cdn + "/") for url in urls)
        shopper = register(client, "cdn@example.com")
        assert shopper.add("KETTLE-1").status_code in (200, 201)
        (line,) = shopper.cart()["items"]
        assert line["image"].startswith(cdn + "/")
        # the shop still serves the blob itself, for a CDN that pulls from it
        key = written["image"]["url"].removeprefix(cdn + "/")
        assert client.get(f"/media/{key}").status_code == 200
