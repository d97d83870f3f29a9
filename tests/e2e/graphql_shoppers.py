"""Shopping through GraphQL in tests: the operations a storefront client sends, and a caller
that holds exactly the token a test names (the test client would otherwise keep the session
cookie the sign-in mutations set, and send it with the next anonymous call)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.graphql import gql
from tests.e2e.shoppers import ADDRESS

PROBLEM = """
  __typename
  ... on Problem { type httpStatus detail }
  ... on ValidationError { errors { field message } }
  ... on OutOfStock { skus available }
  ... on Refused { retryAfter }
"""
CART_FIELDS = """
  items { productId sku name quantity price subtotal available priceWhenAdded priceChanged
          purchasable notice }
  total currency itemCount
"""
ORDER_FIELDS = """
  id userId guestEmail status total currency version placedAt holdUntil trackingNumber
  items { sku productId name quantity unitPrice subtotal }
  shippingAddress { name line1 city postalCode country }
  paymentMethodId
  events { type data version occurredAt actor position }
"""
CREATE_SESSION = f"""
mutation {{ createSession {{ __typename ... on SessionToken {{ token expiresIn }} {PROBLEM} }} }}
"""
SIGN_UP = f"""
mutation($email: String!, $password: String!) {{
  signUp(email: $email, password: $password, name: "Test") {{
    __typename ... on SignedIn {{ token position user {{ id email isAdmin }} }} {PROBLEM}
  }}
}}"""
SIGN_IN = f"""
mutation($email: String!, $password: String!) {{
  signIn(email: $email, password: $password) {{
    __typename ... on SignedIn {{ token user {{ id email }} }} {PROBLEM}
  }}
}}"""
ADD = f"""
mutation($sku: String, $productId: ID, $quantity: Int!) {{
  addToCart(sku: $sku, productId: $productId, quantity: $quantity) {{
    __typename ... on Cart {{ {CART_FIELDS} }} {PROBLEM}
  }}
}}"""
UPDATE = f"""
mutation($sku: String!, $quantity: Int!) {{
  updateCartItem(sku: $sku, quantity: $quantity) {{
    __typename ... on Cart {{ {CART_FIELDS} }} {PROBLEM}
  }}
}}"""
REMOVE = f"""
mutation($sku: String!) {{
  removeCartItem(sku: $sku) {{ __typename ... on Cart {{ {CART_FIELDS} }} {PROBLEM} }}
}}"""
CART = f"query {{ cart {{ {CART_FIELDS} }} }}"
PLACE = f"""
mutation($key: String!, $address: AddressInput!, $pm: String!, $email: String) {{
  placeOrder(idempotencyKey: $key, shippingAddress: $address, paymentMethodId: $pm,
             email: $email) {{
    __typename
    ... on OrderPlaced {{ orderId status total currency position accessKey replayed
                         items {{ sku quantity unitPrice subtotal }} }}
    {PROBLEM}
  }}
}}"""
ORDER = f"""
query($id: ID!, $min: Int, $asOf: DateTime, $key: String) {{
  order(id: $id, minPosition: $min, asOf: $asOf, accessKey: $key) {{ {ORDER_FIELDS} }}
}}"""
CANCEL = f"""
mutation($id: ID!, $reason: String!) {{
  cancelOrder(id: $id, reason: $reason) {{
    __typename ... on OrderChanged {{ position order {{ id status version }} }} {PROBLEM}
  }}
}}"""
MY_ORDERS = """
query($first: Int!, $after: String, $min: Int) {
  me { id email isAdmin addresses { name }
       orders(first: $first, after: $after, minPosition: $min) {
         totalCount
         edges { cursor node { id status total } }
         pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
}"""
#: The shipping address as GraphQL's `AddressInput` takes it.
ADDRESS_INPUT = {
    "name": ADDRESS["name"],
    "line1": ADDRESS["line1"],
    "city": ADDRESS["city"],
    "postalCode": ADDRESS["postal_code"],
    "country": ADDRESS["country"],
}


def ask(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    expect_errors: bool = False,
) -> dict[str, Any]:
    """`gql`, with the cookie jar emptied after the call."""
    try:
        return gql(client, query, variables, token=token, expect_errors=expect_errors)
    finally:
        client.cookies.clear()


def session(client: TestClient) -> str:
    result = ask(client, CREATE_SESSION)["data"]["createSession"]
    assert result["__typename"] == "SessionToken", result
    return str(result["token"])


def signed_up(client: TestClient, email: str, password: str, token: str | None = None) -> str:
    result = ask(client, SIGN_UP, {"email": email, "password": password}, token=token)
    assert result["data"]["signUp"]["__typename"] == "SignedIn", result
    return str(result["data"]["signUp"]["token"])


def add(client: TestClient, token: str, sku: str, quantity: int = 1) -> dict[str, Any]:
    variables = {"sku": sku, "quantity": quantity}
    return dict(ask(client, ADD, variables, token=token)["data"]["addToCart"])


def place(
    client: TestClient, token: str, key: str, *, email: str | None = None, **overrides: Any
) -> dict[str, Any]:
    variables = {"key": key, "address": ADDRESS_INPUT, "pm": "pm_card_visa", "email": email}
    variables.update(overrides)
    return dict(ask(client, PLACE, variables, token=token)["data"]["placeOrder"])


def order(client: TestClient, token: str | None, order_id: str, **variables: Any) -> dict:
    """The whole answer to `order(id:)` (its `data` and any `errors`)."""
    return ask(client, ORDER, {"id": order_id, **variables}, token=token, expect_errors=True)
