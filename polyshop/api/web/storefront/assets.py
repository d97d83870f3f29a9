"""The storefront's own static files (its script, its icon), and the admin's, served by
polyshop itself.

Each URL carries the file's content hash (`/static/shop.js?v=…`), so a response with that
hash is cached for a year and a new release is fetched at once. Files are read once, at
start-up: a request never touches the disk.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

STATIC_DIR = Path(__file__).parent / "static"
_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    version: str


class Assets:
    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self._files: dict[str, Asset] = {}
        self.add_directory(directory)

    def add_directory(self, directory: Path) -> None:
        """Serve `directory`'s files too (the admin's), under /static beside the shop's; a
        name already served is refused, so one face cannot replace another's file."""
        for path in sorted(directory.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                if path.name in self._files:
                    raise ValueError(f"static file {path.name!r} is served already")
                body = path.read_bytes()
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind == "application/javascript":
                    kind += "; charset=utf-8"
                version = hashlib.sha256(body).hexdigest()[:12]
                self._files[path.name] = Asset(body, kind, version)

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self._files[name].version}"

    def text(self, name: str) -> str:
        return self._files[name].body.decode()

    def get(self, name: str) -> Asset | None:
        return self._files.get(name)


router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
def static_file(name: str, request: Request) -> Response:
    assets: Assets = request.app.state.storefront.assets
    asset = assets.get(name)
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
