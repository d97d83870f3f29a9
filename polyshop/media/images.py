"""Uploaded bytes to a clean, trusted image, or a refusal that says why.

Everything a client sends is hostile until decoded here. The order of the checks is the
point: the byte limit before anything is parsed; the real format sniffed from the bytes
(never a file name or a client's Content-Type); the pixel count read from the header before
a single pixel is decoded, so a few-kilobyte PNG that declares 30000x30000 is refused without
allocating gigabytes; only then the full decode.

Refusal reasons (`ImageRejected.reason`), each a stable slug the API turns into a 4xx:

- ``too-large``: more bytes than `max_bytes` (checked first, nothing parsed);
- ``unsupported-format``: not JPEG, PNG, WebP or AVIF by its signature (SVG, GIF, TIFF, BMP,
  PDF, HEIC, text, an empty body...);
- ``too-many-pixels``: the header declares more than `max_pixels`, or more than Pillow's own
  decompression-bomb ceiling (`PIL.Image.MAX_IMAGE_PIXELS`) if that is lower;
- ``corrupt-image``: the signature is right but the data does not decode (truncated, broken);
- ``animated-image``: an animated PNG, WebP or AVIF. Refused rather than cut to its first
  frame: a product picture is a still, and silently publishing frame one of an animation the
  merchant chose is a surprise. A JPEG carrying extra pictures (MPO, as some cameras write)
  is read as its first, primary picture: that is what every browser shows of it.

What comes out carries no metadata at all: EXIF (GPS, camera, dates), XMP, comments, text
chunks and ICC profiles are dropped. The orientation EXIF asked for is applied to the pixels
first, and an embedded ICC profile is honoured by converting the pixels to sRGB before it is
dropped, so a Display P3 or Adobe RGB photo keeps its colours as an untagged sRGB image, which
is what browsers assume of an untagged image. Pixel modes come out RGB, or RGBA when the source
has real transparency (an alpha channel that is opaque everywhere is dropped).
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageCms, ImageFile
from PIL.AvifImagePlugin import AvifImageFile
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngImageFile
from PIL.WebPImagePlugin import WebPImageFile

FORMATS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}

#: The ISO-BMFF brands that mark an AVIF file (HEIC's `heic`/`heix` brands are refused).
_AVIF_BRANDS = (b"avif", b"avis")

#: The errors Pillow and its codecs raise on data that is not what its header promised.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
    MemoryError,
)


#: What `ImageOps.exif_transpose` does for each EXIF orientation, applied here to an image
#: whose orientation was read once, quietly (see `_oriented`).
_TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_WARNING_FILTERS = threading.Lock()


class ImageRejected(ValueError):
    """The bytes are not an image polyshop accepts; `reason` is one of the slugs above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Decoded:
    #: A key of FORMATS: what the bytes really were.
    format: str
    #: Size after the EXIF orientation is applied.
    width: int
    height: int
    #: Fully loaded, oriented, in sRGB, mode RGB or RGBA, with an empty `info`.
    image: Image.Image


def decode(data: bytes, *, max_bytes: int, max_pixels: int) -> Decoded:
    """Decode `data` for real, or raise ImageRejected; see the module docstring for the rules."""
    if len(data) > max_bytes:
        raise ImageRejected("too-large", f"{len(data)} bytes; the limit is {max_bytes}")
    if Image.MAX_IMAGE_PIXELS is not None:
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    kind = sniff(data)
    if kind is None:
        raise ImageRejected("unsupported-format", "only JPEG, PNG, WebP and AVIF are accepted")
    if kind == "webp":
        # Pillow's WebP reader sets up a decoder, and its canvas, as it opens the file.
        _check_pixels(_webp_size(data), max_pixels)
    opened = _open(kind, data)
    _check_pixels(opened.size, max_pixels)
    if getattr(opened, "is_animated", False):
        raise ImageRejected("animated-image", "animated images are not accepted; send a still")
    try:
        opened.load()
        image = _clean(opened)
    except _DECODE_ERRORS as error:
        raise ImageRejected("corrupt-image", f"the {kind} data does not decode") from error
    return Decoded(format=kind, width=image.width, height=image.height, image=image)


def sniff(data: bytes) -> str | None:
    """The format the bytes' signature names, if it is one polyshop accepts."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _AVIF_BRANDS:
        return "avif"
    if data[4:8] == b"ftyp" and data[8:12] in (b"mif1", b"msf1") and b"avif" in data[16:64]:
        return "avif"  # a generic HEIF brand whose compatible brands name AVIF
    return None


def _open(kind: str, data: bytes) -> ImageFile.ImageFile:
    """Read the header only, through the one reader the sniffed format calls for.

    The reader is called directly rather than through `Image.open`, which would try other
    formats on failure and apply Pillow's global decompression-bomb policy (a warning past
    89 megapixels): our own limit, checked next, is the policy."""
    readers: dict[str, type[ImageFile.ImageFile]] = {
        "jpeg": JpegImageFile,  # not jpeg_factory: an MPO is read as its primary picture
        "png": PngImageFile,
        "webp": WebPImageFile,
        "avif": AvifImageFile,
    }
    try:
        with _quiet():
            return readers[kind](io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageRejected("too-many-pixels", str(error)) from error
    except _DECODE_ERRORS as error:
        raise ImageRejected("corrupt-image", f"the {kind} header does not parse") from error


def _check_pixels(size: tuple[int, int] | None, max_pixels: int) -> None:
    if size is None:
        raise ImageRejected("corrupt-image", "the header gives no image size")
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected("corrupt-image", f"the header declares a {width}x{height} image")
    if width * height > max_pixels:
        raise ImageRejected("too-many-pixels", f"{width}x{height} is more than {max_pixels} pixels")


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size from a WebP header (lossy VP8, lossless VP8L or extended VP8X)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the warnings Pillow gives (instead of errors) about damaged headers and EXIF:
    the bytes are judged here, and a warning must never escape as noise, or as an error where
    warnings are errors. `catch_warnings` swaps process-wide state, so threads take turns;
    only header and EXIF parsing run under the lock, never pixel decoding."""
    with _WARNING_FILTERS, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _oriented(opened: ImageFile.ImageFile) -> Image.Image:
    """The pixels turned the way the EXIF orientation says; an EXIF block that does not
    parse is ignored, as browsers do."""
    try:
        with _quiet():
            orientation = opened.getexif().get(ExifTags.Base.Orientation, 1)
    except (*_DECODE_ERRORS, KeyError):
        orientation = 1
    transposition = _TRANSPOSITIONS.get(orientation) if isinstance(orientation, int) else None
    return opened.transpose(transposition) if transposition is not None else opened


def _clean(opened: ImageFile.ImageFile) -> Image.Image:
    """Oriented, sRGB, RGB or RGBA pixels in a new image that carries no metadata."""
    icc = opened.info.get("icc_profile")
    oriented = _oriented(opened)
    if icc and oriented.mode in ("RGB", "RGBA", "CMYK", "L"):
        oriented = _to_srgb(oriented, icc)
    image = _to_rgb(oriented)
    if image is opened:
        image = image.copy()
    image.info.clear()
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB, or RGBA where the source has transparency that shows anywhere."""
    mode = image.mode
    if mode.startswith("I"):
        # 16-bit greyscale: scale to 8 bits; a plain convert would clip everything at 255.
        return image.convert("I").point(lambda value: value / 256).convert("L").convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "La", "PA", "RGBa") or "transparency" in image.info
    if not has_alpha:
        return image if mode == "RGB" else image.convert("RGB")
    rgba = image if mode == "RGBA" else image.convert("RGBA")
    opaque = rgba.getchannel("A").getextrema() == (255, 255)
    return rgba.convert("RGB") if opaque else rgba


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Pixels converted from the embedded profile to sRGB; a profile that does not parse
    (or does not fit the pixels) is ignored, as a browser would."""
    output = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image
