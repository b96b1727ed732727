"""The manager's page: my questionnaires, oldest first, overdue marked, moved on by status."""

import uuid
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Desk, Disposition, Role
from dialer.sales.questionnaires import file_questionnaire
from tests import builders_managers as managers
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor


def test_the_manager_moves_its_questionnaires_on(page: Page, floor: Floor) -> None:
    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, list[uuid.UUID]]:
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        await managers.user_row(maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
        where = await managers.floor(maker)
        old = await managers.warm(
            maker, where, company="ООО Старая", now=utcnow() - timedelta(days=2)
        )
        new = await managers.warm(maker, where, company="ООО Новая")
        return mpk, [old.id, new.id]

    mpk, (old, new) = floor.run(seed)
    log_in(page, floor, mpk, "/manager")
    rows = page.locator("#questionnaires tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("ООО Старая")
    expect(rows.nth(0)).to_contain_text("просрочена")
    expect(rows.nth(1)).to_contain_text("ООО Новая")
    expect(rows.nth(1)).not_to_contain_text("просрочена")
    shoot(page, floor, "manager")

    first = page.locator(f'tr[data-id="{old}"]')
    first.get_by_label("Статус").select_option("in_progress")
    first.get_by_role("button", name="Сохранить").click()
    expect(first.locator("[data-status]")).to_have_text("в работе")
    expect(first).not_to_contain_text("просрочена")

    first.get_by_label("Статус").select_option("first_order")
    first.get_by_label("Сумма заказа").fill("150000")
    first.get_by_role("button", name="Сохранить").click()
    expect(first.locator("[data-status]")).to_have_text("первый заказ")
    expect(first.get_by_role("button")).to_have_count(0)

    # The same by keyboard: the select, Tab to the button, Enter; then a reason and Enter.
    second = page.locator(f'tr[data-id="{new}"]')
    second.get_by_label("Статус").select_option("in_progress")
    second.get_by_label("Статус").press("Tab")
    expect(second.get_by_role("button", name="Сохранить")).to_be_focused()
    page.keyboard.press("Enter")
    expect(second.locator("[data-status]")).to_have_text("в работе")
    second.get_by_label("Статус").select_option("lost")
    second.get_by_label("Причина").fill("Закупают у другого поставщика")
    second.get_by_label("Причина").press("Enter")
    expect(second.locator("[data-status]")).to_have_text("потеряна")
    expect(page.get_by_role("status")).to_have_text("Статус изменён.")


def test_the_manager_sees_a_call_from_another_number_of_the_company(
    browser: Browser, floor: Floor
) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        where = await managers.floor(maker)
        await managers.warm(maker, where, company="ЗАО «Вектор»")
        async with maker.begin() as session:
            now = utcnow()
            contact = await managers.add_contact(
                session, where.campaign_id, company="зао вектор", phone="+74957770011", now=now
            )
            attempt = await managers.call(
                session, where, contact, Disposition.WARM, now, answered=True
            )
            attempt.notes = "Закупщик, звонить после обеда"
            await file_questionnaire(session, attempt, {"need": "лента"}, contact.company, now)
        return mpk

    mpk = floor.run(seed)
    for locale, lang, words in (
        ("ru-RU", "ru", "Звонок с другого номера компании"),
        ("en-US", "en", "Another number of the company called"),
    ):
        context = new_context(browser, locale)
        page = context.new_page()
        log_in(page, floor, mpk, "/manager")
        rows = page.locator("#questionnaires tr")
        expect(rows).to_have_count(1)
        added = rows.first.locator(".addition")
        expect(added).to_contain_text(words)
        expect(added).to_contain_text("+74957770011")
        expect(added).to_contain_text("лента")
        expect(added).to_contain_text("Закупщик, звонить после обеда")
        shoot(page, floor, f"manager-addition-{lang}-1366")
        page.set_viewport_size({"width": 390, "height": 844})
        shoot(page, floor, f"manager-addition-{lang}-390")
        context.close()


FIRST_ORDER = {
    "ru": ("ru-RU", "Статус", "первый заказ", "Сумма заказа", "Сохранить"),
    "en": ("en-US", "Status", "first order", "Order amount", "Save"),
}
AMOUNT_REFUSED = {
    "ru": {"0": "Больше 0.", "-5": "Больше 0.", "99999999999999": "Слишком большое число.",
           "10.555": "Не больше 2 знаков после запятой.", "": "Обязательное поле."},
    "en": {"0": "More than 0.", "-5": "More than 0.", "99999999999999": "Too large.",
           "10.555": "At most 2 digits after the point.", "": "Required."},
}  # fmt: skip


ORDER_OF = {"ru": "Заказ на 150\u00a0000,50", "en": "Order of 150,000.50"}


@pytest.mark.parametrize("lang", FIRST_ORDER)
def test_a_first_orders_amount_refused_is_said_beside_it_in_the_pages_words(
    browser: Browser, floor: Floor, lang: str
) -> None:
    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        mpk = await actor(client, maker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=5)
        await managers.user_row(maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
        await managers.sold(client, maker, mpk, ("ООО Бета", "ООО Гамма"), "in_progress")
        return mpk

    mpk = floor.run(seed)
    locale, status_words, first_order, amount_words, save = FIRST_ORDER[lang]
    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, mpk, "/manager")
    row = page.locator("#questionnaires tr", has_text="ООО Бета")
    row.get_by_label(status_words).select_option("first_order")
    amount = row.get_by_label(amount_words)
    for typed, words in AMOUNT_REFUSED[lang].items():
        amount.fill(typed)
        row.get_by_role("button", name=save).click()
        # Beside the amount, in the page's words; not in the banner over the list.
        expect(row.locator(".field-error")).to_have_text(words)
        expect(amount).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#message")).to_be_empty()
        expect(row.locator("[data-status]")).not_to_have_text(first_order)
    amount.fill("99999999999999")
    row.get_by_role("button", name=save).click()
    expect(row.locator(".field-error")).to_have_text(AMOUNT_REFUSED[lang]["99999999999999"])
    shoot(page, floor, f"manager-amount-refused-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    row.scroll_into_view_if_needed()
    shoot(page, floor, f"manager-amount-refused-{lang}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    amount.fill("150000.5")
    row.get_by_role("button", name=save).click()
    expect(row.locator("[data-status]")).to_have_text(first_order)
    expect(row.locator(".field-error")).to_have_count(0)
    # Money as money is written: two places for a sum with cents ("150 000,5" before).
    expect(row.locator(".closed")).to_have_text(ORDER_OF[lang])
    shoot(page, floor, f"manager-order-{lang}-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    shoot(page, floor, f"manager-order-{lang}-1366")
    context.close()
