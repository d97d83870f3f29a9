"""The SearchIndex contract for words beyond ASCII: accents, case forms and scripts written
without spaces, found as written and as typed without accents, on Tantivy and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from polyshop.search.ports import SearchQuery
from tests.contract.test_search import index_up_to_date, names

CATALOG = [
    # name, brand, category, description
    ("Crème brûlée au chocolat", "Maison Dupré", "food/desserts", "Une crème délicieuse."),
    ("Naïve Ärger Brettspiel", "Müller", "toys/games", "Für die ganze Familie."),
    ("Wanderschuhe für die Straße", "Müller", "shoes/hiking", "Leicht und bequem."),
    ("Piñata de cumpleaños", "Fiesta Niño", "toys/party", "Llena de dulces."),
    ("日本製カメラ", "光学堂", "electronics/cameras", "高画質のデジタルカメラ。"),
    ("抹茶ラテ", "京都茶舗", "food/drinks", "宇治の抹茶を使用。"),
    ("北京烤鸭", "全聚德", "food/dishes", "传统的烤鸭。"),
    ("绿茶", "西湖", "food/drinks", "杭州的龙井绿茶。"),
    ("Высокопроизводительный ноутбук", "Электрон", "electronics/laptops", "Для работы."),
    ("वायरलेस हेडफ़ोन", "ध्वनि", "electronics/audio", "शोर रद्द करने वाले।"),
]


@pytest.fixture
def shop(container: Container) -> Container:
    for i, (name, brand, category, description) in enumerate(CATALOG):
        draft = ProductDraft(
            name=name,
            description=description,
            brand=brand,
            category=category,
            price=Decimal("12.00"),
            variants=(Variant(f"LANG-{i}"),),
        )
        commands.import_products(container.machinery.store, [(draft, {f"LANG-{i}": 3})])
    index_up_to_date(container)
    return container


@pytest.mark.parametrize(
    "typed", ["crème", "creme", "CRÈME", "brûlée", "brulee", "Crème Brûlée", "dupre", "Dupré"]
)
def test_french_words_are_found_with_and_without_their_accents(shop: Container, typed: str):
    assert names(shop, typed) == ["Crème brûlée au chocolat"]


def test_german_umlauts_and_sharp_s_are_found_as_written_and_as_typed_on_a_plain_keyboard(
    shop: Container,
):
    assert names(shop, "naïve Ärger") == ["Naïve Ärger Brettspiel"]
    assert names(shop, "naive arger") == ["Naïve Ärger Brettspiel"]
    assert names(shop, "Straße") == ["Wanderschuhe für die Straße"]
    assert names(shop, "strasse") == ["Wanderschuhe für die Straße"]
    assert (
        set(names(shop, "müller"))
        == set(names(shop, "muller"))
        == {
            "Naïve Ärger Brettspiel",
            "Wanderschuhe für die Straße",
        }
    )


def test_spanish_tildes_are_found_both_ways(shop: Container):
    assert names(shop, "piñata") == names(shop, "pinata") == ["Piñata de cumpleaños"]
    assert names(shop, "cumpleanos") == ["Piñata de cumpleaños"]
    assert names(shop, "NIÑO") == ["Piñata de cumpleaños"]


def test_japanese_words_inside_unspaced_text_are_found(shop: Container):
    assert names(shop, "カメラ") == ["日本製カメラ"]
    assert names(shop, "日本製") == ["日本製カメラ"]
    assert names(shop, "抹茶") == ["抹茶ラテ"]
    assert names(shop, "ラテ") == ["抹茶ラテ"]
    assert names(shop, "宇治") == ["抹茶ラテ"]  # from its description
    assert names(shop, "カメラ 抹茶") == []  # every word must be found, as in English


def test_chinese_words_and_single_characters_are_found(shop: Container):
    assert names(shop, "烤鸭") == ["北京烤鸭"]
    assert names(shop, "北京") == ["北京烤鸭"]
    assert names(shop, "龙井") == ["绿茶"]
    assert names(shop, "鸭") == ["北京烤鸭"]
    assert names(shop, "京烤鸭北") == []  # its pairs are not the product's


def test_words_in_other_scripts_complete_as_they_are_typed(shop: Container):
    assert shop.search.suggest("crè") == ["Crème brûlée au chocolat"]
    assert shop.search.suggest("cre") == ["Crème brûlée au chocolat"]
    assert shop.search.suggest("日本") == ["日本製カメラ"]


def test_a_word_in_another_script_is_never_corrected_into_an_english_one(shop: Container):
    result = shop.search.search(SearchQuery("brûlée"))

    assert result.corrected is None
    assert shop.search.search(SearchQuery("烤鸭")).corrected is None


def test_a_word_longer_than_the_index_keeps_finds_its_product(shop: Container):
    # 44 bytes in UTF-8: more than Tantivy keeps of a word, cut alike on both sides.
    assert names(shop, "высокопроизводительный ноутбук") == ["Высокопроизводительный ноутбук"]
    assert names(shop, "Высокопроизводительный") == ["Высокопроизводительный ноутбук"]


def test_words_with_vowel_signs_are_found_whole_not_by_their_letters(shop: Container):
    assert names(shop, "हेडफ़ोन") == ["वायरलेस हेडफ़ोन"]
    assert names(shop, "वायरलेस") == ["वायरलेस हेडफ़ोन"]
    assert names(shop, "डफ") == []  # a piece from inside the word is not the word
