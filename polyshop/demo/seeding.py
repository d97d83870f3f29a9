"""A believable demo catalog: coherent names, brands, categories, prices, variants and stock.

Deterministic (product N is always the same product) and resumable: SKUs carry the product's
index, so a second run continues after the highest index already in the catalog. Products
go in through the same import command an integrator would use, in large transactions.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, func, select

from polyshop.catalog.commands import import_products
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.catalog.images import ImageFile, ProductImage
from polyshop.catalog.schema import products, variants
from polyshop.demo.images import DemoFile, DemoPictures
from polyshop.eventstore.ports import EventStore
from polyshop.inventory.schema import stock as stock_levels
from polyshop.media.ports import BlobStore


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of product: where it lives, who makes it, what it costs, how it varies."""

    category: str
    nouns: tuple[str, ...]
    brands: tuple[str, ...]
    price: tuple[int, int]
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


_APPAREL_SIZES = ("XS", "S", "M", "L", "XL")
_SHOE_SIZES = ("38", "39", "40", "41", "42", "43", "44", "45")
_COLORS = ("Black", "White", "Navy", "Grey", "Red", "Olive", "Sand", "Blue")

KINDS: tuple[Kind, ...] = (
    Kind(
        "electronics/laptops",
        ("Laptop", "Ultrabook", "Notebook", "2-in-1 Laptop"),
        ("Lenovo", "Dell", "HP", "Asus", "Acer", "Apple"),
        (399, 2899),
        colors=("Silver", "Space Grey", "Black"),
        features=(
            "a 14-inch display",
            "all-day battery life",
            "a backlit keyboard",
            "16 GB of memory",
            "a fast SSD",
        ),
    ),
    Kind(
        "electronics/phones",
        ("Smartphone", "Phone"),
        ("Samsung", "Google", "Apple", "Motorola", "Nokia"),
        (149, 1299),
        colors=("Black", "Blue", "Green", "White"),
        features=("a 120 Hz OLED screen", "a triple camera", "5G", "fast charging"),
    ),
    Kind(
        "electronics/audio",
        ("Wireless Headphones", "Earbuds", "Bluetooth Speaker", "Soundbar"),
        ("Sony", "Bose", "JBL", "Sennheiser", "Anker"),
        (29, 449),
        colors=("Black", "White", "Blue"),
        features=("active noise cancelling", "30-hour battery", "deep bass", "a carry case"),
    ),
    Kind(
        "electronics/cameras",
        ("Mirrorless Camera", "Action Camera", "Instant Camera"),
        ("Canon", "Nikon", "Fujifilm", "GoPro", "Sony"),
        (79, 2199),
        features=("4K video", "image stabilisation", "a weather-sealed body"),
    ),
    Kind(
        "home/kitchen",
        ("Chef's Knife", "Frying Pan", "Espresso Machine", "Blender", "Kettle", "Dutch Oven"),
        ("Zwilling", "Tefal", "De'Longhi", "KitchenAid", "Le Creuset", "Bosch"),
        (19, 699),
        colors=("Red", "Black", "Cream", "Steel"),
        features=("dishwasher-safe parts", "a lifetime warranty", "even heating"),
    ),
    Kind(
        "home/furniture",
        ("Desk Chair", "Bookshelf", "Coffee Table", "Standing Desk", "Armchair"),
        ("IKEA", "Herman Miller", "Muji", "Hay", "Vitra"),
        (49, 1499),
        colors=("Oak", "Walnut", "White", "Black"),
        features=("solid wood", "easy assembly", "adjustable height"),
    ),
    Kind(
        "home/lighting",
        ("Desk Lamp", "Floor Lamp", "Pendant Light", "LED Strip"),
        ("Philips", "Artemide", "Flos", "IKEA"),
        (15, 399),
        colors=("Black", "White", "Brass"),
        features=("dimmable light", "warm-white LEDs", "a smart-home hub"),
    ),
    Kind(
        "fashion/shoes/running",
        ("Running Shoe", "Trail Runner", "Racing Flat"),
        ("Nike", "Adidas", "Asics", "Brooks", "Hoka", "Salomon"),
        (59, 229),
        sizes=_SHOE_SIZES,
        colors=_COLORS,
        features=("a cushioned midsole", "a breathable mesh upper", "a grippy outsole"),
    ),
    Kind(
        "fashion/shoes/boots",
        ("Hiking Boot", "Chelsea Boot", "Winter Boot"),
        ("Timberland", "Dr. Martens", "Merrell", "Blundstone"),
        (79, 289),
        sizes=_SHOE_SIZES,
        colors=("Brown", "Black", "Tan"),
        features=("a waterproof membrane", "full-grain leather", "a padded collar"),
    ),
    Kind(
        "fashion/men/shirts",
        ("Oxford Shirt", "Linen Shirt", "Flannel Shirt", "Polo"),
        ("Uniqlo", "Levi's", "Ralph Lauren", "Patagonia", "COS"),
        (19, 149),
        sizes=_APPAREL_SIZES,
        colors=_COLORS,
        features=("organic cotton", "a relaxed fit", "mother-of-pearl buttons"),
    ),
    Kind(
        "fashion/women/dresses",
        ("Wrap Dress", "Midi Dress", "Shirt Dress", "Maxi Dress"),
        ("Zara", "Mango", "& Other Stories", "Reformation"),
        (29, 249),
        sizes=_APPAREL_SIZES,
        colors=_COLORS,
        features=("a flowing silhouette", "recycled fabric", "side pockets"),
    ),
    Kind(
        "fashion/outerwear",
        ("Rain Jacket", "Down Jacket", "Fleece", "Parka"),
        ("The North Face", "Patagonia", "Arc'teryx", "Columbia"),
        (49, 599),
        sizes=_APPAREL_SIZES,
        colors=_COLORS,
        features=("a packable hood", "taped seams", "responsibly sourced down"),
    ),
    Kind(
        "sports/cycling",
        ("Road Helmet", "Bike Light Set", "Cycling Jersey", "Mini Pump"),
        ("Giro", "Specialized", "Rapha", "Lezyne"),
        (15, 299),
        sizes=("S", "M", "L"),
        colors=("Black", "White", "Red"),
        features=("MIPS protection", "USB-C charging", "reflective details"),
    ),
    Kind(
        "sports/fitness",
        ("Yoga Mat", "Kettlebell", "Resistance Band Set", "Foam Roller"),
        ("Manduka", "Rogue", "Gaiam", "TheraBand"),
        (9, 199),
        colors=("Purple", "Black", "Teal"),
        features=("a non-slip surface", "a carrying strap", "five resistance levels"),
    ),
    Kind(
        "books/fiction",
        ("Novel", "Short Story Collection", "Graphic Novel"),
        ("Penguin", "Vintage", "Faber", "Picador"),
        (8, 35),
        features=("a new translation", "an afterword by the author"),
    ),
    Kind(
        "toys/building",
        ("Building Set", "Marble Run", "Construction Kit"),
        ("LEGO", "Playmobil", "Meccano", "Brio"),
        (12, 399),
        features=("over 500 pieces", "step-by-step instructions", "ages 8 and up"),
    ),
    Kind(
        "beauty/skincare",
        ("Moisturiser", "Serum", "Sunscreen SPF 50", "Cleanser"),
        ("La Roche-Posay", "CeraVe", "The Ordinary", "Clinique"),
        (7, 89),
        features=("fragrance-free formula", "hyaluronic acid", "dermatologist tested"),
    ),
    Kind(
        "garden/tools",
        ("Pruning Shears", "Garden Hose", "Cordless Mower", "Leaf Blower"),
        ("Fiskars", "Gardena", "Bosch", "Makita"),
        (14, 649),
        features=("a rust-proof blade", "a 36 V battery", "an ergonomic grip"),
    ),
)

_ADJECTIVES = (
    "Classic",
    "Pro",
    "Essential",
    "Ultra",
    "Compact",
    "Premium",
    "Everyday",
    "Urban",
    "Explorer",
    "Lite",
    "Signature",
    "Studio",
    "Voyager",
    "Nova",
    "Summit",
)


def product_at(index: int) -> tuple[ProductDraft, dict[str, int]]:
    """The demo product with this index, always the same one."""
    rng = random.Random(index * 7919 + 17)  # noqa: S311 (demo data, not secrets)
    kind = KINDS[index % len(KINDS)]
    brand = rng.choice(kind.brands)
    noun = rng.choice(kind.nouns)
    adjective = rng.choice(_ADJECTIVES)
    model = f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXZ')}{rng.randint(1, 99) * 10}"
    name = f"{brand} {adjective} {noun} {model}"
    low, high = kind.price
    price = Decimal(rng.randint(low, high)) - Decimal("0.01")
    chosen = rng.sample(kind.features, k=min(2, len(kind.features))) if kind.features else []
    description = (
        f"The {adjective.lower()} {noun.lower()} from {brand}"
        + (f", with {' and '.join(chosen)}" if chosen else "")
        + f". Model {model}."
    )
    sizes = (
        rng.sample(kind.sizes, k=min(len(kind.sizes), rng.randint(2, 4))) if kind.sizes else [None]
    )
    colors = (
        rng.sample(kind.colors, k=min(len(kind.colors), rng.randint(1, 2)))
        if kind.colors
        else [None]
    )
    combos = [(s, c) for s in sizes for c in colors][:6]
    variant_list = []
    stock: dict[str, int] = {}
    for j, (size, color) in enumerate(combos):
        sku = f"P{index:07d}-{j}"
        bump = Decimal(10 * j) if kind.sizes == () and len(combos) > 1 and j else Decimal(0)
        variant_list.append(Variant(sku, size, color, bump))
        stock[sku] = rng.choice((0, 3, 8, 15, 25, 40, 60, 120))
    draft = ProductDraft(
        name=name,
        description=description,
        brand=brand,
        category=kind.category,
        price=price,
        variants=tuple(variant_list),
        tags=(kind.category.split("/")[0], noun.lower()),
        attributes={"model": model},
    )
    return draft, stock


def catalog_is_empty(database: Engine) -> bool:
    """Whether `database` (the write database: what was just seeded counts) has no SKU."""
    with database.connect() as connection:
        return connection.execute(select(variants.c.sku).limit(1)).first() is None


def seeded_count(database: Engine) -> int:
    """How many demo products exist in `database` (the write database): the next index to seed."""
    with database.connect() as connection:
        highest = connection.execute(
            select(func.max(variants.c.sku)).where(variants.c.sku.like("P_______-%"))
        ).scalar_one_or_none()
    return int(highest[1:8]) + 1 if highest else 0


def seed(
    store: EventStore,
    total: int,
    *,
    start: int = 0,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
    pictures: DemoPictures | None = None,
) -> int:
    """Create demo products `start` .. `total - 1`; return how many were created. With
    `pictures` (whose files are in the blob store: `store_pictures`), each has one.

    Ends by refreshing the planner's statistics of the tables it filled: the read models
    are built next, from a log the planner would otherwise believe still empty."""
    created = 0
    for chunk in _chunks(range(start, total), batch):
        items = [product_at(i) for i in chunk]
        shown = (
            [[picture_of(i, draft, pictures)] for i, (draft, _) in zip(chunk, items, strict=True)]
            if pictures is not None
            else None
        )
        import_products(store, items, shown)
        created += len(chunk)
        if on_progress is not None:
            on_progress(chunk[-1] + 1)
    if created:
        store.refresh_statistics(products.name, variants.name, stock_levels.name)
    return created


def picture_of(index: int, draft: ProductDraft, pictures: DemoPictures) -> ProductImage:
    """Demo product `index`'s image: a picture of its category in its first colour."""
    color = next((v.color for v in draft.variants if v.color), None)
    picture = pictures.pick(draft.category, color, index)
    return ProductImage(
        f"demo-{index:07d}",
        draft.name,
        _file(picture.original),
        tuple(_file(f) for f in picture.renditions),
    )


def store_pictures(blobs: BlobStore, pictures: DemoPictures) -> int:
    """Put every demo picture's files in the blob store (those not there yet); how many."""
    stored = 0
    for file in pictures.files():
        if blobs.stat(file.key) is None:
            blobs.put(file.key, file.read(), file.content_type)
            stored += 1
    return stored


def _file(file: DemoFile) -> ImageFile:
    return ImageFile(file.key, file.width, file.height, file.format)


def _chunks(indexes: range, size: int) -> Iterator[range]:
    for first in range(indexes.start, indexes.stop, size):
        yield range(first, min(first + size, indexes.stop))
