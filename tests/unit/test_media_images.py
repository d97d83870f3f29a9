"""Decoding uploads: what is accepted, what is refused (and why), and what comes out clean."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import pytest
from PIL import ExifTags, Image, ImageOps

from polyshop.media.images import FORMATS, ImageRejected, decode

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 20_000_000}


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind.upper(), **options)
    return buffer.getvalue()


def two_halves(width: int = 40, height: int = 20) -> Image.Image:
    """Red on the left half, blue on the right: orientation shows in the pixels."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height, with a few bytes of compressed data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 4096, 9))
        + png_chunk(b"IEND", b"")
    )


def rejection(data: bytes, **limits: int) -> str:
    with pytest.raises(ImageRejected) as caught:
        decode(data, **{**LIMITS, **limits})
    return caught.value.reason


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_every_accepted_format_decodes_to_a_clean_rgb_image(kind):
    decoded = decode(encoded(two_halves(300, 200), kind), **LIMITS)

    assert decoded.format == kind
    assert (decoded.width, decoded.height) == (300, 200)
    assert decoded.image.size == (300, 200)
    assert decoded.image.mode == "RGB"
    assert decoded.image.info == {}
    red, _, blue = decoded.image.getpixel((10, 100))
    assert red > 180
    assert blue < 60


@pytest.mark.parametrize("kind", ["png", "webp", "avif"])
def test_transparency_is_kept_where_the_format_has_it(kind):
    image = Image.new("RGBA", (32, 32), (200, 30, 40, 90))

    decoded = decode(encoded(image, kind), **LIMITS)

    assert decoded.image.mode == "RGBA"
    assert decoded.image.getpixel((5, 5))[3] == 90


def test_an_alpha_channel_opaque_everywhere_is_dropped():
    decoded = decode(encoded(Image.new("RGBA", (8, 8), (1, 2, 3, 255)), "png"), **LIMITS)

    assert decoded.image.mode == "RGB"


def test_other_pixel_modes_come_out_rgb_or_rgba():
    cmyk = decode(encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "jpeg"), **LIMITS)
    grey16 = decode(encoded(Image.new("I;16", (8, 8), 40000), "png"), **LIMITS)
    palette = Image.new("P", (8, 8), 0)
    palette.info["transparency"] = 0
    transparent = decode(encoded(palette, "png"), **LIMITS)

    assert cmyk.image.mode == "RGB"
    assert cmyk.image.getpixel((4, 4))[0] > 200
    assert grey16.image.mode == "RGB"
    assert grey16.image.getpixel((4, 4)) == (156, 156, 156)  # scaled from 16 bits, not clipped
    assert transparent.image.mode == "RGBA"
    assert transparent.image.getpixel((4, 4))[3] == 0


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'),
        ("text", b"hello, this is not an image"),
        ("empty", b""),
        ("heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        ("pdf", b"%PDF-1.7\n"),
        ("gif", encoded(two_halves(), "gif")),
        ("bmp", encoded(two_halves(), "bmp")),
        ("tiff", encoded(two_halves(), "tiff")),
    ],
)
def test_formats_other_than_the_four_are_refused(kind, data):
    assert rejection(data) == "unsupported-format"


def test_the_byte_limit_is_checked_before_anything_is_parsed():
    assert rejection(b"x" * 101, max_bytes=100) == "too-large"
    assert rejection(encoded(two_halves(), "png"), max_bytes=10) == "too-large"


@pytest.mark.parametrize("kind", ["jpeg", "png", "webp", "avif"])
def test_truncated_or_broken_data_is_refused_as_corrupt(kind):
    data = encoded(two_halves(400, 300).effect_spread(3), kind)

    assert rejection(data[: len(data) // 2]) == "corrupt-image"
    assert rejection(data[:12] + b"\0" * 64) in ("corrupt-image", "unsupported-format")


def test_a_decompression_bomb_png_is_refused_from_its_header_fast_and_silently():
    bomb = bomb_png(30_000, 30_000)
    assert len(bomb) < 200

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reason = rejection(bomb)
    elapsed = time.perf_counter() - started

    assert reason == "too-many-pixels"
    assert elapsed < 1.0


def test_a_webp_declaring_a_huge_canvas_is_refused_before_its_decoder_is_built():
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    vp8x += (16_000 - 1).to_bytes(3, "little") + (16_000 - 1).to_bytes(3, "little")
    bomb = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rejection(bomb) == "too-many-pixels"


def test_pillows_own_ceiling_applies_when_lower_and_never_warns(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    data = encoded(two_halves(100, 100), "png")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rejection(data, max_pixels=10**9) == "too-many-pixels"


@pytest.mark.parametrize("kind", ["png", "webp", "avif"])
def test_animated_images_are_refused(kind):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=kind.upper(), save_all=True, append_images=frames[1:])

    assert rejection(buffer.getvalue()) == "animated-image"


def test_exif_orientation_is_applied_to_the_pixels():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: shown turned 90 degrees clockwise
    data = encoded(two_halves(40, 20), "jpeg", exif=exif.tobytes(), quality=95)

    decoded = decode(data, **LIMITS)

    assert (decoded.width, decoded.height) == (20, 40)
    top, bottom = decoded.image.getpixel((10, 3)), decoded.image.getpixel((10, 36))
    assert top[0] > 180
    assert top[2] < 60
    assert bottom[2] > 180
    assert bottom[0] < 60
    assert decoded.image.getexif().get(ExifTags.Base.Orientation) is None


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera Maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    return exif.tobytes()


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_exif_and_gps_are_gone_from_the_decoded_image(kind):
    data = encoded(two_halves(), kind, exif=gps_exif())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    decoded = decode(data, **LIMITS)

    assert dict(decoded.image.getexif()) == {}
    assert decoded.image.info == {}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_comes_out_as_pillows_exif_transpose_shows_it(orientation):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = encoded(two_halves(40, 20), "png", exif=exif.tobytes())

    decoded = decode(data, **LIMITS)

    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    assert decoded.image.size == expected.size
    assert decoded.image.tobytes() == expected.tobytes()


def test_a_damaged_exif_block_is_ignored_without_a_warning():
    damaged = b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x12\x01\x03\x00"  # 65535 entries promised
    data = encoded(two_halves(), "jpeg", exif=damaged)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = decode(data, **LIMITS)

    assert (decoded.width, decoded.height) == (40, 20)
    assert decoded.image.info == {}


def test_an_icc_profile_that_does_not_parse_is_dropped_not_refused():
    data = encoded(two_halves(), "png", icc_profile=b"not a profile at all")

    decoded = decode(data, **LIMITS)

    assert decoded.image.mode == "RGB"
    assert "icc_profile" not in decoded.image.info
