"""The shift calendar: pure rules for when a template's shifts fall and what state is due.

A template is wall-clock times in a zone ("10:00–14:00 Moscow, Monday to Friday"); a shift is
one dated instance of it, stored as two UTC instants. Everything here is a function of its
arguments, so it is tested at fixed instants across daylight-saving changes.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialer.base.models import ShiftState

# The transitions a shift may make: planned → open ⇄ paused → closed. A planned shift
# whose whole window passed while no scheduler ran goes straight to closed.
ALLOWED: frozenset[tuple[ShiftState, ShiftState]] = frozenset(
    {
        (ShiftState.PLANNED, ShiftState.OPEN),
        (ShiftState.PLANNED, ShiftState.CLOSED),
        (ShiftState.OPEN, ShiftState.PAUSED),
        (ShiftState.PAUSED, ShiftState.OPEN),
        (ShiftState.OPEN, ShiftState.CLOSED),
        (ShiftState.PAUSED, ShiftState.CLOSED),
    }
)

LIVE: tuple[ShiftState, ...] = (ShiftState.OPEN, ShiftState.PAUSED)


@dataclass(frozen=True)
class Schedule:
    """A template's wall-clock rule: daily times on ISO weekdays (Monday = 1) in a zone."""

    start: time
    end: time
    weekdays: Collection[int]
    timezone: str

    @property
    def crosses_midnight(self) -> bool:
        """True when the shift ends on the day after it starts (22:00–02:00)."""
        return self.end <= self.start


@dataclass(frozen=True)
class Occurrence:
    """One dated shift of a schedule: the local date it starts on and its UTC bounds."""

    local_date: date
    starts_at: datetime
    ends_at: datetime


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in a zone.

    In a spring-forward gap the time is read with the offset before the change (fold=0): on
    the night Berlin skips from 02:00 to 03:00, 02:30 falls at 03:30 summer time. In the
    repeated autumn hour fold=0 takes the first pass, still on summer time.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def occurrence_on(schedule: Schedule, day: date) -> Occurrence | None:
    """The schedule's shift starting on a local date, or None on a day off."""
    if day.isoweekday() not in schedule.weekdays:
        return None
    zone = ZoneInfo(schedule.timezone)
    end_day = day + timedelta(days=1) if schedule.crosses_midnight else day
    return Occurrence(
        day, wall_clock(day, schedule.start, zone), wall_clock(end_day, schedule.end, zone)
    )


def occurrences(schedule: Schedule, start: datetime, end: datetime) -> list[Occurrence]:
    """The schedule's shifts that overlap [start, end), oldest first."""
    zone = ZoneInfo(schedule.timezone)
    # From the day before: a shift that crosses midnight may still be running at `start`.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found = []
    while day <= last:
        occurrence = occurrence_on(schedule, day)
        if occurrence and occurrence.ends_at > start and occurrence.starts_at < end:
            found.append(occurrence)
        day += timedelta(days=1)
    return found


def local_date(instant: datetime, timezone: str) -> date:
    """The date an instant falls on in a zone: the day a shift belongs to."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def due_state(starts_at: datetime, ends_at: datetime, now: datetime) -> ShiftState:
    """The state the calendar alone says a shift is in at `now`."""
    if now < starts_at:
        return ShiftState.PLANNED
    if now < ends_at:
        return ShiftState.OPEN
    return ShiftState.CLOSED


def next_step(current: ShiftState, due: ShiftState) -> ShiftState | None:
    """The one transition that brings a shift in line with its calendar, if any.

    Only the calendar's own moves are made: a paused shift stays paused until its end, and a
    shift a supervisor closed early stays closed.
    """
    if current is ShiftState.PLANNED and due is not ShiftState.PLANNED:
        return due
    if current in LIVE and due is ShiftState.CLOSED:
        return ShiftState.CLOSED
    return None


def can_transition(current: ShiftState, target: ShiftState) -> bool:
    """True when the state machine allows the move."""
    return (current, target) in ALLOWED
