"""The shift planner's page: measured rates, the MPK, and each shift's recommendation."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Role, RosterEntry, Shift
from dialer.shifts.calendar import local_date
from tests import builders_managers as managers
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.browser.test_errors_and_small_screens import RED
from tests.builders import Actor, actor, on_shift
from tests.builders_plan import known_history, shifts_from
from tests.floor import quick_actor

NARROW = {"width": 390, "height": 844}
MOSCOW = ZoneInfo("Europe/Moscow")


def test_the_planner_shows_each_shift_its_roster_and_recommendation(
    browser: Browser, floor: Floor
) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        now = utcnow()
        # Whole floor days only, ended before today's first shift: the service's clock is
        # the wall's, so a shift in progress would count part of an hour.
        today = datetime.combine(local_date(now, "Europe/Moscow"), time(), MOSCOW)
        await known_history(maker, today - timedelta(days=27), today)
        supervisor = await actor(client, maker, Role.SUPERVISOR)
        operators = [await quick_actor(maker, Role.OPERATOR, now) for _ in range(6)]
        await shifts_from(maker, now, now + timedelta(days=15))
        async with maker.begin() as session:
            ahead = await session.scalars(select(Shift).where(Shift.ends_at > now))
            for shift in ahead:
                for operator in operators:
                    session.add(
                        RosterEntry(shift_id=shift.id, operator_id=operator.id, added_at=now)
                    )
        return supervisor

    supervisor = floor.run(seed)
    for locale, lang, recommended_words in (
        ("ru-RU", "ru", "Рекомендуется"),
        ("en-US", "en", "Recommended"),
    ):
        context = new_context(browser, locale)
        page = context.new_page()
        log_in(page, floor, supervisor, "/supervisor")
        # The dashboard's shift area links the planner; the keyboard reaches it.
        link = page.locator('#shift-h ~ p a[href="/plan"]')
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(floor.url + "/plan")
        rows = page.locator("#shifts tr")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 9  # two weeks of weekday shifts, today's perhaps begun
        first, last = rows.first, rows.last
        # Six on every roster ahead against 4 warm an hour, 30 closed a day: fewer advised.
        expect(last.locator("td").nth(0)).to_have_text("6")
        recommended = int(last.locator("td").nth(1).locator("strong").inner_text())
        assert recommended < 6
        expect(page.locator("#rate-values td").first).to_have_text("4")
        expect(page.locator("#history-short")).to_be_hidden()
        # On the reader's wall clock, as the dashboard writes a shift, and so named.
        expect(first.locator("th .hint")).to_contain_text("(Europe/Moscow)")
        shoot(page, floor, f"plan-{lang}-1366")
        page.set_viewport_size(NARROW)
        expect(first).to_be_visible()
        shoot(page, floor, f"plan-{lang}-390")
        # The roster page shows the same advice beside each shift's roster.
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(floor.url + "/shifts")
        advice = page.locator(f'#shifts td[data-label="{recommended_words}"]')
        expect(advice.last).to_have_text(re.compile(r"^\d+"))
        shoot(page, floor, f"shifts-plan-{lang}-1366")
        page.set_viewport_size(NARROW)
        shoot(page, floor, f"shifts-plan-{lang}-390")
        context.close()


def planner_page(
    browser: Browser, floor: Floor, supervisor: Actor, locale: str
) -> tuple[BrowserContext, Page]:
    """The planner's page in `locale`, for `supervisor` logged in."""
    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, supervisor, "/supervisor")
    page.goto(floor.url + "/plan")
    return context, page


def shoot_wide_and_narrow(page: Page, floor: Floor, name: str) -> None:
    """The page as it is, then at a phone's width."""
    shoot(page, floor, f"{name}-1366")
    page.set_viewport_size(NARROW)
    shoot(page, floor, f"{name}-390")


def test_with_no_history_the_planner_says_so_in_words_that_agree(
    browser: Browser, floor: Floor
) -> None:
    """No day measured yet: one rate for every hour (the table's head read "hour –"), and the
    history's counts in words that agree with any number ("1 рабочих дней" before)."""

    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.SUPERVISOR)

    supervisor = floor.run(seed)
    for locale, lang, every_hour, days in (
        ("ru-RU", "ru", "любой час", "на смене 0 дн."),
        ("en-US", "en", "every hour", "0 d on the floor"),
    ):
        context, page = planner_page(browser, floor, supervisor, locale)
        expect(page.locator("#rate-hours th")).to_have_text([every_hour])
        expect(page.locator("#history")).to_contain_text(days)
        short = page.locator("#history-short")
        expect(short).to_be_visible()
        # Defaults are worth reading, but nothing went wrong: not in an error's red.
        assert short.evaluate("box => getComputedStyle(box).color") != RED
        shoot_wide_and_narrow(page, floor, f"plan-no-history-{lang}")
        context.close()


def test_a_floor_short_of_operators_reads_what_the_mpk_could_take(
    browser: Browser, floor: Floor
) -> None:
    """The history's one operator is the whole floor: the planner recommends that one and
    says the MPK could take four, where it recommended four nobody could roster."""

    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        now = utcnow()
        today = datetime.combine(local_date(now, "Europe/Moscow"), time(), MOSCOW)
        await known_history(maker, today - timedelta(days=27), today)
        await shifts_from(maker, now, now + timedelta(days=15))
        return await actor(client, maker, Role.SUPERVISOR)

    supervisor = floor.run(seed)
    for locale, lang, floor_words, could_take in (
        ("ru-RU", "ru", "Активных операторов в зале: 1", "МПК могли бы принять"),
        ("en-US", "en", "Active operators on the floor: 1", "the MPK could take"),
    ):
        context, page = planner_page(browser, floor, supervisor, locale)
        expect(page.locator("#floor-size")).to_contain_text(floor_words)
        # The last shift ahead starts from a backlog the lone operator could not fill.
        last = page.locator("#shifts tr").last
        expect(last.locator("td").nth(1).locator("strong")).to_have_text("1")
        expect(last.locator("td").nth(1).locator(".hint")).to_contain_text(could_take)
        shoot_wide_and_narrow(page, floor, f"plan-short-{lang}")
        context.close()


def test_the_shifts_page_writes_an_expected_pause_on_the_shifts_clock_and_names_its_zone(
    browser: Browser, floor: Floor
) -> None:
    """A shift on UTC's clock read from Moscow: the pause expected is written on the clock of
    the shift's hours beside it and named, where it was the reader's, three hours on, unnamed."""

    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, datetime]:
        supervisor = await actor(client, maker, Role.SUPERVISOR)
        where = await managers.floor(maker)
        # Begun this very day (UTC), whatever the hour: the pages list shifts from today.
        now = utcnow()
        begun = max(
            now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0)
        )
        shift_id = await on_shift(maker, [where.operator_id], starts_at=begun)
        # A questionnaire and no MPK to take it: the shift's roster is expected to pause.
        async with maker.begin() as session:
            await managers.warm_in(session, where, utcnow(), shift_id=shift_id)
        today = utcnow().date()
        period = {"from": str(today), "to": str(today + timedelta(days=13))}
        plan = await client.get("/api/v1/reports/plan", params=period, headers=supervisor.headers)
        assert plan.status_code == 200, plan.text
        shift = next(s for s in plan.json()["shifts"] if s["id"] == str(shift_id))
        return supervisor, datetime.fromisoformat(shift["pause_expected_at"])

    supervisor, pause = floor.run(seed)
    # The page asks the planner again, a little later: the pause it expects moves with the
    # clock, by a minute or two (it ran the shift from "now").
    on_its_clock = "|".join(
        re.escape(f"{(pause + timedelta(minutes=m)).astimezone(UTC):%H:%M} (UTC)") for m in range(4)
    )
    for locale, lang, recommended_words, pause_words in (
        ("ru-RU", "ru", "Рекомендуется", "пауза из-за загрузки около"),
        ("en-US", "en", "Recommended", "saturation pause at about"),
    ):
        context = new_context(browser, locale)
        page = context.new_page()
        log_in(page, floor, supervisor, "/supervisor")
        page.goto(floor.url + "/shifts")
        row = page.locator("#shifts tr", has_text="Test shift")
        expect(row.locator("td").nth(2)).to_contain_text("(UTC)")
        advice = row.locator(f'td[data-label="{recommended_words}"]')
        expect(advice).to_have_text(re.compile(rf"^\d+ — {pause_words} ({on_its_clock})$"))
        shoot(page, floor, f"shifts-pause-{lang}-1366")
        page.set_viewport_size(NARROW)
        shoot(page, floor, f"shifts-pause-{lang}-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        context.close()
