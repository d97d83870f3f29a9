"""The data sets of the recommendations evaluation (`recommendations_eval.py`): the real
baskets that PyPI packages ship (`basket_data`), Superstore's orders and customer
histories (`data/superstore`), and synthetic baskets with planted co-purchase groups, each
with the catalog the read path's fallback needs.

Catalogs for the fallback. Superstore: category path "Category/Sub-Category"; the name is
the product's alphabetically first "Product Name" (32 of its 1,862 Product IDs carry two);
no tags; no brand column, so the brand is the first word of the name. Synthetic: category
= the planted group's index // 10, so a category spans about ten groups and the fallback
cannot read the planted groups off it; brand drawn uniformly from 200; names of three words
drawn from 2,000 random letter strings, so text similarity carries no signal. The real
basket sets have ids (or names) only: one category, each product its own brand.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import basket_data
import duckdb
from basket_data import Basket

SUPERSTORE = Path(__file__).parent / "data" / "superstore" / "superstore.parquet"


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    brand: str
    #: The shop's category path, e.g. "Office Supplies/Binders".
    category: str


Catalog = dict[str, Product]


@dataclass(frozen=True, slots=True)
class DataSet:
    name: str
    products: Catalog
    baskets: list[Basket]
    #: Whether the catalog's categories say something (not one category for everything).
    categories: bool = True

    @property
    def catalog(self) -> int:
        return len(self.products)


def superstore(by: str) -> list[Basket]:
    """Distinct Product IDs per Order ID or per Customer ID, in key order."""
    rows = duckdb.sql(
        f'SELECT list(DISTINCT "Product ID" ORDER BY "Product ID") FROM \'{SUPERSTORE}\''
        f' GROUP BY "{by}" ORDER BY "{by}"'
    ).fetchall()
    return [basket for (basket,) in rows]


def superstore_catalog() -> Catalog:
    """Every Product ID: its first name, "Category/Sub-Category", the name's first word as
    the brand."""
    rows = duckdb.sql(
        f'SELECT "Product ID", min("Product Name"), min("Category"), min("Sub-Category")'
        f" FROM '{SUPERSTORE}' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {
        product: Product(name, name.split()[0], f"{category}/{sub_category}")
        for product, name, category, sub_category in rows
    }


def synthetic(seed: int, products: int, baskets: int) -> tuple[Catalog, list[Basket]]:
    """Products in groups of 5-10 bought together: each basket takes 2-5 items, each from
    one group with probability 0.8, otherwise a noise item by Zipf popularity (s = 1.1).
    The catalog: category = group index // 10, a random brand of 200, a name of three
    random words."""
    rng = random.Random(seed)
    ids = [f"P{i:05d}" for i in range(products)]
    groups: list[list[str]] = []
    start = 0
    while start < products:
        size = rng.randint(5, 10)
        groups.append(ids[start : start + size])
        start += size
    by_popularity = rng.sample(ids, len(ids))
    cumulative = list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(products)))
    made: list[Basket] = []
    for _ in range(baskets):
        group = rng.choice(groups)
        size = rng.randint(2, 5)
        in_group = min(sum(rng.random() < 0.8 for _ in range(size)), len(group))
        basket = set(rng.sample(group, in_group))
        while len(basket) < size:
            basket.add(rng.choices(by_popularity, cum_weights=cumulative)[0])
        made.append(sorted(basket))
    # Its own generator, so that the baskets do not depend on the catalog's attributes.
    attributes = random.Random(f"synthetic catalog {seed}")
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = [
        "".join(attributes.choices(letters, k=attributes.randint(4, 8))) for _ in range(2000)
    ]
    catalog = {
        product: Product(
            " ".join(attributes.choices(vocabulary, k=3)),
            f"brand{attributes.randrange(200):03d}",
            f"c{group_id // 10:03d}",
        )
        for group_id, group in enumerate(groups)
        for product in group
    }
    return catalog, made


def plain(name: str, baskets: list[Basket]) -> DataSet:
    """A real basket set without a catalog: one category, each product its own brand."""
    products = {p: Product(p, p, "all") for basket in baskets for p in basket}
    return DataSet(name, products, baskets, categories=False)


def data_sets(seed: int, baskets: int, wanted: Sequence[str]) -> Iterator[DataSet]:
    """The data sets named, loaded one at a time."""
    if "belgian" in wanted:
        yield plain("belgian retail", basket_data.belgian_retail())
    if "instacart" in wanted:
        yield plain("instacart sample", basket_data.instacart())
    if "market" in wanted:
        yield plain("market basket", basket_data.market_basket())
    if "superstore" in wanted:
        catalog = superstore_catalog()
        yield DataSet("superstore orders", catalog, superstore("Order ID"))
        yield DataSet("superstore customers", catalog, superstore("Customer ID"))
    if "synthetic" in wanted:
        yield DataSet("synthetic groups", *synthetic(seed, 5000, baskets))
