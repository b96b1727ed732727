"""The campaign's questionnaire fields, one a line: the required mark in any usual spelling, and
a mark the page cannot read refused beside the field in the page's words, nothing saved."""

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.browser.conftest import new_context
from tests.browser.harness import Floor, log_in, shoot
from tests.builders import Actor, actor, campaign

LANGUAGES = {"ru": "ru-RU", "en": "en-US"}
# The mark the page writes back for a required field, in its own words.
MARK = {"ru": "обязательно", "en": "required"}
REFUSED = {
    "ru": "Строка 3: «maybe» — не отметка обязательного поля. Напишите «обязательно» или "
    "оставьте пустым.",
    "en": "Line 3: “maybe” is not a required mark. Write “required” or leave it empty.",
}
FIELDS = """volume | Объём в месяц | number | Required
items | Что закупают | text | да
phone | Телефон закупщика | phone | {third}
notes | Заметки | text"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_required_mark_is_taken_in_any_usual_spelling_and_an_unknown_one_refused(
    browser: Browser, floor: Floor, lang: str
) -> None:
    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, str]:
        boss = await actor(client, maker, Role.SUPERVISOR)
        made = await campaign(client, boss, name="Ночная проверка")
        return boss, made["id"]

    boss, campaign_id = floor.run(seed)

    def saved_fields() -> list[dict[str, object]]:
        answer = httpx.get(f"{floor.url}/api/v1/campaigns/{campaign_id}", headers=boss.headers)
        fields: list[dict[str, object]] = answer.json()["questionnaire_fields"]
        return fields

    before = saved_fields()
    context = new_context(browser, LANGUAGES[lang])
    page = context.new_page()
    log_in(page, floor, boss, "/supervisor")
    page.goto(f"{floor.url}/campaigns")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.locator("#campaigns tr", has_text="Ночная проверка").get_by_role("button").last.click()

    # A mark the page cannot read: said beside the field in the page's words, nothing saved.
    fields = page.locator("#c-fields")
    fields.fill(FIELDS.format(third="maybe"))
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#c-fields-error")).to_have_text(REFUSED[lang])
    expect(fields).to_have_attribute("aria-invalid", "true")
    shoot(page, floor, f"campaign-fields-refused-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    fields.scroll_into_view_if_needed()
    shoot(page, floor, f"campaign-fields-refused-{lang}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert saved_fields() == before

    # "Required", "да", "*": each one makes its field required; none makes it optional.
    fields.fill(FIELDS.format(third="*"))
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#editor")).to_be_hidden()
    required = {f["name"]: f["required"] for f in saved_fields()}
    assert required == {"volume": True, "items": True, "phone": True, "notes": False}

    # Opened again, the page writes its own mark, which it takes back as it is.
    page.locator("#campaigns tr", has_text="Ночная проверка").get_by_role("button").last.click()
    expect(fields).to_have_value(
        "\n".join(
            [
                f"volume | Объём в месяц | number | {MARK[lang]}",
                f"items | Что закупают | text | {MARK[lang]}",
                f"phone | Телефон закупщика | phone | {MARK[lang]}",
                "notes | Заметки | text",
            ]
        )
    )
    shoot(page, floor, f"campaign-fields-{lang}-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    shoot(page, floor, f"campaign-fields-{lang}-1366")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#editor")).to_be_hidden()
    assert {f["name"]: f["required"] for f in saved_fields()} == required
    context.close()
