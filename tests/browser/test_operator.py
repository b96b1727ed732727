"""The operator's console: the next call one keystroke away, the outcome, the refusals in words."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor, campaign, contact, on_shift

# Named zones around the world, so that whenever the tests run one of them is inside the
# campaign's 09:00–20:00 calling window: no gap between neighbours is wider than the window.
ZONES = [
    "Asia/Vladivostok",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Auckland",
]
SCRIPT = "Здравствуйте! Компания «Каскад». Кто у вас отвечает за закупки?"
ANSWER = "Понимаю. А что вы используете сейчас?"


def calling_zone(now: datetime) -> str:
    """A zone where it is now between 10:00 and 17:00.

    Before 17:00, so that the contact due two hours later is still inside the window.
    """
    return next(z for z in ZONES if 10 <= now.astimezone(ZoneInfo(z)).hour < 17)


@dataclass(frozen=True)
class Scene:
    operator: Actor
    manager: Actor
    supervisor: Actor
    zone: str
    phones: list[str]


def seed_floor(
    floor: Floor,
    contacts: int = 1,
    *,
    clocked_in: bool = True,
    later: int = 0,
    calling_window: dict[str, str] | None = None,
) -> Scene:
    """A campaign with a script, contacts in a zone that may be called now, and an operator
    on the roster of an open shift (clocked in unless told); `later` contacts are due in 2 h.
    The campaign calls 09:00–20:00 unless given its `calling_window`."""

    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Scene:
        supervisor = await actor(client, maker, Role.SUPERVISOR)
        operator = await actor(client, maker, Role.OPERATOR)
        manager = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        made = await campaign(
            client,
            supervisor,
            script=SCRIPT,
            objections=[{"code": "need_nothing", "answer": ANSWER}],
            **({"calling_window": calling_window} if calling_window else {}),
        )
        zone = calling_zone(datetime.now(UTC))
        phones = [f"+7495{uuid.uuid4().int % 10**7:07d}" for _ in range(contacts)]
        for phone in phones:
            await contact(maker, made["id"], phone, timezone=zone, company="ООО Ромашка")
        for _ in range(later):
            due = datetime.now(UTC) + timedelta(hours=2)
            number = f"+7495{uuid.uuid4().int % 10**7:07d}"
            await contact(maker, made["id"], number, timezone=zone, next_call_at=due)
        await on_shift(maker, [operator.id], clocked_in=clocked_in)
        return Scene(operator, manager, supervisor, zone, phones)

    return floor.run(work)


def test_an_operator_takes_a_call_and_files_a_warm_questionnaire(
    browser: Browser, page: Page, floor: Floor
) -> None:
    scene = seed_floor(floor, later=1)
    log_in(page, floor, scene.operator, "/operator")
    expect(page.locator("#next")).to_be_focused()

    page.keyboard.press("n")
    call = page.locator("#call")
    expect(call).to_be_visible()
    expect(page.locator("#c-company")).to_have_text("ООО Ромашка")
    expect(page.locator("#c-zone")).to_have_text(f"({scene.zone})")
    expect(page.locator("#my-zone")).to_have_text("(Europe/Moscow)")
    dial = page.locator("#dial-tel")
    expect(dial).to_have_attribute("href", f"tel:{scene.phones[0]}")
    expect(dial).to_be_focused()
    expect(page.locator("#script")).to_have_text(SCRIPT)
    expect(page.locator("#objections")).to_contain_text(ANSWER)
    # A number never called says so, not numbered as an attempt ("1. Never called before.").
    never = page.locator("#c-history li")
    expect(never).to_have_text("Раньше не звонили.")
    assert never.evaluate("(li) => getComputedStyle(li).listStyleType") == "none"
    # One number at a time: the button asks for none while this one is out (it did nothing).
    expect(page.locator("#next")).to_be_disabled()
    shoot(page, floor, "operator-call")

    page.keyboard.press("6")
    expect(page.get_by_role("radio", name="Тёплая анкета")).to_be_checked()
    page.get_by_label("Контактное лицо").fill("Иван Петрович")
    page.get_by_label("Что нужно").fill("Бумага A4, 40 пачек в месяц")
    page.get_by_label("Ожидаемый объём").fill("40")
    shoot(page, floor, "operator-outcome")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status")).to_have_text("Анкета передана менеджеру.")
    expect(call).to_be_hidden()
    expect(page.locator("#next")).to_be_enabled()
    expect(page.locator("#next")).to_be_focused()
    # The shift's conversion as Russian writes a share (it read "100%", English).
    expect(page.locator("#my-conversion")).to_have_text("100\u00a0%")

    # The other contact is due in two hours: the console says why there is no one to call.
    page.keyboard.press("n")
    refusal = page.locator("#refusal")
    expect(refusal).to_have_attribute("data-code", "queue_empty")
    expect(refusal).to_contain_text("Сейчас некому звонить.")
    expect(refusal.locator("li")).to_have_text(["ждут повторного звонка: 1"])
    expect(refusal).to_contain_text(re.compile(r"Следующий номер — примерно через 1[12]\d мин\."))
    shoot(page, floor, "operator-queue-empty")

    manager = new_context(browser)
    desk = manager.new_page()
    log_in(desk, floor, scene.manager, "/manager")
    row = desk.locator("#questionnaires tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ООО Ромашка")
    expect(row).to_contain_text("Бумага A4, 40 пачек в месяц")
    expect(row.locator("[data-status]")).to_have_text("новая")
    shoot(desk, floor, "manager-new-questionnaire")
    manager.close()


def test_a_callback_is_booked_in_the_contacts_own_time(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    log_in(page, floor, scene.operator, "/operator")
    page.get_by_role("button", name="Следующий звонок").click()
    expect(page.locator("#call")).to_be_visible()
    page.get_by_role("radio", name="Перезвонить").check()
    picker = page.get_by_label("Перезвонить (время клиента)")
    expect(picker).to_be_enabled()
    # A week on: inside the campaign's bound on how far ahead a callback may be booked.
    day = (datetime.now(ZoneInfo(scene.zone)) + timedelta(days=7)).date()
    picker.fill(f"{day}T15:30")
    page.get_by_label("Любой оператор").check()
    with page.expect_request("**/outcome") as sent:
        page.get_by_role("button", name="Записать итог").click()
    body = sent.value.post_data_json
    at = datetime(day.year, day.month, day.day, 15, 30, tzinfo=ZoneInfo(scene.zone))
    offset = at.strftime("%z")
    assert body["callback_at"] == f"{day}T15:30:00{offset[:3]}:{offset[3:]}"
    assert body["callback_scope"] == "anyone"
    expect(page.get_by_role("status")).to_have_text("Итог записан.")


def test_a_callback_is_offered_inside_the_contacts_calling_window(page: Page, floor: Floor) -> None:
    """An hour from now falls after the window closes: the picker offers the next day's
    opening, which the outcome takes (it offered the hour, which the outcome refused)."""
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo(calling_zone(now)))
    # Open from an hour ago to half an hour on: the call starts inside it, an hour on is past
    # it (local time is 10:00–17:00 there, so the window never crosses midnight).
    start = f"{local - timedelta(hours=1):%H:%M}"
    end = f"{local + timedelta(minutes=30):%H:%M}"
    scene = seed_floor(floor, calling_window={"start": start, "end": end})
    log_in(page, floor, scene.operator, "/operator")
    page.get_by_role("button", name="Следующий звонок").click()
    expect(page.locator("#call")).to_be_visible()
    page.get_by_role("radio", name="Перезвонить").check()
    tomorrow = (datetime.now(ZoneInfo(scene.zone)) + timedelta(days=1)).date()
    expect(page.get_by_label("Перезвонить (время клиента)")).to_have_value(f"{tomorrow}T{start}")
    expect(page.locator("#callback-zone")).to_have_text(f"({scene.zone}; звонки {start}–{end})")
    shoot(page, floor, "operator-callback-window")
    # A time picked past the window is refused beside the picker, in words.
    picker = page.get_by_label("Перезвонить (время клиента)")
    picker.fill(f"{tomorrow}T{end}")
    page.get_by_role("button", name="Записать итог").click()
    refused = page.locator("#callback-at-error")
    expect(refused).to_have_text(f"Вне часов звонков, {start}–{end} по часам клиента.")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, "operator-callback-window-390")
    picker.fill(f"{tomorrow}T{start}")
    page.get_by_role("button", name="Записать итог").click()
    expect(page.get_by_role("status")).to_have_text("Итог записан.")
    expect(refused).to_be_hidden()


def test_the_operator_clocks_in_before_dialing(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor, clocked_in=False)
    log_in(page, floor, scene.operator, "/operator")
    expect(page.locator("#attendance")).to_contain_text("Вы не отмечены на смене")
    page.keyboard.press("n")
    expect(page.locator("#refusal")).to_contain_text("Сначала отметьтесь на смене.")
    shoot(page, floor, "operator-not-clocked-in")
    page.get_by_role("button", name="Отметиться на смене").click()
    expect(page.locator("#attendance")).to_contain_text("Вы на смене")
    expect(page.locator("#refusal")).to_be_hidden()
    page.get_by_role("button", name="Следующий звонок").click()
    expect(page.locator("#call")).to_be_visible()
    # Skipped without a call: the console says the number went back (it said nothing).
    page.locator("#release").click()
    expect(page.locator("#call")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(f"Снова в очереди: {scene.phones[0]}")


def test_a_supervisor_pauses_and_resumes_dialing_and_the_console_follows(
    browser: Browser, page: Page, floor: Floor
) -> None:
    scene = seed_floor(floor)
    boss_context = new_context(browser)
    boss = boss_context.new_page()
    log_in(boss, floor, scene.supervisor, "/supervisor")
    expect(boss.locator("#dialer-state")).to_have_text("идёт")
    operator_row = boss.locator(f'tr[data-operator="{scene.operator.id}"]')
    expect(operator_row.locator("[data-state]")).to_have_text("ждёт номер")

    boss.locator("#dialer-reason").fill("Планёрка")
    boss.get_by_role("button", name="Приостановить обзвон").click()
    expect(boss.locator("#dialer-state")).to_have_text("на паузе")
    expect(boss.locator("#dialer-reasons")).to_contain_text("Планёрка")
    shoot(boss, floor, "supervisor-dialer-paused")

    log_in(page, floor, scene.operator, "/operator")
    page.keyboard.press("n")
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("Обзвон приостановлен старшим смены.")
    shoot(page, floor, "operator-dialer-paused")

    boss.get_by_role("button", name="Возобновить обзвон").click()
    expect(boss.locator("#dialer-state")).to_have_text("идёт")
    # The operator asked for a number and the console keeps asking: it comes once dialing resumes.
    expect(page.locator("#call")).to_be_visible()
    expect(refusal).to_be_hidden()
    expect(operator_row.locator("[data-state]")).to_have_text("звонит")
    boss_context.close()


def test_a_supervisor_pauses_one_operator(browser: Browser, page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    boss_context = new_context(browser)
    boss = boss_context.new_page()
    log_in(boss, floor, scene.supervisor, "/supervisor")
    row = boss.locator(f'tr[data-operator="{scene.operator.id}"]')
    row.get_by_label("Причина").fill("Разбор звонка")
    row.get_by_label("Причина").press("Enter")
    expect(row.locator("[data-state]")).to_have_text("на паузе")

    log_in(page, floor, scene.operator, "/operator")
    page.keyboard.press("n")
    expect(page.locator("#refusal")).to_contain_text("Старший смены поставил вас на паузу.")

    row.get_by_role("button", name="Возобновить").click()
    expect(page.locator("#call")).to_be_visible()
    boss_context.close()


def test_the_console_keeps_the_lease_alive_while_it_is_open(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    # The page's clock, moved by hand: no waiting for a third of the lease to pass.
    page.clock.install()
    log_in(page, floor, scene.operator, "/operator")
    page.keyboard.press("n")
    expect(page.locator("#call")).to_be_visible()
    with page.expect_response("**/heartbeat") as beat:
        page.clock.fast_forward("04:00")
    assert beat.value.status == 200
    assert "expires_at" in beat.value.json()
