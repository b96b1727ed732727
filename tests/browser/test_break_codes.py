"""Break codes from the pages: an admin adds, relabels and retires them on the shifts page,
and the operator's console offers the codes in use, no other; a supervisor reads the list.

No page had them: a floor whose admin did not use the API had no breaks at all."""

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.browser.test_operator import seed_floor
from tests.builders import Actor, actor

LOCALES = {"ru": "ru-RU", "en": "en-US"}
EMPTY = {
    "ru": "Кодов перерывов пока нет: операторы не могут уйти на перерыв.",
    "en": "No break codes yet: operators cannot take a break.",
}
TAKEN = {"ru": "Такой код перерыва уже есть.", "en": "That break code already exists."}
ADMINS_ONLY = {
    "ru": "Коды перерывов добавляет и меняет только администратор.",
    "en": "Only an admin adds and changes break codes.",
}


def offered(browser: Browser, floor: Floor, operator: Actor, lang: str) -> list[str]:
    """The breaks the operator's console offers, as it reads them."""
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, operator, "/operator")
    expect(page.locator("#break")).to_be_visible()
    labels = page.locator("#break-code option").all_inner_texts()
    context.close()
    return labels


def admin_on_the_shifts_page(
    browser: Browser, floor: Floor, lang: str
) -> tuple[BrowserContext, Page]:
    """A new admin's tab on the shifts page, ready, in this language."""

    async def staff(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.ADMIN)

    admin = floor.run(staff)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, admin, "/supervisor")
    page.goto(f"{floor.url}/shifts")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    return context, page


@pytest.mark.parametrize("lang", list(LOCALES))
def test_an_admin_keeps_the_break_codes_that_the_console_offers(
    browser: Browser, floor: Floor, lang: str
) -> None:
    scene = seed_floor(floor)
    context, page = admin_on_the_shifts_page(browser, floor, lang)
    expect(page.locator("#break-codes")).to_have_text(EMPTY[lang])

    # A code the service refuses (Cyrillic) is said at its field; nothing is added.
    page.locator("#b-label").fill("Обед")
    page.locator("#b-code").fill("обед")
    page.locator("#b-save").click()
    expect(page.locator("#b-code[aria-invalid=true]")).to_be_visible()
    expect(page.locator("#break-codes")).to_have_text(EMPTY[lang])

    page.locator("#b-code").fill("lunch")
    page.locator("#b-save").click()
    expect(page.locator("#break-codes")).to_contain_text("lunch")
    # A code taken is said at the code's field.
    page.locator("#b-label").fill("Обед ещё раз")
    page.locator("#b-code").fill("lunch")
    page.locator("#b-save").click()
    expect(page.locator("#b-code-error")).to_have_text(TAKEN[lang])
    page.locator("#b-label").fill("Учёба")
    page.locator("#b-code").fill("training")
    page.locator("#b-paid").check()
    page.locator("#b-save").click()
    expect(page.locator("#break-codes tr")).to_have_count(2)
    shoot(page, floor, f"shifts-break-codes-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#breaks-h").scroll_into_view_if_needed()
    shoot(page, floor, f"shifts-break-codes-{lang}-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    assert sorted(offered(browser, floor, scene.operator, lang)) == ["Обед", "Учёба"]

    # Relabelled, then retired: the console offers the new words, then no longer the code.
    lunch = page.locator("#break-codes tr").filter(has_text="lunch")
    lunch.get_by_role("button").first.click()
    expect(page.locator("#b-code")).to_be_hidden()
    page.locator("#b-label").fill("Обед (30 мин)")
    page.locator("#b-save").click()
    expect(lunch).to_contain_text("Обед (30 мин)")
    assert sorted(offered(browser, floor, scene.operator, lang)) == ["Обед (30 мин)", "Учёба"]
    training = page.locator("#break-codes tr").filter(has_text="training")
    training.get_by_role("button").last.click()
    expect(training.get_by_role("button").last).to_have_text(
        "Вернуть" if lang == "ru" else "Offer again"
    )
    assert offered(browser, floor, scene.operator, lang) == ["Обед (30 мин)"]
    context.close()

    # A supervisor reads them, and is told who changes them.
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.supervisor, "/supervisor")
    page.goto(f"{floor.url}/shifts")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("#break-codes tr")).to_have_count(2)
    expect(page.locator("#breaks-admins-only")).to_have_text(ADMINS_ONLY[lang])
    expect(page.locator("#break-form")).to_be_hidden()
    expect(page.locator("#break-codes button")).to_have_count(0)
    context.close()
