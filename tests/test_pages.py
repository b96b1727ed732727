"""The pages' shells: rendered in the reader's language, every refusal translated."""

import re
from pathlib import Path

import httpx
import pytest

from app.pages.i18n import LANGUAGES, negotiate
from dialer.base import errors
from dialer.base.models import Disposition, PauseReason, QuestionnaireStatus


def _codes(family: type[errors.DomainError]) -> set[str]:
    found = {family.code}
    for sub in family.__subclasses__():
        found |= _codes(sub)
    return found


@pytest.mark.parametrize(
    ("header", "fallback", "chosen"),
    [
        ("en-US,en;q=0.9,ru;q=0.8", "ru", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "en", "ru"),
        ("de-DE,de;q=0.9,en;q=0.5,ru;q=0.7", "en", "ru"),
        ("de-DE,fr;q=0.9", "en", "en"),
        ("", "ru", "ru"),
        (None, "en", "en"),
        ("en;q=0, ru;q=0.1", "en", "ru"),
        ("en, ru", "ru", "en"),
        ("xx", "de", "ru"),
        ("en;q=abc", "ru", "ru"),
    ],
)
def test_the_language_follows_the_browser_then_the_setting(
    header: str | None, fallback: str, chosen: str
) -> None:
    assert negotiate(header, fallback) == chosen


SCRIPTS = Path(__file__).resolve().parents[1] / "app" / "pages" / "static" / "js"


def _keys_of(script: str, name: str) -> set[str]:
    """The keys of a `const NAME = {...};` word map in one of the pages' scripts."""
    text = (SCRIPTS / script).read_text()
    body = re.search(rf"const {name} = {{(.*?)}};", text, re.S)
    assert body, f"{script} has no {name}"
    return set(re.findall(r'^\s*"?([\w.]+)"?:', body.group(1), re.M))


def test_every_refusal_and_state_has_words() -> None:
    assert _codes(errors.DomainError) - _keys_of("shared.js", "REFUSALS") == set()
    assert {PauseReason.MANAGERS_SATURATED, "supervisor"} <= _keys_of("shared.js", "DIALER_PAUSED")
    why = {"outside_calling_window", "retry_not_due", "callback_not_due", "exhausted"}
    assert why | {"do_not_call"} <= _keys_of("operator.js", "WHY")
    assert set(QuestionnaireStatus) <= _keys_of("manager.js", "STATUSES")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_disposition_is_offered_in_words(
    client: httpx.AsyncClient, language: str
) -> None:
    page = (await client.get(f"/operator?lang={language}")).text
    offered = re.findall(r'name="disposition" value="(\w+)"[^>]*>\s*<kbd>\d</kbd> (\S[^<]*)<', page)
    assert {value for value, _words in offered} == set(Disposition)
    assert all(words.strip() for _value, words in offered)


async def test_the_login_page_speaks_russian_by_default(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ru">' in page.text
    assert "Войти" in page.text


async def test_the_browser_language_wins_over_the_default(client: httpx.AsyncClient) -> None:
    page = await client.get("/operator", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    assert "Operator console" in page.text
    assert "Next call" in page.text


async def test_a_language_chosen_by_hand_sticks(client: httpx.AsyncClient) -> None:
    chosen = await client.get("/supervisor?lang=en", headers={"Accept-Language": "ru"})
    assert "Supervisor dashboard" in chosen.text
    assert chosen.cookies.get("cascade_lang") == "en"
    later = await client.get("/manager", headers={"Accept-Language": "ru"})
    assert "My questionnaires" in later.text


async def test_an_unknown_language_is_ignored(client: httpx.AsyncClient) -> None:
    page = await client.get("/?lang=xx", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text
    assert "cascade_lang" not in page.cookies


async def test_the_script_and_styles_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/operator")
    module = re.search(r'<script type="module" src="([^"]+)">', page.text)
    assert module
    script = await client.get(module.group(1))
    shared = await client.get("/static/js/shared.js")
    styles = await client.get("/static/cascade.css")
    assert script.status_code == shared.status_code == styles.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'from "./shared.js"' in script.text
    assert "/api/v1" in shared.text


@pytest.mark.parametrize(
    "path", ["/", "/operator", "/supervisor", "/manager", "/static/cascade.css"]
)
async def test_the_pages_forbid_framing_sniffing_and_foreign_scripts(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
