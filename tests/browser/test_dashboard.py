"""The dashboard in headless Chromium against the real API on the embedded engines: each role logs in
and clicks through its flow; the assertions are on what is on screen.

Screenshots of every page are saved (tests/browser/conftest.py: SCREENSHOT_DIR=docs/screenshots
refreshes the README's)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from tests.browser.scenario import INSPECTOR_NAME, Scenario
from tests.integration.factories import PASSWORD
from tests.integration.live_server import ThreadedServer
from tests.unit.photos.samples import jpeg

WAIT_SECONDS: Final = 30  # an upper bound for a page to settle, never a measured threshold
CLOCK_TIME: Final = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
GPS_DIGITS: Final = ("31.23", "121.47")


class Page:
    """A thin helper over Selenium for this dashboard."""

    def __init__(self, driver: Any, server: ThreadedServer, shots: Path) -> None:
        self.driver, self.base, self.shots = driver, server.url, shots

    def wait(self, condition: Callable[[Any], Any], message: str) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(condition, message)

    def css(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def one(self, selector: str) -> Any:
        try:
            return self.wait(lambda d: (found := self.css(selector)) and found[0], f"no {selector}")
        except Exception as missing:
            self.shot("failed")
            raise AssertionError(f"no {selector} on {self.driver.current_url}: {self.text('body')[:2000]}") from missing

    def text(self, selector: str = "#main") -> str:
        """What the user sees in `selector` now ("" while it is absent; pages redraw after each move)."""
        return self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", selector)

    def wait_text(self, needle: str, selector: str = "#main") -> str:
        self.wait(lambda d: needle in self.text(selector), f"{needle!r} never shown in {selector}: "
                  f"{self.text(selector)[:500]!r}")
        return self.text(selector)

    def go(self, route: str) -> None:
        self.driver.get(f"{self.base}/#/{route}")

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.driver.get(f"{self.base}/")
        self.driver.execute_script("sessionStorage.clear(); localStorage.setItem('inspect.lang', 'en');")
        self.driver.get(f"{self.base}/#/")
        self.driver.refresh()
        self.one("#email").send_keys(email)
        self.one("#password").send_keys(password)
        self.one("#login-submit").click()
        self.wait(lambda d: self.css("#logout") and self.css("#logout")[0].is_displayed(), "not logged in")

    def settled(self) -> None:
        """The page drew its content and every thumbnail on it has loaded from S3."""
        self.wait(lambda d: self.driver.execute_script(
            "const p = document.querySelector('#main > .page'); return p && p.dataset.route === location.hash"),
            f"{self.driver.current_url} never rendered")
        self.wait(lambda d: self.driver.execute_script(
            "return [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)"),
            "a thumbnail never loaded")

    def shot(self, name: str) -> None:
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))


@pytest.fixture
def page(driver: Any, live_server: ThreadedServer, screenshot_dir: Path, scenario: Scenario) -> Page:
    return Page(driver, live_server, screenshot_dir)


def test_the_login_page_is_served_at_root_with_everything_from_this_origin(page: Page) -> None:
    page.driver.get(f"{page.base}/")
    page.driver.execute_script("sessionStorage.clear(); localStorage.setItem('inspect.lang', 'en');")
    page.driver.refresh()
    page.one("#login-form")
    assert "Sign in" in page.text()
    # No CDN: every script and stylesheet the shell loads is under /static on this origin.
    sources = page.driver.execute_script(
        "return [...document.querySelectorAll('script[src], link[rel=stylesheet]')].map(e => e.src || e.href)")
    assert sources and all(s.startswith(f"{page.base}/static/") for s in sources), sources
    csp = page.driver.execute_script(
        "return document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
    assert "script-src 'self'" in csp
    page.one("#email").send_keys("admin@alpha.test")
    page.one("#password").send_keys("not the password at all")
    page.one("#login-submit").click()
    page.wait(lambda d: page.text("#login-error"), "no login error shown")
    page.shot("login")
    page.one("#lang").click()
    page.wait_text("登录")


def test_regional_lead_rankings_trend_heat_map_and_overdue_actions(page: Page, scenario: Scenario) -> None:
    page.login(scenario.world.a.lead.email)
    filters = f"form=fuel-attendant&period=month&on={scenario.on}"
    page.go(f"rankings?{filters}")
    page.settled()
    text = page.wait_text("Branch B12")
    # The lead's region R1 only: B11 and B12, never the other region's B21/B22.
    assert "Branch B11" in text and "B21" not in text and "B22" not in text
    assert f"Period {scenario.on}" in text
    rows = page.css("table tbody tr")
    assert len(rows) == 2 and len(page.css("table tbody svg.interval rect.band")) == 2
    b12 = page.one("tr[data-branch=B12]").text
    assert "100.0" in b12 and "▲ 7.4 (+1)" in b12  # 92.6 last month (scoring rules v2) -> 100 this month; 2nd -> 1st
    assert "▼" in page.one("tr[data-branch=B11]").text  # 100 -> 79
    page.shot("rankings")
    page.one("tr[data-branch=B11] a.branch-link").click()
    trend = page.wait_text("Trend: B11", "#trend")
    assert "2026" in trend or scenario.on[:4] in trend
    assert len(page.css("#trend svg circle.dot")) == 2  # two months with a visit
    page.shot("rankings-trend")

    page.go(f"heatmap?{filters}")
    page.settled()
    page.one("#heatmap")
    columns = [th.text for th in page.css("#heatmap thead th")]
    assert columns[1:] == ["all", "B12 Branch B12", "B11 Branch B11"], columns
    greeting = page.one("#heatmap tr[data-item=p1_greeting]")
    assert "The attendant greeted the customer" in greeting.text
    # All of R1 (1 of 2 visits failed the greeting), B12 (passed), B11 (failed).
    assert [td.text for td in greeting.find_elements("css selector", "td")] == ["50 %", "0 %", "100 %"]
    coloured = page.driver.execute_script(
        "return [...document.querySelectorAll('#heatmap td.heat')].filter(td => td.style.backgroundColor).length")
    assert coloured > 0
    page.shot("heatmap")
    page.one("#lang").click()  # zh: UI strings and the form's own zh labels
    page.wait_text("各检查项在各门店的不合格率")
    assert "加油员主动友善地招呼顾客" in page.text()
    page.one("#lang").click()
    page.wait_text("Failure rate by item and branch")

    page.go("overdue")
    page.settled()
    overdue = page.wait_text("B11 Branch B11")
    assert "Refresher training on proactive greeting" in overdue and "B21" not in overdue
    page.shot("overdue")


def test_qa_reviews_a_submission_with_its_proof_then_approves_releases_and_rejects(
    page: Page, scenario: Scenario
) -> None:
    page.login(scenario.world.a.admin.email)
    page.go("review")
    page.settled()
    queue = page.wait_text("Review queue")
    assert "Branch B12" in queue and "Branch B21" in queue and "Branch B11" not in queue
    page.shot("review-queue")

    reused, plain = scenario.queue
    # Each result's integrity verdict with its reasons (#18): the reused photo is suspect, the plain one
    # (no EXIF capture time) is for review.
    suspect = page.one(f"tr[data-submission='{reused}'] .integrity").text
    assert suspect.startswith("suspect") and "resembles photos of other submissions" in suspect
    assert page.one(f"tr[data-submission='{plain}'] .integrity").text.startswith("review")
    page.one(f"tr[data-submission='{reused}'] a.open").click()
    page.settled()
    detail = page.wait_text("Proof of visit")
    # QA sees who, when and where (the same page shows a branch manager none of it: see below).
    assert INSPECTOR_NAME in detail and "31.23010, 121.47020" in detail and CLOCK_TIME.search(detail)
    assert "null" not in detail and "undefined" not in detail
    assert "resembles photos of other submissions" in page.text("#warnings")
    assert page.text("#integrity").startswith("suspect")
    # The reused photo beside the earlier inspection's photo it resembles.
    reuse = page.one(".reuse")
    assert len(reuse.find_elements("css selector", "figure")) == 2 and "earlier inspection" in reuse.text
    # Every answer with the form's own label and the score card.
    assert "Proactively found out what the customer needed" in detail
    assert page.one("tr[data-item=p2_needs]").text.count("fail") == 1
    assert "Total 92.6 %" in page.text("#score-card")  # scoring rules v2
    # An inspector's comment is text, never markup.
    comment = page.one("#inspector-comment")
    assert "<b>not bold</b> queue" in comment.text and not comment.find_elements("css selector", "b")
    page.shot("submission-qa")
    page.one("img.thumb").click()
    page.wait(lambda d: page.driver.execute_script(
        "const i = document.getElementById('full-photo'); return i && i.complete && i.naturalWidth > 0"),
        "the full-size photo never loaded")
    page.shot("photo-full")
    page.one("#lightbox").click()

    page.one("#approve").click()
    page.wait_text("Now approved.")
    page.one("#release").click()
    page.wait_text("Now released.")
    assert not page.css("#approve") and not page.css("#release")

    page.go(f"submission/{plain}")
    page.settled()
    page.one("#reject-reason").send_keys("Photos do not show the forecourt")
    page.one("#reject").click()
    page.wait_text("Rejected: Photos do not show the forecourt")
    page.go("review")
    page.settled()
    assert page.wait_text("Nothing waiting.")


def test_branch_manager_sees_redacted_results_and_works_an_action_with_an_evidence_photo(
    page: Page, scenario: Scenario, tmp_path: Path
) -> None:
    page.login(scenario.world.a.manager.email)
    page.settled()
    results = page.wait_text("Released results")
    assert "Branch B11" in results and "B12" not in results and "submitted" not in results
    page.shot("manager-results")

    seen: list[str] = []
    (released,) = scenario.manager_released
    page.one(f"tr[data-submission='{released}'] a.open").click()
    page.settled()
    detail = page.wait_text("Score card")
    assert re.search(r"Total \d+\.\d %", detail) and page.css("img.thumb")
    assert not page.css("#decisions") and not page.css("#proof")
    seen.append(page.driver.find_element("css selector", "body").text)
    page.shot("manager-submission")

    page.one("a[data-page=actions]").click()
    page.settled()
    board = page.wait_text("Actions board")
    assert "Refresher training on proactive greeting" in board
    seen.append(page.driver.find_element("css selector", "body").text)
    page.shot("actions-board")
    page.css("a.open")[[a.text for a in page.css("a.open")].index("Refresher training on proactive greeting")].click()
    page.one("#start").click()
    page.wait(lambda d: page.css("#resolve-form"), "start did not move the action")
    page.one("#comment-text").send_keys("Training booked for Monday")
    page.one("#add-comment").click()
    page.wait_text("Training booked for Monday", "#history")
    photo = tmp_path / "evidence.jpg"
    photo.write_bytes(jpeg(41))
    page.one("#resolve-note").send_keys("Whole team retrained")
    page.one("#evidence").send_keys(str(photo))
    page.one("#resolve").click()
    page.wait(lambda d: page.css("#evidence-photos"), f"not resolved: {page.text('#action-message')!r}")
    page.settled()
    history = page.text("#history")
    assert "resolved" in history and "Whole team retrained" in history
    assert page.css("#evidence-photos img.thumb")
    seen.append(page.driver.find_element("css selector", "body").text)
    page.shot("action")

    # Nothing on any page the manager saw names the inspector, tells a clock time or a position.
    for text in seen:
        assert INSPECTOR_NAME not in text and "Zhou" not in text
        assert not CLOCK_TIME.search(text), CLOCK_TIME.search(text)
        assert not any(digits in text for digits in GPS_DIGITS)
