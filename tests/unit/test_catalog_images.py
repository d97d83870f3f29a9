"""A product's gallery rules and the document entries of its images: pure, no store."""

import copy
from datetime import UTC, datetime

import pytest

from polyshop.catalog import image_documents, images
from polyshop.catalog.documents import fold
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import ImageNotFound
from polyshop.catalog.images import ExternalImage, ImageFile, ProductImage
from polyshop.eventstore.events import RecordedEvent


def image(image_id: str, alt: str = "", source: str = "jpeg") -> ProductImage:
    renditions = tuple(
        ImageFile(f"{image_id}-{w}.{fmt}", w, w * 3 // 4, fmt)
        for fmt in ("avif", "webp", source)
        for w in (160, 320, 640)
    )
    return ProductImage(
        image_id, alt, ImageFile(f"{image_id}.{source}", 800, 600, source), renditions
    )


def ids(gallery) -> list[str]:
    return [i.id for i in gallery]


def test_images_are_added_in_place_and_moved_to_the_front_to_become_primary():
    gallery, at = images.with_added([], image("a"), None)
    gallery, at2 = images.with_added(gallery, image("b"), None)
    gallery, at3 = images.with_added(gallery, image("c"), 0)

    assert (ids(gallery), at, at2, at3) == (["c", "a", "b"], 0, 1, 0)
    assert ids(images.moved(gallery, "b", 0)) == ["b", "c", "a"]
    assert ids(images.moved(gallery, "c", 2)) == ["a", "b", "c"]
    assert ids(images.without(gallery, "a")) == ["c", "b"]
    replaced = images.with_replaced(gallery, "a", image("zzz", alt="new"))
    assert ids(replaced) == ["c", "a", "b"]
    assert replaced[1].original.key == "zzz.jpeg"
    assert images.described(gallery, "b", "  A red mug ")[2].alt == "A red mug"


def test_limits_positions_and_unknown_images_are_refused():
    full = [image(str(i)) for i in range(images.MAX_IMAGES)]
    with pytest.raises(CatalogError) as raised:
        images.with_added(full, image("x"), None)
    assert raised.value.field == "images"
    for bad in (-1, 3):
        with pytest.raises(CatalogError) as raised:
            images.with_added(full[:2], image("x"), bad)
        assert raised.value.field == "position"
    with pytest.raises(CatalogError):
        images.moved(full[:2], "0", 2)
    with pytest.raises(CatalogError) as raised:
        images.with_added(full[:2], image("1"), None)
    assert raised.value.field == "image_id"
    for rule in (images.without, lambda g, i: images.moved(g, i, 0)):
        with pytest.raises(ImageNotFound):
            rule(full[:2], "nope")


def test_alt_text_is_checked_as_other_text():
    assert images.check_alt("  fine  ") == "fine"
    for bad in ("x" * (images.MAX_ALT + 1), "nul\x00here", "half \ud83d"):
        with pytest.raises(CatalogError) as raised:
            images.check_alt(bad)
        assert raised.value.field == "alt"
    with pytest.raises(CatalogError):
        ImageFile("k", 10, 10, "svg")
    with pytest.raises(CatalogError):
        ImageFile("k", 0, 10, "png")


def test_url_lists_set_only_the_external_images_and_legacy_rows_read_as_external():
    gallery = [image("up1"), *images.external_images(["https://x/1.jpg"]), image("up2")]

    after = images.with_external(gallery, ["https://x/2.jpg", "https://x/3.jpg"])

    assert ids(after)[:2] == ["up1", "up2"]
    assert images.external_urls(after) == ["https://x/2.jpg", "https://x/3.jpg"]
    legacy = images.gallery_from_row(["https://x/2.jpg", "https://x/3.jpg"])
    assert legacy == after[2:]
    assert images.gallery_from_row(images.gallery_to_row(after)) == after
    assert images.blob_keys(images.gallery_to_row(after)) == {
        f.key for i in after[:2] if isinstance(i, ProductImage) for f in i.files
    }
    assert isinstance(legacy[0], ExternalImage)


def test_an_uploaded_image_entry_has_sizes_renditions_srcset_and_a_thumbnail():
    entry = image_documents.uploaded_entry(image("a", alt="Mug"), lambda k: f"https://cdn/{k}")

    assert (entry["url"], entry["width"], entry["height"]) == ("https://cdn/a-640.jpeg", 640, 480)
    assert entry["srcset"]["webp"] == (
        "https://cdn/a-160.webp 160w, https://cdn/a-320.webp 320w, https://cdn/a-640.webp 640w"
    )
    assert set(entry["srcset"]) == {"avif", "webp", "jpeg"}
    assert len(entry["renditions"]) == 9
    assert image_documents.thumbnail(entry) == {
        "url": "https://cdn/a-320.jpeg",
        "width": 320,
        "height": 240,
    }
    bare = ProductImage("b", "", ImageFile("b.png", 90, 60, "png"))
    bare_entry = image_documents.uploaded_entry(bare, images.media_path)
    assert image_documents.thumbnail(bare_entry) == {
        "url": "/media/b.png",
        "width": 90,
        "height": 60,
    }


def event(at: int, event_type: str, **data) -> RecordedEvent:
    return RecordedEvent(
        position=at,
        stream_id="product-p",
        stream_type="product",
        version=at,
        type=event_type,
        schema_version=1,
        data={"product_id": "p", **data},
        metadata={},
        recorded_at=datetime(2026, 12, 6, tzinfo=UTC),
    )


def test_replaying_a_suffix_of_image_events_gives_the_same_document():
    created = event(
        1,
        "ProductCreated",
        name="Mug",
        description="",
        brand="Acme",
        category="home",
        price="5.00",
        currency="USD",
        tags=[],
        attributes={},
        images=["https://x/legacy.jpg"],
        variants=[{"sku": "M", "size": None, "color": None, "price_adjustment": "0"}],
    )
    later = [
        event(2, images.PRODUCT_IMAGE_ADDED, image=image("a").to_event(), position=1),
        event(3, images.PRODUCT_IMAGE_ADDED, image=image("b").to_event(), position=0),
        event(4, images.PRODUCT_IMAGE_DESCRIBED, image_id="a", alt="Side"),
        event(
            5,
            images.PRODUCT_IMAGE_REORDERED,
            order=["a", "b", images.external_id(0, "https://x/legacy.jpg")],
        ),
        event(6, images.PRODUCT_IMAGE_REPLACED, image_id="b", image=image("b2").to_event()),
        event(7, images.PRODUCT_IMAGE_REMOVED, image_id="a"),
    ]
    docs: dict = {}
    fold([created, *later], docs, {})
    once = docs["p"]
    for start in range(len(later)):
        again = {"p": copy.deepcopy(once)}
        fold(later[start:], again, {})
        assert again["p"] == once, start

    assert [e["id"] for e in once["images"]] == ["b", images.external_id(0, "https://x/legacy.jpg")]
    assert once["images"][0]["url"] == "/media/b2-640.jpeg"
    assert once["thumbnail"]["url"] == "/media/b2-320.jpeg"
    assert once["images"][1] == image_documents.external_entry(
        images.external_id(0, "https://x/legacy.jpg"), "https://x/legacy.jpg"
    )
