"""Pydantic shapes shared by several routers, and the bounds every input is held to."""

import math
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, field_validator

from dialer.base.clock import require_aware

# What the databases can store: PostgreSQL's text refuses NUL, its JSON refuses NaN and
# Infinity, and both databases keep integers in 64 bits.
LARGEST_INT = 2**63 - 1


def storable(value: Any) -> Any:
    """The value, when both databases can store it whole; ValueError otherwise."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain the NUL character")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not -LARGEST_INT <= value <= LARGEST_INT:
            raise ValueError("the number is too large")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a number must be finite")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("a number must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            storable(item)
    return value


class Model(BaseModel):
    """Every request body refuses fields it does not know, and values no database stores."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


# An instant with an offset; naive datetimes are a 422, not a guess.
Instant = Annotated[AwareDatetime, AfterValidator(require_aware)]

# The days a report or a list may ask for: wide enough for any real period, narrow
# enough that a day's bounds in any time zone are instants Python can hold.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def _within_days(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Day = Annotated[date, AfterValidator(_within_days)]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a time of day is read in the campaign's zone: give it without an offset")
    return value


# A time of day on a wall clock, read in a zone given elsewhere.
WallTime = Annotated[time, AfterValidator(_wall_clock)]


def _position(value: int) -> int:
    if not 0 <= value <= LARGEST_INT:
        raise ValueError(f"must be between 0 and {LARGEST_INT}")
    return value


# A position in a list; past 2**63 - 1 the databases' integers overflow.
Offset = Annotated[int, AfterValidator(_position)]
# Text from a query string or a form, held to what a body's text is held to.
Text = Annotated[str, AfterValidator(storable)]
