"""The SearchIndex contract: Tantivy (embedded) and PostgreSQL full text (server) alike."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import Connection, text

from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from polyshop.inventory import stock
from polyshop.search import sql_postgres, tantivy_index
from polyshop.search.ports import SearchQuery, SearchSort

CATALOG = [
    # name, brand, category, price, stock, description
    ("Trail Runner 2", "Acme", "shoes/running", "120.00", 5, "Grippy shoe for mud."),
    ("City Sneaker", "Acme", "shoes/casual", "80.00", 0, "Good on a short trail too."),
    ("Road Racer", "Swift", "shoes/running", "150.00", 3, "Light and fast."),
    ("Ultra Laptop 14", "Lenovo", "electronics/laptops", "999.00", 2, "Thin and light."),
    ("Gaming Laptop 17", "Asus", "electronics/laptops", "1899.00", 1, "A big screen."),
    ("Wireless Headphones", "Sony", "electronics/audio", "249.00", 7, "Noise cancelling."),
    ("Wireless Earbuds", "Sony", "electronics/audio", "149.00", 0, "Small and clever."),
    ("Desk Lamp", "Philips", "home/lighting", "39.00", 9, "Warm light for a desk."),
]


def index_up_to_date(container: Container) -> None:
    for name in container.machinery.runner.names:
        container.machinery.runner.catch_up(name)


def import_catalog(container: Container) -> None:
    """One product at a time, so "newest" has an order; each tagged with its last category."""
    for i, (name, brand, category, price, units, description) in enumerate(CATALOG):
        draft = ProductDraft(
            name=name,
            description=description,
            brand=brand,
            category=category,
            price=Decimal(price),
            variants=(Variant(f"SKU-{i}"),),
            tags=(category.split("/")[-1],),
        )
        commands.import_products(container.machinery.store, [(draft, {f"SKU-{i}": units})])


@pytest.fixture
def shop(container: Container) -> Container:
    import_catalog(container)
    index_up_to_date(container)
    return container


def names(container: Container, text: str, **filters) -> list[str]:
    result = container.search.search(SearchQuery(text, **filters))
    return [d["name"] for d in result.documents]


def test_name_matches_rank_above_description_matches(shop: Container):
    assert names(shop, "trail") == ["Trail Runner 2", "City Sneaker"]


def test_filters_narrow_results_and_categories_include_subcategories(shop: Container):
    assert set(names(shop, "shoe", category="shoes")) == {
        "Trail Runner 2",
        "City Sneaker",
        "Road Racer",
    }  # the category itself says "shoes"
    assert set(names(shop, "laptop", category="electronics")) == {
        "Ultra Laptop 14",
        "Gaming Laptop 17",
    }
    assert names(shop, "laptop", category="electronics/audio") == []
    assert names(shop, "wireless", brand="Sony", in_stock=True) == ["Wireless Headphones"]
    assert names(shop, "laptop", max_price=Decimal("1000")) == ["Ultra Laptop 14"]
    assert names(shop, "laptop", min_price=Decimal("1000")) == ["Gaming Laptop 17"]


def test_the_brand_filter_ignores_letter_case_and_facets_keep_the_display_name(
    shop: Container,
):
    for spelling in ("Sony", "sony", "SONY", "sOnY"):
        result = shop.search.search(SearchQuery("wireless", brand=spelling))

        assert {d["name"] for d in result.documents} == {
            "Wireless Headphones",
            "Wireless Earbuds",
        }, spelling
        assert result.facets.brands == {"Sony": 2}
    assert names(shop, "wireless", brand="Son") == []  # the whole brand, not a prefix


def test_a_brand_with_punctuation_is_matched_as_written(shop: Container):
    draft = ProductDraft(
        name="Linen Shirt",
        description="Cool.",
        brand="H&M.Co (EU)",
        category="fashion/shirts",
        price=Decimal("30.00"),
        variants=(Variant("HM-1"),),
    )
    commands.import_products(shop.machinery.store, [(draft, {"HM-1": 3})])
    index_up_to_date(shop)

    assert names(shop, "linen", brand="h&m.co (eu)") == ["Linen Shirt"]
    assert names(shop, "linen", brand="H&MxCo (EU)") == []  # a dot is no wildcard
    found = shop.search.search(SearchQuery("linen", brand="H&M.CO (EU)"))
    assert found.facets.brands == {"H&M.Co (EU)": 1}


def test_sorting_by_price(shop: Container):
    cheap_first = names(shop, "wireless", sort=SearchSort.PRICE_ASC)
    dear_first = names(shop, "wireless", sort=SearchSort.PRICE_DESC)

    assert cheap_first == ["Wireless Earbuds", "Wireless Headphones"]
    assert dear_first == list(reversed(cheap_first))


def test_facets_count_every_match_not_just_the_page(shop: Container):
    result = shop.search.search(SearchQuery("light", limit=1))

    assert len(result.documents) == 1
    assert result.total == 3  # the lamp, the thin laptop and the light racer
    assert result.facets.brands == {"Lenovo": 1, "Philips": 1, "Swift": 1}
    assert result.facets.categories == {
        "electronics/laptops": 1,
        "home/lighting": 1,
        "shoes/running": 1,
    }
    assert [(b.low, b.high, b.count) for b in result.facets.price_ranges] == [
        (25, 50, 1),
        (100, 250, 1),
        (500, 1000, 1),
    ]


def test_typos_still_find_the_product(shop: Container):
    assert set(names(shop, "labtop")) == {"Ultra Laptop 14", "Gaming Laptop 17"}
    assert "Wireless Headphones" in names(shop, "hedphones")


def test_a_corrected_typo_is_reported_and_exact_words_are_searched_as_typed(shop: Container):
    fixed = shop.search.search(SearchQuery("labtop"))
    exact = shop.search.search(SearchQuery("labtop", exact=True))

    assert fixed.corrected == "laptop"
    assert {d["name"] for d in fixed.documents} == {"Ultra Laptop 14", "Gaming Laptop 17"}
    assert exact.documents == []
    assert exact.corrected is None
    assert shop.search.search(SearchQuery("wireless hedphones")).corrected == (
        "wireless headphones"
    )
    assert shop.search.search(SearchQuery("laptop")).corrected is None
    assert shop.search.search(SearchQuery("lapt")).corrected is None  # still being typed
    assert names(shop, "laptop", exact=True) == names(shop, "laptop")
    # The words not corrected are shown as typed.
    assert shop.search.search(SearchQuery("Wireless hedphones!")).corrected == (
        "Wireless headphones"
    )
    # A correction that finds nothing either is not offered: no product is both.
    assert shop.search.search(SearchQuery("labtop lamp")).corrected is None


def add_product(shop: Container, name: str, category: str, sku: str, description: str) -> None:
    draft = ProductDraft(
        name=name,
        description=description,
        brand="Acme",
        category=category,
        price=Decimal("20.00"),
        variants=(Variant(sku),),
    )
    commands.import_products(shop.machinery.store, [(draft, {sku: 5})])
    index_up_to_date(shop)


def test_a_word_the_catalog_has_finds_that_word_not_its_near_spellings(shop: Container):
    add_product(shop, "Sport Bottle", "home/kitchen", "NEAR-0", "Plain.")
    add_product(shop, "Short Sleeve Tee", "fashion/shirts", "NEAR-1", "Plain.")

    assert set(names(shop, "sport")) == {"Sport Bottle"}
    assert set(names(shop, "short")) == {"Short Sleeve Tee", "City Sneaker"}  # its description
    assert "Sport Bottle" in names(shop, "spord")  # not a word here: a typo, then


def test_a_hyphenated_name_finds_its_product(shop: Container):
    add_product(
        shop, "Flip 2-in-1 Laptop X-360", "electronics/laptops", "FLIP-1", "Folds into a tablet."
    )

    assert names(shop, "Flip 2-in-1 Laptop X-360") == ["Flip 2-in-1 Laptop X-360"]
    assert "Flip 2-in-1 Laptop X-360" in names(shop, "2 in 1 laptop")


def test_autocomplete_completes_names_by_prefix(shop: Container):
    assert set(shop.search.suggest("wire")) == {"Wireless Headphones", "Wireless Earbuds"}
    assert shop.search.suggest("wireless head") == ["Wireless Headphones"]
    assert shop.search.suggest("zzz") == []


@pytest.mark.parametrize(
    "text", ['laptop OR "', "laptop AND (", "-laptop", "lap*top", 'title:"x"', "+++", "\\"]
)
def test_query_syntax_is_never_an_error(shop: Container, text: str):
    result = shop.search.search(SearchQuery(text))

    words = SearchQuery(text).terms
    assert result.total == (2 if "laptop" in words else 0)


def test_discontinued_products_are_not_found(shop: Container):
    hit = shop.search.search(SearchQuery("lamp")).documents[0]

    commands.discontinue_product(shop.machinery.store, hit["id"])
    index_up_to_date(shop)

    assert names(shop, "lamp") == []


def test_a_stock_change_is_searchable_within_a_second(shop: Container):
    shop.machinery.runner.start()
    with shop.machinery.store.unit_of_work() as uow:
        stock.adjust(uow, "SKU-6", 4, "delivery")  # the earbuds come back in stock
    changed = time.monotonic()

    while "Wireless Earbuds" not in names(shop, "earbuds", in_stock=True):
        assert time.monotonic() - changed < 1.0, "not visible in search within 1 s"
        time.sleep(0.01)


def test_an_index_rebuilt_in_bulk_answers_as_the_one_kept_live(
    backend: str, container_for, monkeypatch: pytest.MonkeyPatch
):
    # Small batches and a commit every six documents: a product changed after its
    # document was written, committed or not, must come out of the build as it is now.
    monkeypatch.setattr(tantivy_index, "_BULK_COMMIT", 6)
    container = container_for(backend, projection_batch_size=3)
    import_catalog(container)
    index_up_to_date(container)
    laptop = container.search.search(SearchQuery("ultra laptop")).documents[0]
    lamp = container.search.search(SearchQuery("lamp")).documents[0]
    commands.update_product(container.machinery.store, laptop["id"], {"price": Decimal("899.00")})
    commands.discontinue_product(container.machinery.store, lamp["id"])
    with container.machinery.store.unit_of_work() as uow:
        stock.adjust(uow, "SKU-6", 4, "delivery")
    index_up_to_date(container)
    queries = [
        SearchQuery("laptop"),
        SearchQuery("wireless", in_stock=True),
        SearchQuery("lamp"),
        SearchQuery("shoe light", sort=SearchSort.PRICE_ASC),
        SearchQuery("", max_price=Decimal(500)),
    ]

    def answers() -> list[tuple]:
        answered = []
        for query in queries:
            result = container.search.search(query)
            hits = [(d["id"], d["price_min"], d["in_stock"]) for d in result.documents]
            if query.sort is SearchSort.RELEVANCE:  # scores weigh in the documents replaced
                hits.sort()
            answered.append((result.total, hits, result.facets))
        return answered

    live = answers()
    container.machinery.runner.rebuild("search_index")

    assert answers() == live
    assert ("899.00", True) in [hit[1:] for hit in live[0][1]]  # the changes are in them
    assert live[2][0] == 0


def forget_search_model(connection: Connection) -> None:
    """What a shop had before search kept its own read model: none of it."""
    generations = connection.execute(
        text("DELETE FROM projections WHERE name = 'search_index' RETURNING generation")
    ).scalars()
    connection.execute(text("DROP VIEW search_documents, search_skus, search_rows, search_terms"))
    for generation in list(generations):
        for table in ("search_documents", "search_skus", "search_rows", "search_terms"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}__g{generation}"))


def test_postgres_search_answers_from_an_older_copy_while_the_new_one_is_built(
    container_for,
):
    # Product documents version 6 kept the vector in the documents and had no search
    # rows. A shop left so by it, started with this code, must answer searches from that
    # copy until the rebuilt ones are swapped in.
    container = container_for("postgres")
    import_catalog(container)
    index_up_to_date(container)
    before = names(container, "wireless")
    with container.machinery.store.write_engine.begin() as connection:
        forget_search_model(connection)
        (generation,) = connection.execute(
            text(
                "UPDATE projections SET projection_version = 6"
                " WHERE name = 'product_documents' RETURNING generation"
            )
        ).scalars()
        connection.execute(text("DROP VIEW product_documents"))
        connection.execute(
            text(
                f"ALTER TABLE product_documents__g{generation} ADD COLUMN search tsvector"
                f" GENERATED ALWAYS AS ({sql_postgres.vector('document')}) STORED"
            )
        )
        connection.execute(
            text(f"CREATE VIEW product_documents AS SELECT * FROM product_documents__g{generation}")
        )
    container = container_for("postgres")  # started with this code

    container.machinery.runner.prepare()  # what every start does before it serves
    assert before
    assert names(container, "wireless") == before
    container.machinery.runner.rebuild("product_documents")
    assert names(container, "wireless") == before
    container.machinery.runner.rebuild("search_index")
    assert names(container, "wireless") == before


def leave_as_version_8(container: Container) -> None:
    """The catalog's projection kept search's rows and vocabulary (`product_search__gN`,
    `product_terms__gN`, under views of those names) beside its documents."""
    with container.machinery.store.write_engine.begin() as connection:
        (catalog,) = connection.execute(
            text(
                "UPDATE projections SET projection_version = 8"
                " WHERE name = 'product_documents' RETURNING generation"
            )
        ).scalars()
        (search,) = connection.execute(
            text("SELECT generation FROM projections WHERE name = 'search_index'")
        ).scalars()
        for older, ours in (("product_search", "search_rows"), ("product_terms", "search_terms")):
            connection.execute(
                text(f"CREATE TABLE {older}__g{catalog} AS SELECT * FROM {ours}__g{search}")
            )
        forget_search_model(connection)
        for older in ("product_search", "product_terms"):
            connection.execute(text(f"CREATE VIEW {older} AS SELECT * FROM {older}__g{catalog}"))


def older_copy_left(container: Container) -> list[str]:
    with container.machinery.store.write_engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relname ~ '^product_(search|terms)'"
                    " ORDER BY relname"
                )
            ).scalars()
        )


def test_postgres_search_answers_from_the_catalogs_rows_until_its_own_are_swapped_in(
    container_for,
):
    container = container_for("postgres")
    import_catalog(container)
    index_up_to_date(container)
    before = names(container, "wireless")
    typo = names(container, "labtop")
    leave_as_version_8(container)
    container = container_for("postgres")  # started with this code

    assert before
    assert typo
    assert names(container, "wireless") == before
    assert names(container, "labtop") == typo  # the older vocabulary corrects
    container.machinery.runner.rebuild("product_documents")
    assert names(container, "wireless") == before
    container.machinery.runner.rebuild("search_index")
    assert names(container, "wireless") == before
    assert names(container, "labtop") == typo
    assert older_copy_left(container) == []


def test_a_first_search_model_followed_event_by_event_replaces_the_older_copy_at_the_head(
    container_for,
):
    container = container_for("postgres")
    import_catalog(container)
    index_up_to_date(container)
    before = names(container, "wireless")
    leave_as_version_8(container)
    container = container_for("postgres")

    container.machinery.runner.catch_up(
        "search_index"
    )  # a small log: followed, not rebuilt in bulk

    assert older_copy_left(container) == []
    assert names(container, "wireless") == before
