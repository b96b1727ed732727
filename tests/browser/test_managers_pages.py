"""The managers' pages: answers under the campaign's labels with the operator's notes; the
MRK's accounts with turnover against plan, an order added and a refusal beside its field."""

import re

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Desk, Disposition, Role
from dialer.sales.questionnaires import file_questionnaire
from tests import builders_managers as managers
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor

LANGUAGES = {
    "ru": (
        "ru-RU",
        "Заметки оператора",
        "Мои клиенты",
        "Добавить заказ",
        "Заказ добавлен.",
        "первый заказ на",
    ),
    "en": (
        "en-US",
        "Operator's notes",
        "My accounts",
        "Add order",
        "Order added.",
        "first order of",
    ),
}
NEED = {"ru": "Что нужно", "en": "What they need"}
# An amount refused, in the page's words (they were the service's English on both).
MORE_THAN_0 = {"ru": "Больше 0.", "en": "More than 0."}
TOO_LARGE = {"ru": "Слишком большое число.", "en": "Too large."}
TURNOVER = {
    "ru": "150\u00a0000,50 / 300\u00a0000",
    "en": "150,000.50 / 300,000",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_manager_reads_labels_and_notes_and_an_mrk_adds_an_order(
    browser: Browser, floor: Floor, lang: str
) -> None:
    locale, notes_words, accounts_words, add_words, added_words, opened = LANGUAGES[lang]

    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, Actor]:
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        mrk = await actor(client, maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
        where = await managers.floor(maker)
        now = utcnow()
        async with maker.begin() as session:
            contact = await managers.add_contact(
                session, where.campaign_id, company="ООО Ромашка", now=now
            )
            attempt = await managers.call(
                session, where, contact, Disposition.WARM, now, answered=True
            )
            attempt.notes = "Перезвонить Ивану после обеда"
            filed = await file_questionnaire(
                session, attempt, {"need": "офисная бумага"}, contact.company, now
            )
        sold = await managers.warm(maker, where, company="ООО Клиент")
        url = f"/api/v1/questionnaires/{sold.id}/status"
        for body in ({"status": "in_progress"}, {"status": "first_order", "amount": "120000"}):
            answer = await client.post(url, json=body, headers=mpk.headers)
            assert answer.status_code == 200, answer.text
        assert filed.id
        return mpk, mrk

    mpk, mrk = floor.run(seed)
    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, mpk, "/manager")
    row = page.locator("#questionnaires tr", has_text="ООО Ромашка")
    # The default questionnaire's labels in the page's language ("What they need" on both).
    expect(row).to_contain_text(NEED[lang])
    expect(row.locator(".answers dt").first).not_to_have_text("need")
    expect(row).to_contain_text(notes_words)
    expect(row).to_contain_text("Перезвонить Ивану после обеда")
    expect(page.locator("#accounts-link")).to_be_hidden()
    sold_row = page.locator("#questionnaires tr", has_text="ООО Клиент")
    expect(sold_row.locator(".closed")).to_have_text(re.compile(r"120\D?000"))
    shoot(page, floor, f"manager-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, f"manager-{lang}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, mrk, "/accounts")
    account = page.locator("#stages tr", has_text="ООО Клиент")
    turnover = account.locator(".turnover")
    expect(turnover).to_contain_text("/")
    expect(account.locator(".history")).to_contain_text(opened)
    expect(account.locator(".history")).not_to_contain_text("questionnaire")
    # The opening came from no stage: no arrow from a dash.
    expect(account.locator(".history li").first).not_to_contain_text("→")
    orders = int(account.locator(".orders").inner_text())

    amount = account.get_by_label(re.compile(r"Сумма заказа|Order amount"))
    amount.fill("0")
    account.get_by_role("button", name=add_words).click()
    expect(account.locator(".order-form .field-error")).to_have_text(MORE_THAN_0[lang])
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(account.locator(".orders")).to_have_text(str(orders))
    amount.fill("1234567890123")
    account.get_by_role("button", name=add_words).click()
    expect(account.locator(".order-form .field-error")).to_have_text(TOO_LARGE[lang])
    expect(account.locator(".orders")).to_have_text(str(orders))
    huge_plan = account.locator("input[name=plan_volume]")
    huge_plan.fill("99999999999999")
    huge_plan.press("Enter")
    expect(account.locator(".plan-form .field-error")).to_have_text(TOO_LARGE[lang])
    shoot(page, floor, f"accounts-refused-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    account.scroll_into_view_if_needed()
    shoot(page, floor, f"accounts-refused-{lang}-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    huge_plan.fill("")

    amount.fill("30000.5")
    amount.press("Enter")
    expect(page.get_by_role("status")).to_have_text(added_words)
    expect(account.locator(".orders")).to_have_text(str(orders + 1))
    # Money as money is written: a sum with cents has two places, a whole one none.
    expect(turnover).to_have_text(TURNOVER[lang])
    # The account's own plan: empty at first (the usual plan), saved, shown against the turnover.
    plan = account.locator("input[name=plan_volume]")
    expect(plan).to_have_value("")
    plan.fill("500000")
    plan.press("Enter")
    expect(turnover).to_have_text(re.compile(r"/\s*500\D?000"))
    # Refilled as it was typed, not as "500000.00" beside a turnover written "150 000,50".
    expect(account.locator("input[name=plan_volume]")).to_have_value("500000")
    shoot(page, floor, f"accounts-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, f"accounts-{lang}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_a_manager_with_no_questionnaires_reads_so_without_an_empty_table(
    browser: Browser, floor: Floor
) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        return await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)

    mpk = floor.run(seed)
    page = new_context(browser).new_page()
    log_in(page, floor, mpk, "/manager")
    expect(page.locator("#empty")).to_have_text("Анкет нет.")
    # The words alone: the table's heads over no rows read as a page still loading.
    expect(page.locator("table.questionnaires")).to_be_hidden()
    shoot(page, floor, "manager-empty")


PASSED_ON = {
    "ru": (
        "ru-RU",
        "Заказ добавлен. ООО Альфа: план выполнен, клиент передан менеджерам постоянных клиентов.",
        "План сохранён. ООО Бета: план выполнен, клиент передан менеджерам постоянных клиентов.",
        "Заказ добавлен. ООО Гамма: достигнут стратегический порог, клиент передан менеджерам "
        "ключевых клиентов.",
    ),
    "en": (
        "en-US",
        "Order added. ООО Альфа reached its plan and passed to the regular clients' desk.",
        "Plan saved. ООО Бета reached its plan and passed to the regular clients' desk.",
        "Order added. ООО Гамма reached the strategic threshold and passed to the key accounts' "
        "desk.",
    ),
}


@pytest.mark.parametrize("lang", PASSED_ON)
def test_an_account_an_order_or_a_plan_passes_on_is_said_to_have_left_the_desk(
    browser: Browser, floor: Floor, lang: str
) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        mrk = await actor(client, maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
        await managers.user_row(maker, Role.MANAGER, desk=Desk.REGULAR, capacity=100)
        await managers.user_row(maker, Role.MANAGER, desk=Desk.KEY_ACCOUNT, capacity=10)
        companies = ("ООО Альфа", "ООО Бета", "ООО Гамма")
        await managers.sold(client, maker, mpk, companies, "in_progress", "first_order 150000")
        return mrk

    mrk = floor.run(seed)
    locale, by_order, by_plan, by_threshold = PASSED_ON[lang]
    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, mrk, "/accounts")
    rows = page.locator("#stages tr[data-id]")
    expect(rows).to_have_count(3)

    def send(company: str, field: str, value: str, said: str, left: int) -> None:
        """A value sent from the account's form: the message says it, `left` rows stay."""
        field_of = page.locator("#stages tr", has_text=company).locator(f"input[name={field}]")
        field_of.fill(value)
        field_of.press("Enter")
        expect(page.get_by_role("status")).to_have_text(said)
        expect(rows).to_have_count(left)

    # An order past the plan (150 000 + 150 000 of 300 000): the account leaves the list, and
    # the message says where it went.
    send("ООО Альфа", "amount", "150000", by_order, 2)
    shoot(page, floor, f"accounts-passed-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, floor, f"accounts-passed-{lang}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A plan set at the turnover already reached passes it on too.
    send("ООО Бета", "plan_volume", "100000", by_plan, 1)
    # Past the strategic threshold, straight to the key accounts' desk.
    send("ООО Гамма", "amount", "3000000", by_threshold, 0)
    shoot(page, floor, f"accounts-passed-key-{lang}-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    shoot(page, floor, f"accounts-passed-key-{lang}-1366")
    context.close()
