"""Image commands on both databases: the write model's gallery, the events on the product's
stream, the legacy URL list, concurrent adds, and the documents rebuilt from the log."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from polyshop.catalog import images
from polyshop.catalog.errors import ImageNotFound, ProductNotFound
from polyshop.catalog.images import ImageFile, ProductImage
from polyshop.catalog.service import NewProduct, NewVariant
from polyshop.container import Container
from polyshop.values.ids import new_id

LEGACY = "https://img.example/legacy.jpg"


def picture(image_id: str, alt: str = "") -> ProductImage:
    renditions = tuple(
        ImageFile(f"{image_id}-{w}-{fmt}", w, w, fmt)
        for fmt in ("webp", "jpeg")
        for w in (160, 320)
    )
    return ProductImage(
        image_id, alt, ImageFile(f"{image_id}-orig", 1000, 1000, "jpeg"), renditions
    )


def new_product(container: Container, sku: str = "MUG-1", urls: tuple[str, ...] = (LEGACY,)) -> str:
    product = NewProduct(
        name="Mug",
        description="A mug.",
        brand="Acme",
        category="home/kitchen",
        price=Decimal("9.50"),
        variants=[NewVariant(sku, stock=3)],
        images=urls,
    )
    return container.catalog.create_product(product).product_id


def document(container: Container, product_id: str, position: int) -> dict:
    runner = container.machinery.runner
    runner.catch_up("product_documents")
    assert runner.position("product_documents") >= position
    doc = container.catalog.product_document(product_id)
    assert doc is not None
    return doc


def stream_types(container: Container, product_id: str) -> list[str]:
    return [e.type for e in container.machinery.store.read_stream(f"product-{product_id}")]


def test_each_image_command_changes_the_gallery_and_appends_its_event(container: Container):
    catalog = container.catalog
    pid = new_product(container)
    legacy_id = images.external_id(0, LEGACY)

    catalog.add_image(pid, picture("a"))
    catalog.add_image(pid, picture("b"), position=0)
    catalog.update_image(pid, "a", alt=" Side view ", primary=True)
    catalog.replace_image(pid, "b", picture("ignored", alt="new files"))
    last = catalog.update_image(pid, legacy_id, position=1)
    unchanged = catalog.update_image(pid, "a", alt="Side view", position=0)

    gallery = catalog.images_of(pid)
    assert [i.id for i in gallery] == ["a", legacy_id, "b"]
    assert gallery[0].alt == "Side view"
    assert catalog.image_of(pid, "b") == ProductImage(
        "b", "new files", picture("ignored").original, picture("ignored").renditions
    )
    assert unchanged.position == 0
    assert stream_types(container, pid) == [
        "ProductCreated",
        images.PRODUCT_IMAGE_ADDED,
        images.PRODUCT_IMAGE_ADDED,
        images.PRODUCT_IMAGE_DESCRIBED,
        images.PRODUCT_IMAGE_REORDERED,
        images.PRODUCT_IMAGE_REPLACED,
        images.PRODUCT_IMAGE_REORDERED,
    ]
    doc = document(container, pid, last.position)
    assert [i["id"] for i in doc["images"]] == ["a", legacy_id, "b"]
    assert doc["images"][0]["alt"] == "Side view"
    assert doc["images"][2]["url"] == "/media/ignored-320-jpeg"
    assert doc["images"][1]["url"] == LEGACY
    assert doc["thumbnail"] == {"url": "/media/a-320-jpeg", "width": 320, "height": 320}

    removed = catalog.remove_image(pid, "a")
    assert [i.id for i in catalog.images_of(pid)] == [legacy_id, "b"]
    assert document(container, pid, removed.position)["thumbnail"]["url"] == LEGACY


def test_unknown_products_and_images_are_refused_and_nothing_is_appended(container: Container):
    catalog = container.catalog
    pid = new_product(container)
    head = container.machinery.store.head()

    with pytest.raises(ProductNotFound):
        catalog.add_image(new_id(), picture("a"))
    for call in (
        lambda: catalog.remove_image(pid, "nope"),
        lambda: catalog.update_image(pid, "nope", alt="x"),
        lambda: catalog.replace_image(pid, "nope", picture("x")),
        lambda: catalog.image_of(pid, "nope"),
        lambda: catalog.image_of(pid, images.external_id(0, LEGACY)),  # not uploaded
    ):
        with pytest.raises(ImageNotFound):
            call()
    for call in (
        lambda: catalog.add_image(pid, picture("a"), position=5),
        lambda: catalog.update_image(pid, images.external_id(0, LEGACY), position=1),
        lambda: catalog.update_image(pid, images.external_id(0, LEGACY), primary=True, position=1),
    ):
        with pytest.raises(images.CatalogError):
            call()
    assert container.machinery.store.head() == head


def test_a_url_list_patch_sets_only_the_external_images(container: Container):
    catalog = container.catalog
    pid = new_product(container)
    catalog.add_image(pid, picture("up"), position=0)

    same = catalog.update_product(pid, {"images": [LEGACY]})
    written = catalog.update_product(pid, {"images": ["https://img.example/2.jpg"]})
    emptied = catalog.update_product(pid, {"images": []})

    assert same.position == 0  # unchanged: nothing appended
    assert written.position < emptied.position
    assert [i.id for i in catalog.images_of(pid)] == ["up"]
    doc = document(container, pid, emptied.position)
    assert [i["id"] for i in doc["images"]] == ["up"]
    catalog.update_product(pid, {"images": ["https://img.example/3.jpg"]})
    assert [getattr(i, "url", i.id) for i in catalog.images_of(pid)] == [
        "up",
        "https://img.example/3.jpg",
    ]


def test_referenced_keys_are_every_file_of_every_uploaded_image(container: Container):
    catalog = container.catalog
    first, second = new_product(container, "A-1"), new_product(container, "B-1", ())
    catalog.add_image(first, picture("a"))
    catalog.add_image(first, picture("gone"))
    catalog.add_image(second, picture("b"))
    catalog.remove_image(first, "gone")
    catalog.discontinue_product(second)  # still shown: its images stay referenced

    keys = catalog.referenced_image_keys()

    assert keys == {f.key for i in (picture("a"), picture("b")) for f in i.files}


def test_concurrent_adds_to_one_product_never_lose_one(container: Container):
    pid = new_product(container)
    adders = 8
    barrier = threading.Barrier(adders)
    errors: list[BaseException] = []

    def add(n: int) -> None:
        barrier.wait()
        try:
            container.catalog.add_image(pid, picture(f"img{n}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(adders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    gallery = container.catalog.images_of(pid)
    assert sorted(i.id for i in gallery[1:]) == sorted(f"img{n}" for n in range(adders))
    assert stream_types(container, pid).count(images.PRODUCT_IMAGE_ADDED) == adders
    position = container.machinery.store.head()
    doc = document(container, pid, position)
    assert [i["id"] for i in doc["images"]] == [i.id for i in gallery]


def test_documents_with_images_rebuild_identically_from_the_log(container: Container):
    catalog = container.catalog
    pid = new_product(container)
    other = new_product(container, "B-1", ())
    catalog.add_image(pid, picture("a"))
    catalog.add_image(pid, picture("b"))
    catalog.add_image(other, picture("c"))
    catalog.update_image(pid, "b", primary=True)
    catalog.update_image(pid, "a", alt="Described")
    catalog.replace_image(pid, "a", picture("a2", alt="Described again"))
    catalog.remove_image(pid, images.external_id(0, LEGACY))
    catalog.update_product(pid, {"images": ["https://img.example/late.jpg"]})
    last = catalog.remove_image(other, "c")
    live = {p: document(container, p, last.position) for p in (pid, other)}

    container.machinery.runner.rebuild("product_documents")

    assert {p: catalog.product_document(p) for p in (pid, other)} == live
    assert [i["id"] for i in live[pid]["images"]][:2] == ["b", "a"]
    assert live[pid]["images"][1]["alt"] == "Described again"
    assert live[pid]["images"][1]["url"] == "/media/a2-320-jpeg"
    assert live[other]["images"] == []
    assert live[other]["thumbnail"] is None
