"""How good search's answers are, not how fast: nDCG@10 and the zero-result rate of a judged
query set over the demo catalog, on Tantivy (embedded) and PostgreSQL full text (server).

    .venv/bin/python benchmarks/search_relevance.py [--products 10000] [--modes sqlite,postgres]

The judgments come from what each demo product is (`demo.seeding.product_at`): for each
query, grade 2 for what the shopper asked for (the noun, brand or feature named), grade 1
for what they would still accept (the same category), 0 for the rest. Queries cover
single words, two and three words, brands, features, punctuation and typos. nDCG@10 uses
gains 2^grade - 1; the ideal ranking is every product sorted by grade. A query with no
result scores 0 and counts toward the zero-result rate.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import fresh_settings

from polyshop.bootstrap import build
from polyshop.catalog.domain import ProductDraft
from polyshop.demo import seeding
from polyshop.search.ports import SearchQuery

Grade = Callable[["Product"], int]


@dataclass(frozen=True)
class Product:
    category: str
    noun: str
    brand: str
    description: str


def product(index: int) -> Product:
    draft: ProductDraft = seeding.product_at(index)[0]
    noun = draft.name.removeprefix(draft.brand + " ").split(" ", 1)[1].rsplit(" ", 1)[0]
    return Product(draft.category, noun, draft.brand, draft.description.lower())


def graded(best: Callable[[Product], bool], good: Callable[[Product], bool] | None = None) -> Grade:
    return lambda p: 2 if best(p) else (1 if good is not None and good(p) else 0)


def noun(*nouns: str) -> Callable[[Product], bool]:
    return lambda p: p.noun in nouns


def category(prefix: str) -> Callable[[Product], bool]:
    return lambda p: p.category.startswith(prefix)


def brand(name: str) -> Callable[[Product], bool]:
    return lambda p: p.brand == name


def says(words: str) -> Callable[[Product], bool]:
    return lambda p: words in p.description


def both(*tests: Callable[[Product], bool]) -> Callable[[Product], bool]:
    return lambda p: all(t(p) for t in tests)


LAPTOPS, AUDIO, SHIRTS = "electronics/laptops", "electronics/audio", "fashion/men/shirts"
QUERIES: dict[str, Grade] = {
    "laptop": graded(noun("Laptop", "2-in-1 Laptop"), category(LAPTOPS)),
    "labtop": graded(noun("Laptop", "2-in-1 Laptop"), category(LAPTOPS)),
    "notebook": graded(noun("Notebook"), category(LAPTOPS)),
    "hp laptop": graded(
        both(brand("HP"), noun("Laptop", "2-in-1 Laptop")), both(brand("HP"), category(LAPTOPS))
    ),
    "2-in-1 laptop": graded(noun("2-in-1 Laptop"), category(LAPTOPS)),
    "wireless headphones": graded(noun("Wireless Headphones"), noun("Earbuds")),
    "hedphones": graded(noun("Wireless Headphones"), noun("Earbuds")),
    "sony headphones": graded(
        both(brand("Sony"), noun("Wireless Headphones")), noun("Wireless Headphones")
    ),
    "noise cancelling headphones": graded(
        both(noun("Wireless Headphones"), says("noise cancelling")), noun("Wireless Headphones")
    ),
    "bluetooth speaker": graded(noun("Bluetooth Speaker"), noun("Soundbar")),
    "smartphone": graded(noun("Smartphone"), category("electronics/phones")),
    "mirrorless camera": graded(noun("Mirrorless Camera"), category("electronics/cameras")),
    "4k camera": graded(
        both(category("electronics/cameras"), says("4k video")), category("electronics/cameras")
    ),
    "running shoes": graded(noun("Running Shoe"), category("fashion/shoes/running")),
    "trail runner": graded(noun("Trail Runner"), category("fashion/shoes/running")),
    "hiking boots": graded(noun("Hiking Boot"), category("fashion/shoes/boots")),
    "waterproof boots": graded(
        both(category("fashion/shoes/boots"), says("waterproof")), category("fashion/shoes/boots")
    ),
    "dr. martens": graded(brand("Dr. Martens")),
    "espresso machine": graded(noun("Espresso Machine")),
    "espreso machine": graded(noun("Espresso Machine")),
    "chef's knife": graded(noun("Chef's Knife")),
    "kettle": graded(noun("Kettle")),
    "le creuset dutch oven": graded(
        both(brand("Le Creuset"), noun("Dutch Oven")), noun("Dutch Oven")
    ),
    "de'longhi": graded(brand("De'Longhi")),
    "desk lamp": graded(noun("Desk Lamp"), category("home/lighting")),
    "standing desk": graded(noun("Standing Desk"), category("home/furniture")),
    "rain jacket": graded(noun("Rain Jacket"), category("fashion/outerwear")),
    "down jacket": graded(noun("Down Jacket"), category("fashion/outerwear")),
    "patagonia": graded(brand("Patagonia")),
    "linen shirt": graded(noun("Linen Shirt"), category(SHIRTS)),
    "organic cotton shirt": graded(
        both(category(SHIRTS), says("organic cotton")), category(SHIRTS)
    ),
    "midi dress": graded(noun("Midi Dress"), category("fashion/women/dresses")),
    "yoga mat": graded(noun("Yoga Mat"), category("sports/fitness")),
    "kettlebell": graded(noun("Kettlebell")),
    "road helmet": graded(noun("Road Helmet"), category("sports/cycling")),
    "graphic novel": graded(noun("Graphic Novel"), category("books")),
    "lego": graded(brand("LEGO")),
    "sunscreen": graded(noun("Sunscreen SPF 50"), category("beauty")),
    "cordless mower": graded(noun("Cordless Mower"), category("garden")),
    "earbuds": graded(noun("Earbuds"), category(AUDIO)),
    "phone": graded(noun("Smartphone", "Phone"), category("electronics/phones")),
    "shoes": graded(category("fashion/shoes")),
    "boots leather": graded(
        both(category("fashion/shoes/boots"), says("leather")), category("fashion/shoes/boots")
    ),
    "coffee machine": graded(noun("Espresso Machine"), category("home/kitchen")),
    "headphones sony wireless": graded(
        both(brand("Sony"), noun("Wireless Headphones")), noun("Wireless Headphones")
    ),
    "jacket with hood": graded(
        both(category("fashion/outerwear"), says("hood")), category("fashion/outerwear")
    ),
    "lamp": graded(noun("Desk Lamp", "Floor Lamp"), category("home/lighting")),
    "bike light": graded(noun("Bike Light Set"), category("sports/cycling")),
    "usb-c bike light": graded(both(noun("Bike Light Set"), says("usb-c")), noun("Bike Light Set")),
    "serum hyaluronic acid": graded(both(noun("Serum"), says("hyaluronic")), noun("Serum")),
}


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:10]))


def evaluate(mode: str, products: int, verbose: bool) -> tuple[float, float, float]:
    """(mean nDCG@10, zero-result rate, mean ms per query) on a new shop of this mode;
    `verbose`: each query's nDCG below 1 printed too."""
    catalog = [product(i) for i in range(products)]
    with tempfile.TemporaryDirectory() as data_dir:
        container = build(fresh_settings(mode, "relevance", Path(data_dir)))
        try:
            seeding.seed(container.machinery.store, products, batch=2000)
            for name in container.machinery.runner.names:
                container.machinery.runner.catch_up(name)
            ideals = {
                text: dcg(sorted((grade(p) for p in catalog), reverse=True))
                for text, grade in QUERIES.items()
            }
            scores, empty, began = [], 0, time.perf_counter()
            for text, grade in QUERIES.items():
                found = container.search.search(SearchQuery(text, limit=10)).documents
                empty += not found
                got = [grade(catalog[int(d["variants"][0]["sku"][1:8])]) for d in found]
                ideal = ideals[text]
                scores.append(dcg(got) / ideal if ideal else 0.0)
                if verbose and scores[-1] < 1:
                    print(f"  {mode}: {text!r} {scores[-1]:.3f} {got}")
            elapsed = (time.perf_counter() - began) * 1000 / len(QUERIES)
        finally:
            container.close()
    return sum(scores) / len(scores), empty / len(QUERIES), elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print(f"{len(QUERIES)} judged queries over {args.products:,} demo products")
    print("engine                 nDCG@10   zero-result rate   ms/query")
    for mode in args.modes.split(","):
        ndcg, zero, ms = evaluate(mode, args.products, args.verbose)
        engine = "Tantivy (embedded)" if mode == "sqlite" else "PostgreSQL (server)"
        print(f"{engine:<22} {ndcg:7.3f}   {zero:16.1%}   {ms:8.1f}")


if __name__ == "__main__":
    main()
