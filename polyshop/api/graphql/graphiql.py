"""GraphiQL at GET /graphql for browsers, with every file it loads served by polyshop.

Strawberry's GraphiQL page loads React and GraphiQL from a CDN: an offline browser (or one
behind a strict proxy) would see a blank page, and the CDN could serve anything. Here the
files are vendored from the npm registry (`scripts/vendor-graphiql`, which checks their
SHA-256 against `static/graphiql/SHA256SUMS`) and served at `<path>/assets/<name>?v=<hash>`:
with the hash, they are cached for a year, and a new release is fetched at once.

The page's Content-Security-Policy allows scripts from the shop alone (the start-up code is
`start.js`, not inline) and connections to the shop alone (HTTP and its WebSocket). Styles
may be inline: GraphiQL's dialogs inject a `<style>` element whose sizes are measured at run
time, so no hash could allow it (the browser test opens one). Its fonts and icons are
`data:` URLs inside its stylesheet.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
_SERVED = {
    "react.production.min.js": "application/javascript; charset=utf-8",
    "react-dom.production.min.js": "application/javascript; charset=utf-8",
    "graphiql.min.js": "application/javascript; charset=utf-8",
    "graphiql.min.css": "text/css; charset=utf-8",
    "start.js": "application/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
_IMMUTABLE = "public, max-age=31536000, immutable"

POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    version: str


class GraphiQL:
    """The page and its files, read once when the app is built: a request never touches
    the disk."""

    def __init__(self, endpoint: str, directory: Path = STATIC_DIR) -> None:
        self.endpoint = endpoint
        self._assets: dict[str, _Asset] = {}
        for name, content_type in _SERVED.items():
            body = (directory / name).read_bytes()
            version = hashlib.sha256(body).hexdigest()[:16]
            self._assets[name] = _Asset(body, content_type, version)
        self._page = self._render()

    def url(self, name: str) -> str:
        return f"{self.endpoint}/assets/{name}?v={self._assets[name].version}"

    def _render(self) -> str:
        scripts = "\n".join(
            f'<script src="{html.escape(self.url(name))}" defer></script>'
            for name in (
                "react.production.min.js",
                "react-dom.production.min.js",
                "graphiql.min.js",
                "start.js",
            )
        )
        styles = "\n".join(
            f'<link rel="stylesheet" href="{html.escape(self.url(name))}">'
            for name in ("graphiql.min.css", "page.css")
        )
        return (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>polyshop GraphQL</title>\n{styles}\n{scripts}\n</head>\n<body>\n"
            f'<div id="graphiql" data-endpoint="{html.escape(self.endpoint)}">'
            "Loading GraphiQL…</div>\n</body>\n</html>\n"
        )

    def page(self) -> HTMLResponse:
        return HTMLResponse(self._page, headers=PAGE_HEADERS)

    def asset(self, name: str, request: Request) -> Response:
        """One vendored file: a year in caches when asked for by its current hash."""
        asset = self._assets.get(name)
        if asset is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        versioned = request.query_params.get("v") == asset.version
        headers = {
            "Cache-Control": _IMMUTABLE if versioned else "public, max-age=300",
            "ETag": f'"{asset.version}"',
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.content_type, headers=headers)
