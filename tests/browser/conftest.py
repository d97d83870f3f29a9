"""Browser tests: Debian's Chromium (`/usr/bin/chromium`, which `.ci/run` installs with
apt-get) driven by Playwright against a real `polyshop serve`. Playwright's own browser
downloads are never used (`playwright install` cannot work here).

Without Chromium the tests skip locally, with one line in the run's summary saying how to
get it; in CI (CI=true) a missing Chromium fails them: they must never skip there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.browser.served_shop import ServedShop, start_shop
from tests.browser.tab import Tab

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_NO_CHROMIUM = f"no Chromium at {CHROMIUM}"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{_NO_CHROMIUM}: .ci/run installs it (apt-get install chromium)")
        pytest.skip(_NO_CHROMIUM)
    return CHROMIUM


# Package scope, not session: Playwright's sync API keeps an event loop running on this
# thread while it is open, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="package")
def playwright(chromium: Path) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def shop(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedShop]:
    """One shop for the whole browser run: each journey signs up its own people and buys
    from the seeded catalog, so journeys do not see each other's state."""
    served = start_shop(tmp_path_factory.mktemp("browser-shop"))
    yield served
    served.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def open_tab(
    browser: Browser, shop: ServedShop, screenshots: Path, request: pytest.FixtureRequest
) -> Iterator[type[Tab]]:
    """Opens tabs (each a fresh browser context: its own cookies) whose checks run when the
    test ends: `tab = open_tab()`, `open_tab(javascript=False)`."""
    opened: list[Tab] = []
    folder = screenshots / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)

    def make(**options: object) -> Tab:
        shots = folder / f"tab-{len(opened) + 1}"  # a journey's second visitor apart
        shots.mkdir()
        tab = Tab(browser, shop.base_url, shots, **options)  # type: ignore[arg-type]
        opened.append(tab)
        return tab

    yield make  # type: ignore[misc]
    for tab in opened:
        tab.close()


@pytest.fixture
def tab(open_tab: type[Tab]) -> Tab:
    return open_tab()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = sum(
        1
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and _NO_CHROMIUM in str(report.longrepr[2])
    )
    if skipped:
        terminalreporter.write_sep(
            "=", f"{skipped} browser tests SKIPPED: {_NO_CHROMIUM}", yellow=True
        )
        terminalreporter.write_line(
            "  To run them: apt-get install chromium fonts-dejavu-core fonts-liberation (never"
            " `playwright install`).",
            yellow=True,
        )
