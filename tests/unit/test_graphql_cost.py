"""The calculated cost and the syntactic limits, on a small schema of their own: a query over
a limit is refused with its code and figures, and no resolver runs."""

from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry
from graphql import parse

from polyshop.api.graphql import limits
from polyshop.api.graphql.limits import QueryLimits, operation_cost

CALLS: list[str] = []


@strawberry.type
class Part:
    id: int


@strawberry.type
class Item:
    id: int
    name: str

    @strawberry.field
    def tags(self) -> list[str]:
        return ["a"]

    @strawberry.field
    def children(self, first: int = 5) -> list[Item]:
        CALLS.append("children")
        return [Item(id=2, name="child")]

    @strawberry.field
    def parts(self) -> list[Part]:
        return [Part(id=1)]


@strawberry.type
class ItemEdge:
    node: Item
    cursor: str


@strawberry.type
class ItemConnection:
    edges: list[ItemEdge]
    total: int


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item:
        CALLS.append("item")
        return Item(id=1, name="one")

    @strawberry.field
    def items(self, first: int | None = None) -> ItemConnection:
        CALLS.append("items")
        return ItemConnection(edges=[ItemEdge(node=Item(id=1, name="one"), cursor="c")], total=1)


schema = strawberry.Schema(Query, extensions=[QueryLimits])


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(schema._schema, parse(query), None, variables)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ item { id } }", 1),
        ("{ item { id name tags } }", 1),  # scalars (and lists of them) cost nothing
        ("{ items(first: 10) { edges { node { id name } } } }", 10 * (1 + 1 + 1)),
        ("{ items(first: 10) { total edges { cursor } } }", 10 * (1 + 1)),
        ("{ items { edges { node { id } } } }", limits.DEFAULT_PAGE * 3),
        ("{ item { children { id } } }", 1 + 5 * 1),  # the argument's own default
        ("{ item { children(first: 50) { id } } }", 1 + 50 * 1),
        ("{ item { parts { id } } }", 1 + limits.DEFAULT_LIST * 1),  # embedded: once
        ("{ item { children(first: 0) { id } } }", 1),
        ("{ __typename item { __typename id } }", 1),  # introspection is free
        (
            "{ items(first: 2) { edges { node { ...F } } } } fragment F on Item { id tags }",
            2 * (1 + 1 + 1),
        ),
        ("{ item { ... on Item { id children(first: 3) { id } } } }", 1 + 3),
    ],
)
def test_objects_cost_one_scalars_nothing_and_sized_lists_multiply(query: str, expected: int):
    assert cost(query) == expected


def test_the_size_can_come_from_a_variable_or_its_default():
    query = "query($n: Int = 2) { items(first: $n) { edges { node { id } } } }"
    assert cost(query) == 2 * 3
    assert cost(query, {"n": 100}) == 100 * 3


def run(query: str, variables: dict[str, Any] | None = None) -> Any:
    CALLS.clear()
    return schema.execute_sync(query, variable_values=variables)


def refused(query: str, code: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    result = run(query, variables)
    assert result.data is None
    assert CALLS == [], "a refused query ran resolvers"
    assert result.errors is not None
    assert [e.extensions["code"] for e in result.errors] == [code], result.errors
    return result.errors[0].extensions  # type: ignore[no-any-return]


def test_a_query_within_the_limits_runs_and_reports_its_cost():
    result = run("{ item { id children(first: 2) { name } } }")
    assert result.errors is None
    assert result.data == {"item": {"id": 1, "children": [{"name": "child"}]}}
    assert result.extensions["cost"] == {"requestedQueryCost": 1 + 2, "budget": 1000}
    assert CALLS == ["item", "children"]


def test_a_costly_query_is_refused_with_its_cost_and_the_budget_before_anything_runs():
    query = "query($n: Int) { items(first: $n) { edges { node { id name } } } }"
    facts = refused(query, "query-too-costly", {"n": 1000})
    assert facts["cost"] == 1000 * 3
    assert facts["budget"] == limits.DEFAULT_COST_BUDGET
    assert run(query, {"n": 10}).errors is None  # the same text, cheaper variables


def test_a_deep_query_is_refused_before_anything_runs():
    deep = "{ item { " + "children { " * limits.MAX_DEPTH + "id" + " }" * limits.MAX_DEPTH + " } }"
    facts = refused(deep, "query-too-deep")
    assert facts["depth"] == limits.MAX_DEPTH + 2
    assert facts["maxDepth"] == limits.MAX_DEPTH


def test_too_many_aliases_are_refused_even_spread_through_fragments():
    aliased = " ".join(f"a{i}: id" for i in range(limits.MAX_ALIASES // 2 + 1))
    query = (
        f"{{ item {{ ...F ...G }} }} fragment F on Item {{ {aliased} }} "
        "fragment G on Item { ...F }"
    )
    facts = refused(query, "too-many-aliases")
    assert facts["aliases"] == 2 * (limits.MAX_ALIASES // 2 + 1)


def test_a_fragment_bomb_is_measured_in_linear_time():
    """Each fragment spreads the next twice: expanded, 2**40 aliases; measured, 40 steps."""
    fragments = " ".join(f"fragment F{i} on Item {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = f"{{ item {{ ...F0 }} }} {fragments} fragment F40 on Item {{ x: id }}"
    started = time.monotonic()
    facts = refused(query, "too-many-aliases")
    assert facts["aliases"] == 2**40
    assert time.monotonic() - started < 1


def test_the_same_field_asked_for_over_and_over_is_refused_quickly():
    query = "{ " + " ".join("item { id }" for _ in range(400)) + " }"
    started = time.monotonic()
    facts = refused(query, "query-too-repetitive")
    assert facts["times"] == 400
    assert time.monotonic() - started < 0.5


def test_a_huge_query_is_refused_while_it_is_read():
    query = "{ item { " + "id " * (limits.MAX_TOKENS + 10) + "} }"
    result = run(query)
    assert result.data is None
    assert CALLS == []
    assert result.errors is not None
    assert result.errors[0].extensions == {
        "code": "query-too-large",
        "maxTokens": limits.MAX_TOKENS,
    }
