"""What a walk through the floor's pages found: an operator's own break read as a supervisor's
pause, a stale "Saved" above a new error, a break without its kind, a count named for what it
does not count, a user cut off in one click."""

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, answering, log_in, lunch_break, shoot
from tests.browser.test_break_codes import admin_on_the_shifts_page
from tests.browser.test_operator import seed_floor
from tests.builders import Actor, actor

LOCALES = {"ru": "ru-RU", "en": "en-US"}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
OWN_BREAK = {
    "ru": "Вы на перерыве (Обед): сначала вернитесь с перерыва.",
    "en": "You are on a break (Обед): come back from it first.",
}

# Shorter than the 8 s after which a success fades by itself.
FADES_LATER_MS = 3000
WAITING = {"ru": "ждёт номер", "en": "waiting for a number"}
ON_LUNCH = {"ru": "оператор: перерыв (Обед)", "en": "operator: break (Обед)"}
WARM = {"ru": "тёплых", "en": "warm"}
DEACTIVATE = {"ru": "Отключить", "en": "Deactivate"}
REACTIVATE = {"ru": "Включить", "en": "Reactivate"}
ASKED = {"ru": "Отключить {name}? Все сеансы", "en": "Deactivate {name}? Their sessions end"}
DEACTIVATED = {"ru": "Отключён: {name}", "en": "Deactivated: {name}"}
RECORDED = {"ru": "Итог записан.", "en": "Outcome recorded."}
SAVED = {"ru": "Сохранено: Отдых", "en": "Saved: Отдых"}
TAKEN = {"ru": "Такой код перерыва уже есть.", "en": "That break code already exists."}


def shoot_both(page: Page, floor: Floor, name: str) -> None:
    """The page at a laptop's width and at a phone's."""
    shoot(page, floor, f"{name}-1366")
    page.set_viewport_size(PHONE)
    shoot(page, floor, f"{name}-390")
    page.set_viewport_size(LAPTOP)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_next_call_on_ones_own_break_says_the_break(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """It said "A supervisor has paused you." to an operator on its own lunch."""
    scene = seed_floor(floor, contacts=2)
    floor.run(lunch_break)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.operator, "/operator")
    page.keyboard.press("n")
    expect(page.locator("#call")).to_be_visible()
    page.locator("input[name=disposition][value=busy]").check()
    page.locator("#outcome button[type=submit]").click()
    expect(page.locator("#call")).to_be_hidden()

    page.locator("#break-code").select_option("lunch")
    page.locator("#break button[type=submit]").click()
    expect(page.locator("#end-break")).to_be_visible()
    message = page.locator("#message")
    expect(message).to_have_text(RECORDED[lang])
    page.keyboard.press("n")
    refusal = page.locator("#refusal")
    expect(refusal).to_have_text(OWN_BREAK[lang])
    # The new error takes the success away: "Outcome recorded." stood above it (until it
    # faded, 8 s after it was said: hence the short wait).
    expect(message).to_be_empty(timeout=FADES_LATER_MS)
    shoot_both(page, floor, f"walk-operator-break-next-{lang}")

    # Back from the break, the refusal goes; the console waited for the operator to ask.
    page.locator("#end-break").click()
    expect(refusal).to_be_hidden()
    expect(page.locator("#call")).to_be_hidden()
    page.keyboard.press("n")
    expect(page.locator("#call")).to_be_visible()
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_a_form_refused_takes_a_standing_success_away(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """The break codes' form said "Saved: Отдых" above "That break code already exists."."""
    context, page = admin_on_the_shifts_page(browser, floor, lang)
    page.locator("#b-label").fill("Отдых")
    page.locator("#b-code").fill("rest")
    page.locator("#b-save").click()
    message = page.locator("#message")
    expect(message).to_have_text(SAVED[lang])
    page.locator("#b-label").fill("Отдых 2")
    page.locator("#b-code").fill("rest")
    page.locator("#b-save").click()
    expect(page.locator("#b-code-error")).to_have_text(TAKEN[lang])
    expect(message).to_be_empty(timeout=FADES_LATER_MS)
    page.locator("#breaks-h").scroll_into_view_if_needed()
    shoot(page, floor, f"walk-break-code-taken-{lang}-1366")
    page.set_viewport_size(PHONE)
    page.locator("#breaks-h").scroll_into_view_if_needed()
    shoot(page, floor, f"walk-break-code-taken-{lang}-390")
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_dashboard_names_an_operators_break_by_its_kind(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """A row on a break read "operator: break, Студент 1, 21:48", without the break's kind."""
    scene = seed_floor(floor)
    floor.run(lunch_break)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.supervisor, "/supervisor")
    row = page.locator(f'#operators tr[data-operator="{scene.operator.id}"]')
    expect(row.locator("[data-state]")).to_have_text(WAITING[lang])
    took = httpx.post(
        f"{floor.url}/api/v1/me/pause",
        json={"code": "lunch"},
        headers=scene.operator.headers,
        timeout=30,
    )
    assert took.status_code == 200, took.text
    expect(row.locator(".why")).to_contain_text(ON_LUNCH[lang])
    # The operator's own break, in the operator's own row: not said to be taken by them.
    expect(row.locator(".why")).not_to_contain_text(scene.operator.login)
    shoot_both(page, floor, f"walk-dashboard-break-kind-{lang}")
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_consoles_shift_numbers_say_warm_calls(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """The console counted warm calls under "questionnaires", where the dashboard's funnel
    counts the same operator's warm calls as Warm and fewer Questionnaires."""
    scene = seed_floor(floor)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.operator, "/operator")
    expect(page.locator("#my-warm")).to_have_text("0")
    expect(page.locator("#my-warm").locator("xpath=preceding-sibling::dt")).to_have_text(WARM[lang])
    shoot_both(page, floor, f"walk-operator-shift-numbers-{lang}")
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_deactivating_a_user_asks_first(browser: Browser, floor: Floor, lang: str) -> None:
    """ "Deactivate" cut a user off at once, in one click."""

    async def people(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, Actor]:
        return await actor(client, maker, Role.ADMIN), await actor(client, maker, Role.OPERATOR)

    admin, operator = floor.run(people)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, admin, "/supervisor")
    page.goto(f"{floor.url}/users")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    row = page.locator("#users tr").filter(has_text=operator.login)
    asked: list[str] = []

    def still_in() -> int:
        me = httpx.get(f"{floor.url}/api/v1/me", headers=operator.headers, timeout=30)
        return me.status_code

    # Asked, in the page's language and naming the user; refused, nothing changes.
    page.once("dialog", answering(asked, accept=False))
    row.get_by_role("button", name=DEACTIVATE[lang]).click()
    expect(row.get_by_role("button", name=DEACTIVATE[lang])).to_be_enabled()
    assert len(asked) == 1
    assert asked[0].startswith(ASKED[lang].format(name=operator.login))
    assert still_in() == 200
    shoot_both(page, floor, f"walk-users-deactivate-refused-{lang}")

    page.once("dialog", answering(asked, accept=True))
    row.get_by_role("button", name=DEACTIVATE[lang]).click()
    expect(page.locator("#message")).to_have_text(DEACTIVATED[lang].format(name=operator.login))
    expect(row.get_by_role("button", name=REACTIVATE[lang])).to_be_visible()
    assert len(asked) == 2
    assert still_in() == 401
    shoot_both(page, floor, f"walk-users-deactivated-{lang}")
    context.close()
