"""GraphQL's figures (issue 21): the seed's `GetProduct` query under load beside the REST
product route, and the shopper's mutations under concurrent clients.

    .venv/bin/python benchmarks/graphql_api.py [--products 100000] [--seconds 10] [--clients 16]

Prints, for an embedded shop seeded with the demo catalog (`polyshop seed`), served as
`polyshop serve --no-seed` serves it (benchmarks/serve_with_ceiling.py):

1. `GetProduct` (variants, images, recommendations) for each of 200 products once, one at
   a time: the answers computed (nothing kept yet); then wrk -t2 -c64, `--seconds` each, in
   one run over the same products: `GetProduct` anonymous (answers kept, evicted by the
   log), as an automatic persisted query (the hash only), with a guest session's token
   (never kept: its recommendations leave out the cart), the REST product route, and the
   framework's constant route (the ceiling); GraphQL's req/s as a share of REST's;
2. `addToCart` and `placeOrder` latencies (p50, p99) from `--clients` concurrent clients,
   each a signed-up customer adding a product and placing the order, over and over.

Named graphql_api, not graphql: a script's folder comes first on the import path, and a
`graphql.py` there would stand in for the graphql-core package the shop imports.

Asserts nothing. Machine caveat: 2 shared cores run wrk (or the clients), the shop and this
script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import threading
import time
import uuid
from typing import Any

import httpx2 as httpx
from harness import Figures, percentile, wrk, wrk_paths
from storefront import demo_shop

PORT = 8922
GET_PRODUCT = """query GetProduct($id: ID!) {
  product(id: $id) {
    id name description brand category price currency inStock
    variants { sku size color price inStock available }
    images { url width height alt srcset { format value } }
    recommendations(limit: 4) { id name price inStock }
  }
}"""
ADD_TO_CART = """mutation Add($sku: String!) {
  addToCart(sku: $sku, quantity: 1) { __typename ... on Problem { detail } }
}"""
PLACE_ORDER = """mutation Place($key: String!, $address: AddressInput!) {
  placeOrder(idempotencyKey: $key, shippingAddress: $address, paymentMethodId: "pm_card") {
    __typename ... on Problem { detail }
  }
}"""
SIGN_UP = """mutation SignUp($email: String!) {
  signUp(email: $email, password: "correct horse battery", name: "Bench") {
    __typename ... on SignedIn { token } ... on Problem { detail }
  }
}"""
ADDRESS = {
    "name": "Ada Bench",
    "line1": "1 Load Street",
    "city": "Testville",
    "postalCode": "12345",
    "country": "DE",
}


def _bodies(products: list[dict[str, Any]], persisted: bool) -> str:
    """A file of request bodies, one per line: the query, or only its hash."""
    digest = hashlib.sha256(GET_PRODUCT.encode()).hexdigest()
    lines = []
    for product in products:
        body: dict[str, Any] = {"variables": {"id": product["id"]}}
        if persisted:
            body["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        else:
            body["query"] = GET_PRODUCT
        lines.append(json.dumps(body))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines))
    return f.name


def _first_requests(base: str, products: list[dict[str, Any]]) -> str:
    """Each product's GetProduct once (each must answer without errors), so wrk then
    measures answers as they are served once kept; says what computing them took."""
    took = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for product in products:
            began = time.perf_counter()
            answer = client.post(
                "/graphql", json={"query": GET_PRODUCT, "variables": {"id": product["id"]}}
            ).json()
            took.append((time.perf_counter() - began) * 1000)
            if "errors" in answer:
                raise RuntimeError(answer["errors"])
    return f"p50 {percentile(took, 0.5):.1f}  p99 {percentile(took, 0.99):.1f}  ({len(took)})"


def _register_persisted(base: str, product_id: str) -> None:
    digest = hashlib.sha256(GET_PRODUCT.encode()).hexdigest()
    body = {
        "query": GET_PRODUCT,
        "variables": {"id": product_id},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    answer = httpx.post(f"{base}/graphql", json=body, timeout=30).json()
    if "errors" in answer:
        raise RuntimeError(answer["errors"])


def print_reads(base: str, products: list[dict[str, Any]], seconds: int) -> None:
    first = httpx.post(
        f"{base}/graphql",
        json={"query": GET_PRODUCT, "variables": {"id": products[0]["id"]}},
        timeout=30,
    ).json()
    if "errors" in first:
        raise RuntimeError(first["errors"])
    _register_persisted(base, products[0]["id"])
    print(f"\nGetProduct first requests, one at a time, ms: {_first_requests(base, products)}")
    token = httpx.post(f"{base}/api/v1/sessions", timeout=30).json()["token"]
    anonymous, persisted = _bodies(products, False), _bodies(products, True)
    print(f"\nwrk -t2 -c64 {seconds} s each, {len(products)} products")
    runs: dict[str, Figures] = {
        "GraphQL GetProduct": wrk(base, "graphql.lua", {"BODIES_FILE": anonymous}, seconds),
        "GraphQL, persisted": wrk(base, "graphql.lua", {"BODIES_FILE": persisted}, seconds),
        "GraphQL, session": wrk(
            base, "graphql.lua", {"BODIES_FILE": anonymous, "TOKEN": token}, seconds
        ),
        "REST product": wrk_paths(
            base, [f"/api/v1/products/{p['id']}" for p in products], seconds=seconds
        ),
        "constant route": wrk_paths(base, ["/bench/constant"], seconds=seconds),
    }
    for name, figures in runs.items():
        print(f"{name:20} {figures}")
    reference = runs["REST product"].rate
    for name in ("GraphQL GetProduct", "GraphQL, persisted", "GraphQL, session"):
        print(f"{name} / REST product: {runs[name].rate / reference:.0%} of its req/s")


def _customer(client: httpx.Client) -> str:
    answer = client.post(
        "/graphql",
        json={"query": SIGN_UP, "variables": {"email": f"bench-{uuid.uuid4().hex}@example.com"}},
    ).json()
    signed = answer["data"]["signUp"]
    if signed["__typename"] != "SignedIn":
        raise RuntimeError(signed)
    return str(signed["token"])


def _shop(base: str, skus: list[str], until: float, took: dict[str, list[float]]) -> None:
    """One client: sign up, then add a product and place the order until `until`."""
    with httpx.Client(base_url=base, timeout=60) as client:
        client.headers["Authorization"] = f"Bearer {_customer(client)}"
        n = 0
        while time.monotonic() < until:
            n += 1
            for name, query, variables in (
                ("addToCart", ADD_TO_CART, {"sku": skus[n % len(skus)]}),
                ("placeOrder", PLACE_ORDER, {"key": uuid.uuid4().hex, "address": ADDRESS}),
            ):
                began = time.perf_counter()
                answer = client.post("/graphql", json={"query": query, "variables": variables})
                took[name].append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200 or "errors" in answer.json():
                    took["failed"].append(0.0)


def print_writes(base: str, products: list[dict[str, Any]], clients: int, seconds: int) -> None:
    skus = [v["sku"] for p in products for v in p["variants"] if v["available"] > 0]
    took: dict[str, list[float]] = {"addToCart": [], "placeOrder": [], "failed": []}
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_shop, args=(base, skus, until, took)) for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"\n{clients} concurrent clients for {seconds} s (sign up, then add and place):")
    for name in ("addToCart", "placeOrder"):
        values = took[name]
        print(
            f"{name:12} {len(values):6d} calls  p50 {percentile(values, 0.5):7.1f} ms"
            f"  p99 {percentile(values, 0.99):7.1f} ms"
        )
    print(f"answers with errors: {len(took['failed'])}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with demo_shop("graphql", args.products, PORT) as (base, products):
        print_reads(base, products, args.seconds)
        print_writes(base, products, args.clients, args.seconds)


if __name__ == "__main__":
    main()
