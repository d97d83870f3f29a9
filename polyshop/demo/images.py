"""The demo catalog's pictures: drawn once, rendered once, cached on disk.

For the code that seeds the demo shop:

    pictures = demo_pictures(settings.data_dir / "demo-pictures")   # at start-up
    picture = pictures.pick(draft.category, variant.color, index)   # per product
    for file in picture.files():                                    # original + renditions
        blob_store.put(file.key, file.read(), file.content_type)

`demo_pictures(cache_dir)` draws a few hundred illustrations (every demo category, in each
colour its products come in, three variants of each; six variants, in a palette of their
own, for categories whose products have no colour), puts each through
`polyshop.media.renditions.render` (the same path as an upload), and writes every output
under `cache_dir/blobs/<key>` with a `cache_dir/manifest.json` naming them. Later calls read
the manifest only. The first run draws in a process per CPU; the cache is rebuilt when the
drawings, the rendition settings, the Pillow version or the list of pictures change (the
manifest carries a fingerprint of them) or a file it names is missing. The pool is
started with "spawn" (safe beside a server's threads), so, as with any spawned pool, the
program's main module must be import-safe (`if __name__ == "__main__":`), as console
scripts and pytest are; `workers=1` draws in the calling process instead.

`DemoPictures.pick(category, color, index)` is deterministic: the same product always gets
the same picture, and products of one category and colour spread over its variants. An
unknown category or colour falls back to the category's pictures, then to any picture.
Each `DemoFile` carries what a product image document needs (key, width, height, format,
content type) and reads its bytes from the cache on demand.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import PIL

from polyshop.demo.drawing import COLORS, SIZE, illustrate
from polyshop.demo.silhouettes import SILHOUETTES
from polyshop.media.images import Decoded
from polyshop.media.renditions import ORIGINAL_OPTIONS, RENDITION_OPTIONS, WIDTHS, Rendition, render

#: Bump when the drawings change, so caches made by older code are redrawn.
GENERATOR_VERSION = 1

#: Pictures per category and colour; categories without colours get twice as many.
VARIANTS = 3

#: AVIF encoder speed for the demo pictures: faster than uploads get, as there are hundreds.
AVIF_SPEED = 8

_MANIFEST = "manifest.json"
_BLOBS = "blobs"


@dataclass(frozen=True, slots=True)
class PictureSpec:
    category: str
    #: The product colour the picture shows; None for categories whose products have none.
    color: str | None
    variant: int


@dataclass(frozen=True, slots=True)
class DemoFile:
    key: str
    width: int
    height: int
    format: str
    content_type: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class DemoPicture:
    category: str
    color: str | None
    variant: int
    alt: str
    original: DemoFile
    renditions: tuple[DemoFile, ...]

    def files(self) -> tuple[DemoFile, ...]:
        return (self.original, *self.renditions)


@dataclass(frozen=True, slots=True)
class DemoPictures:
    pictures: tuple[DemoPicture, ...]
    #: How many pictures this call drew and rendered (0 when the cache was used).
    rendered: int
    seconds: float
    _by_color: dict[tuple[str, str | None], tuple[DemoPicture, ...]] = field(repr=False)
    _by_category: dict[str, tuple[DemoPicture, ...]] = field(repr=False)

    def pick(self, category: str, color: str | None, index: int) -> DemoPicture:
        """The picture for product `index` of this category and colour, always the same."""
        candidates = (
            self._by_color.get((category, color))
            or self._by_category.get(category)
            or self.pictures
        )
        return candidates[index % len(candidates)]

    def files(self) -> Iterator[DemoFile]:
        """Every cached file once, e.g. to put them all in a blob store."""
        seen: set[str] = set()
        for picture in self.pictures:
            for file in picture.files():
                if file.key not in seen:
                    seen.add(file.key)
                    yield file


def demo_specs() -> tuple[PictureSpec, ...]:
    """Every picture of the demo catalog, from its categories and their colours."""
    from polyshop.demo.seeding import KINDS  # the catalog's modules only where needed

    specs: list[PictureSpec] = []
    for kind in KINDS:
        colors: Sequence[str | None] = kind.colors or (None,)
        count = VARIANTS if kind.colors else 2 * VARIANTS
        specs += [PictureSpec(kind.category, c, v) for c in colors for v in range(count)]
    return tuple(specs)


def demo_pictures(
    cache_dir: Path,
    *,
    specs: Sequence[PictureSpec] | None = None,
    workers: int | None = None,
) -> DemoPictures:
    """The demo pictures, from the cache under `cache_dir`, drawn first if it is not valid."""
    started = time.perf_counter()
    wanted = tuple(specs) if specs is not None else demo_specs()
    fingerprint = _fingerprint(wanted)
    entries = _read_manifest(cache_dir, fingerprint)
    rendered = 0
    if entries is None:
        entries = _generate(cache_dir, wanted, workers)
        _write_manifest(cache_dir, fingerprint, entries)
        rendered = len(entries)
    pictures = tuple(_picture(cache_dir / _BLOBS, entry) for entry in entries)
    by_color: dict[tuple[str, str | None], list[DemoPicture]] = {}
    by_category: dict[str, list[DemoPicture]] = {}
    for picture in pictures:
        by_color.setdefault((picture.category, picture.color), []).append(picture)
        by_category.setdefault(picture.category, []).append(picture)
    return DemoPictures(
        pictures=pictures,
        rendered=rendered,
        seconds=time.perf_counter() - started,
        _by_color={key: tuple(group) for key, group in by_color.items()},
        _by_category={key: tuple(group) for key, group in by_category.items()},
    )


def _fingerprint(specs: tuple[PictureSpec, ...]) -> str:
    """Everything the cached bytes depend on."""
    inputs = {
        "generator": GENERATOR_VERSION,
        "pillow": PIL.__version__,
        "size": SIZE,
        "widths": WIDTHS,
        "avif_speed": AVIF_SPEED,
        "renditions": RENDITION_OPTIONS,
        "originals": ORIGINAL_OPTIONS,
        "specs": [asdict(spec) for spec in specs],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _read_manifest(cache_dir: Path, fingerprint: str) -> list[dict[str, Any]] | None:
    """The cached entries, or None if the cache is missing, stale or incomplete."""
    try:
        manifest = json.loads((cache_dir / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint:
        return None
    entries: list[dict[str, Any]] = manifest["pictures"]
    blobs = cache_dir / _BLOBS
    keys = {file["key"] for entry in entries for file in [entry["original"], *entry["renditions"]]}
    if not all((blobs / key).is_file() for key in keys):
        return None
    return entries


def _write_manifest(cache_dir: Path, fingerprint: str, entries: list[dict[str, Any]]) -> None:
    manifest = {"fingerprint": fingerprint, "pictures": entries}
    _write_atomically(cache_dir / _MANIFEST, json.dumps(manifest, indent=1).encode())
    wanted = {file["key"] for e in entries for file in [e["original"], *e["renditions"]]}
    for stale in (cache_dir / _BLOBS).iterdir():
        if stale.name not in wanted:
            stale.unlink(missing_ok=True)


def _generate(
    cache_dir: Path, specs: tuple[PictureSpec, ...], workers: int | None
) -> list[dict[str, Any]]:
    """Draw and render every spec, a process per CPU, each writing its own files."""
    blobs = cache_dir / _BLOBS
    blobs.mkdir(parents=True, exist_ok=True)
    count = workers or len(os.sched_getaffinity(0))
    if count <= 1 or len(specs) <= 1:
        return [_render_one(spec, blobs) for spec in specs]
    # "spawn": the caller may be a server with threads running, which fork would copy badly.
    with ProcessPoolExecutor(count, mp_context=get_context("spawn")) as pool:
        chunk = max(1, len(specs) // (count * 8))
        return list(pool.map(_render_one, specs, [blobs] * len(specs), chunksize=chunk))


def _render_one(spec: PictureSpec, blobs: Path) -> dict[str, Any]:
    """Draw one picture, render it, write its files; return its manifest entry."""
    noun, draw_object, palette = SILHOUETTES[spec.category]
    shown = spec.color or (palette[spec.variant % len(palette)] if palette else "Grey")
    image = illustrate(draw_object, COLORS.get(shown, COLORS["Grey"]), spec.variant)
    decoded = Decoded(format="jpeg", width=SIZE, height=SIZE, image=image)
    result = render(decoded, avif_speed=AVIF_SPEED)
    for output in (result.original, *result.renditions):
        target = blobs / output.key
        if not target.exists():
            _write_atomically(target, output.data)
    return {
        **asdict(spec),
        "alt": f"{shown} {noun} (illustration)",
        "original": _file_entry(result.original),
        "renditions": [_file_entry(output) for output in result.renditions],
    }


def _file_entry(output: Rendition) -> dict[str, Any]:
    return {
        "key": output.key,
        "width": output.width,
        "height": output.height,
        "format": output.format,
        "content_type": output.content_type,
    }


def _picture(blobs: Path, entry: dict[str, Any]) -> DemoPicture:
    def file(item: dict[str, Any]) -> DemoFile:
        return DemoFile(path=blobs / item["key"], **item)

    return DemoPicture(
        category=entry["category"],
        color=entry["color"],
        variant=entry["variant"],
        alt=entry["alt"],
        original=file(entry["original"]),
        renditions=tuple(file(item) for item in entry["renditions"]),
    )


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name and rename: a crash never leaves half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
