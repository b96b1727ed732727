"""The pages' words: gettext catalogs per language under `locale/`, and the choice between them.

The catalogs are compiled `.mo` files, committed next to their `.po` sources (`make messages`
extracts, updates and compiles them), so a fresh clone and an installed wheel both have them
without a build step. The templates translate through Jinja2's `i18n` extension; the scripts get
the same compiled catalog as JSON in the page shell.
"""

from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.mofile import read_mo
from babel.support import Translations

LOCALE_DIR: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "messages"
# The first is the fallback when CASCADE_LANGUAGE names none of them.
LANGUAGES: Final = ("ru", "en")
# gettext's separator between a message's context and its text, in the JSON as in `.mo` files.
CONTEXT_SEPARATOR: Final = "\x04"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> Translations:
    """The compiled catalog of the language, for the templates and Python."""
    # Opened by hand: a missing catalog fails loudly rather than showing the source words.
    with _compiled(language).open("rb") as compiled:
        return Translations(compiled, domain=DOMAIN)


@cache
def script_catalogue(language: str) -> dict[str, str]:
    """Every translated message of the language, keyed as gettext keys them, for the scripts."""
    with _compiled(language).open("rb") as compiled:
        catalog = read_mo(compiled)
    words = {}
    for message in catalog:
        if not message.id or not message.string or not isinstance(message.id, str):
            continue
        key = f"{message.context}{CONTEXT_SEPARATOR}{message.id}" if message.context else message.id
        words[key] = str(message.string)
    return words


def _compiled(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def language_name(language: str) -> str:
    """The language's name in itself, as a reader looks for it: "Русский", "English"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def negotiate(accept_language: str | None, fallback: str) -> str:
    """The language of LANGUAGES the header weighs most (earlier wins a tie); else the fallback."""
    offers = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        weight = _weight(params)
        if language in LANGUAGES and weight > 0:
            offers.append((weight, -position, language))
    if offers:
        return max(offers)[2]
    return fallback if fallback in LANGUAGES else LANGUAGES[0]


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
