"""Questionnaire answers checked against a campaign's fields: pure rules, no database."""

import re
from datetime import date
from typing import Any

from dialer.base.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


def _type_error(field: dict[str, Any], value: Any) -> str | None:
    """Why the value does not fit the field's type, or None when it does."""
    kind = field.get("type", "text")
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if not isinstance(value, str):
        return "must be a string"
    if kind == "email" and not _EMAIL.match(value):
        return "must be an email address"
    if kind == "phone" and not _PHONE.match(value):
        return "must be a phone number"
    if kind == "choice" and value not in (field.get("choices") or []):
        return "must be one of the choices"
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
    return None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_answers(fields: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers without blanks, or InvalidInput naming every field that is wrong."""
    names = {f["name"] for f in fields}
    problems = [
        {"loc": ["questionnaire", name], "msg": "not a field of this questionnaire"}
        for name in answers
        if name not in names
    ]
    kept: dict[str, Any] = {}
    for field in fields:
        name = field["name"]
        value = answers.get(name)
        if _is_blank(value):
            if field.get("required"):
                problems.append({"loc": ["questionnaire", name], "msg": "required"})
            continue
        error = _type_error(field, value)
        if error:
            problems.append({"loc": ["questionnaire", name], "msg": error})
        kept[name] = value.strip() if isinstance(value, str) else value
    if problems:
        raise InvalidInput("The questionnaire is not filled in correctly.", fields=problems)
    return kept
