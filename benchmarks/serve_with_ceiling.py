"""Serve the shop exactly as `polyshop serve --no-seed` does, plus one route that answers a
constant 2 KB JSON body from memory: the framework's ceiling, measured in the same process.

    .venv/bin/python benchmarks/serve_with_ceiling.py PORT
"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from fastapi import Response

from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.config import Settings
from polyshop.observability import configure_logging

CONSTANT = orjson.dumps(
    {"items": [{"id": i, "name": f"item {i:04d}", "pad": "x" * 40} for i in range(28)]}
)


def main() -> None:
    settings = Settings(log_level="warning")
    configure_logging(settings.log_level, json=True)
    container = build(settings)
    app = create_app(container)

    @app.get("/bench/constant")
    async def constant() -> Response:
        return Response(CONSTANT, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)


if __name__ == "__main__":
    main()
