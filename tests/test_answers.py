"""Questionnaire answers against a campaign's fields."""

from typing import Any

import pytest

from dialer.base.errors import InvalidInput
from dialer.sales.answers import check_answers

FIELDS: list[dict[str, Any]] = [
    {"name": "contact_person", "label": "Who", "type": "text", "required": True},
    {"name": "volume", "label": "Volume", "type": "number", "required": False},
    {"name": "size", "label": "Size", "type": "choice", "choices": ["s", "m"], "required": False},
    {"name": "email", "label": "Email", "type": "email", "required": False},
    {"name": "visit", "label": "Visit", "type": "date", "required": False},
    {"name": "urgent", "label": "Urgent", "type": "bool", "required": False},
]


def problems(answers: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(InvalidInput) as caught:
        check_answers(FIELDS, answers)
    fields: list[dict[str, Any]] = caught.value.extra["fields"]
    return fields


def test_valid_answers_are_kept_trimmed_and_blanks_dropped() -> None:
    answers = {
        "contact_person": " Anna ",
        "volume": 12.5,
        "size": "m",
        "email": "",
        "urgent": False,
    }
    assert check_answers(FIELDS, answers) == {
        "contact_person": "Anna",
        "volume": 12.5,
        "size": "m",
        "urgent": False,
    }


def test_a_required_field_left_blank_is_named() -> None:
    assert problems({"contact_person": "  "}) == [
        {"loc": ["questionnaire", "contact_person"], "msg": "required"}
    ]


def test_wrong_types_and_unknown_fields_are_each_named() -> None:
    found = problems(
        {
            "contact_person": "Anna",
            "volume": "lots",
            "size": "xl",
            "email": "nope",
            "visit": "tomorrow",
            "urgent": "yes",
            "shoe_size": 42,
        }
    )
    assert {tuple(p["loc"]) for p in found} == {
        ("questionnaire", name)
        for name in ("volume", "size", "email", "visit", "urgent", "shoe_size")
    }
