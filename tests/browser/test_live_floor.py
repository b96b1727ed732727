"""The floor that tells the truth, live: the problems found trying it as a real floor."""

import re
import time
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Dialog, Page, Request, Route, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, lunch_break, shoot
from tests.browser.test_operator import ZONES, seed_floor
from tests.builders import Actor, contact


def api(floor: Floor, method: str, path: str, who: Actor, **body: object) -> httpx.Response:
    return httpx.request(
        method, f"{floor.url}/api/v1{path}", json=body or None, headers=who.headers, timeout=30
    )


def take_a_number(page: Page) -> None:
    page.get_by_role("button", name="Следующий звонок").click()
    expect(page.locator("#call")).to_be_visible()


def test_1_the_dashboard_tells_callable_from_waiting(page: Page, floor: Floor) -> None:
    """ "ready 8" while operators starved: contacts outside their calling window are waiting."""
    scene = seed_floor(floor, contacts=2)
    now = datetime.now(UTC)
    closed = next(z for z in ZONES if not 9 <= now.astimezone(ZoneInfo(z)).hour < 20)

    async def outside(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
        made = (await client.get("/api/v1/campaigns", headers=scene.supervisor.headers)).json()
        for _ in range(3):
            number = f"+7495{uuid.uuid4().int % 10**7:07d}"
            await contact(maker, made[0]["id"], number, timezone=closed)

    floor.run(outside)
    log_in(page, floor, scene.supervisor, "/supervisor")
    expect(page.locator("#queue-ready")).to_have_text("2")
    expect(page.locator("#queue-waiting")).to_have_text("3")
    shoot(page, floor, "supervisor-callable")


def test_2_a_supervisors_pause_reaches_the_console_without_a_key(
    browser: Browser, page: Page, floor: Floor
) -> None:
    scene = seed_floor(floor)
    log_in(page, floor, scene.operator, "/operator")
    expect(page.locator("#live-state")).to_have_text("ждёт номер")
    paused = api(floor, "POST", f"/operators/{scene.operator.id}/pause", scene.supervisor,
                 reason="coaching at desk 4")  # fmt: skip
    assert paused.status_code == 200
    expect(page.locator("#live-state")).to_have_text("на паузе")
    expect(page.locator("#live-why")).to_contain_text("«coaching at desk 4»")
    expect(page.locator("body")).to_have_attribute("data-live", "stream")
    shoot(page, floor, "operator-paused")
    api(floor, "POST", f"/operators/{scene.operator.id}/resume", scene.supervisor)
    expect(page.locator("#live-state")).to_have_text("ждёт номер")


def test_3_a_closed_tab_goes_offline_on_the_dashboard(
    browser: Browser, page: Page, floor: Floor
) -> None:
    scene = seed_floor(floor)
    console = new_context(browser)
    tab = console.new_page()
    log_in(tab, floor, scene.operator, "/operator")
    expect(tab.locator("#live-state")).to_have_text("ждёт номер")
    log_in(page, floor, scene.supervisor, "/supervisor")
    state = page.locator(f'#operators tr[data-operator="{scene.operator.id}"] [data-state]')
    expect(state).to_have_text(re.compile("ждёт номер"))
    console.close()
    # Thirty seconds without a request or a stream: the page waits on what it shows.
    expect(state).to_have_text(re.compile("нет связи"), timeout=60_000)


def test_5_not_interested_needs_the_objection_heard(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    log_in(page, floor, scene.operator, "/operator")
    take_a_number(page)
    page.get_by_role("radio", name="Не интересно").check()
    with page.expect_request("**/outcome") as sent:
        page.get_by_role("button", name="Записать итог").click()
        error = page.locator("#objection-error")
        expect(error).to_have_text("Выберите возражение, которое услышали.")
        expect(page.locator("#call")).to_be_visible()
        page.get_by_label("Возражение").select_option("need_nothing")
        expect(error).to_have_count(0)
        page.get_by_role("button", name="Записать итог").click()
    assert sent.value.post_data_json == {
        "disposition": "not_interested",
        "objection": "need_nothing",
    }
    expect(page.locator("#call")).to_be_hidden()


def test_6_the_dashboards_buttons_match_the_state(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    shift = api(floor, "GET", "/dialer/status", scene.supervisor).json()["shift"]
    log_in(page, floor, scene.supervisor, "/supervisor")
    resume_dialing = page.get_by_role("button", name="Возобновить обзвон")
    pause_dialing = page.get_by_role("button", name="Приостановить обзвон")
    expect(pause_dialing).to_be_visible()
    expect(resume_dialing).to_be_hidden()
    api(floor, "POST", f"/shifts/{shift['id']}/pause", scene.supervisor, reason="briefing")
    expect(page.locator("#dialer-state")).to_have_text("на паузе")
    expect(page.get_by_role("button", name="Возобновить смену")).to_be_visible()
    expect(resume_dialing).to_be_hidden()
    page.get_by_role("button", name="Возобновить смену").click()
    expect(page.locator("#dialer-state")).to_have_text("идёт")
    page.get_by_label("Причина").first.fill("enough clients")
    pause_dialing.click()
    expect(resume_dialing).to_be_visible()
    expect(pause_dialing).to_be_hidden()
    shoot(page, floor, "supervisor-dialer-paused")


def test_4_a_half_filled_outcome_survives_an_expired_session(page: Page, floor: Floor) -> None:
    scene = seed_floor(floor)
    log_in(page, floor, scene.operator, "/operator")
    take_a_number(page)
    page.get_by_role("radio", name="Тёплая анкета").check()
    page.get_by_label("Контактное лицо").fill("Иван Петрович")
    page.get_by_label("Заметки").fill("перезвонить бухгалтеру")
    # The session expires: the token the page holds is no longer accepted (401).
    page.evaluate("() => sessionStorage.setItem('cascade.token', 'expired.token')")
    page.reload()
    page.wait_for_url(re.compile(r"/$"))
    log_in(page, floor, scene.operator, "/operator")
    expect(page.locator("#call")).to_be_visible()
    expect(page.get_by_role("radio", name="Тёплая анкета")).to_be_checked()
    expect(page.get_by_label("Контактное лицо")).to_have_value("Иван Петрович")
    expect(page.get_by_label("Заметки")).to_have_value("перезвонить бухгалтеру")


def test_8_breaks_confirmations_a_cue_and_counts_that_stay(
    browser: Browser, page: Page, floor: Floor
) -> None:
    scene = seed_floor(floor, contacts=2)

    floor.run(lunch_break)
    log_in(page, floor, scene.operator, "/operator")
    page.get_by_label("Перерыв").select_option("lunch")
    page.get_by_role("button", name="Уйти на перерыв").click()
    expect(page.locator("#live-state")).to_have_text("перерыв")
    expect(page.locator("#live-why")).to_contain_text("Обед")
    page.get_by_role("button", name="Вернуться с перерыва").click()
    expect(page.locator("#live-state")).to_have_text("ждёт номер")

    take_a_number(page)
    expect(page).to_have_title(re.compile(r"^☎ \+7495"))
    asked: list[str] = []

    def refuse(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.get_by_role("radio", name="Не звонить").check()
    page.get_by_role("button", name="Записать итог").click()
    page.get_by_role("button", name="Уйти со смены").click()
    expect(page.locator("#call")).to_be_visible()
    assert [m.split(":")[0].split(".")[0] for m in asked] == [
        "Номер попадёт в список «не звонить» во всех кампаниях",
        "Вы на звонке",
    ]
    page.remove_listener("dialog", refuse)
    page.get_by_role("radio", name="Занято").check()
    page.get_by_role("button", name="Записать итог").click()
    expect(page.locator("#call")).to_be_hidden()
    expect(page).not_to_have_title(re.compile("☎"))
    expect(page.locator("#my-calls")).to_have_text("1")
    page.get_by_role("button", name="Уйти со смены").click()
    expect(page.locator("#live-state")).to_have_text("не на смене")
    expect(page.locator("#my-calls")).to_have_text("1")
    shoot(page, floor, "operator-after-clock-out")


def test_9_a_dropped_stream_is_tried_again_at_a_moment_of_its_own(page: Page, floor: Floor) -> None:
    """A restart drops every console at once: each tries again after a random wait, a longer
    one at most after each try that failed, and polls once after each try that failed."""
    scene = seed_floor(floor)
    # Every draw the least: the waits are then the shortest the pages allow.
    page.add_init_script("Math.random = () => 0;")
    tries: list[float] = []
    polls: list[float] = []

    def drop_twice(route: Route) -> None:
        tries.append(time.monotonic())
        if len(tries) == 1:
            # One event, then the stream ends, as when the service stops.
            me = route.fetch(url=route.request.url.removesuffix("/stream"))
            route.fulfill(
                content_type="text/event-stream", body=f"event: me\ndata: {me.text()}\n\n"
            )
        elif len(tries) == 2:
            route.abort()  # the service not back yet
        else:
            route.continue_()

    def count_polls(request: Request) -> None:
        if request.url.endswith("/api/v1/me") and tries:
            polls.append(time.monotonic())

    page.route("**/api/v1/me/stream", drop_twice)
    page.on("request", count_polls)
    log_in(page, floor, scene.operator, "/operator")
    live = page.locator("body")
    # Down after the first try's event, then up again only with the third try.
    expect(live).to_have_attribute("data-live", "polling", timeout=15_000)
    expect(live).to_have_attribute("data-live", "stream", timeout=15_000)
    expect(page.locator("#live-state")).to_have_text("ждёт номер")
    assert len(tries) == 3
    # At least a second before each try again, and the page polled after the try that failed.
    assert tries[1] - tries[0] >= 1.0
    assert tries[2] - tries[1] >= 1.0
    assert any(tries[1] < at < tries[2] for at in polls)
    waits = page.evaluate(
        """async () => {
            const { reconnectDelay } = await import("/static/js/shared.js");
            const least = () => 0, most = () => 1;
            return [reconnectDelay(0, least), reconnectDelay(0, most), reconnectDelay(1, most),
                    reconnectDelay(2, most), reconnectDelay(9, most)];
        }"""
    )
    # From a second to ten after a stream that brought events; twice as long at most after
    # each try that brought none, up to a minute.
    assert waits == [1000, 10_000, 20_000, 40_000, 60_000]


def test_10_a_console_that_cannot_reach_the_service_says_so(page: Page, floor: Floor) -> None:
    """Its stream down and its polls failing, the console says what it shows may be stale,
    and takes that back once the stream answers again."""
    scene = seed_floor(floor)
    page.add_init_script("Math.random = () => 0;")
    down = {"stream": True, "polls": False}

    def stream(route: Route) -> None:
        if down["stream"]:
            route.abort()
        else:
            route.continue_()

    def poll(route: Route) -> None:
        if down["polls"]:
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/me/stream", stream)
    page.route("**/api/v1/me", poll)
    log_in(page, floor, scene.operator, "/operator")
    live = page.locator("body")
    message = page.locator("#message")
    expect(live).to_have_attribute("data-live", "polling")
    expect(page.locator("#live-state")).to_have_text("ждёт номер")
    expect(message).to_be_empty()
    down["polls"] = True
    expect(message).to_contain_text("Нет связи с сервером", timeout=10_000)
    expect(message).to_have_attribute("role", "alert")
    shoot(page, floor, "operator-unreachable")
    down.update(stream=False, polls=False)
    expect(live).to_have_attribute("data-live", "stream", timeout=10_000)
    expect(message).to_be_empty()


def test_11_an_operator_resumed_from_the_dashboard_shows_resumed(page: Page, floor: Floor) -> None:
    """The Resume button kept focus, and the table did not redraw while focus was in it (that
    keeps a reason being typed): the row showed the pause until the supervisor clicked away."""
    scene = seed_floor(floor)
    log_in(page, floor, scene.supervisor, "/supervisor")
    row = page.locator(f'#operators tr[data-operator="{scene.operator.id}"]')
    row.get_by_placeholder("Причина").fill("coaching at desk 4")
    row.get_by_role("button", name="Приостановить").click()
    expect(row.get_by_role("button", name="Возобновить")).to_be_visible()
    expect(row).to_contain_text("coaching at desk 4")
    row.get_by_role("button", name="Возобновить").click()
    expect(row.get_by_role("button", name="Приостановить")).to_be_visible()
    expect(row).not_to_contain_text("coaching at desk 4")
    expect(row.locator("[data-state]")).to_have_text(re.compile("ждёт номер"))
    shoot(page, floor, "supervisor-operator-resumed")
