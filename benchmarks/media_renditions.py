"""Upload-time image work: a 4000x3000 JPEG through decode() and render().

    .venv/bin/python benchmarks/media_renditions.py [--runs 20] [--workers 2]

Prints, for a synthetic photo (gradients, soft shapes, fine texture and sensor-like noise, so
the encoders work as they would on a real picture):

1. decode + render, one upload at a time: p50 and p99 over `--runs` (with few runs p99 is
   close to the maximum), and outputs per second;
2. the same with `--workers` processes side by side: outputs per second on the machine;
3. encode time per format at each width, and the resize time (every width from the
   original vs each from the next larger, as render() does);
4. bytes of each rendition against the original upload, and WebP/AVIF savings against JPEG;
5. AVIF encoder speeds 6 to 10 at 1280 wide: time, bytes and PSNR against the resized
   source (how render()'s AVIF speed was chosen).

Asserts nothing. Machine caveat: 2 shared cores, other work running.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from polyshop.media.images import decode
from polyshop.media.renditions import (
    RENDITION_OPTIONS,
    WIDTHS,
    encode,
    render,
    resize,
    target_sizes,
)

LIMITS = {"max_bytes": 40_000_000, "max_pixels": 50_000_000}


def synthetic_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A camera-like JPEG: smooth light, a few soft objects, texture and grain."""
    light = Image.linear_gradient("L").rotate(30).resize((width, height))
    glow = Image.radial_gradient("L").resize((width, height))
    sky = Image.merge("RGB", (glow, light, Image.eval(light, lambda v: 255 - v // 2)))
    draw = ImageDraw.Draw(sky)
    for i in range(12):
        x, y = (i * 733) % width, (i * 541) % height
        draw.ellipse((x, y, x + 600, y + 420), fill=(40 + i * 17, 90 + i * 9, 160 - i * 7))
    sky = sky.filter(ImageFilter.GaussianBlur(6))
    texture = Image.effect_noise((width // 8, height // 8), 60).resize((width, height))
    grain = Image.effect_noise((width, height), 14)
    detail = Image.merge("RGB", (texture, grain, texture))
    photo = Image.blend(sky, detail, 0.22)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def one_upload(data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    result = render(decode(data, **LIMITS))
    return time.perf_counter() - started, 1 + len(result.renditions)


def sequential(data: bytes, runs: int) -> None:
    one_upload(data)  # warm-up: codecs loaded, caches filled
    timings, outputs = [], 0
    for _ in range(runs):
        elapsed, count = one_upload(data)
        timings.append(elapsed)
        outputs += count
    print(f"\n1. decode + render, one at a time ({runs} runs, {outputs // runs} outputs each)")
    print(f"   p50 {statistics.median(timings) * 1000:7.0f} ms")
    print(f"   p99 {percentile(timings, 0.99) * 1000:7.0f} ms")
    print(f"   outputs/s {outputs / sum(timings):6.1f}")


def parallel(data: bytes, runs: int, workers: int) -> None:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(one_upload, [data] * workers))  # warm-up
        started = time.perf_counter()
        results = list(pool.map(one_upload, [data] * runs))
        wall = time.perf_counter() - started
    outputs = sum(count for _, count in results)
    print(f"\n2. {runs} uploads over {workers} processes")
    print(f"   wall {wall:.1f} s, uploads/s {runs / wall:.2f}, outputs/s {outputs / wall:.1f}")


def per_format(data: bytes) -> dict[tuple[int, str], int]:
    decoded = decode(data, **LIMITS)
    print("\n3. resizing to every width, and encode time per format (ms)")
    started = time.perf_counter()
    for width, height in target_sizes(decoded.width, decoded.height, WIDTHS):
        resize(decoded.image, width, height)
    print(f"   every width from the original: {(time.perf_counter() - started) * 1000:.0f}")
    started = time.perf_counter()
    source = decoded.image
    for width, height in reversed(target_sizes(decoded.width, decoded.height, WIDTHS)):
        source = resize(source, width, height)
    cascaded = (time.perf_counter() - started) * 1000
    print(f"   each width from the next larger (as render() does): {cascaded:.0f}")
    sizes: dict[tuple[int, str], int] = {}
    print(f"   {'width':>6} {'jpeg':>7} {'webp':>7} {'avif':>7}")
    for width, height in target_sizes(decoded.width, decoded.height, WIDTHS):
        resized = resize(decoded.image, width, height)
        cells = []
        for kind in ("jpeg", "webp", "avif"):
            started = time.perf_counter()
            sizes[width, kind] = len(encode(resized, kind, RENDITION_OPTIONS[kind]).data)
            cells.append(f"{(time.perf_counter() - started) * 1000:7.0f}")
        print(f"   {width:>6} {' '.join(cells)}")
    return sizes


def byte_table(data: bytes, sizes: dict[tuple[int, str], int]) -> None:
    result = render(decode(data, **LIMITS))
    print(f"\n4. bytes (upload {len(data):,}; cleaned original {len(result.original.data):,})")
    print("   width      jpeg (of upload)      webp (vs jpeg)      avif (vs jpeg)")
    for width in sorted({w for w, _ in sizes}):
        jpeg, webp, avif = (sizes[width, kind] for kind in ("jpeg", "webp", "avif"))
        print(
            f"   {width:>5} {jpeg:>9,} ({jpeg / len(data):6.2%})"
            f" {webp:>9,} ({webp / jpeg - 1:+5.0%}) {avif:>9,} ({avif / jpeg - 1:+5.0%})"
        )


def psnr(a: Image.Image, b: Image.Image) -> float:
    difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mse = statistics.mean(value**2 for value in ImageStat.Stat(difference).rms)
    return 10 * math.log10(255**2 / mse) if mse else float("inf")


def avif_speeds(data: bytes) -> None:
    resized = resize(decode(data, **LIMITS).image, 1280, 960)
    print("\n5. AVIF quality 60 at 1280x960 by encoder speed")
    print(f"   {'speed':>5} {'ms':>6} {'bytes':>9} {'PSNR dB':>8}")
    for speed in range(6, 11):
        timings = []
        for _ in range(3):
            buffer = io.BytesIO()
            started = time.perf_counter()
            resized.save(buffer, "AVIF", quality=60, speed=speed)
            timings.append(time.perf_counter() - started)
        back = Image.open(io.BytesIO(buffer.getvalue()))
        quality = psnr(resized, back)
        size = len(buffer.getvalue())
        print(f"   {speed:>5} {min(timings) * 1000:6.0f} {size:>9,} {quality:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    data = synthetic_photo()
    print(f"source: 4000x3000 JPEG, {len(data):,} bytes; widths {WIDTHS}")
    sequential(data, arguments.runs)
    parallel(data, arguments.runs, arguments.workers)
    byte_table(data, per_format(data))
    avif_speeds(data)


if __name__ == "__main__":
    main()
