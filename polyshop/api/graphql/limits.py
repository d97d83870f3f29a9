"""Limits every GraphQL operation meets before anything runs: size, depth, aliases, cost.

One document can ask for the whole shop (`products(first: 1000) { variants { ... } }`
nested ten deep) or for the same field under a thousand aliases, and GraphQL would try to
answer it. So each operation is checked, in this order, and refused with an error whose
`extensions.code` says which limit it met, before a single resolver runs:

1. size: at most `MAX_QUERY_CHARS` characters, before the text is parsed or cached (see
   `query_text`), and `MAX_TOKENS` tokens, counted as the parser reads (`query-too-large`);
2. shape: at most `MAX_DEPTH` fields deep, `MAX_ALIASES` aliases and `MAX_REPEATS` copies
   of a field in one selection (`query-too-deep`, `too-many-aliases`,
   `query-too-repetitive`): counted on the syntax alone, before the validation rules (some of
   which grow with the square of a selection's size) see the document;
3. the calculated cost, like Shopify's: a field returning an object costs 1 and a scalar
   nothing; a field with a size argument (`first`, `last`, `limit`: its value, else its
   default, else `DEFAULT_PAGE`) multiplies its selection's cost by how many items it may
   return. A list without a size argument (a product's variants and images, an order's
   lines) is part of what its parent already fetched and is bounded by the domain's own
   limits, so it counts once (a connection's `edges` and `nodes` are counted by its
   `first`). Cost follows what the server fetches, not the bytes it writes. Over the
   budget: `query-too-costly`, with the cost and the budget, so a client can see how far
   off it is;
4. the GraphQL validation rules (some take time growing with the square of a selection's
   size, hence last), and no introspection when it is turned off.

Introspection fields cost nothing and add no depth (graphql-core's MaxIntrospectionDepthRule
and the token limit bound them). Parsing and the checks that do not depend on variables are
cached by query text, so a client repeating its queries pays for them once.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
    specified_rules,
)
from graphql.utilities import get_operation_ast, value_from_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.query_text import (
    CACHE_SIZE,
    MAX_TOKENS,
    limit_error,
    parsed,
    too_large,
)

MAX_DEPTH = 12
MAX_ALIASES = 30
#: The same field asked for over and over in one selection set is never useful, and
#: validation compares each copy with every other one.
MAX_REPEATS = 20
DEFAULT_COST_BUDGET = 1000
#: Items a field with a size argument is counted for when the client gives none.
DEFAULT_PAGE = 20
#: Items a list field without a size argument is counted for (variants, images, lines:
#: embedded in what the parent fetched, bounded by the domain).
DEFAULT_LIST = 1
SIZE_ARGUMENTS = ("first", "last", "limit")
#: What stands for a text too large to read (`QueryLimits.on_parse`).
_NOT_READ = parse("{ __typename }")
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one shop (its settings): the cost budget and whether introspection
    is answered; the syntactic limits are the same for every shop."""

    max_cost: int = DEFAULT_COST_BUDGET
    introspection: bool = True


class _NoIntrospection(ValidationRule):
    """Refuses `__schema` and `__type` (not `__typename`, which clients need for unions)."""

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in _INTROSPECTION_ROOTS:
            self.report_error(
                GraphQLError(
                    "Introspection is turned off on this server "
                    "(POLYSHOP_GRAPHQL_INTROSPECTION); read schema.graphql instead.",
                    [node],
                    extensions={"code": "introspection-disabled"},
                )
            )


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class _Shape:
    """Depth and alias count of a document, fragments expanded; each fragment is measured
    once, so fragments spreading fragments twice over cannot make the count exponential."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = _fragments(document)
        self._memo: dict[str, tuple[int, int]] = {}
        self._visiting: set[str] = set()
        #: The response name asked for most often in one selection set, and how often.
        self.repeated: tuple[int, str] = (0, "")

    def of(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        selections = selection_set.selections if selection_set else ()
        names = Counter((s.alias or s.name).value for s in selections if isinstance(s, FieldNode))
        if names:
            self.repeated = max(self.repeated, names.most_common(1)[0][::-1])
        for selection in selections:
            if isinstance(selection, FieldNode):
                inner_depth, inner_aliases = self.of(selection.selection_set)
                aliases += inner_aliases + (1 if selection.alias else 0)
                if not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner_depth)
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_aliases = self.of(selection.selection_set)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_aliases = self._fragment(selection.name.value)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
        return depth, aliases

    def _fragment(self, name: str) -> tuple[int, int]:
        if name in self._memo:
            return self._memo[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._visiting:
            return 0, 0  # unknown or cyclic: the validation rules refuse it
        self._visiting.add(name)
        self._memo[name] = self.of(fragment.selection_set)
        self._visiting.discard(name)
        return self._memo[name]


def shape_errors(document: DocumentNode) -> list[GraphQLError]:
    """Too deep or too many aliases, measured over every operation in the document."""
    shape = _Shape(document)
    depth = aliases = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            op_depth, op_aliases = shape.of(definition.selection_set)
            depth, aliases = max(depth, op_depth), aliases + op_aliases
    errors = []
    if depth > MAX_DEPTH:
        errors.append(
            limit_error(
                f"The query is {depth} fields deep; at most {MAX_DEPTH} are allowed.",
                "query-too-deep",
                depth=depth,
                maxDepth=MAX_DEPTH,
            )
        )
    times, name = shape.repeated
    if times > MAX_REPEATS:
        errors.append(
            limit_error(
                f"The field {name!r} is asked for {times} times in one selection; at most "
                f"{MAX_REPEATS} are allowed (once is enough).",
                "query-too-repetitive",
                times=times,
                maxRepeats=MAX_REPEATS,
            )
        )
    if aliases > MAX_ALIASES:
        errors.append(
            limit_error(
                f"The query uses {aliases} aliases; at most {MAX_ALIASES} are allowed.",
                "too-many-aliases",
                aliases=aliases,
                maxAliases=MAX_ALIASES,
            )
        )
    return errors


# Each calls `parsed` first, which raises on a text past the bound: nothing of it is kept.
@lru_cache(maxsize=CACHE_SIZE)
def shape_of(query: str) -> list[GraphQLError]:
    """`shape_errors` of the query's document, by query text."""
    return shape_errors(parsed(query))


@lru_cache(maxsize=CACHE_SIZE)
def validated(schema: GraphQLSchema, query: str, introspection: bool) -> list[GraphQLError]:
    """The validation rules' errors, by query text (and whether introspection is on)."""
    rules = tuple(specified_rules) + (() if introspection else (_NoIntrospection,))
    return validate_document(schema, parsed(query), rules)


class _Cost:
    """The calculated cost of one operation for the given variables."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
    ) -> None:
        self._schema = schema
        self._fragments = _fragments(document)
        self._variables = variables
        self._memo: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                total += self.of(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> int:
        if name not in self._memo:
            self._memo[name] = 0  # a cycle (refused by the rules) must not recurse forever
            fragment = self._fragments.get(name)
            if fragment is not None:
                condition = self._schema.get_type(fragment.type_condition.name.value)
                self._memo[name] = self.of(fragment.selection_set, condition)
        return self._memo[name]

    def _field(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        field = (
            parent.fields.get(name)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if field is None:
            return 1  # not in the schema: the validation rules refuse it next
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        return self._items(node, field, parent.name) * (1 + self.of(node.selection_set, named))

    def _items(self, node: FieldNode, field: GraphQLField, parent_name: str) -> int:
        """How many items the field may return, as far as its cost is concerned."""
        sizes = [name for name in SIZE_ARGUMENTS if name in field.args]
        if not sizes:
            listed = is_list_type(get_nullable_type(field.type))
            return DEFAULT_LIST if listed and not parent_name.endswith("Connection") else 1
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in sizes:
            if name in given:
                value = value_from_ast(given[name], field.args[name].type, self._variables)
                if isinstance(value, int | float) and math.isfinite(value):
                    return max(int(value), 0)
        for name in sizes:
            default = field.args[name].default_value
            if isinstance(default, int):
                return max(default, 0)
        return DEFAULT_PAGE


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The calculated cost of the operation the request names (0 when it names none)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    return _Cost(schema, document, values).of(operation.selection_set, root)


def limits_of(context: object) -> Limits:
    """The limits of the shop serving this operation (defaults outside a request)."""
    if isinstance(context, GraphQLContext):
        settings = context.container.settings
        return Limits(settings.graphql_max_cost, settings.graphql_introspection_on)
    return Limits()


class QueryLimits(SchemaExtension):
    """Applies the limits above; an operation over any of them is answered with the
    errors alone (`data: null`), its resolvers never called."""

    def __init__(self) -> None:
        self._cost: tuple[int, int] | None = None
        self._too_large: GraphQLError | None = None

    def on_operation(self) -> Iterator[None]:
        query = self.execution_context.query
        self._too_large = too_large(query) if query else None
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_sized(error) for error in result.errors]

    def on_parse(self) -> Iterator[None]:
        """The cached document; a query that does not parse is left to Strawberry, which
        parses it again (with the same token limit) and answers its syntax error."""
        context = self.execution_context
        if self._too_large is not None:
            # Never read: a stand-in lets the refusal come back as a validation error,
            # the one way every transport (POST, GET, WebSocket) answers as a result.
            context.graphql_document = _NOT_READ
        elif context.graphql_document is None and context.query:
            with contextlib.suppress(GraphQLSyntaxError):
                context.graphql_document = parsed(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        """Shape, then cost, then the validation rules: the cheap, linear checks first, as
        some rules take time growing with the square of a selection's size."""
        context = self.execution_context
        document = context.graphql_document
        if self._too_large is not None:
            context.pre_execution_errors = [self._too_large]
        elif context.query and document is not None:
            limits = limits_of(context.context)
            schema = context.schema._schema
            errors = shape_of(context.query)
            if not errors:
                cost = operation_cost(schema, document, context.operation_name, context.variables)
                self._cost = (cost, limits.max_cost)
                if cost > limits.max_cost:
                    errors = [_too_costly(cost, limits.max_cost)]
            if not errors:
                errors = validated(schema, context.query, limits.introspection)
            context.pre_execution_errors = list(errors)
        yield

    def get_results(self) -> dict[str, Any]:
        if self._cost is None:
            return {}
        cost, budget = self._cost
        return {"cost": {"requestedQueryCost": cost, "budget": budget}}


def _too_costly(cost: int, budget: int) -> GraphQLError:
    return limit_error(
        f"The query would cost {cost} points; the budget is {budget}. Ask for fewer items "
        "(first/limit) or fewer fields, or split it into several queries.",
        "query-too-costly",
        cost=cost,
        budget=budget,
    )


def _sized(error: GraphQLError) -> GraphQLError:
    """The parser's token-limit error, with a code a client can act on."""
    if error.message.startswith("Syntax Error: Document contains more than"):
        return limit_error(
            f"The query is too large: at most {MAX_TOKENS} tokens are allowed.",
            "query-too-large",
            maxTokens=MAX_TOKENS,
        )
    return error
