"""Browser tests: headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium against
a real uvicorn on the session's embedded engines (the integration fixtures: engines, settings, pool).

Without Chromium the tests skip with the reason, except in CI (CI=true), where they fail: .ci/run
installs it first, so a missing browser there is a broken set-up, never a silent pass."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import asyncpg
import pytest
import pytest_asyncio

from inspect_api.settings import Settings
from tests.browser.scenario import Scenario, build_scenario, prepare_rows
from tests.integration.conftest import TRUNCATE_ALL, engines, pool, settings  # noqa: F401 (fixtures)
from tests.integration.factories import fast_settings
from tests.integration.live_server import ThreadedServer

CHROMIUM: Final = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER: Final = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Screenshots go to a temp dir unless asked for: SCREENSHOT_DIR=docs/screenshots refreshes the README's.
SCREENSHOT_ENV: Final = "SCREENSHOT_DIR"


def _missing_browser() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)) and shutil.which(Path(path).name) is None:
            return f"{path} not found (apt-get install -y chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def live_server(settings: Settings, browser_available: None) -> Iterator[ThreadedServer]:  # noqa: F811
    with ThreadedServer(fast_settings(settings)) as server:
        yield server


@pytest_asyncio.fixture(scope="module")
async def scenario(pool: asyncpg.Pool, live_server: ThreadedServer) -> Scenario:  # noqa: F811
    await pool.execute(TRUNCATE_ALL)
    world, form, version_id = await prepare_rows(pool)
    return build_scenario(live_server.url, world, form, version_id)


@pytest.fixture(scope="module")
def driver(browser_available: None) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM) or CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--lang=en-US", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(shutil.which(CHROMEDRIVER) or CHROMEDRIVER), options=options)
    chrome.implicitly_wait(0)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOT_ENV)
    target = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target
