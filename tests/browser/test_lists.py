"""The floor's lists read whole and ask before what cannot be undone: the do-not-call list
pages past its first 100 numbers (an upload of 154 showed 100 as if they were all), the
contacts' search takes ё and е as one letter, and the review queue says why each contact is
there and asks before closing one."""

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, ContactState, Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, answering, log_in, shoot
from tests.builders import Actor, actor, campaign, contact

LOCALES = {"ru": "ru-RU", "en": "en-US"}
PHONE = {"width": 390, "height": 844}
SHOWING = {
    "ru": ("Найдено: 152, показаны 1–100.", "Найдено: 152, показаны 101–152."),
    "en": ("Found: 152, showing 1–100.", "Found: 152, showing 101–152."),
}
IN_REVIEW = "+74951110001"
NOT_UNTIL_RELEASED = {"ru": "когда его вернут с разбора", "en": "once released from review"}
WHY = {
    "ru": "Отправлен на разбор: время на звонок истекло без результата, раз подряд: 3.",
    "en": "Sent to review: the time on this number ran out without an outcome 3 times in a row.",
}
CLOSED = {"ru": "закрыт", "en": "closed"}


def supervisor(floor: Floor) -> Actor:
    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.SUPERVISOR)

    return floor.run(work)


def staff_page(browser: Browser, floor: Floor, staff: Actor, lang: str, path: str) -> Page:
    """A floor's page in a language, for a supervisor logged in, once it has its data."""
    page = new_context(browser, LOCALES[lang]).new_page()
    log_in(page, floor, staff, "/supervisor")
    page.goto(f"{floor.url}{path}")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    return page


def numbers_file() -> bytes:
    """154 lines, two of them a number already in the file: 152 numbers."""
    phones = [f"+7999000{n:04d}" for n in range(1, 153)] + ["+79990000001", "+79990000002"]
    return ("phone\n" + "\n".join(phones) + "\n").encode()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_do_not_call_list_pages_past_its_first_hundred(
    browser: Browser, floor: Floor, lang: str
) -> None:
    page = staff_page(browser, floor, supervisor(floor), lang, "/dnc")
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


def seed_review(floor: Floor) -> Actor:
    """A supervisor, and two contacts: one in review after three leases ran out."""

    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        staff = await actor(client, maker, Role.SUPERVISOR)
        made = await campaign(client, staff)
        review = await contact(maker, made["id"], IN_REVIEW, company="ООО «Ёлка»")
        other = await contact(maker, made["id"], "+74951110002", company="ЗАО Орёл")
        async with maker.begin() as session:
            await session.execute(
                update(Contact)
                .where(Contact.id == review)
                .values(name="Пётр Иванов", state=ContactState.REVIEW, expired_streak=3)
            )
            await session.execute(
                update(Contact).where(Contact.id == other).values(name="Павел Орлов")
            )
        return staff

    return floor.run(work)


def search(page: Page, q: str) -> None:
    page.locator("#state").select_option("")
    page.locator("#q").fill(q)
    page.locator("#q").press("Enter")


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_review_queue_says_why_and_asks_before_closing(
    browser: Browser, floor: Floor, lang: str
) -> None:
    page = staff_page(browser, floor, seed_review(floor), lang, "/contacts")

    # Typed with е, as most people type it, for names and companies written with ё; each
    # search finds another row than the one before, so a row still shown cannot pass for it.
    for q, found in (("Елка", IN_REVIEW), ("Орел", "+74951110002"), ("петр иванов", IN_REVIEW)):
        search(page, q)
        expect(page.locator("#contacts tr")).to_have_count(1)
        expect(page.locator("#contacts tr").first).to_contain_text(found)
    search(page, "Елка")
    shoot(page, floor, f"contacts-search-e-{lang}-1366")

    page.locator("#review-queue").click()
    row = page.locator("#contacts tr", has_text=IN_REVIEW)
    expect(row.locator(".reason")).to_have_text(WHY[lang])
    row.locator("button").first.click()
    expect(page.locator("#card-facts")).to_contain_text(WHY[lang])
    # Not called until released: no next call's time, which read as if one were due.
    expect(page.locator("#card-facts")).to_contain_text(NOT_UNTIL_RELEASED[lang])
    shoot(page, floor, f"contacts-review-{lang}-1366")

    # Closing asks first, naming the number, in the page's language: refused, nothing moves.
    asked: list[str] = []
    page.set_viewport_size(PHONE)
    page.once("dialog", answering(asked, accept=False))
    row.locator("button").nth(2).click()
    expect(row.locator("button").nth(2)).to_be_enabled()
    [question] = asked
    assert IN_REVIEW in question
    assert ("Закрыть" if lang == "ru" else "Close") in question
    expect(row.locator(".reason")).to_have_text(WHY[lang])
    shoot(page, floor, f"contacts-review-{lang}-390")
    page.once("dialog", answering(asked, accept=True))
    row.locator("button").nth(2).click()
    expect(page.locator("#contacts tr", has_text=IN_REVIEW)).to_have_count(0)
    search(page, IN_REVIEW)
    expect(page.locator("#contacts tr", has_text=IN_REVIEW)).to_contain_text(CLOSED[lang])
    # The card open for it says so too, with no reason left for a review it left.
    expect(page.locator("#card-facts")).to_contain_text(CLOSED[lang])
    expect(page.locator("#card-facts")).not_to_contain_text(WHY[lang])
    assert len(asked) == 2
    shoot(page, floor, f"contacts-closed-{lang}-390")
