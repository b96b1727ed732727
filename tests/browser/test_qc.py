"""Quality control in the browser: the queue, listening (with seeking), scoring, and the
operator reading its review. The recording is a real Ogg Opus file as the softphone makes it."""

import time
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Response, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Role
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from softphone.recording import Pair, encode
from tests.browser.conftest import new_context
from tests.browser.harness import SCREENSHOTS, Floor, log_in
from tests.builders import Actor, actor, contact, on_shift
from tests.builders_recordings import wav
from tests.floorsetup import ALL_DAY

SECONDS = 8.0
PHONE = "+74951230077"
COMPANY = "ООО Бумажный двор"


def ogg(folder: Path) -> bytes:
    """An 8-second call as `cascade softphone` sends it: two sides, Opus in Ogg."""
    pair = Pair(folder / "dump-enc.wav", folder / "dump-dec.wav")
    pair.operator.write_bytes(wav(SECONDS, tone=440.0))
    pair.customer.write_bytes(wav(SECONDS, tone=300.0))
    encode(pair, folder / "call.ogg")
    return (folder / "call.ogg").read_bytes()


def seed(
    floor: Floor, audio: bytes, phones: tuple[str, ...] = (PHONE,)
) -> tuple[Actor, Actor, list[str]]:
    """A supervisor, and an operator's recorded not-interested call to each number (their ids)."""

    async def work(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, Actor, list[str]]:
        supervisor = await actor(client, maker, Role.SUPERVISOR, login_name="sv-qc")
        operator = await actor(client, maker, Role.OPERATOR, login_name="op-qc")
        async with maker.begin() as session:
            spec = CampaignSpec(name="Бумага", window_start=ALL_DAY[0], window_end=ALL_DAY[1])
            campaign_id = (await create_campaign(session, spec, utcnow())).id
        for phone in phones:
            await contact(maker, campaign_id, phone, company=COMPANY)
        await on_shift(maker, [operator.id])
        return supervisor, operator, [await call(client, operator, audio) for _ in phones]

    return floor.run(work)


async def call(client: httpx.AsyncClient, operator: Actor, audio: bytes) -> str:
    """The operator's next number, called, answered, not interested, recorded: the attempt's id."""
    lease = (await client.post("/api/v1/dialer/next", headers=operator.headers)).json()
    number = lease["contact"]["phone"]
    start = utcnow() - timedelta(seconds=20)
    for event, at in (("dialing", 0), ("answered", 5), ("hangup", 5 + SECONDS)):
        sent = await client.post(
            "/api/v1/softphone/events",
            json={"event": event, "number": number, "call_id": f"qc-{number}",
                  "at": (start + timedelta(seconds=at)).isoformat()},
            headers=operator.headers,
        )  # fmt: skip
        assert sent.status_code == 202
    outcome = {"disposition": "not_interested", "objection": "need_nothing"}
    made = await client.post(
        f"/api/v1/leases/{lease['lease_id']}/outcome", json=outcome, headers=operator.headers
    )
    attempt_id: str = made.json()["attempt_id"]
    kept = await client.put(
        f"/api/v1/attempts/{attempt_id}/recording",
        content=audio,
        headers={**operator.headers, "Content-Type": "audio/ogg"},
    )
    assert kept.status_code == 201, kept.text
    return attempt_id


def until(page: Page, expression: str, seconds: float = 15.0) -> None:
    """Wait until the expression holds in the page.

    Not `page.wait_for_function`: it evaluates its predicate with eval, which the pages'
    Content-Security-Policy refuses; `page.evaluate` goes through the debugger instead.
    """
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(50)


def audio_loaded(page: Page, selector: str) -> float:
    """Wait until the audio element knows its length; the length in seconds."""
    until(
        page,
        f"document.querySelector('{selector}').readyState >= 1 && "
        f"isFinite(document.querySelector('{selector}').duration)",
    )
    duration: float = page.evaluate(f"document.querySelector('{selector}').duration")
    return duration


def shots(browser: Browser, floor: Floor, who: Actor, path: str, name: str) -> None:
    """The page at both sizes in both languages, into artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("ru", "en"):
        context = new_context(browser, locale=f"{language}-RU")
        page = context.new_page()
        log_in(page, floor, who, "/supervisor" if path == "/qc" else "/operator")
        for width, height in ((1366, 768), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{floor.url}{path}?lang={language}")
            expect(page.locator("#page-title")).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.screenshot(
                path=SCREENSHOTS / f"{name}-{language}-{width}-{floor.backend}.png", full_page=True
            )
        context.close()


def test_a_supervisor_listens_scores_and_the_operator_reads_it(
    browser: Browser, page: Page, floor: Floor, tmp_path: Path
) -> None:
    supervisor, operator, _ = seed(floor, ogg(tmp_path))
    shots(browser, floor, supervisor, "/qc", "qc-queue")
    partial: list[Response] = []
    page.on("response", lambda r: partial.append(r) if r.status == 206 else None)

    log_in(page, floor, supervisor, "/supervisor")
    page.get_by_role("link", name="Контроль качества").click()
    page.wait_for_url(f"{floor.url}/qc")
    queue = page.locator("#queue li")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text("op-qc")
    expect(queue.first).to_contain_text("Не интересно")
    expect(queue.first).to_contain_text(f"{COMPANY} · {PHONE}")
    expect(page.locator("#call-talk")).to_have_text("0:08")
    expect(page.get_by_label("Приветствие и представление")).to_be_focused()
    assert abs(audio_loaded(page, "#player") - SECONDS) < 0.5

    # Listen from the keyboard: Space plays, → seeks five seconds on (a Range request).
    page.keyboard.press("Space")
    until(page, "document.querySelector('#player').currentTime > 0.3")
    page.keyboard.press("ArrowRight")
    until(page, "document.querySelector('#player').currentTime >= 5")
    assert any("/recording?access=" in r.url for r in partial)
    page.keyboard.press("Space")
    until(page, "document.querySelector('#player').paused")

    # A digit scores and moves on, 0 too (no score of the form is longer); the comment;
    # Ctrl+Enter saves.
    for digit in "40255":
        page.keyboard.type(digit)
    expect(page.get_by_label("Комментарий для оператора")).to_be_focused()
    typed = page.locator("#criteria input")
    assert [typed.nth(i).input_value() for i in range(5)] == ["4", "0", "2", "5", "5"]
    page.keyboard.type("Переспросите, что сейчас используют.")
    expect(page.locator("#total")).to_contain_text("56 %")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#message")).to_have_text("Оценка сохранена.")
    expect(page.locator("#queue-empty")).to_be_visible()
    report = page.locator("#report tr")
    expect(report).to_have_count(1)
    expect(report.first).to_contain_text("op-qc")
    expect(report.first).to_contain_text("Нам ничего не нужно: 0 / 1")
    # At a phone's width the report's rows stack, each figure named, inside the page.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(report.first.locator("td").first).to_have_attribute("data-label", "Проверок")
    page.set_viewport_size({"width": 1366, "height": 768})

    context = new_context(browser)
    mine = context.new_page()
    log_in(mine, floor, operator, "/operator")
    mine.get_by_role("link", name="Мои проверенные звонки").click()
    mine.wait_for_url(f"{floor.url}/reviews")
    reviewed = mine.locator("#reviews li")
    expect(reviewed).to_have_count(1)
    expect(reviewed.first).to_contain_text("56 %")
    expect(reviewed.first.locator("h2")).to_contain_text(f"{COMPANY} · {PHONE}")
    expect(reviewed.first).to_contain_text("Переспросите, что сейчас используют.")
    expect(reviewed.first).to_contain_text("На возражение ответил встречным вопросом")
    assert abs(audio_loaded(mine, "#reviews audio") - SECONDS) < 0.5
    context.close()
    shots(browser, floor, operator, "/reviews", "qc-reviews")
    shots(browser, floor, supervisor, "/qc", "qc-report")


def test_a_call_reviewed_by_someone_else_meanwhile_leaves_the_queue(
    browser: Browser, page: Page, floor: Floor, tmp_path: Path
) -> None:
    supervisor, _, (first, second) = seed(floor, ogg(tmp_path), (PHONE, "+74951230078"))
    log_in(page, floor, supervisor, "/supervisor")
    page.goto(f"{floor.url}/qc")
    expect(page.locator("#queue li")).to_have_count(2)
    expect(page.locator("#queue li[aria-current] button")).to_have_attribute("data-attempt", first)

    async def other_reviewer(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        other = await actor(client, maker, Role.SUPERVISOR, login_name="sv-qc-2")
        scores = dict.fromkeys(
            ("greeting", "script", "objection_counter", "questionnaire", "courtesy"), 5
        )
        made = await client.post(
            f"/api/v1/attempts/{first}/qc", json={"scores": scores}, headers=other.headers
        )
        assert made.status_code == 201, made.text

    floor.run(other_reviewer)
    page.keyboard.type("11111")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#message")).to_contain_text(
        "Этот звонок уже проверил кто-то другой: ваши оценки не сохранены"
    )
    expect(page.locator("#queue li")).to_have_count(1)
    expect(page.locator("#queue-count")).to_have_text("(1)")
    expect(page.locator("#queue li[aria-current] button")).to_have_attribute("data-attempt", second)
    expect(page.get_by_label("Приветствие и представление")).to_be_focused()
    expect(page.locator("#report tr").first).to_contain_text("op-qc")
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"qc-conflict-ru-{width}-{floor.backend}.png")
    shots(browser, floor, supervisor, "/qc", "qc-after-conflict")
