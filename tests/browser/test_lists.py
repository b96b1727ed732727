"""The floor's lists read whole: the do-not-call list pages past its first 100 numbers (an
upload of 154 showed 100 as if they were all)."""

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor

LOCALES = {"ru": "ru-RU", "en": "en-US"}
PHONE = {"width": 390, "height": 844}
SHOWING = {
    "ru": ("Найдено: 152, показаны 1–100.", "Найдено: 152, показаны 101–152."),
    "en": ("Found: 152, showing 1–100.", "Found: 152, showing 101–152."),
}


def supervisor(floor: Floor) -> Actor:
    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.SUPERVISOR)

    return floor.run(work)


def numbers_file() -> bytes:
    """154 lines, two of them a number already in the file: 152 numbers."""
    phones = [f"+7999000{n:04d}" for n in range(1, 153)] + ["+79990000001", "+79990000002"]
    return ("phone\n" + "\n".join(phones) + "\n").encode()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_do_not_call_list_pages_past_its_first_hundred(
    browser: Browser, floor: Floor, lang: str
) -> None:
    staff = supervisor(floor)
    page = new_context(browser, LOCALES[lang]).new_page()
    log_in(page, floor, staff, "/supervisor")
    page.goto(f"{floor.url}/dnc")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.locator("#dnc-file").set_input_files(
        files=[{"name": "numbers.csv", "mimeType": "text/csv", "buffer": numbers_file()}]
    )
    page.locator("#upload button[type=submit]").click()
    first, rest = SHOWING[lang]
    expect(page.locator("#found")).to_have_text(first)
    expect(page.locator("#entries tr")).to_have_count(100)
    expect(page.locator("#prev")).to_be_disabled()
    shoot(page, floor, f"dnc-first-page-{lang}-1366")
    numbers = page.locator("#entries td:first-child")
    first_page = numbers.all_inner_texts()
    page.locator("#next-page").click()
    expect(page.locator("#found")).to_have_text(rest)
    expect(page.locator("#entries tr")).to_have_count(52)
    assert len(set(first_page) | set(numbers.all_inner_texts())) == 152
    expect(page.locator("#next-page")).to_be_disabled()
    page.set_viewport_size(PHONE)
    shoot(page, floor, f"dnc-last-page-{lang}-390")
    page.locator("#prev").click()
    expect(page.locator("#found")).to_have_text(first)
    # One page only: no count of what is shown, the whole list is.
    page.locator("#q").fill("+79990000152")
    page.locator("#q").press("Enter")
    expect(page.locator("#found")).to_have_text("Найдено: 1" if lang == "ru" else "Found: 1")
    expect(page.locator("#next-page")).to_be_disabled()
