"""How text becomes searchable words (`search.analysis`): the same for products and queries."""

from __future__ import annotations

import pytest

from polyshop.search.analysis import fold, indexed, words
from polyshop.search.ports import SearchQuery


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Crème Brûlée", "creme brulee"),
        ("naïve Ärger", "naive arger"),
        ("Straße", "strasse"),
        ("\uff21\uff22\uff23 \ufb01ne", "abc fine"),  # full-width letters, a ligature: plain
        ("Ελληνικά", "ελληνικα"),  # Greek loses its accents too
        ("がぎぐ", "がぎぐ"),  # Japanese voicing marks are part of the letter, not accents
    ],
)
def test_folding_drops_case_and_accents_but_keeps_letters(text: str, folded: str):
    assert fold(text) == folded


def test_words_are_split_on_anything_that_is_not_a_letter_or_digit_in_any_script():
    assert words("naïve Ärger") == ["naive", "arger"]
    assert words("foo_bar 2-in-1, 3.5mm!") == ["foo", "bar", "2", "in", "1", "3", "5mm"]
    assert words("Москва́ 2024") == ["москва", "2024"]


def test_the_marks_of_a_word_stay_in_it_and_vowel_points_are_dropped_like_accents():
    assert words("हेडफ़ोन वायरलेस") == ["हेडफ़ोन", "वायरलेस"]  # Hindi: vowel signs are marks
    assert words("حَاسُوب") == words("حاسوب") == ["حاسوب"]  # Arabic with and without harakat
    assert words("שָׁלוֹם") == words("שלום") == ["שלום"]  # Hebrew with and without points
    assert words("Łódź Ørsted") == ["lodz", "orsted"]  # strokes that do not decompose


def test_a_word_too_long_for_the_index_is_cut_alike_for_products_and_queries():
    assert words("x" * 45) == ["x" * 39]
    long_word = words("высокопроизводительный")[0]
    assert len(long_word.encode()) < 40
    assert long_word == "высокопроизводитель"


def test_unspaced_scripts_are_read_in_overlapping_pairs_of_characters():
    assert words("日本製カメラ") == ["日本", "本製", "製カ", "カメ", "メラ"]
    assert words("iPhone日本") == ["iphone", "日本"]
    assert words("鸭") == ["鸭"]
    assert words("コーヒー") == ["コー", "ーヒ", "ヒー"]  # the lengthening mark is Japanese
    assert words("𠮷野家") == ["𠮷野", "野家"]  # a Han character beyond the basic block
    assert len(words("หูฟังไร้สาย")) > 1  # Thai, also written without spaces
    assert indexed("烤鸭") == "烤鸭 烤 鸭"  # the product's text keeps each character too


def test_a_query_reads_its_words_as_the_products_are_read():
    assert SearchQuery("Crème the BRÛLÉE").terms == ["creme", "brulee"]  # a stopword dropped
    assert SearchQuery("カメラ").terms == ["カメ", "メラ"]
    assert SearchQuery('laptop OR "x"').terms == ["laptop", "x"]
