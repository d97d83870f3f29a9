"""The storefront's figures (issue 19): Lighthouse on its pages, and HTML pages under load
beside the JSON product route.

    .venv/bin/python benchmarks/storefront.py [--products 10000] [--seconds 10] [--no-lighthouse]

Prints, for an embedded shop seeded with the demo catalog (`polyshop seed`), served as
`polyshop serve --no-seed` serves it (benchmarks/serve_with_ceiling.py):

1. Lighthouse 12.2.3 (pinned in benchmarks/lighthouse/, `npm ci` there when its modules are
   missing), mobile preset (its default: a mid-range phone on a throttled 4G line, simulated),
   Debian's Chromium (/usr/bin/chromium) headless, on the home, a category, a product and a
   search page: performance, accessibility, best-practices and SEO scores, lab LCP, CLS and
   TBT; then the performance scores weighted as Shopify weighs its speed score (home 17%,
   product 40%, category 43%);
2. the first request of each page (rendered, then kept), one at a time; then wrk -t2 -c64,
   `--seconds` each, in one run: the HTML product page, a category page and the JSON
   product route (GET /api/v1/products/{id}) over the same products, and the HTML pages'
   req/s as a share of the JSON route's.

Asserts nothing. Machine caveat: 2 shared cores run wrk (or Chromium), the shop and this
script; the issue's catalog is 100,000 products, `--products` says what a run used.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
from harness import Figures, fresh_settings, percentile, server, wrk_paths

from polyshop.api.web.storefront.urls import category_url, product_url
from polyshop.bootstrap import build

HERE = Path(__file__).parent
LIGHTHOUSE_DIR = HERE / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: Shopify's weights for its speed score: home, product and collection (category) pages.
WEIGHTS = {"home": 0.17, "product": 0.40, "category": 0.43}
PORT = 8921


def seed(data_dir: Path, products: int) -> float:
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "polyshop", "seed", "--products", str(products)],
        env={**os.environ, "POLYSHOP_DATA_DIR": str(data_dir), "POLYSHOP_LOG_LEVEL": "warning"},
        check=True,
        capture_output=True,
    )
    return time.monotonic() - began


def wait_for_catalog(base: str, products: int, limit_s: float = 900) -> float:
    """Seconds until the read models hold the whole catalog and search finds laptops."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        listing = httpx.get(f"{base}/api/v1/products?limit=1", timeout=10).json()
        found = httpx.get(f"{base}/api/v1/products/search?q=laptop&limit=1", timeout=10).json()
        if listing.get("total", 0) >= products and found.get("total", 0) > 0:
            return time.monotonic() - began
        time.sleep(1)
    raise RuntimeError(f"the read models did not catch up within {limit_s:.0f} s")


def sample(base: str, pages: int = 4) -> list[dict[str, Any]]:
    """Products from the first listing pages: what a shopper opens most."""
    found: list[dict[str, Any]] = []
    for page in range(1, pages + 1):
        answer = httpx.get(f"{base}/api/v1/products?limit=50&page={page}", timeout=10).json()
        found.extend(answer["products"])
    return found


@contextmanager
def demo_shop(tag: str, products: int, port: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A seeded demo catalog served from a temporary folder, its read models caught up:
    the server's base URL and a sample of its products (the seed's figures printed)."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        seeded = seed(data_dir, products)
        container = build(fresh_settings("sqlite", tag, data_dir))
        container.close()  # the server process opens the shop; this only named its settings
        with server(container, port) as base:
            caught_up = wait_for_catalog(base, products)
            print(f"demo catalog: {products:,} products (embedded mode, SQLite)")
            print(f"seeded in {seeded:.0f} s; the read models caught up {caught_up:.0f} s later")
            yield base, sample(base)


def lighthouse_ready() -> Path:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE_DIR, check=True)
    return binary


def lighthouse(binary: Path, url: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report_file:
        subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report_file.name}",
                f"--only-categories={','.join(CATEGORIES)}",
                f"--chrome-flags={CHROME_FLAGS}",
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=True,
            capture_output=True,
        )
        report = json.loads(Path(report_file.name).read_text())
    figures = {name: report["categories"][name]["score"] * 100 for name in CATEGORIES}
    audits = report["audits"]
    figures["lcp_ms"] = audits["largest-contentful-paint"]["numericValue"]
    figures["cls"] = audits["cumulative-layout-shift"]["numericValue"]
    figures["tbt_ms"] = audits["total-blocking-time"]["numericValue"]
    return figures


def print_lighthouse(base: str, pages: dict[str, str]) -> None:
    binary = lighthouse_ready()
    print("\nLighthouse 12.2.3, mobile preset (simulated throttling), Debian Chromium headless")
    heads = ("perf", "a11y", "best", "seo")
    print(f"{'page':9} " + " ".join(f"{h:>5}" for h in heads) + "   LCP ms    CLS  TBT ms  path")
    scores: dict[str, float] = {}
    for name, path in pages.items():
        f = lighthouse(binary, base + path)
        scores[name] = f["performance"]
        print(
            f"{name:9} {f['performance']:5.0f} {f['accessibility']:5.0f} "
            f"{f['best-practices']:5.0f} {f['seo']:5.0f} {f['lcp_ms']:8.0f} {f['cls']:6.3f} "
            f"{f['tbt_ms']:7.0f}  {path}"
        )
    weighted = sum(scores[name] * weight for name, weight in WEIGHTS.items())
    print(f"weighted performance (home 17%, product 40%, category 43%): {weighted:.1f}")


def _first_requests(base: str, paths: list[str]) -> str:
    """Each path once (each must answer 200), so wrk then measures pages as they are
    served once kept, not the first renders; says what those first renders took."""
    took = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for path in paths:
            began = time.perf_counter()
            status = client.get(path).status_code
            took.append((time.perf_counter() - began) * 1000)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
    return f"p50 {percentile(took, 0.5):7.1f}  p99 {percentile(took, 0.99):7.1f}  ({len(took)})"


def print_load(base: str, products: list[dict[str, Any]], seconds: int) -> None:
    html = [product_url(p["id"], p["name"]) for p in products]
    json_paths = [f"/api/v1/products/{p['id']}" for p in products]
    categories = sorted({category_url(p["category"]) for p in products})
    print("\nfirst requests (nothing kept yet), one at a time, ms:")
    for name, paths in (("HTML product page", html), ("HTML category page", categories)):
        print(f"{name:20} {_first_requests(base, paths)}")
    print(
        f"\nwrk -t2 -c64 {seconds} s each, {len(products)} products, {len(categories)} categories"
    )
    runs: dict[str, Figures] = {}
    for name, paths in (
        ("HTML product page", html),
        ("HTML category page", categories),
        ("JSON product", json_paths),
    ):
        runs[name] = wrk_paths(base, paths, seconds=seconds)
        print(f"{name:20} {runs[name]}")
    reference = runs["JSON product"].rate
    for name in ("HTML product page", "HTML category page"):
        print(f"{name} / JSON product: {runs[name].rate / reference:.0%} of its req/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args()
    with demo_shop("storefront", args.products, PORT) as (base, products):
        first = products[0]
        pages = {
            "home": "/",
            "category": category_url(first["category"]),
            "product": product_url(first["id"], first["name"]),
            "search": "/search?q=laptop",
        }
        if not args.no_lighthouse:
            print_lighthouse(base, pages)
        print_load(base, products, args.seconds)


if __name__ == "__main__":
    main()
