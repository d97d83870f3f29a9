"""Problem documents quote back at most a short prefix of the input, however they were
worded, and are always typed."""

from __future__ import annotations

from polyshop.api.rest.problems import ECHO_CHARS, MAX_DETAIL_CHARS, problem_body


def test_a_long_quoted_value_is_cut_to_a_prefix_and_the_sentence_kept():
    body = problem_body(404, f"No order {'a' * 5000!r}.", slug="order-not-found")

    assert body["detail"] == f"No order '{'a' * ECHO_CHARS}…'."


def test_values_quoted_with_double_quotes_are_cut_too():
    value = "it's " + "b" * 100  # repr picks double quotes for a value holding an apostrophe

    detail = problem_body(422, f"{value!r} is not a SKU")["detail"]

    assert detail == f'"it\'s {"b" * (ECHO_CHARS - 5)}…" is not a SKU'


def test_short_quotes_and_apostrophes_are_left_alone():
    detail = "The shop's cart can't hold 'x' twice; see 'electronics/laptops' for the form."

    assert problem_body(409, detail)["detail"] == detail


def test_any_detail_is_bounded_and_error_messages_are_clipped_alike():
    body = problem_body(
        422,
        "word " * 1000,
        errors=[{"field": "f" * 500, "message": f"{'m' * 500!r} is not an amount"}],
    )

    assert len(body["detail"]) == MAX_DETAIL_CHARS + 1
    assert len(body["errors"][0]["field"]) <= 101
    assert body["errors"][0]["message"] == f"'{'m' * ECHO_CHARS}…' is not an amount"


def test_a_problem_without_a_slug_is_typed_by_its_status():
    assert problem_body(405, "No.")["type"] == "/problems/method-not-allowed"
    assert problem_body(404, "No.")["type"] == "/problems/not-found"
