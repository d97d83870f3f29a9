"""A decoded image to the files a page serves: the cleaned original and its renditions.

Each output is named by the SHA-256 of its bytes (`<hex>.<ext>`), so its URL never changes
meaning and can be cached forever. Encoding is deterministic for a given input on a given
machine (same Pillow and codec builds): the same upload yields the same keys, which makes a
repeated upload or a regenerated demo picture a no-op in the blob store.

Renditions come in three formats at every width in `WIDTHS` no wider than the original
(never upscaled; an original narrower than the smallest width gets one rendition, at its own
width): AVIF and WebP for the browsers that take them (nearly all), and the source format as
the fallback every browser decodes. The original itself is re-encoded (that is how its
metadata goes) in its own format at a higher quality than the renditions, as the master copy.

Resizing uses Lanczos, largest width first; each smaller width is made from the smallest
rendition already at least twice its width (else from the original), so the 12-megapixel
source is resampled once, not once per width. The encoder settings are the usual web
trade-offs. AVIF renditions use encoder speed 6: slower than 8 to 10, but those produce
files no smaller than WebP's at the same quality setting, which would defeat the point of
AVIF; the original, when it is an AVIF, uses speed 8, as speed 6 costs seconds at full size
(measurements: benchmarks/media_renditions.py).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from polyshop.media.images import FORMATS, Decoded

WIDTHS = (160, 320, 640, 1280)

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}

#: Encoder options per format, for renditions.
RENDITION_OPTIONS: dict[str, dict[str, Any]] = {
    "jpeg": {"quality": 82, "optimize": True, "progressive": True},
    "png": {"optimize": True},
    "webp": {"quality": 80, "method": 4},
    "avif": {"quality": 60, "speed": 6},
}

#: Encoder options per format, for the original: the master copy, kept closer to the upload
#: and rarely served (pages use renditions), so encoded for upload time over the last few
#: percent of bytes: no progressive JPEG pass, a middling PNG level (a 12-megapixel photo
#: PNG at zlib level 6 takes seconds), AVIF at speed 8.
ORIGINAL_OPTIONS: dict[str, dict[str, Any]] = {
    "jpeg": {"quality": 90, "optimize": True},
    "png": {"compress_level": 3},
    "webp": {"quality": 90, "method": 4},
    "avif": {"quality": 75, "speed": 8},
}

#: The order renditions are listed in at each width: the most compact first.
_RENDITION_FORMATS = ("avif", "webp")

#: Shrink by whole factors first (a box filter) while the remaining ratio stays above this.
_REDUCING_GAP = 3.0


@dataclass(frozen=True, slots=True)
class Rendition:
    #: "<sha-256 hex of data>.<ext>", the blob-store key.
    key: str
    width: int
    height: int
    #: A key of FORMATS.
    format: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Rendered:
    #: Full size, source format, no metadata.
    original: Rendition
    #: By width, then AVIF, WebP, the source format (once each when the source is one of them).
    renditions: tuple[Rendition, ...]


def render(
    decoded: Decoded, widths: tuple[int, ...] = WIDTHS, *, avif_speed: int | None = None
) -> Rendered:
    """The cleaned original and every rendition of `decoded` (see the module docstring).

    `avif_speed` overrides the AVIF renditions' encoder speed: bulk work that prefers time to
    bytes (the demo catalog's hundreds of pictures) passes a faster one."""
    options = dict(RENDITION_OPTIONS)
    if avif_speed is not None:
        options["avif"] = {**options["avif"], "speed": avif_speed}
    original = encode(decoded.image, decoded.format, ORIGINAL_OPTIONS[decoded.format])
    formats = tuple(dict.fromkeys((*_RENDITION_FORMATS, decoded.format)))
    made: list[Image.Image] = []
    renditions: list[Rendition] = []
    for width, height in reversed(target_sizes(decoded.width, decoded.height, widths)):
        source = next((m for m in reversed(made) if m.width >= 2 * width), decoded.image)
        resized = resize(source, width, height)
        made.append(resized)
        renditions[:0] = [encode(resized, kind, options[kind]) for kind in formats]
    return Rendered(original=original, renditions=tuple(renditions))


def target_sizes(width: int, height: int, widths: tuple[int, ...]) -> list[tuple[int, int]]:
    """(width, height) of each rendition: the widths that do not upscale, height to scale."""
    fitting = sorted({w for w in widths if w <= width})
    if not fitting:
        fitting = [width]
    return [(w, max(1, round(height * w / width))) for w in fitting]


def resize(image: Image.Image, width: int, height: int) -> Image.Image:
    if (width, height) == image.size:
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)


def encode(image: Image.Image, kind: str, options: dict[str, Any]) -> Rendition:
    """`image` encoded as `kind` with `options`, named by the hash of the bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=kind.upper(), **options)
    data = buffer.getvalue()
    key = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[kind]}"
    return Rendition(
        key=key,
        width=image.width,
        height=image.height,
        format=kind,
        content_type=FORMATS[kind],
        data=data,
    )
