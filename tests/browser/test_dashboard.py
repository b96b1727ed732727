"""The supervisor's dashboard: quality control at a glance, the alerts as they come and go,
and the accounts in the floor's navigation."""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Attendance, Desk, Disposition, Pause, Role, User
from dialer.calls.qc import review
from dialer.sales.questionnaires import file_questionnaire
from tests import builders_managers as managers
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, lunch_break, shoot
from tests.browser.test_operator import seed_floor
from tests.builders import Actor, actor, campaign, contact
from tests.builders_recordings import upload, wav

LOCALES = {"ru": "ru-RU", "en": "en-US"}


def looked_at(page: Page, floor: Floor, name: str) -> None:
    """The page at the laptop's size and at a phone's, with nothing wider than the phone."""
    shoot(page, floor, f"{name}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, f"{name}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 768})


# ---- quality control


def scores(objection_counter: int, rest: int) -> dict[str, float]:
    """Scores of the default QC form: the counter-question criterion, and the same for the rest."""
    return {"greeting": rest, "script": rest, "objection_counter": objection_counter,
            "questionnaire": rest, "courtesy": rest}  # fmt: skip


@dataclass(frozen=True)
class QcFloor:
    supervisor: Actor
    anna: Actor
    boris: Actor


def seed_qc(floor: Floor) -> QcFloor:
    """Reviews of the last days: anna well (90 %), boris badly (47 %) on «we need nothing»,
    vera at 0 % ten days ago; two of anna's calls recorded and waiting for a review."""

    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> QcFloor:
        supervisor = await actor(client, maker, Role.SUPERVISOR)
        anna = await actor(client, maker, Role.OPERATOR, login_name="anna")
        boris = await actor(client, maker, Role.OPERATOR, login_name="boris")
        vera = await actor(client, maker, Role.OPERATOR, login_name="vera")
        campaign_id = (await managers.floor(maker)).campaign_id
        now = utcnow()
        reviewed = [
            (anna, "need_nothing", scores(5, 5), now),
            (anna, "busy", scores(4, 4), now - timedelta(days=2)),
            (boris, "need_nothing", scores(1, 3), now - timedelta(days=6)),
            (vera, "busy", scores(0, 0), now - timedelta(days=10)),
        ]
        waiting = []
        async with maker.begin() as session:
            for who, objection, given, at in reviewed:
                where = managers.Floor(campaign_id, who.id)
                called = await managers.add_contact(session, campaign_id, now=at)
                attempt = await managers.call(
                    session, where, called, Disposition.NOT_INTERESTED, at,
                    objection=objection, answered=True,
                )  # fmt: skip
                await review(session, attempt.id, supervisor.id, given, "", at)
            for _ in range(2):
                called = await managers.add_contact(session, campaign_id, now=now)
                attempt = await managers.call(
                    session, managers.Floor(campaign_id, anna.id), called,
                    Disposition.NOT_INTERESTED, now, objection="busy", answered=True,
                )  # fmt: skip
                waiting.append(attempt.id)
        for attempt_id in waiting:
            sent = await upload(client, attempt_id, anna, wav(1.0))
            assert sent.status_code == 201, sent.text
        return QcFloor(supervisor, anna, boris)

    return floor.run(work)


QC_WORDS = {
    "ru": (
        "Контроль качества",
        "Нам ничего не нужно — хорошо отработано в 1 из 2 проверенных звонков",
    ),
    "en": ("Quality control", "We need nothing — handled well in 1 of 2 reviewed calls"),
}


@pytest.mark.parametrize("lang", LOCALES)
def test_the_dashboard_shows_the_review_queue_the_lowest_scores_and_the_weakest_objection(
    browser: Browser, floor: Floor, lang: str
) -> None:
    seeded = seed_qc(floor)
    title, weakest = QC_WORDS[lang]
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, seeded.supervisor, "/supervisor")
    panel = page.get_by_role("region", name=title)
    expect(panel.locator("#qc-queue")).to_have_text("2")
    # Lowest first; vera's review is older than seven days and is left out.
    rows = panel.locator("#qc-scores tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-operator", str(seeded.boris.id))
    expect(rows.nth(0).locator("td")).to_have_text(["47 %", "1"])
    expect(rows.nth(1)).to_have_attribute("data-operator", str(seeded.anna.id))
    expect(rows.nth(1).locator("td")).to_have_text(["90 %", "2"])
    expect(panel.locator("#qc-objection")).to_have_text(weakest)
    looked_at(page, floor, f"dashboard-qc-{lang}")
    panel.locator("a[href='/qc']").click()
    page.wait_for_url(f"{floor.url}/qc")
    expect(page.locator("#queue li")).to_have_count(2)
    context.close()


def test_with_no_reviews_the_panel_says_so(page: Page, floor: Floor) -> None:
    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.SUPERVISOR)

    log_in(page, floor, floor.run(work), "/supervisor")
    expect(page.locator("#qc-queue")).to_have_text("0")
    expect(page.locator("#qc-scores-empty")).to_have_text(
        "За 7 дней не проверено ни одного звонка."
    )
    expect(page.locator("#qc-scores-table")).to_be_hidden()
    expect(page.locator("#qc-objection")).to_have_text("Плохо отработанных возражений нет.")


# ---- alerts

ALERTS = {
    "ru": {
        "queue": "{campaign}: при таком темпе очередь опустеет примерно через",
        "near": "МПК близки к насыщению: открыто 4 из 5.",
        "idle": "{operator} ждёт номера уже",
        "break": "{operator} на перерыве (Обед) уже",
        "nothing": "Ни в одной кампании сейчас некому звонить: операторы ждут.",
    },
    "en": {
        "queue": "{campaign}: the callable queue empties in about",
        "near": "The acquisition managers are near saturation: 4 of 5 open.",
        "idle": "{operator} has waited for a number for",
        "break": "{operator} has been on a break (Обед) for",
        "nothing": "No campaign has a number callable now: the operators wait.",
    },
}


def ready_console(browser: Browser, floor: Floor, operator: Actor) -> BrowserContext:
    """The operator's console, left open: the operator is online, ready for a number."""
    console = new_context(browser)
    tab = console.new_page()
    log_in(tab, floor, operator, "/operator")
    expect(tab.locator("#live-state")).to_have_text("ждёт номер")
    return console


@pytest.mark.parametrize("lang", LOCALES)
def test_each_alert_shows_while_its_condition_holds(
    browser: Browser, floor: Floor, lang: str
) -> None:
    scene = seed_floor(floor, contacts=2)

    async def more(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> str:
        await lunch_break(client, maker)
        made = (await client.get("/api/v1/campaigns", headers=scene.supervisor.headers)).json()
        campaign_id = uuid.UUID(made[0]["id"])
        # Four of the MPK's five places taken: 80 % of the high mark, not yet saturated.
        async with maker.begin() as session:
            for _ in range(4):
                await managers.warm_in(session, managers.Floor(campaign_id, scene.operator.id),
                                       utcnow())  # fmt: skip
        return str(made[0]["name"])

    campaign_name = floor.run(more)
    words = {
        key: re.compile(
            re.escape(text.format(campaign=campaign_name, operator=scene.operator.login))
        )
        for key, text in ALERTS[lang].items()
    }
    console = ready_console(browser, floor, scene.operator)

    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.supervisor, "/supervisor")
    alerts = page.locator("#alerts li")
    # Two callable numbers for one operator working: gone in minutes; and the MPK near full.
    expect(alerts).to_have_count(2)
    expect(alerts.filter(has_text=words["queue"])).to_have_count(1)
    expect(alerts.filter(has_text=words["near"])).to_have_count(1)

    # Waiting for a number since a clock-in 25 minutes ago.
    def clocked_in_earlier(minutes: int) -> None:
        async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
            async with maker.begin() as session:
                await session.execute(
                    update(Attendance)
                    .where(Attendance.operator_id == scene.operator.id)
                    .values(clock_in_at=utcnow() - timedelta(minutes=minutes))
                )

        floor.run(work)

    clocked_in_earlier(25)
    idle = alerts.filter(has_text=words["idle"])
    expect(idle).to_have_text(re.compile(r"\b2[56]\b"))
    expect(alerts).to_have_count(3)
    looked_at(page, floor, f"dashboard-alerts-{lang}")

    # A break: no longer waiting, and no one left working the queue; 21 minutes on it.
    operator = httpx.Client(base_url=floor.url, headers=scene.operator.headers, timeout=30)
    assert operator.post("/api/v1/me/pause", json={"code": "lunch"}).status_code == 200
    expect(alerts).to_have_count(1)
    expect(alerts.filter(has_text=words["near"])).to_have_count(1)

    async def break_earlier(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with maker.begin() as session:
            await session.execute(
                update(Pause)
                .where(Pause.target_id == scene.operator.id, Pause.ended_at.is_(None))
                .values(started_at=utcnow() - timedelta(minutes=21))
            )

    floor.run(break_earlier)
    on_break = alerts.filter(has_text=words["break"])
    expect(on_break).to_have_text(re.compile(r"\b2[12]\b"))
    expect(alerts).to_have_count(2)

    # Back from the break: ready since now, and the queue again has someone working it.
    assert operator.post("/api/v1/me/resume").status_code == 200
    expect(on_break).to_have_count(0)
    expect(alerts.filter(has_text=words["queue"])).to_have_count(1)
    expect(idle).to_have_count(0)
    operator.close()

    # Twenty more numbers: more than a quarter of an hour's calls for one operator.
    async def refill(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
        made = (await client.get("/api/v1/campaigns", headers=scene.supervisor.headers)).json()
        for _ in range(20):
            number = f"+7495{uuid.uuid4().int % 10**7:07d}"
            await contact(maker, made[0]["id"], number, timezone=scene.zone)

    floor.run(refill)
    expect(alerts.filter(has_text=words["queue"])).to_have_count(0)
    expect(alerts).to_have_count(1)

    # The MPK loses one questionnaire: three of five open, below 80 % of the mark.
    mpk = httpx.Client(base_url=floor.url, headers=scene.manager.headers, timeout=30)
    oldest = mpk.get("/api/v1/questionnaires").json()[0]["id"]
    for body in ({"status": "in_progress"}, {"status": "lost", "reason": "закупают сами"}):
        assert mpk.post(f"/api/v1/questionnaires/{oldest}/status", json=body).status_code == 200
    mpk.close()
    expect(page.locator("#alerts-box")).to_be_hidden()
    expect(alerts).to_have_count(0)
    context.close()
    console.close()


# ---- the accounts in the staff's navigation

NAV_WORDS = {"ru": ("Клиенты", "Мои анкеты"), "en": ("Accounts", "My questionnaires")}
HOLDER_WORDS = {
    "ru": ("Менеджер", "ждёт менеджера", "первый заказ на 120 000; все менеджеры отдела заняты"),
    "en": ("Manager", "waiting for a manager", "first order of 120,000; every manager of the desk"),
}


@pytest.mark.parametrize("lang", LOCALES)
def test_a_queue_with_nothing_callable_now_is_not_said_to_empty(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """A campaign whose numbers all wait for their calling window was said to empty "in about
    0 min" while another campaign had numbers: only a floor with none callable is told."""
    scene = seed_floor(floor, contacts=0)

    async def closed_now(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> str:
        night = await campaign(
            client, scene.supervisor, name="Ночные звонки",
            calling_window={"start": "00:00", "end": "01:00"},
        )  # fmt: skip
        for _ in range(3):
            await contact(maker, night["id"], f"+7495{uuid.uuid4().int % 10**7:07d}",
                          timezone=scene.zone)  # fmt: skip
        made = (await client.get("/api/v1/campaigns", headers=scene.supervisor.headers)).json()
        return str(next(c["id"] for c in made if c["id"] != night["id"]))

    day_campaign = floor.run(closed_now)
    console = ready_console(browser, floor, scene.operator)

    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.supervisor, "/supervisor")
    alerts = page.locator("#alerts li")
    expect(alerts).to_have_text([ALERTS[lang]["nothing"]])
    looked_at(page, floor, f"dashboard-nothing-callable-{lang}")

    async def two_numbers(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        for _ in range(2):
            await contact(maker, day_campaign, f"+7495{uuid.uuid4().int % 10**7:07d}",
                          timezone=scene.zone)  # fmt: skip

    floor.run(two_numbers)
    # The day campaign's two numbers go in minutes; the night one, waiting, says nothing.
    expect(alerts).to_have_count(1)
    expect(alerts).to_contain_text(ALERTS[lang]["queue"].format(campaign="Test campaign"))
    expect(alerts).not_to_contain_text("Ночные звонки")
    context.close()
    console.close()


@pytest.mark.parametrize("lang", LOCALES)
def test_staff_open_every_account_from_the_floor_navigation(
    browser: Browser, floor: Floor, lang: str
) -> None:
    accounts_words, questionnaires_words = NAV_WORDS[lang]
    manager_words, waiting_words, full_words = HOLDER_WORDS[lang]

    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, Actor]:
        supervisor = await actor(client, maker, Role.SUPERVISOR)
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        # Room for one client: the second first order waits for a manager.
        mrk = await actor(client, maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=1)
        where = await managers.floor(maker)
        async with maker.begin() as session:
            await session.execute(
                update(User).where(User.id == mrk.id).values(name="Ольга Смирнова")
            )
        for company in ("ООО Клиент", "ООО Второй"):
            async with maker.begin() as session:
                warm = await managers.add_contact(session, where.campaign_id, company=company)
                attempt = await managers.call(
                    session, where, warm, Disposition.WARM, utcnow(), answered=True
                )
                sold = await file_questionnaire(
                    session, attempt, {"need": "бумага"}, company, utcnow()
                )
            url = f"/api/v1/questionnaires/{sold.id}/status"
            for body in ({"status": "in_progress"}, {"status": "first_order", "amount": "120000"}):
                answer = await client.post(url, json=body, headers=mpk.headers)
                assert answer.status_code == 200, answer.text
        return supervisor, mrk

    supervisor, mrk = floor.run(seed)
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, supervisor, "/supervisor")
    nav = page.get_by_role("navigation", name=re.compile("^(Зал|The floor)$"))
    nav.get_by_role("link", name=accounts_words).click()
    page.wait_for_url(f"{floor.url}/accounts")
    expect(page.locator("#page-title")).to_have_text(accounts_words)
    expect(page).to_have_title(re.compile(f"^{accounts_words} · "))
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name=accounts_words)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name=questionnaires_words)).to_have_count(0)
    # Who holds each account, by name (the login on hover); one no manager holds waits.
    held = page.locator("#stages tr", has_text="ООО Клиент")
    expect(held.locator(".holder")).to_have_text("Ольга Смирнова")
    expect(held.locator(".holder span")).to_have_attribute("title", mrk.login)
    waits = page.locator("#stages tr", has_text="ООО Второй")
    expect(waits.locator(".holder")).to_have_text(waiting_words)
    # Why it waits, in the page's language too (the wait after a first order stayed English).
    expect(waits.locator(".history")).to_contain_text(full_words)
    expect(page.locator("#stages thead").first).to_contain_text(manager_words)
    looked_at(page, floor, f"accounts-staff-{lang}")
    context.close()

    # A manager's own page keeps a manager's view: no floor navigation.
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, mrk, "/accounts")
    expect(page.locator("#stages tr", has_text="ООО Клиент")).to_be_visible()
    expect(page.locator(".floor-nav")).to_be_hidden()
    # Its own accounts: no column naming itself.
    expect(page.locator("#stages thead").first).not_to_contain_text(manager_words)
    expect(page.locator(".holder")).to_have_count(0)
    # Nor a link to questionnaires, which only the acquisition desk gets (it led to none).
    expect(page.get_by_role("link", name=questionnaires_words)).to_have_count(0)
    context.close()
