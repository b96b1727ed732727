"""The pages' gettext catalogs: complete in every language, up to date, and what the scripts get."""

import json
import re
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.pages.i18n import CONTEXT_SEPARATOR, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path("app/pages/static")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w+\}")
# A string literal, and the literals `+` joins to it.
LITERAL = r'"(?:[^"\\]|\\.)*"'
JOINED = rf"{LITERAL}(?:\s*\+\s*{LITERAL})*"
SCRIPT_CALL = re.compile(
    rf"\b(?:_\(\s*(?P<message>{JOINED})|pgettext\(\s*(?P<context>{LITERAL}),\s*(?P<in_context>{JOINED}))"
)

Key = tuple[str | None, str]


def _extracted() -> dict[Key, set[Path]]:
    """Every message the code uses, as `make messages` extracts it, with the files using it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[Key, set[Path]] = {}
    for filename, _line, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        assert isinstance(message, str), f"{filename}: plural forms are not used by the pages"
        found.setdefault((context, message), set()).add(Path(filename))
    return found


def _joined(literals: str) -> str:
    return "".join(json.loads(part) for part in re.findall(LITERAL, literals))


def _script_calls() -> set[Key]:
    """Every literal `_()` and `pgettext()` call in the scripts, found without Babel."""
    found: set[Key] = set()
    for script in (ROOT / SCRIPTS).rglob("*.js"):
        for call in SCRIPT_CALL.finditer(script.read_text()):
            if call["message"]:
                found.add((None, _joined(call["message"])))
            else:
                found.add((json.loads(call["context"]), _joined(call["in_context"])))
    return found


def _po(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _translated(catalog: Catalog) -> dict[Key, str]:
    return {
        (m.context, m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def added_placeholders(source: str, translation: str) -> set[str]:
    """The placeholders a translation has that its source lacks."""
    return set(PLACEHOLDER.findall(translation)) - set(PLACEHOLDER.findall(source))


def _page_words(html: str) -> dict[str, str]:
    found = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page shell carries no catalogue"
    words: dict[str, str] = json.loads(found.group(1))
    return words


def test_the_placeholder_check_sees_an_added_placeholder() -> None:
    assert added_placeholders("in about {minutes} min", "через {minutes} мин") == set()
    assert added_placeholders("hour", "час {n}") == {"{n}"}
    assert added_placeholders("Hello", "Привет, %(name)s") == {"%(name)s"}


def test_babel_extracts_every_call_in_the_scripts() -> None:
    """Template literals and imports included: what Babel misses would show untranslated."""
    extracted = {
        key for key, files in _extracted().items() if any(f.is_relative_to(SCRIPTS) for f in files)
    }
    calls = _script_calls()
    assert ("operator state", "on a call") in calls
    assert (None, "MPK load") in calls
    assert calls == extracted


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    catalog = _po(language)
    used = set(_extracted())
    messages = {(m.context, m.id) for m in catalog if m.id}
    assert used - messages == set(), "run `make messages` and translate the new words"
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_has_placeholders_its_source_lacks(language: str) -> None:
    wrong = {
        key: added
        for key, text in _translated(_po(language)).items()
        if (added := added_placeholders(key[1], text))
    }
    assert wrong == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_compiles_the_catalog_without_errors(language: str) -> None:
    """`pybabel compile` runs these checks: a `%` before a letter reads as a Python
    placeholder, and a translation that drops it fails `make messages`."""
    errors = {message.id: found for message, found in _po(language).check() if found}
    assert errors == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").open("rb") as compiled:
        mo = _translated(read_mo(compiled))
    assert mo == _translated(_po(language)), "run `make messages` to compile the catalogs"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_scripts_get_every_message_they_use(
    client: httpx.AsyncClient, language: str
) -> None:
    in_scripts = {
        key for key, files in _extracted().items() if any(f.is_relative_to(SCRIPTS) for f in files)
    }
    assert (None, "Wrong login or password.") in in_scripts
    assert ("operator state", "on a call") in in_scripts
    translated = _translated(_po(language))
    for page in ("/", "/operator", "/supervisor", "/manager"):
        words = _page_words((await client.get(f"{page}?lang={language}")).text)
        missing = set()
        for context, message in in_scripts:
            said = words.get(f"{context}{CONTEXT_SEPARATOR}{message}" if context else message)
            if not said or said != translated.get((context, message)):
                missing.add((context, message))
        assert missing == set(), page


def test_the_audit_page_has_words_for_every_action_the_service_records() -> None:
    """An action recorded without words on the page shows as its code: the list is by hand,
    so it is held against every `record(…, "<action>", …)` of the routes."""
    recorded = set()
    for source in (ROOT / "app").rglob("*.py"):
        recorded |= set(
            re.findall(r'record\(\s*\w+,\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', source.read_text())
        )
    page = (ROOT / "app/pages/static/js/audit.js").read_text()
    worded = set(re.findall(r'^  "([a-z_]+\.[a-z_]+)": _\(', page, re.MULTILINE))
    assert len(recorded) > 30
    assert recorded == worded


def test_the_audit_page_has_words_for_every_summary_the_service_writes_in_fixed_words() -> None:
    """A summary the routes write as a fixed English word ("resumed") reads in the page's
    language: the page's list is held against every such `record(…, "<summary>", now)`."""
    fixed = set()
    for source in (ROOT / "app").rglob("*.py"):
        fixed |= set(
            re.findall(
                r'record\(\s*\w+,\s*[\w.]+,\s*"[a-z_]+\.[a-z_]+",\s*"[a-z_]+",\s*[\w.]+,'
                r'\s*"([^"{]+)",\s*\w+\)',
                source.read_text(),
            )
        )
    page = (ROOT / "app/pages/static/js/audit.js").read_text()
    said = page.split("const SAID = {")[1].split("};")[0]
    assert len(fixed) > 5
    assert fixed == set(re.findall(r'_\("([^"]+)"\)', said))
