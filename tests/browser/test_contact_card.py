"""A contact's card reads in words: the objection heard, the questionnaire's answers under the
campaign's labels for its fields, the account's stage. It showed the codes (`need_nothing`,
`contact_person`, `working`)."""

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.browser.test_operator import seed_floor

LOCALES = {"ru": "ru-RU", "en": "en-US"}
CLOSED = {"ru": "закрыта", "en": "closed"}
COLUMN_6 = {"ru": "столбец 6", "en": "column 6"}
# The default questionnaire's labels, in the page's language.
LABELS = {"ru": ["Контактное лицо", "Что нужно"], "en": ["Contact person", "What they need"]}
WORDS = {
    "ru": ("Нам ничего не нужно", "В работе"),
    "en": ("We need nothing", "Working"),
}


def open_card(page: Page, phone: str) -> None:
    """Find the number and open its card. The row clicked is the search's one row with the
    number, not the number's row in the list shown before the search answered (the list
    drawn again under the click took it)."""
    page.locator("#q").fill(phone)
    page.locator("#q").press("Enter")
    rows = page.locator("#contacts tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(phone)
    rows.first.locator("button").first.click()
    expect(page.locator("#card-title")).to_have_text(phone)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_a_contacts_card_says_its_objections_answers_and_stage_in_words(
    browser: Browser, floor: Floor, lang: str
) -> None:
    scene = seed_floor(floor, contacts=2)
    operator, manager = scene.operator.headers, scene.manager.headers

    async def work(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
        # A cell the file's heading did not name, as an import keeps it.
        async with maker.begin() as session:
            await session.execute(update(Contact).values(fields={"column_6": "этаж 3"}))
        # One number not interested, the other warm and then a first order: an account.
        for outcome in (
            {"disposition": "not_interested", "objection": "need_nothing"},
            {
                "disposition": "warm",
                "questionnaire": {"contact_person": "Иван Петрович", "need": "бумага A4"},
            },
        ):
            lease = await client.post("/api/v1/dialer/next", headers=operator)
            path = f"/api/v1/leases/{lease.json()['lease_id']}/outcome"
            done = await client.post(path, json=outcome, headers=operator)
            assert done.status_code == 200, done.text
        [filed] = (await client.get("/api/v1/questionnaires", headers=manager)).json()
        for status in ({"status": "in_progress"}, {"status": "first_order", "amount": "9000"}):
            path = f"/api/v1/questionnaires/{filed['id']}/status"
            changed = await client.post(path, json=status, headers=manager)
            assert changed.status_code == 200, changed.text

    floor.run(work)
    objection, stage = WORDS[lang]
    context = new_context(browser, LOCALES[lang])
    page = context.new_page()
    log_in(page, floor, scene.supervisor, "/supervisor")
    page.goto(f"{floor.url}/contacts")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    for phone in scene.phones:
        open_card(page, phone)
        expect(page.locator("#card-account")).to_have_text(f"ООО Ромашка ({stage})")
        # Both are closed (the first order closed its company's numbers): no next call.
        facts = page.locator("#card-facts dd")
        expect(facts.nth(5)).to_have_text(CLOSED[lang])
        expect(facts.nth(6)).to_have_text("–")
        expect(page.locator("#card-facts")).to_contain_text(f"{COLUMN_6[lang]}этаж 3")
    # The cards' attempts, the last one open: which number was which is the queue's to say.
    attempts = page.locator("#attempts")
    answers = page.locator("#card-questionnaire")
    if "Иван Петрович" not in answers.inner_text():
        open_card(page, scene.phones[0])
    expect(answers.locator("dt")).to_have_text(LABELS[lang])
    expect(answers).to_contain_text("Иван Петрович")
    shoot(page, floor, f"contact-card-{lang}-1366")
    other = next(p for p in scene.phones if p != page.locator("#card-title").inner_text())
    open_card(page, other)
    expect(attempts.locator("td").nth(3)).to_have_text(objection)
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, f"contact-card-{lang}-390")
    context.close()
