"""Calling windows: whether a contact may be called now, in its own local time.

Pure rules, no database. A window is a half-open range of local wall-clock
time, [start, end): with 09:00–20:00 a contact is called at 09:00 and at 19:59
but not at 20:00. Wall-clock time is read through the zone's rules at the
instant, so daylight-saving changes need no special case.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.base.clock import is_zone


@lru_cache(maxsize=2048)
def zone(name: str) -> ZoneInfo | None:
    """The zone of that name, or None when the name is unknown."""
    if not is_zone(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def local_time(zone_name: str, now: datetime) -> datetime:
    """The instant as wall-clock time in the zone (UTC when the zone is unknown)."""
    return now.astimezone(zone(zone_name) or UTC)


def is_open(zone_name: str, start: time, end: time, now: datetime) -> bool:
    """True when the zone's wall-clock time at `now` is inside [start, end)."""
    tz = zone(zone_name)
    if tz is None:
        # A zone we cannot read is never called: better silent than at 3 a.m.
        return False
    return start <= now.astimezone(tz).time() < end


def open_zones(zones: Iterable[str], start: time, end: time, now: datetime) -> list[str]:
    """The zones, among those given, whose window is open at `now`, sorted."""
    return sorted({z for z in zones if is_open(z, start, end, now)})


def next_opening(zone_name: str, start: time, end: time, now: datetime) -> datetime | None:
    """The first instant at or after `now` when the zone's window is open (UTC)."""
    tz = zone(zone_name)
    if tz is None or start >= end:
        return None
    if is_open(zone_name, start, end, now):
        return now
    today = now.astimezone(tz).date()
    for days in range(3):
        # A start inside a spring-forward gap resolves to the instant just after
        # the gap (fold=0), which is where the window really opens that day.
        opening = datetime.combine(today + timedelta(days=days), start, tzinfo=tz).astimezone(UTC)
        if opening > now and is_open(zone_name, start, end, opening):
            return opening
    return None
