"""A browser tab that checks every page it lands on, as the issue asks of every page a
journey visits: axe-core finds no violation, the Content-Security-Policy refuses nothing,
no script throws; and a screenshot of each is kept under the test's tmp directory.

A journey calls `tab.goto(path)` or, after a click or a form post, `tab.landed(label)`.
At the end (`tab.close()`), every page the tab navigated to must have been checked: a
journey cannot visit a page without judging it.
"""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Frame, Page, Response

_AXE = Axe()
#: Each violation the page reports to its own listeners goes to the console with this mark.
_CSP_MARK = "csp-violation:"
_REPORT_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error("{_CSP_MARK} " + event.violatedDirective + " " + event.blockedURI);
}});
"""
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}


class Tab:
    def __init__(
        self,
        browser: Browser,
        base_url: str,
        shots: Path,
        *,
        javascript: bool = True,
        viewport: dict[str, int] | None = None,
    ) -> None:
        self.base_url = base_url
        self.javascript = javascript
        self.context = browser.new_context(
            base_url=base_url,
            java_script_enabled=javascript,
            viewport=viewport or DESKTOP,  # type: ignore[arg-type]
            is_mobile=viewport == MOBILE,
            has_touch=viewport == MOBILE,
        )
        self.page: Page = self.context.new_page()
        self.page.add_init_script(_REPORT_VIOLATIONS)
        self.csp_violations: list[str] = []
        self.script_errors: list[str] = []
        self.navigated: list[str] = []
        self.chosen_variant = ""  # the label of the variant a journey last added to its cart
        self.last_status = 0  # of the latest page (document) response, after redirects
        self.checked: set[str] = set()
        self.shots = shots
        self._shot = 0
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        self.page.on("framenavigated", self._on_navigation)
        self.page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if _CSP_MARK in text or "Content Security Policy" in text:
            self.csp_violations.append(f"{self.page.url}: {text}")

    def _on_navigation(self, frame: Frame) -> None:
        if frame == self.page.main_frame and frame.url != "about:blank":
            self.navigated.append(frame.url)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.last_status = response.status

    def goto(self, path: str, label: str | None = None, *, status: int = 200) -> Page:
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        self.landed(label or path, status=status)
        return self.page

    def landed(self, label: str, *, status: int = 200) -> Page:
        """The page the tab is on now is judged: its status, accessibility, CSP, scripts;
        and kept."""
        self.page.wait_for_load_state("load")
        self.checked.add(self.page.url)  # judged now: a failing judgement fails the test
        self._shot += 1
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "page"
        self.page.screenshot(path=self.shots / f"{self._shot:02d}-{name}.png", full_page=True)
        assert self.last_status == status, f"{self.page.url}: {self.last_status}"
        if self.javascript:  # axe runs in the page: with scripts off, nothing can run it
            self.assert_accessible()
        self.assert_clean()
        return self.page

    def assert_accessible(self) -> None:
        results = _AXE.run(self.page)
        assert results.violations_count == 0, (
            f"axe-core on {self.page.url}:\n{results.generate_report()}"
        )

    def assert_clean(self) -> None:
        assert not self.csp_violations, "\n".join(self.csp_violations)
        assert not self.script_errors, "\n".join(self.script_errors)

    def close(self) -> None:
        try:
            self.assert_clean()
            unchecked = [url for url in self.navigated if url not in self.checked]
            assert not unchecked, f"pages visited but never checked: {unchecked}"
        finally:
            self.context.close()
