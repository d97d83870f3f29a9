"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc`, with every file they
load served by polyshop itself.

FastAPI's defaults fetch Swagger UI and ReDoc from a CDN: an offline browser (or one behind
a strict proxy) sees a blank page. The files come from the pinned `fastapi-offline` package;
polyshop serves them under a URL holding their content hash, so they are cached for a year
and a new release is fetched at once. Swagger UI's start-up code, inline in FastAPI's page,
is a small file of its own here, so the page's Content-Security-Policy allows scripts from
the shop only (`script-src 'self'`, no inline script).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

_PACKAGED = Path(fastapi_offline.__file__).parent / "static"
_FILES = {
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "application/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_IMMUTABLE = "public, max-age=31536000, immutable"
#: ReDoc's sidebar shows Redocly's logo from their CDN; polyshop's copy shows the favicon.
_REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_INLINE_INIT = re.compile(r"<script>\s*const ui = SwaggerUIBundle\(.*?</script>", re.DOTALL)

#: Swagger UI's styles and ReDoc's (it injects `<style>` elements at run time) need inline
#: CSS; scripts stay the shop's own files. ReDoc indexes its search in a worker from a blob.
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


@dataclass(frozen=True, slots=True)
class DocsAsset:
    body: bytes
    content_type: str


def swagger_init(openapi_url: str) -> str:
    """Swagger UI's start-up, as FastAPI writes it inline, in a file of its own; no
    validator badge (it would call validator.swagger.io)."""
    options = {
        "url": openapi_url,
        "dom_id": "#swagger-ui",
        "layout": "BaseLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
        "validatorUrl": None,
    }
    return (
        f"window.ui = SwaggerUIBundle(Object.assign({json.dumps(options)}, {{\n"
        "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],\n"
        "}));\n"
    )


@cache
def _bundle(openapi_url: str) -> tuple[str, dict[str, DocsAsset]]:
    """The files and their version (a hash of all of them), read once per process."""
    assets = {
        name: DocsAsset((_PACKAGED / name).read_bytes(), kind) for name, kind in _FILES.items()
    }
    icon = b"data:image/png;base64," + base64.b64encode(assets["favicon.png"].body)
    redoc = assets["redoc.standalone.js"]
    assets["redoc.standalone.js"] = DocsAsset(
        redoc.body.replace(_REDOCLY_LOGO, icon), redoc.content_type
    )
    init = swagger_init(openapi_url).encode()
    assets["swagger-init.js"] = DocsAsset(init, "application/javascript; charset=utf-8")
    digest = hashlib.sha256()
    for name in sorted(assets):
        digest.update(name.encode() + b"\0" + assets[name].body)
    return digest.hexdigest()[:12], assets


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": DOCS_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


def install(app: FastAPI) -> None:
    """Add `/docs`, `/redoc` and their files; the app is built with docs_url=None and
    redoc_url=None so FastAPI's CDN pages are not there too."""
    openapi_url = app.openapi_url or "/openapi.json"
    router = APIRouter(include_in_schema=False)

    def url(name: str) -> str:
        version, _ = _bundle(openapi_url)
        return f"/docs/assets/{version}/{name}"

    @router.get("/docs")
    def swagger_ui() -> Response:
        page = bytes(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - API",
                swagger_js_url=url("swagger-ui-bundle.js"),
                swagger_css_url=url("swagger-ui.css"),
                swagger_favicon_url=url("favicon.png"),
            ).body
        ).decode()
        init = f'<script src="{url("swagger-init.js")}"></script>'
        page, replaced = _INLINE_INIT.subn(init, page)
        if replaced != 1:  # FastAPI changed its page: better a clear error than inline code
            raise RuntimeError("Swagger UI's inline start-up script was not found")
        page = page.replace("<html>", '<html lang="en">', 1)
        return Response(page, media_type="text/html", headers=_headers())

    @router.get("/redoc")
    def redoc() -> Response:
        page = bytes(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - API",
                redoc_js_url=url("redoc.standalone.js"),
                redoc_favicon_url=url("favicon.png"),
                with_google_fonts=False,
            ).body
        ).decode()
        page = page.replace("<html>", '<html lang="en">', 1)
        return Response(page, media_type="text/html", headers=_headers())

    @router.get("/docs/assets/{version}/{name}")
    def docs_asset(version: str, name: str, request: Request) -> Response:
        current, assets = _bundle(openapi_url)
        asset = assets.get(name)
        if asset is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        etag = f'"{current}"'
        headers = {
            "Cache-Control": _IMMUTABLE if version == current else "no-cache",
            "ETag": etag,
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.content_type, headers=headers)

    app.include_router(router)
