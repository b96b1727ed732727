"""Logging in through the browser, in Russian or English, to the role's own page."""

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor


def someone(floor: Floor, role: Role, desk: Desk | None = None) -> Actor:
    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, role, desk=desk, capacity=5 if desk else None)

    return floor.run(work)


@pytest.mark.parametrize(
    ("role", "desk", "landing", "title"),
    [
        (Role.OPERATOR, None, "/operator", "Пульт оператора"),
        (Role.SUPERVISOR, None, "/supervisor", "Панель старшего смены"),
        (Role.MANAGER, Desk.ACQUISITION, "/manager", "Мои анкеты"),
        # Past the first order a manager works accounts: it lands on them.
        (Role.MANAGER, Desk.DEVELOPMENT, "/accounts", "Мои клиенты"),
    ],
)
def test_each_role_lands_on_its_own_page(
    page: Page, floor: Floor, role: Role, desk: Desk | None, landing: str, title: str
) -> None:
    who = someone(floor, role, desk)
    log_in(page, floor, who, landing)
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#who")).to_have_text(who.login)
    shoot(page, floor, f"shell-{role.value}")


def test_a_wrong_password_is_refused_in_the_browsers_language(
    browser: Browser, floor: Floor
) -> None:
    who = someone(floor, Role.OPERATOR)
    for locale, words in (("en-US", "Wrong login or password."), ("ru-RU", "Неверный логин")):
        context = new_context(browser, locale)
        page = context.new_page()
        page.goto(floor.url + "/")
        page.get_by_label(re.compile("Login|Логин")).fill(who.login)
        page.get_by_label(re.compile("Password|Пароль")).fill("not-the-password")
        page.get_by_role("button", name=re.compile("Log in|Войти")).click()
        expect(page.get_by_role("alert")).to_contain_text(words)
        expect(page).to_have_url(floor.url + "/")
        if locale == "en-US":
            shoot(page, floor, "login-refused")
        context.close()


def test_english_chosen_by_hand_stays_for_the_next_page(page: Page, floor: Floor) -> None:
    who = someone(floor, Role.OPERATOR)
    page.goto(floor.url + "/")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log_in(page, floor, who, "/operator")
    expect(page.locator("h1")).to_have_text("Operator console")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_address_people_type_to_log_in_has_the_form(page: Page, floor: Floor) -> None:
    """`/login` was a page not found; it goes to the form, in the language asked for."""
    page.goto(floor.url + "/login?lang=en")
    page.wait_for_url(floor.url + "/?lang=en")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_page_without_a_login_sends_you_to_log_in(page: Page, floor: Floor) -> None:
    page.goto(floor.url + "/supervisor")
    page.wait_for_url(floor.url + "/")
    expect(page.locator("#username")).to_be_focused()


def test_a_role_is_sent_from_a_page_that_is_not_its_own(page: Page, floor: Floor) -> None:
    who = someone(floor, Role.OPERATOR)
    log_in(page, floor, who, "/operator")
    page.goto(floor.url + "/supervisor")
    page.wait_for_url(floor.url + "/operator")
    token = page.evaluate("() => sessionStorage.getItem('cascade.token')")
    me = httpx.get(f"{floor.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url(floor.url + "/")
    page.goto(floor.url + "/operator")
    page.wait_for_url(floor.url + "/")
    # Logging out ended the token at the service, not only in the tab.
    me = httpx.get(f"{floor.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_the_callback_picker_reads_the_contacts_wall_clock(page: Page, floor: Floor) -> None:
    page.goto(floor.url + "/")
    convert = "([wall, zone]) => window.Cascade.wallToInstant(wall, zone)"
    cases = [
        (("2026-12-01T15:30", "Europe/Moscow"), "2026-12-01T15:30:00+03:00"),
        (("2026-12-01T15:30", "Asia/Vladivostok"), "2026-12-01T15:30:00+10:00"),
        (("2026-07-01T09:05", "Europe/Berlin"), "2026-07-01T09:05:00+02:00"),
        (("2026-01-15T09:05", "Europe/Berlin"), "2026-01-15T09:05:00+01:00"),
        (("2026-03-10T23:45", "America/New_York"), "2026-03-10T23:45:00-04:00"),
        (("2026-06-01T12:00", "Asia/Kolkata"), "2026-06-01T12:00:00+05:30"),
    ]
    for args, instant in cases:
        assert page.evaluate(convert, list(args)) == instant
