"""Errors in red beside what caused them, kept until the next success; a page for a wrong
address; the dashboard and its header at a phone's width."""

from datetime import timedelta

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor, campaign, contact

RED = "rgb(179, 38, 30)"


def supervisor(floor: Floor) -> Actor:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.SUPERVISOR)

    return floor.run(seed)


def test_an_error_is_red_stays_and_goes_at_the_next_success(page: Page, floor: Floor) -> None:
    boss = supervisor(floor)
    page.clock.install()
    log_in(page, floor, boss, "/supervisor")
    reason = page.locator("#dialer-reason")
    # A reason longer than the API takes (as a browser without `maxlength` would send it).
    reason.evaluate("input => input.removeAttribute('maxlength')")
    reason.fill("x" * 501)
    page.get_by_role("button", name="Приостановить обзвон").click()
    # Beside the form that caused it.
    error = page.locator("#dialer-pause + #dialer-pause-error.action-error")
    expect(error).to_have_text(
        "Проверьте поля формы. (reason: String should have at most 500 characters)×"
    )
    expect(error).to_have_attribute("role", "alert")
    assert error.evaluate("box => getComputedStyle(box).color") == RED
    shoot(page, floor, "error-ru-1366")
    # Minutes later it is still there: an error waits to be read.
    page.clock.fast_forward("05:00")
    expect(error).to_be_visible()
    reason.fill("Обед")
    page.get_by_role("button", name="Приостановить обзвон").click()
    expect(page.locator("#message")).to_have_text("Готово.")
    expect(page.locator(".action-error")).to_have_count(0)


def test_a_wrong_address_gets_a_page_in_the_readers_language(
    browser: Browser, floor: Floor
) -> None:
    for locale, words, home in (
        ("ru-RU", "По этому адресу страницы нет.", "На начальную страницу"),
        ("en-GB", "There is no page at this address.", "Go to the start page"),
    ):
        context = new_context(browser, locale)
        page = context.new_page()
        response = page.goto(floor.url + "/supervisr")
        assert response is not None
        assert response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", level=2)).to_have_text(words)
        page.get_by_role("link", name=home).click()
        page.wait_for_url(floor.url + "/")
        context.close()
    api = httpx.get(floor.url + "/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json() == {"error": "not_found", "detail": "There is no such resource."}


def test_the_dashboard_fits_a_phone(browser: Browser, floor: Floor) -> None:
    boss = supervisor(floor)
    for locale in ("ru-RU", "en-GB"):
        context = new_context(browser, locale)
        page = context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        log_in(page, floor, boss, "/supervisor")
        expect(page.locator("#who")).not_to_be_empty()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for control in (page.locator("#logout"), *page.locator(".langs a").all()):
            box = control.bounding_box()
            assert box is not None
            assert box["x"] >= 0, control
            assert box["x"] + box["width"] <= 390, control
        # The status line, empty, scrolls away with the page: stuck at the top it hid a line.
        expect(page.locator("#message")).to_be_empty()
        page.mouse.wheel(0, 600)
        expect(page.locator("#message")).not_to_be_in_viewport()
        page.locator("#logout").click()
        page.wait_for_url(floor.url + "/")
        context.close()


def test_the_dashboard_counts_callable_and_waiting_per_campaign(page: Page, floor: Floor) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        boss = await actor(client, maker, Role.SUPERVISOR)
        # Open all day, so that what waits here waits for its retry only.
        created = await campaign(
            client, boss, name="Окна", calling_window={"start": "00:00", "end": "23:59"}
        )
        now = utcnow()
        for i in range(2):
            await contact(maker, created["id"], f"+749500055{i}0", next_call_at=now)
        await contact(maker, created["id"], "+74950005599", next_call_at=now + timedelta(hours=1))
        return boss

    boss = floor.run(seed)
    log_in(page, floor, boss, "/supervisor")
    row = page.locator("#campaigns tr", has_text="Окна")
    expect(row.locator("td")).to_have_text(["2", "0", "1", "0"])
    expect(page.locator("#campaigns-h")).to_have_text("Кампании: можно звонить сейчас и ждут")
    expect(page.locator("#managers-overdue")).to_have_text("Просроченных анкет: 0")
