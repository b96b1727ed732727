"""Fixtures of the browser tests: one Chromium per module, the service served per test."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Floor
from tests.live import live_server

# Generous: the suite shares two cores with PostgreSQL, servers and Argon2 hashing. A test
# that passes waits only as long as the page takes; this only delays a failure.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module's tests on one test process (`--dist loadgroup`), so that its Chromium and
    Playwright's driver start once, not once in every process its tests were spread over."""
    here = Path(__file__).parent
    for item in items:
        if item.path.parent == here:
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def floor(database_url: str) -> Iterator[Floor]:
    """The service as a real process against the test's own database."""
    with live_server(database_url) as server:
        yield Floor(server.url, database_url)


def new_context(browser: Browser, locale: str = "ru-RU") -> BrowserContext:
    """A fresh browser profile at the size of the floor's laptops."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale, timezone_id="Europe/Moscow")
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A tab whose test fails if the pages' security policy refused anything they do."""
    tab = context.new_page()
    refused: list[str] = []
    tab.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield tab
    assert refused == []
