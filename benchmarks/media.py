"""Product images: serving renditions the way a CDN would, and what an upload costs.

    .venv/bin/python benchmarks/media.py [--images 60] [--uploads 12]

Prints, for an embedded shop served as `polyshop serve` serves it:

1. wrk -t2 -c64, 10 s each, in one run: the constant 2 KB route (the framework's ceiling),
   hot product JSON pages (GET /api/v1/products/{id}), renditions (GET /media/<hash>.webp,
   320 wide, over `--images` images), and the same renditions revalidated (If-None-Match:
   the 304 a browser's cache gets);
2. an upload of a 4000x3000 JPEG over HTTP through every rendition: p50 and p99 over
   `--uploads`, and renditions stored per second;
3. the bytes of each rendition of that upload against the original, and WebP/AVIF savings
   against the source format at each width.

`benchmarks/media_renditions.py` breaks the upload down further (per format, AVIF speeds).
Asserts nothing. Machine caveat: 2 shared cores run wrk, the shop and this script.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
from harness import fresh_settings, percentile, server, wrk, wrk_paths
from media_renditions import synthetic_photo
from PIL import Image, ImageDraw

from polyshop.bootstrap import build
from polyshop.catalog.service import NewProduct, NewVariant

OPS_TOKEN = "bench-ops-token"


def small_picture(seed: int) -> bytes:
    """A distinct 1280x960 product picture."""
    image = Image.new("RGB", (1280, 960), ((seed * 37) % 256, (seed * 91) % 256, 180))
    draw = ImageDraw.Draw(image)
    for i in range(8):
        x = (seed * 53 + i * 151) % 1100
        draw.ellipse((x, 100 + i * 90, x + 180, 260 + i * 90), fill=(30 * i % 256, 200, seed % 256))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--uploads", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = fresh_settings("sqlite", "media", Path(tmp), ops_token=OPS_TOKEN)
        container = build(settings)
        products, renditions = [], []
        for i in range(args.images):
            product = container.catalog.create_product(
                NewProduct(
                    name=f"Bench lamp {i}",
                    description="A lamp.",
                    brand="Bench",
                    category="home/lighting",
                    price=Decimal("20.00"),
                    variants=(NewVariant(f"BENCH-LAMP-{i}", None, None, Decimal(0), 10),),
                )
            )
            written = container.media.upload(product.product_id, small_picture(i), alt="a lamp")
            products.append(product.product_id)
            renditions.append(
                next(
                    f"/media/{f.key}"
                    for f in written.image.renditions
                    if f.format == "webp" and f.width == 320
                )
            )
        print(f"{args.images} products, one image each ({len(renditions)} renditions served)")
        with server(container, 8931, {"POLYSHOP_OPS_TOKEN": OPS_TOKEN}) as base:
            last = f"{base}/api/v1/products/{products[-1]}"
            httpx.get(last, params={"min_position": written.position}, timeout=60)
            bench_serving(base, products, renditions)
            bench_upload(base, products[0], args.uploads)
        container.close()


def bench_serving(base: str, products: list[str], renditions: list[str]) -> None:
    pages = [f"/api/v1/products/{p}" for p in products]
    wrk_paths(base, ["/bench/constant", *pages, *renditions], 5)  # warm: caches filled
    rows = [
        ("constant 2 KB JSON (the ceiling)", wrk_paths(base, ["/bench/constant"])),
        ("GET /api/v1/products/{id} (hot)", wrk_paths(base, pages)),
        ("GET /media/<hash>.webp (320 w)", wrk_paths(base, renditions)),
        ("same, If-None-Match -> 304", revalidations(base, renditions)),
        ("GET /api/v1/products/{id}, again", wrk_paths(base, pages)),
        ("constant 2 KB JSON, again", wrk_paths(base, ["/bench/constant"])),
    ]
    page_rate = (rows[1][1].rate + rows[4][1].rate) / 2
    print("serving, wrk -t2 -c64 10 s:")
    for label, figures in rows:
        print(f"  {label:<36} {figures}  ({figures.rate / page_rate:.0%} of product JSON)")


def revalidations(base: str, paths: list[str]) -> Any:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    return wrk(base, "revalidate.lua", {"PATHS_FILE": f.name})


def bench_upload(base: str, product_id: str, uploads: int) -> None:
    photo = synthetic_photo()
    headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
    url = f"{base}/api/v1/products/{product_id}/images"
    times, last = [], None
    with httpx.Client(timeout=120) as client:
        for _ in range(uploads):
            started = time.perf_counter()
            response = client.post(
                url, files={"file": ("photo.jpg", photo, "image/jpeg")}, headers=headers
            )
            times.append(time.perf_counter() - started)
            response.raise_for_status()
            last = response.json()["image"]
            client.delete(f"{url}/{last['id']}", headers=headers)  # at most 20 per product
        sizes = {
            (r["format"], r["width"]): len(client.get(base + r["url"]).content)
            for r in last["renditions"]
        }
    count = len(last["renditions"]) + 1  # and the original, stripped
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    print(f"upload of a 4000x3000 JPEG ({len(photo):,} bytes) over HTTP, {uploads} runs:")
    print(f"  p50 {p50 * 1000:7.0f} ms  p99 {p99 * 1000:7.0f} ms  ({count} files each)")
    print(f"  {count / p50:5.1f} renditions/s, one upload at a time")
    print("bytes per rendition (vs the original upload; savings vs the source format):")
    for width in sorted({w for _, w in sizes}):
        source = sizes[("jpeg", width)]
        row = "  ".join(
            f"{fmt} {sizes[(fmt, width)]:>8,} B ({sizes[(fmt, width)] / len(photo):6.2%})"
            + ("" if fmt == "jpeg" else f" {1 - sizes[(fmt, width)] / source:+.0%}")
            for fmt in ("jpeg", "webp", "avif")
        )
        print(f"  {width:>5} w  {row}")


if __name__ == "__main__":
    main()
