"""The shift planner's model on known numbers."""

import uuid
from datetime import UTC, date, datetime, timedelta

from dialer.reports.planner import (
    Desk,
    PlannedShift,
    Rates,
    Sample,
    State,
    measure_rates,
    plan,
    run_shift,
)

MONDAY = date(2026, 12, 7)
FLAT = Rates(cells={}, by_hour={}, overall=4.0)  # 4 warm per operator-hour
# Three MPK closing 10 a day each, capacity 20 each: 60, pause at 60, resume at 48.
THREE_MPK = Desk(closes_per_day=30, capacity=60, high_percent=100, low_percent=80)


def two_weeks(rostered: int) -> list[PlannedShift]:
    """10:00–14:00 and 14:00–18:00 (UTC here), Monday to Friday, for two weeks."""
    shifts = []
    for day in range(14):
        local = MONDAY + timedelta(days=day)
        if local.isoweekday() > 5:
            continue
        for start in (10, 14):
            at = datetime(local.year, local.month, local.day, start, tzinfo=UTC)
            shifts.append(
                PlannedShift(
                    uuid.uuid4(),
                    f"{start}:00",
                    at,
                    at + timedelta(hours=4),
                    local,
                    local.isoweekday(),
                    rostered,
                )
            )
    return shifts


def test_the_recommended_roster_keeps_the_mpk_between_the_marks() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    plans = plan(two_weeks(rostered=6), 0, False, FLAT, THREE_MPK, now)
    assert len(plans) == 20
    # From an empty backlog: four operators fill it to 49 by 14:00 (16 an hour each, 3.75
    # an hour closed); five would reach 65, past the high mark of 60.
    first = plans[0].recommended
    assert first.operators == 4
    assert round(first.end.open, 6) == 49
    # Then about one operator a shift holds it (16 filed against 15 closed); a shift
    # without any now and then lets the backlog down from the top.
    later = [p.recommended.operators for p in plans[1:]]
    assert set(later) == {0, 1}
    assert later.count(1) >= 15
    for p in plans:
        assert p.recommended.peak <= THREE_MPK.target  # 54, the middle of 48 and 60
        assert p.recommended.pause_at is None
        assert p.recommended.idle_hours == 0
    assert plans[-1].recommended.end.open >= THREE_MPK.low


def test_the_roster_as_planned_says_when_the_pause_comes() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    plans = plan(two_weeks(rostered=6), 0, False, FLAT, THREE_MPK, now)
    kept = plans[0].as_rostered
    # 24 an hour filed, 3.75 closed: 60 reached after 60 / 20.25 h = 2 h 57 min 47 s.
    assert kept.pause_at is not None
    expected = datetime(2026, 12, 7, 12, 57, 47, tzinfo=UTC)
    assert abs(kept.pause_at - expected) <= timedelta(minutes=6)
    assert kept.end.paused
    assert kept.warm < 6 * 4 * 4


def test_too_few_operators_leave_the_mpk_idle() -> None:
    shift = two_weeks(rostered=0)[0]
    idle = run_shift(shift, 0, State(5), FLAT, 3.75, THREE_MPK)
    # Five questionnaires last 1 h 20 min; then 2 h 40 min with nothing to close.
    assert abs(idle.idle_hours - (4 - 5 / 3.75)) < 1e-9
    assert idle.end.open == 0


def test_rates_fall_back_from_a_cell_to_its_hour_to_the_whole() -> None:
    rates = measure_rates(
        [
            Sample(1, 1, operator_hours=10, warm=50),
            Sample(2, 1, operator_hours=10, warm=30),
            Sample(1, 2, operator_hours=1, warm=9),  # too little to stand alone
        ],
        least_hours=4,
    )
    assert rates.warm(1, 1) == 5.0
    assert rates.warm(3, 1) == 4.0  # no Wednesday: hour 1 of every day
    assert rates.warm(1, 2) == 89 / 21  # hour 2 too thin: the whole history


def test_a_floor_short_of_operators_is_recommended_all_it_has() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    plans = plan(two_weeks(rostered=6), 0, False, FLAT, THREE_MPK, now, operators=2)
    first = plans[0]
    # Four would fill the backlog to 49 by 14:00; two are all there are: 32 filed against
    # 15 closed.
    assert (first.wanted, first.recommended.operators) == (4, 2)
    assert round(first.recommended.end.open, 6) == 17
    # The next shift starts from the backlog the two left, not the four.
    assert plans[1].recommended.operators == 2
    assert all(p.recommended.operators <= 2 for p in plans)
    assert plan(two_weeks(rostered=6), 0, False, FLAT, THREE_MPK, now)[0].wanted == 4
