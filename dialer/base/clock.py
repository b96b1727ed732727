"""Time at the edges: the only place the core may read the wall clock."""

from datetime import UTC, datetime
from functools import cache
from zoneinfo import available_timezones


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime) -> datetime:
    """Refuse naive datetimes; return the instant in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time without an offset is ambiguous: add one")
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        # 9999-12-31T23:59:59-23:59 is a valid spelling of an instant past year 9999.
        raise ValueError("the time is out of range") from error


@cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name the zone database knows."""
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """Whether the name is a zone (not a folder of zones such as `America`, nor a path)."""
    return name in zone_names()
