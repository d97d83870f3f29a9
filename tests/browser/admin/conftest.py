"""The admin's browser tests get a shop of their own: they ship, refund and adjust stock,
and the storefront's journeys (buying the first laptop found) must not depend on whether
these ran first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.served_shop import ServedShop, start_shop


@pytest.fixture(scope="package")
def shop(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedShop]:
    served = start_shop(tmp_path_factory.mktemp("admin-browser-shop"))
    yield served
    served.stop()
