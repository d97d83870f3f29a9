"""What the text guard finds in raw requests, field by field, and what it lets through."""

from __future__ import annotations

import json

from polyshop.api.rest.text_guard import (
    MAX_REPORTED,
    NOT_UTF8,
    NUL,
    SURROGATE,
    body_flaws,
    query_flaws,
)


def test_a_json_body_is_searched_through_objects_lists_and_keys():
    body = b'{"a": {"b": ["x", "\\ud83d\\ude00", "\\udc00"]}, "\\u0000k": 1, "c": "\\\\ud800"}'

    assert body_flaws(body) == [("a.b.2", SURROGATE), ("body", f"has a key that {NUL}")]


def test_ordinary_bodies_and_malformed_or_deep_ones_pass_to_the_framework():
    assert body_flaws(b'{"name": "Ann \\u00e9"}') == []
    assert body_flaws(b'{"name": "\\ud83d"') == []  # not JSON: the framework says where
    assert body_flaws(b"[" * 100_000 + b'"\\ud83d"' + b"]" * 100_000) == []  # nor this


def test_a_refusal_names_a_bounded_number_of_fields():
    assert len(body_flaws(json.dumps(["\ud83d"] * 1000).encode())) == MAX_REPORTED


def test_query_parameters_are_named_by_their_decoded_names():
    assert list(query_flaws(b"q=caf%E9&brand=%00&page=2&x%20y=%ED%A0%BD")) == [
        ("q", NOT_UTF8),
        ("brand", NUL),
        ("x y", NOT_UTF8),
    ]
    assert list(query_flaws(b"q=caf%C3%A9+au+lait&page=2")) == []
