"""The demo catalog's pictures: drawn and rendered once, then read from the cache."""

from __future__ import annotations

import io

from PIL import Image

from polyshop.demo.images import PictureSpec, demo_pictures, demo_specs
from polyshop.demo.seeding import KINDS

SPECS = (
    PictureSpec("fashion/shoes/running", "Red", 0),
    PictureSpec("fashion/shoes/running", "Red", 1),
    PictureSpec("books/fiction", None, 0),
)


def test_the_first_call_renders_every_picture_and_the_second_reads_the_cache(tmp_path):
    first = demo_pictures(tmp_path, specs=SPECS, workers=1)
    second = demo_pictures(tmp_path, specs=SPECS, workers=1)

    assert first.rendered == 3
    assert second.rendered == 0
    assert second.seconds < first.seconds / 5
    assert [p.original.key for p in second.pictures] == [p.original.key for p in first.pictures]


def test_every_cached_file_is_what_its_entry_says(tmp_path):
    pictures = demo_pictures(tmp_path, specs=SPECS, workers=1)

    files = list(pictures.files())
    assert len(files) == 3 * (1 + 3 * 3)  # original + 160/320/640 in AVIF, WebP and JPEG
    for file in files:
        opened = Image.open(io.BytesIO(file.read()))
        assert opened.format == file.format.upper()
        assert opened.size == (file.width, file.height)


def test_a_missing_file_makes_the_cache_render_again(tmp_path):
    pictures = demo_pictures(tmp_path, specs=SPECS, workers=1)
    pictures.pictures[0].renditions[0].path.unlink()

    again = demo_pictures(tmp_path, specs=SPECS, workers=1)

    assert again.rendered == 3
    assert again.pictures[0].renditions[0].path.is_file()


def test_a_different_list_of_pictures_is_not_served_from_an_old_cache(tmp_path):
    demo_pictures(tmp_path, specs=SPECS, workers=1)

    fewer = demo_pictures(tmp_path, specs=SPECS[:1], workers=1)

    assert fewer.rendered == 1
    assert len(list((tmp_path / "blobs").iterdir())) == 10  # the others' files are gone


def test_a_process_pool_renders_the_same_bytes_as_one_process(tmp_path):
    alone = demo_pictures(tmp_path / "alone", specs=SPECS, workers=1)
    pooled = demo_pictures(tmp_path / "pooled", specs=SPECS, workers=2)

    assert [f.key for f in pooled.files()] == [f.key for f in alone.files()]


def test_pick_is_deterministic_and_falls_back_sensibly(tmp_path):
    pictures = demo_pictures(tmp_path, specs=SPECS, workers=1)

    red = {pictures.pick("fashion/shoes/running", "Red", i).variant for i in range(4)}
    assert red == {0, 1}
    assert pictures.pick("fashion/shoes/running", "Red", 7) == pictures.pick(
        "fashion/shoes/running", "Red", 7
    )
    assert pictures.pick("fashion/shoes/running", "Teal", 0).category == "fashion/shoes/running"
    assert pictures.pick("books/fiction", None, 5).category == "books/fiction"
    assert pictures.pick("unknown/category", None, 0) in pictures.pictures
    assert pictures.pick("books/fiction", None, 0).alt.endswith("book (illustration)")


def test_the_demo_catalog_has_pictures_for_every_category_and_colour():
    specs = demo_specs()

    wanted = {(kind.category, color) for kind in KINDS for color in (kind.colors or (None,))}
    assert {(spec.category, spec.color) for spec in specs} == wanted
    assert 150 <= len(specs) <= 400
    assert len(set(specs)) == len(specs)
