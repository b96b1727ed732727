"""The supervisor's dashboard: the floor at a glance, and the controls to act on it."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Disposition, Role
from tests import builders_managers as managers
from tests.browser.conftest import new_context
from tests.browser.harness import SCREENSHOTS, Floor, log_in, shoot
from tests.builders import Actor, actor, on_shift


def seed_calls(floor: Floor, objections: tuple[str, ...]) -> Actor:
    """A supervisor, and today one call not interested per objection and one warm."""

    async def seed(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
        boss = await actor(client, maker, Role.SUPERVISOR)
        where = await managers.floor(maker)
        # The shift began an hour ago: every call now is in its second hour.
        shift_id = await on_shift(maker, [where.operator_id])
        now = utcnow()
        async with maker.begin() as session:
            for objection in objections:
                contact = await managers.add_contact(session, where.campaign_id)
                await managers.call(
                    session,
                    where,
                    contact,
                    Disposition.NOT_INTERESTED,
                    now,
                    shift_id=shift_id,
                    objection=objection,
                    answered=True,
                )
            await managers.warm_in(session, where, now, shift_id=shift_id)
        return boss

    return floor.run(seed)


def test_the_charts_show_todays_calls_objections_and_conversion(page: Page, floor: Floor) -> None:
    boss = seed_calls(floor, ("need_nothing", "need_nothing", "busy"))
    log_in(page, floor, boss, "/supervisor")
    expect(page.locator("#chart-calls svg")).to_have_attribute("aria-label", "2-й ч: 4 / 1")
    # A share as the page's language writes one, in the chart as in the table.
    expect(page.locator("#chart-conversion svg")).to_have_attribute(
        "aria-label", "2-й ч: 25\u00a0%"
    )
    objections = page.locator("#chart-objections svg")
    expect(objections).to_have_attribute(
        "aria-label", re.compile("Нам ничего не нужно: 2; Я занят: 1")
    )
    expect(objections.locator("rect")).to_have_count(2)
    # The same calls in the funnel's table: four calls, all reached, one warm, 25%.
    by_operator = page.locator("#funnel tr[data-kind=operator]")
    expect(by_operator.locator("td").nth(1)).to_have_text("4")
    expect(by_operator.locator("td").nth(3)).to_have_text("1")
    # A share as Russian writes it ("25 %"; "33.3%" was English on a Russian page).
    expect(by_operator.locator("td").last).to_have_text("25\u00a0%")
    # Its words say why a day may count fewer questionnaires than warm calls.
    expect(page.locator("#funnel-words")).to_contain_text("анкет может быть меньше")
    shoot(page, floor, "supervisor-charts")
    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать CSV").click()
    today = page.locator("#ts-from").input_value()
    assert download.value.suggested_filename == f"timesheet-{today}-{today}.csv"
    header = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("operator_id,login,name,shift_id")
    # A period ending before it starts is refused beside its end, in words (it was a banner of
    # "(to: out of range)").
    page.locator("#ts-from").fill("2026-12-09")
    page.locator("#ts-to").fill("2026-12-01")
    page.get_by_role("button", name="Скачать CSV").click()
    expect(page.locator("#ts-to-error")).to_have_text(
        "Не раньше начала и не дальше 92 дней от него."
    )
    expect(page.locator("#message")).not_to_contain_text("out of range")
    shoot(page, floor, "supervisor-timesheet-refused")
    page.locator("#ts-to").fill("2026-12-10")
    with page.expect_download():
        page.get_by_role("button", name="Скачать CSV").click()
    expect(page.locator("#ts-to-error")).to_have_count(0)


SHARES = {"ru": ("ru-RU", "33,3\u00a0%"), "en": ("en-US", "33.3%")}


@pytest.mark.parametrize("lang", SHARES)
def test_the_conversion_charts_scale_is_whole_on_a_phone(
    browser: Browser, floor: Floor, lang: str
) -> None:
    locale, share = SHARES[lang]
    boss = seed_calls(floor, ("need_nothing", "busy"))
    context = new_context(browser, locale)
    page = context.new_page()
    log_in(page, floor, boss, "/supervisor")
    chart = page.locator("#chart-conversion svg")
    scale = chart.locator("text.scale")
    expect(scale).to_have_text(share)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        # Its first digit was cut off at the chart's left edge at a phone's width.
        drawn, text = chart.bounding_box(), scale.bounding_box()
        assert drawn is not None
        assert text is not None
        assert text["x"] >= drawn["x"], (width, text, drawn)
        page.locator(".charts").screenshot(
            path=SCREENSHOTS / f"supervisor-conversion-{lang}-{width}-{floor.backend}.png"
        )
        shoot(page, floor, f"supervisor-charts-{lang}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
