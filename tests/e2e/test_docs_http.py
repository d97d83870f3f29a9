"""The API documentation pages serve every file they load from polyshop itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _loaded(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


def test_swagger_ui_loads_only_local_files_and_no_inline_script(client: TestClient):
    page = client.get("/docs")

    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-eval" not in page.headers["content-security-policy"]
    urls = _loaded(page.text)
    assert urls
    assert all(url.startswith("/docs/assets/") for url in urls)
    assert "<script>" not in page.text  # the start-up code is a file of its own
    init = client.get(next(url for url in urls if url.endswith("/swagger-init.js")))
    assert init.status_code == 200
    assert "url: '/openapi.json'" not in init.text
    assert '"url": "/openapi.json"' in init.text


def test_redoc_loads_only_local_files(client: TestClient):
    page = client.get("/redoc")

    assert page.status_code == 200
    assert "fonts.googleapis.com" not in page.text
    urls = _loaded(page.text)
    assert urls
    assert all(url.startswith("/docs/assets/") for url in urls)
    script = client.get(next(url for url in urls if url.endswith("redoc.standalone.js")))
    assert "cdn.redoc.ly" not in script.text


def test_doc_files_are_immutable_under_their_version_and_revalidated_otherwise(
    client: TestClient,
):
    css = next(url for url in _loaded(client.get("/docs").text) if url.endswith(".css"))
    fresh = client.get(css)
    stale = client.get(css.replace("/docs/assets/", "/docs/assets/0"))
    again = client.get(css, headers={"If-None-Match": fresh.headers["etag"]})
    missing = client.get(css.rsplit("/", 1)[0] + "/nothing.js")

    assert fresh.status_code == 200
    assert fresh.headers["content-type"].startswith("text/css")
    assert "immutable" in fresh.headers["cache-control"]
    assert stale.status_code == 200
    assert "immutable" not in stale.headers["cache-control"]
    assert again.status_code == 304
    assert missing.status_code == 404
