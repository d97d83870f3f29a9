"""Renditions: the right sizes in the right formats, clean, content-addressed, reproducible."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys

import pytest
from PIL import ExifTags, Image, ImageCms

from polyshop.media.images import FORMATS, decode
from polyshop.media.renditions import WIDTHS, Rendered, Rendition, render

LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}


def photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Gradients and noise, so the encoders have real work and sizes differ by format."""
    horizontal = Image.linear_gradient("L").resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 30)
    image = Image.merge("RGB", (horizontal, radial, noise))
    if mode == "RGBA":
        image.putalpha(horizontal)
    return image


def upload(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind.upper(), **options)
    return buffer.getvalue()


def rendered(image: Image.Image, kind: str, **options: object) -> Rendered:
    return render(decode(upload(image, kind, **options), **LIMITS))


def every_output(result: Rendered) -> list[Rendition]:
    return [result.original, *result.renditions]


def test_a_jpeg_gets_each_width_it_covers_in_avif_webp_and_jpeg():
    result = rendered(photo(1000, 750), "jpeg")

    assert [(r.width, r.height, r.format) for r in result.renditions] == [
        (160, 120, "avif"),
        (160, 120, "webp"),
        (160, 120, "jpeg"),
        (320, 240, "avif"),
        (320, 240, "webp"),
        (320, 240, "jpeg"),
        (640, 480, "avif"),
        (640, 480, "webp"),
        (640, 480, "jpeg"),
    ]
    assert (result.original.width, result.original.height, result.original.format) == (
        1000,
        750,
        "jpeg",
    )


def test_heights_keep_the_aspect_ratio_rounded():
    result = rendered(photo(1333, 1000), "jpeg")

    sizes = sorted({(r.width, r.height) for r in result.renditions})
    assert sizes == [(160, 120), (320, 240), (640, 480), (1280, 960)]


def test_an_image_narrower_than_the_smallest_width_gets_one_width_its_own():
    result = rendered(photo(100, 37), "jpeg")

    assert {(r.width, r.height) for r in result.renditions} == {(100, 37)}
    assert len(result.renditions) == 3


def test_renditions_never_upscale():
    result = rendered(photo(700, 300), "webp")

    assert max(r.width for r in result.renditions) == 640
    assert all(r.width <= 700 for r in result.renditions)
    assert WIDTHS[-1] not in {r.width for r in result.renditions}


def test_a_webp_source_is_not_encoded_twice_as_webp():
    result = rendered(photo(400, 300), "webp")

    assert [r.format for r in result.renditions if r.width == 320] == ["avif", "webp"]
    assert result.original.format == "webp"


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_output_decodes_as_its_claimed_format_and_size(kind):
    result = rendered(photo(400, 300), kind)

    for output in every_output(result):
        opened = Image.open(io.BytesIO(output.data))
        assert opened.format == output.format.upper()
        assert opened.size == (output.width, output.height)
        assert output.content_type == FORMATS[output.format]
        assert decode(output.data, **LIMITS).format == output.format


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_keys_are_the_sha256_of_the_data_with_the_format_extension(kind):
    result = rendered(photo(400, 300), kind)
    extensions = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}

    for output in every_output(result):
        digest, extension = output.key.split(".")
        assert digest == hashlib.sha256(output.data).hexdigest()
        assert extension == extensions[output.format]
    assert len({o.key for o in every_output(result)}) == len(every_output(result))


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (33.0, 51.0, 54.0)
    return exif.tobytes()


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_no_output_carries_exif_gps_or_a_profile(kind):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = upload(photo(400, 300), kind, exif=gps_exif(), icc_profile=profile)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = render(decode(data, **LIMITS))

    for output in every_output(result):
        opened = Image.open(io.BytesIO(output.data))
        assert dict(opened.getexif()) == {}, output.format
        assert opened.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "icc_profile" not in opened.info
        assert "exif" not in opened.info
        assert b"Exif\0\0" not in output.data


@pytest.mark.parametrize("kind", ["png", "webp", "avif"])
def test_transparency_survives_into_every_output(kind):
    result = rendered(photo(360, 240, mode="RGBA"), kind)

    for output in every_output(result):
        assert Image.open(io.BytesIO(output.data)).mode == "RGBA", output.format


def test_the_same_input_renders_to_the_same_bytes():
    data = upload(photo(900, 600), "jpeg")

    first = render(decode(data, **LIMITS))
    second = render(decode(data, **LIMITS))

    assert [o.key for o in every_output(first)] == [o.key for o in every_output(second)]


SCRIPT = """
import io, sys
from PIL import Image
from polyshop.media.images import decode
from polyshop.media.renditions import render
image = Image.radial_gradient("L").resize((700, 500)).convert("RGB")
image.paste(Image.effect_noise((300, 200), 40).convert("RGB"), (50, 50))
buffer = io.BytesIO()
image.save(buffer, "PNG")
result = render(decode(buffer.getvalue(), max_bytes=10**8, max_pixels=10**8))
print(" ".join(o.key for o in (result.original, *result.renditions)))
"""


def test_keys_are_stable_across_processes():
    runs = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]

    assert runs[0] == runs[1]
    assert len(runs[0].split()) == 1 + 3 * 3
