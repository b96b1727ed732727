"""The campaign's questionnaire fields, one a line: the required mark in any usual spelling, and
a mark the page cannot read refused beside the field in the page's words, nothing saved."""

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
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


def campaigns_page(
    browser: Browser, floor: Floor, boss: Actor, lang: str
) -> tuple[BrowserContext, Page]:
    """The campaigns page in `lang`, for `boss` logged in, once it has drawn."""
    context = new_context(browser, LANGUAGES[lang])
    page = context.new_page()
    log_in(page, floor, boss, "/supervisor")
    page.goto(f"{floor.url}/campaigns")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    return context, page


def open_editor(page: Page, name: str) -> None:
    """The campaign's settings, from its row on the campaigns page."""
    page.locator("#campaigns tr", has_text=name).get_by_role("button").last.click()


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
    context, page = campaigns_page(browser, floor, boss, lang)
    open_editor(page, "Ночная проверка")

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
    open_editor(page, "Ночная проверка")
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


FIVE_COLUMNS = {
    "ru": "В строке 1 больше четырёх столбцов: имя | подпись | тип | обязательно.",
    "en": "Line 1 has more than four columns: name | label | type | required.",
}
CHOICE_REFUSED = {
    "ru": "У поля выбора после двоеточия нужны варианты.",
    "en": "A choice field needs its choices after a colon.",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_choice_fields_choices_are_kept_and_one_without_them_refused(
    browser: Browser, floor: Floor, lang: str
) -> None:
    """Saving a campaign from its page dropped a choice field's choices, and every answer to
    the field was then refused: they are written after the type, and kept."""
    site = {"name": "site", "label": "Где", "type": "choice", "choices": ["Офис", "Склад"]}

    async def seed(
        client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
    ) -> tuple[Actor, str]:
        boss = await actor(client, maker, Role.SUPERVISOR)
        made = await campaign(
            client, boss, name="Склады", questionnaire_fields=[{**site, "required": True}]
        )
        return boss, made["id"]

    boss, campaign_id = floor.run(seed)
    context, page = campaigns_page(browser, floor, boss, lang)
    open_editor(page, "Склады")
    fields = page.locator("#c-fields")
    expect(fields).to_have_value(f"site | Где | choice: Офис, Склад | {MARK[lang]}")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#editor")).to_be_hidden()
    read = httpx.get(f"{floor.url}/api/v1/campaigns/{campaign_id}", headers=boss.headers)
    assert read.json()["questionnaire_fields"] == [{**site, "required": True}]

    # A fifth column (choices after the mark) is refused, not dropped in silence.
    open_editor(page, "Склады")
    fields.fill(f"site | Где | choice | {MARK[lang]} | Офис, Склад")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#c-fields-error")).to_have_text(FIVE_COLUMNS[lang])
    page.locator("#cancel").click()

    # A choice with nothing to choose from is refused beside the field, nothing saved.
    open_editor(page, "Склады")
    fields.fill("site | Где | choice | да")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#c-fields-error")).to_have_text(CHOICE_REFUSED[lang])
    shoot(page, floor, f"campaign-choice-refused-{lang}-1366")
    read = httpx.get(f"{floor.url}/api/v1/campaigns/{campaign_id}", headers=boss.headers)
    assert read.json()["questionnaire_fields"] == [{**site, "required": True}]
    context.close()
