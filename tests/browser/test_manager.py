"""The manager's page: my questionnaires, oldest first, overdue marked, moved on by status."""

import uuid
from datetime import timedelta

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Desk, Role
from tests import builders_managers as managers
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
