"""The whole floor from the browser: from an empty demo database to an operator taking a call.

A supervisor and an admin, in each language, use only the pages: a campaign is created, a
Windows-1251 base uploaded with its progress and report, an operator created and rostered on
today's shift, a contact released from review, a number put on the do-not-call list and the
list exported, a contact found by a number typed with spaces and brackets; the audit page then
lists every change, and the operator takes a call. Each page is kept as a screenshot at the
floor's laptop size and a phone's width.
"""

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import demo
from dialer.base.models import Contact, ContactState
from dialer.base.settings import Settings
from tests.browser.conftest import new_context
from tests.browser.harness import SCREENSHOTS, Floor
from tests.browser.test_operator import calling_zone
from tests.builders import TEST_SECRET

PASSWORD = demo.DEMO_PASSWORD
IN_REVIEW = "+74952345678"
LANGUAGES = {"ru": "ru-RU", "en": "en-US"}
TOO_SHORT = {"ru": "Не короче 10 символов.", "en": "At least 10 characters."}
REQUIRED = {"ru": "Обязательное поле.", "en": "Required."}
RESUMED = {"ru": "снова в работе", "en": "resumed"}
SAID_AROUND = {
    "ru": {
        "contact.release": f"{IN_REVIEW}, с разбора",
        "shift.roster": "операторов в составе: 1",
        "template.create": "Весь день, 00:00–23:59, Пн, Вт, Ср, Чт, Пт, Сб, Вс (UTC)",
        "dnc.import": "стоп.csv: добавлено 1, уже в списке 1, отклонено 0",
    },
    "en": {
        "contact.release": f"{IN_REVIEW} from review",
        "shift.roster": "operators on the roster: 1",
        "template.create": "Весь день, 00:00–23:59, Mon, Tue, Wed, Thu, Fri, Sat, Sun (UTC)",
        "dnc.import": "стоп.csv: added 1, already listed 1, refused 0",
    },
}
REFUSED_FILE = {"ru": "база, отклонённые строки.csv", "en": "база, refused lines.csv"}
# A sheet's header and its refused line's reason, with the language's list separator.
REFUSED_SHEET = {
    "ru": ("Строка;Причина;Строка файла как есть", ";", "неверный номер: '12345'"),
    "en": ("Line,Reason,The line as it was", ",", "not a valid phone number: '12345'"),
}
IMPORTED_INTO = {
    "ru": "база.csv в кампанию Канцтовары 2027",
    "en": "база.csv into Канцтовары 2027",
}
DETAILS = {"ru": "Подробнее", "en": "Details"}
LOGIN_TAKEN = {"ru": "Такой логин уже занят.", "en": "That login is already taken."}
RATE = {"ru": ("350,50", "350,50"), "en": ("350.50", "350.50")}
EDIT = {"ru": "Изменить", "en": "Edit"}
PAGES = ["supervisor", "campaigns", "shifts", "contacts", "dnc", "users", "audit"]


def seed_demo(floor: Floor) -> None:
    """`cascade demo` into the test's empty database, and one of its contacts in review.

    Three leases must run out for a contact to go to review, ten minutes each: that one
    step is written straight to the database, the rest goes through the pages.
    """

    async def work(_client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
        settings = Settings(database_url=floor.database_url, secret_key=TEST_SECRET)
        async with maker.begin() as session:
            assert await demo.seed(session, settings, datetime.now(UTC)) is not None
            await session.execute(
                update(Contact).where(Contact.phone == IN_REVIEW).values(state=ContactState.REVIEW)
            )

    floor.run(work)


def log_in(page: Page, floor: Floor, login: str, password: str, landing: str) -> None:
    page.goto(floor.url + "/")
    page.locator("#username").fill(login)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"**{landing}")


def go(page: Page, name: str) -> None:
    """Follow the navigation to a page of the floor and wait until it has its data."""
    page.locator(f".floor-nav a[href='/{name}']").click()
    page.wait_for_url(f"**/{name}")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def windows_1251_base(zone: str) -> bytes:
    text = "Телефон;ФИО;Компания;Часовой пояс\r\n"
    text += f"+7 (495) 700-00-01;Пётр Сидоров;ООО Бумага;{zone}\r\n"
    text += f"8 495 700 00 02;Мария Котова;АО Скрепка;{zone}\r\n"
    text += f"12345;Кривой Номер;ООО Ошибка;{zone}\r\n"
    return text.encode("cp1251")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_floor_is_run_from_the_pages_alone(browser: Browser, floor: Floor, language: str) -> None:
    seed_demo(floor)
    staff = new_context(browser, LANGUAGES[language])
    page = staff.new_page()
    log_in(page, floor, "admin", PASSWORD, "/supervisor")
    tag = f"{language}-{floor.backend}"

    # A campaign, created on its page.
    go(page, "campaigns")
    page.locator("#new-campaign").click()
    page.locator("#c-name").fill("")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#c-name-error")).to_have_text(REQUIRED[language])
    page.locator("#c-name").fill("Канцтовары 2027")
    page.locator("#c-end").fill("08:00")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#c-end-error, #c-start-error")).to_have_count(1)
    page.locator("#c-end").fill("20:00")
    page.locator("#campaign-form button[type=submit]").click()
    expect(page.locator("#campaign-h")).to_have_text("Канцтовары 2027")

    # A file with no phone column is refused whole: said beside the form, and no bar left
    # behind as if it were still on its way.
    page.locator("#base-file").set_input_files(
        {"name": "names.csv", "mimeType": "text/csv", "buffer": "name\nИван\n".encode()}
    )
    page.locator("#upload button[type=submit]").click()
    expect(page.locator("#upload [role=alert]:visible")).to_have_count(1)
    expect(page.locator("#import-progress")).to_be_hidden()

    # A Windows-1251 base: the bar moves to the end, the report names the refused line.
    zone = calling_zone(datetime.now(UTC))
    page.locator("#base-file").set_input_files(
        {
            "name": "база.csv",
            "mimeType": "text/csv",
            "buffer": windows_1251_base(zone),
        }
    )
    page.locator("#upload button[type=submit]").click()
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    expect(page.locator("#import-report")).to_contain_text("2")
    expect(page.locator("#import-errors li").first).to_contain_text("12345")
    # The refused lines' download under them, not bulleted as one more line.
    download = page.locator("#import-errors li").last
    expect(download.locator("button")).to_be_visible()
    assert download.evaluate("(li) => getComputedStyle(li).listStyleType") == "none"
    # The refused lines as a spreadsheet in the page's language opens them: its words and list
    # separator, a byte order mark for the Cyrillic, and named after the file.
    with page.expect_download() as refused:
        download.locator("button").click()
    assert refused.value.suggested_filename == REFUSED_FILE[language]
    header, sep, reason = REFUSED_SHEET[language]
    sheet = refused.value.path().read_bytes().decode("utf-8").splitlines()
    assert sheet == [
        f"\ufeff{header}",
        f'4{sep}{reason}{sep}"12345;Кривой Номер;ООО Ошибка;{zone}"',
    ]
    expect(page.locator("#imports tr")).to_have_count(1)
    shoot(page, f"floor-campaign-import-{tag}")

    # An operator, created by the admin; a short password is refused next to its field.
    go(page, "users")
    page.locator("#new-user").click()
    page.locator("#login").fill("student9")
    page.locator("#password").fill("short")
    page.locator("#name").fill("Студент 9")
    page.locator("#role").select_option("operator")
    page.locator("#user-form button[type=submit]").click()
    expect(page.locator("#password-error")).to_have_text(TOO_SHORT[language])
    page.locator("#password").fill("student-nine-pass")
    # The rate as each language writes a decimal; the list writes it so back.
    page.locator("#hourly_rate").fill(RATE[language][0])
    page.locator("#user-form button[type=submit]").click()
    expect(page.locator("#users")).to_contain_text("student9")
    student = page.locator("#users tr", has_text="student9")
    expect(student.locator("td").nth(5)).to_have_text(RATE[language][1])
    # Opened to edit, the rate reads as it was typed.
    student.get_by_role("button", name=EDIT[language]).click()
    expect(page.locator("#hourly_rate")).to_have_value(RATE[language][0])
    # A login taken is said at the login's field (it was said under the whole form).
    page.locator("#new-user").click()
    page.locator("#login").fill("student9")
    page.locator("#password").fill("another-student-pass")
    page.locator("#name").fill("Ещё один")
    page.locator("#user-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text(LOGIN_TAKEN[language])

    # Today's shift, from a template that covers now; the operator ticked on its roster.
    go(page, "shifts")
    # Hours left empty are said to be required, not "not a valid value" (nothing was typed).
    page.locator("#t-name").fill("Весь день")
    page.locator("#template-form button[type=submit]").click()
    expect(page.locator("#t-start-error")).to_have_text(REQUIRED[language])
    expect(page.locator("#t-end-error")).to_have_text(REQUIRED[language])
    page.locator("#t-start").fill("00:00")
    page.locator("#t-end").fill("23:59")
    page.locator("#t-zone").fill("UTC")
    for box in page.locator("#t-days input[type=checkbox]").all():
        box.check()
    page.locator("#template-form button[type=submit]").click()
    row = page.locator("#shifts tr", has_text="Весь день").first
    # Its hours are its zone's wall clock, and say which (the dashboard shows the reader's).
    expect(row).to_contain_text("00:00–23:59 (UTC)")
    # Its details, not "Open" (read as starting the shift); the operators to tick by name.
    expect(row.locator("button")).to_have_text(DETAILS[language])
    row.locator("button").click()
    expect(page.locator("#shift-h")).to_contain_text("00:00–23:59 (UTC)")
    names = [n.strip() for n in page.locator("#roster label").all_inner_texts()]
    assert len(names) > 2
    assert names == sorted(
        names, key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)]
    )
    page.locator("#roster label", has_text="Студент 9").locator("input").check()
    page.locator("#roster-form button[type=submit]").click()
    expect(page.locator("#shifts tr", has_text="Весь день").first).to_contain_text("1")

    # A contact released from review; a number found however it is typed.
    go(page, "contacts")
    page.locator("#review-queue").click()
    expect(page.locator("#contacts tr")).to_have_count(1)  # the queue alone, not every contact
    review = page.locator("#contacts tr", has_text=IN_REVIEW)
    expect(review).to_have_count(1)
    review.locator("button").nth(1).click()
    expect(page.locator("#contacts tr", has_text=IN_REVIEW)).to_have_count(0)
    page.locator("#state").select_option("")
    page.locator("#q").fill("8 (495) 123-45-67")
    page.locator("#q").press("Enter")
    expect(page.locator("#contacts tr")).to_have_count(1)
    expect(page.locator("#contacts")).to_contain_text("Пётр Иванов")

    # A number on the do-not-call list, and the list exported.
    go(page, "dnc")
    page.locator("#phone").fill("8 (912) 345 67 89")
    page.locator("#add button[type=submit]").click()
    expect(page.locator("#entries")).to_contain_text("+79123456789")
    with page.expect_download() as downloading:
        page.locator("#export").click()
    exported = downloading.value.path().read_text()
    assert "+79123456789" in exported
    # Taking it off asks first (it becomes callable in every campaign): refused, it stays.
    asked: list[str] = []

    def refuse(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.locator("#entries button").click()
    expect(page.locator("#entries button")).to_be_enabled()
    page.remove_listener("dialog", refuse)
    [question] = asked
    assert "+79123456789" in question
    expect(page.locator("#entries")).to_contain_text("+79123456789")
    # A file of numbers: one new, one already listed.
    page.locator("#dnc-file").set_input_files(
        {
            "name": "стоп.csv",
            "mimeType": "text/csv",
            "buffer": b"phone\n+79123456789\n+79125550011\n",
        }
    )
    page.locator("#upload button[type=submit]").click()
    expect(page.locator("#entries")).to_contain_text("+79125550011")

    # The dialer paused for a briefing and resumed (the dashboard's buttons, here the API).
    token = page.evaluate("() => sessionStorage.getItem('cascade.token')")
    for step in ("pause", "resume"):
        asked = httpx.post(
            f"{floor.url}/api/v1/dialer/{step}",
            json={"reason": "планёрка"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert asked.status_code == 200, asked.text

    # The audit page lists each change.
    go(page, "audit")
    # In words (a code names it on hover), and found by its words in the filter.
    for action in ("campaign.create", "import.start", "user.create", "template.create",
                   "shift.roster", "contact.release", "dnc.add"):  # fmt: skip
        entry = page.locator(f'#entries [data-action="{action}"]').first
        expect(entry).to_be_visible()
        expect(entry).not_to_have_text(action)
    # Its times on a 24-hour clock, as every page writes them (English had "7:06 PM").
    expect(page.locator("#entries td").first).not_to_have_text(re.compile("AM|PM"))
    # Each thing by its name where the page knows it, not its id: the campaign, the person, the
    # shift template, the dated shift; an id in a summary too (the import's campaign).
    named = (
        ("campaign.create", "Канцтовары 2027"),
        ("user.create", "Студент 9"),
        ("template.create", "Весь день"),
        ("shift.roster", "Весь день"),
        ("dnc.add", "+79123456789"),  # its id is the number's keyed hash
        ("import.start", "база.csv"),
    )
    for action, name in named:
        row = page.locator("#entries tr").filter(has=page.locator(f'[data-action="{action}"]'))
        expect(row.locator("td").nth(3)).to_contain_text(name)
        expect(row.locator("td").nth(3)).not_to_contain_text(re.compile("[0-9a-f]{8}-"))
    # Who, by name (the login on hover), as the filter lists people.
    who = page.locator("#entries tr").first.locator("td").nth(1)
    expect(who).to_have_text("Администратор")
    expect(who.locator("span")).to_have_attribute("title", "admin")
    # A summary the service writes in fixed words reads in the page's language.
    resumed = page.locator("#entries tr").filter(has=page.locator('[data-action="dialer.resume"]'))
    expect(resumed.locator("td").nth(4)).to_have_text(RESUMED[language])
    imported = page.locator("#entries tr").filter(has=page.locator('[data-action="import.start"]'))
    expect(imported.locator("td").nth(4)).to_have_text(IMPORTED_INTO[language])
    # The service's words around a number or a count, in the page's language too.
    for action, said in SAID_AROUND[language].items():
        row = page.locator("#entries tr").filter(has=page.locator(f'[data-action="{action}"]'))
        expect(row.locator("td").nth(4)).to_have_text(said)
    # A thing's name shows its own history, and the address keeps it.
    page.locator("#entries tr").filter(has=page.locator('[data-action="user.create"]')).locator(
        "a"
    ).click()
    expect(page.locator("#entries tr")).to_have_count(1)
    assert "target_id=" in page.url
    expect(page.locator("#target")).not_to_have_value("")
    page.goto(f"{floor.url}/audit")
    words = page.locator('#entries [data-action="dnc.add"]').first.inner_text()
    page.locator("#action").select_option(label=words)
    page.locator("#filters button[type=submit]").click()
    expect(page.locator("#entries [data-action]")).to_have_count(1)

    for width, size in ((1366, "laptop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 768 if width > 400 else 844})
        for name in PAGES:
            page.goto(f"{floor.url}/{name}")
            if name == "supervisor":
                # The dashboard keeps its stream open: the network is never idle there.
                expect(page.locator("#updated")).not_to_have_text("–")
            else:
                expect(page.locator("body[data-ready=true]")).to_have_count(1)
            shoot(page, f"floor-{name}-{size}-{tag}")
    staff.close()

    # The operator takes a call.
    desk = new_context(browser, LANGUAGES[language]).new_page()
    log_in(desk, floor, "student9", "student-nine-pass", "/operator")
    desk.locator("#clock-in").click()
    expect(desk.locator("#clock-in")).to_be_hidden()
    desk.keyboard.press("n")
    expect(desk.locator("#call")).to_be_visible()
    shoot(desk, f"floor-operator-call-{tag}")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_supervisor_reads_the_users_without_actions_it_cannot_take(
    browser: Browser, floor: Floor, language: str
) -> None:
    """The list had an empty column of actions for a supervisor, and nothing said why."""
    seed_demo(floor)
    page = new_context(browser, LANGUAGES[language]).new_page()
    log_in(page, floor, "supervisor", PASSWORD, "/supervisor")
    go(page, "users")
    expect(page.locator("#users tr").first).to_be_visible()
    expect(page.locator("#admins-only")).to_be_visible()
    expect(page.locator("thead th")).to_have_count(7)
    expect(page.locator("#users button")).to_have_count(0)
    expect(page.locator("#new-user")).to_be_hidden()
    for width, size in ((1366, "laptop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 768 if width > 400 else 844})
        shoot(page, f"users-supervisor-{size}-{language}-{floor.backend}")
