"""The shift calendar at fixed instants: weekdays, zones, daylight-saving changes, due states."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialer.base.models import ShiftState
from dialer.shifts.calendar import (
    Schedule,
    can_transition,
    due_state,
    local_date,
    next_step,
    occurrence_on,
    occurrences,
)

MOSCOW_MORNING = Schedule(time(10), time(14), {1, 2, 3, 4, 5}, "Europe/Moscow")
MOSCOW_AFTERNOON = Schedule(time(14), time(18), {1, 2, 3, 4, 5}, "Europe/Moscow")
BERLIN_MORNING = Schedule(time(10), time(14), {1, 2, 3, 4, 5}, "Europe/Berlin")
BERLIN_NIGHT = Schedule(time(22), time(6), {1, 2, 3, 4, 5, 6, 7}, "Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_moscow_shifts_fall_on_weekdays_only() -> None:
    # Friday 27 November 2026 to Tuesday 1 December: Friday, Monday, Tuesday.
    found = occurrences(MOSCOW_MORNING, utc(2026, 11, 27), utc(2026, 12, 2))
    assert [o.local_date for o in found] == [
        date(2026, 11, 27),
        date(2026, 11, 30),
        date(2026, 12, 1),
    ]
    assert found[0].starts_at == utc(2026, 11, 27, 7)
    assert found[0].ends_at == utc(2026, 11, 27, 11)


def test_a_running_shift_is_an_occurrence_of_now() -> None:
    found = occurrences(MOSCOW_MORNING, utc(2026, 11, 27, 9), utc(2026, 11, 27, 9, 1))
    assert [(o.starts_at, o.ends_at) for o in found] == [
        (utc(2026, 11, 27, 7), utc(2026, 11, 27, 11))
    ]


def test_berlin_morning_keeps_its_wall_clock_across_spring_forward() -> None:
    # Berlin leaves CET (UTC+1) for CEST (UTC+2) at 02:00 on Sunday 29 March 2026.
    friday = occurrence_on(BERLIN_MORNING, date(2026, 3, 27))
    monday = occurrence_on(BERLIN_MORNING, date(2026, 3, 30))
    assert friday is not None
    assert monday is not None
    assert (friday.starts_at, friday.ends_at) == (utc(2026, 3, 27, 9), utc(2026, 3, 27, 13))
    assert (monday.starts_at, monday.ends_at) == (utc(2026, 3, 30, 8), utc(2026, 3, 30, 12))


def test_a_night_shift_across_the_changes_lasts_the_real_hours() -> None:
    spring = occurrence_on(BERLIN_NIGHT, date(2026, 3, 28))
    autumn = occurrence_on(BERLIN_NIGHT, date(2026, 10, 24))
    assert spring is not None
    assert autumn is not None
    assert spring.ends_at - spring.starts_at == timedelta(hours=7)
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=9)
    assert spring.starts_at == utc(2026, 3, 28, 21)
    assert spring.ends_at == utc(2026, 3, 29, 4)


def test_a_start_in_the_skipped_hour_moves_past_the_gap() -> None:
    gap = Schedule(time(2, 30), time(6), {7}, "Europe/Berlin")
    sunday = occurrence_on(gap, date(2026, 3, 29))
    assert sunday is not None
    assert sunday.starts_at == utc(2026, 3, 29, 1, 30)
    assert sunday.starts_at.astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 30)


def test_a_start_in_the_repeated_hour_takes_its_first_pass() -> None:
    repeated = Schedule(time(2, 30), time(6), {7}, "Europe/Berlin")
    sunday = occurrence_on(repeated, date(2026, 10, 25))
    assert sunday is not None
    assert sunday.starts_at == utc(2026, 10, 25, 0, 30)


def test_a_moscow_shift_seen_from_vladivostok_keeps_its_moscow_day() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")
    # Just after midnight on Tuesday in Vladivostok it is Monday 17:00 in Moscow.
    client_now = datetime(2026, 12, 1, 0, 0, tzinfo=vladivostok)
    found = occurrences(MOSCOW_AFTERNOON, client_now, client_now + timedelta(minutes=1))
    assert len(found) == 1
    assert found[0].local_date == date(2026, 11, 30)
    assert local_date(found[0].starts_at, "Europe/Moscow") == date(2026, 11, 30)
    assert local_date(found[0].ends_at, "Asia/Vladivostok") == date(2026, 12, 1)
    assert found[0].starts_at.astimezone(ZoneInfo("Europe/Moscow")).isoformat() == (
        "2026-11-30T14:00:00+03:00"
    )


def test_a_moscow_shift_seen_from_new_york_is_the_same_instants() -> None:
    new_york = ZoneInfo("America/New_York")
    # 02:00 Monday in New York is 10:00 in Moscow: the morning shift has just begun.
    client_now = datetime(2026, 11, 30, 2, 0, tzinfo=new_york)
    found = occurrences(MOSCOW_MORNING, client_now, client_now + timedelta(seconds=1))
    assert [o.starts_at for o in found] == [utc(2026, 11, 30, 7)]
    assert due_state(found[0].starts_at, found[0].ends_at, client_now) is ShiftState.OPEN


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 30, 6, 59, 59), ShiftState.PLANNED),
        (utc(2026, 11, 30, 7), ShiftState.OPEN),
        (utc(2026, 11, 30, 10, 59, 59), ShiftState.OPEN),
        (utc(2026, 11, 30, 11), ShiftState.CLOSED),
    ],
)
def test_due_state_at_the_edges(now: datetime, expected: ShiftState) -> None:
    assert due_state(utc(2026, 11, 30, 7), utc(2026, 11, 30, 11), now) is expected


def test_the_calendar_moves_only_what_it_owns() -> None:
    assert next_step(ShiftState.PLANNED, ShiftState.OPEN) is ShiftState.OPEN
    assert next_step(ShiftState.PLANNED, ShiftState.CLOSED) is ShiftState.CLOSED
    assert next_step(ShiftState.OPEN, ShiftState.CLOSED) is ShiftState.CLOSED
    assert next_step(ShiftState.PAUSED, ShiftState.CLOSED) is ShiftState.CLOSED
    # A supervisor's pause holds until the end; an early close is never undone.
    assert next_step(ShiftState.PAUSED, ShiftState.OPEN) is None
    assert next_step(ShiftState.CLOSED, ShiftState.OPEN) is None
    assert next_step(ShiftState.PLANNED, ShiftState.PLANNED) is None


def test_closed_is_final() -> None:
    assert not any(can_transition(ShiftState.CLOSED, s) for s in ShiftState)
    assert can_transition(ShiftState.PAUSED, ShiftState.OPEN)
    assert not can_transition(ShiftState.PLANNED, ShiftState.PAUSED)
