"""The shift planner's model: how many operators keep the MPK between the marks.

Pure: no database, no clock. It is fed by `dialer.reports.plan_data` and tested on known
numbers. The model, in the floor's own terms:

- operators file warm questionnaires at a measured rate per operator-hour, which depends
  on the hour of the shift (students tire) and the weekday;
- the MPK close questionnaires at their measured pace per floor day, spread evenly over
  the hours the floor works that day (the MPK work while the floor does);
- the MPK backlog (open questionnaires) moves by the difference; at the high mark of the
  MPK's total capacity dialing pauses and stays paused until the backlog is down to the
  low mark; with an empty backlog the MPK are idle.

For each shift it recommends the most operators that keep the backlog at the shift's end
at or under the middle of the marks without a pause (or, where so few would leave the MPK
idle, the fewest that do not), and it runs the roster as planned to say what it will
produce and when a pause is expected.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The model's step: fine enough that a pause's time is told to a few minutes.
STEP = timedelta(minutes=6)
MOST_OPERATORS = 200


@dataclass(frozen=True)
class Rates:
    """Warm questionnaires per operator-hour by (ISO weekday, hour of shift)."""

    cells: dict[tuple[int, int], float]
    by_hour: dict[int, float]
    overall: float

    def warm(self, weekday: int, hour: int) -> float:
        """The rate for a weekday and hour of shift, else the hour's, else the overall one."""
        if (weekday, hour) in self.cells:
            return self.cells[(weekday, hour)]
        return self.by_hour.get(hour, self.overall)


@dataclass(frozen=True)
class Sample:
    """What was measured in one (weekday, hour of shift) cell of the history."""

    weekday: int
    hour: int
    operator_hours: float
    warm: int


def measure_rates(samples: Sequence[Sample], least_hours: float) -> Rates:
    """Rates from the history: a cell, an hour of shift, overall, each only when enough."""
    cells: dict[tuple[int, int], list[float]] = {}
    hours: dict[int, list[float]] = {}
    total = [0.0, 0.0]
    for s in samples:
        cell = cells.setdefault((s.weekday, s.hour), [0.0, 0.0])
        for bucket in (cell, hours.setdefault(s.hour, [0.0, 0.0]), total):
            bucket[0] += s.operator_hours
            bucket[1] += s.warm
    overall = total[1] / total[0] if total[0] else 0.0
    return Rates(
        cells={k: w / h for k, (h, w) in cells.items() if h >= least_hours},
        by_hour={k: w / h for k, (h, w) in hours.items() if h >= least_hours},
        overall=overall,
    )


@dataclass(frozen=True)
class Desk:
    """The MPK as the planner sees them: their pace and how much they can hold."""

    closes_per_day: float
    capacity: int
    high_percent: int
    low_percent: int

    @property
    def high(self) -> float:
        return self.capacity * self.high_percent / 100

    @property
    def low(self) -> float:
        return self.capacity * self.low_percent / 100

    @property
    def target(self) -> float:
        return (self.high + self.low) / 2


@dataclass(frozen=True)
class PlannedShift:
    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    # The shift's local date and ISO weekday, in its template's zone.
    local_date: date
    weekday: int
    rostered: int


@dataclass(frozen=True)
class State:
    """The backlog and whether dialing is paused for it, at one instant."""

    open: float
    paused: bool = False


@dataclass(frozen=True)
class Run:
    """One shift run with a number of operators."""

    operators: int
    warm: float
    end: State
    peak: float
    pause_at: datetime | None
    idle_hours: float


def run_shift(
    shift: PlannedShift,
    operators: int,
    start: State,
    rates: Rates,
    closes_per_hour: float,
    desk: Desk,
    since: datetime | None = None,
) -> Run:
    """The shift from `since` (its start by default) to its end, step by step."""
    at = max(since or shift.starts_at, shift.starts_at)
    # A shift that starts paused has its pause at its start.
    pause_at = at if start.paused else None
    state, warm, peak, idle = start, 0.0, start.open, 0.0
    while at < shift.ends_at:
        step = min(STEP, shift.ends_at - at)
        hours = step / timedelta(hours=1)
        hour = int((at - shift.starts_at) // timedelta(hours=1)) + 1
        filed = 0.0 if state.paused else operators * rates.warm(shift.weekday, hour) * hours
        can_close = closes_per_hour * hours
        backlog = state.open + filed
        if backlog < can_close and closes_per_hour > 0:
            idle += (can_close - backlog) / closes_per_hour
        left = max(backlog - can_close, 0.0)
        warm += filed
        peak = max(peak, left)
        at += step
        paused = state.paused
        if not paused and left > 0 and left >= desk.high:
            paused = True
            pause_at = pause_at or at
        elif paused and left <= desk.low:
            paused = False
        state = State(left, paused)
    return Run(operators, warm, state, peak, pause_at, idle)


def recommend(
    shift: PlannedShift,
    start: State,
    rates: Rates,
    closes_per_hour: float,
    desk: Desk,
    since: datetime | None = None,
    most: int = MOST_OPERATORS,
) -> tuple[Run, int]:
    """The roster that keeps the MPK between the marks: no pause, no idle time if it can be,
    from at most `most` operators (the floor's active ones); and how many the MPK could
    take were there operators enough (more than `most` where the floor is short).

    The most operators whose backlog at the shift's end stays at or under the middle of
    the marks; where so few would leave the MPK idle, the fewest that do not. Filling
    only to the middle leaves the room above it for a better hour than measured: the
    pause costs the whole floor, a backlog a little under the low mark costs nobody.
    """

    def run(n: int) -> Run:
        return run_shift(shift, n, start, rates, closes_per_hour, desk, since)

    candidates = [run(0)]
    for n in range(1, MOST_OPERATORS + 1):
        tried = run(n)
        if tried.pause_at is not None or tried.end.paused:
            break
        candidates.append(tried)
    wanted = _best(candidates, desk)
    if wanted.operators <= most:
        return wanted, wanted.operators
    return _best(candidates[: most + 1], desk), wanted.operators


def _best(candidates: list[Run], desk: Desk) -> Run:
    """Of runs with 0, 1, 2 … operators, none pausing, the one `recommend` describes."""
    within = [r for r in candidates if r.end.open <= desk.target + 1e-9]
    best = within[-1] if within else candidates[0]
    if best.idle_hours > 0:
        busy = [r for r in candidates if r.idle_hours == 0]
        best = busy[0] if busy else candidates[-1]
    return best


@dataclass(frozen=True)
class ShiftPlan:
    """A shift's recommended roster, its roster as planned, and the operators the MPK could
    take (`wanted`: above the recommendation only where the floor has too few)."""

    shift: PlannedShift
    recommended: Run
    as_rostered: Run
    wanted: int


def floor_hours(shifts: Sequence[PlannedShift]) -> dict[date, float]:
    """The hours the floor works on each local date: the MPK's day is spread over them."""
    hours: dict[date, float] = {}
    for s in shifts:
        length = (s.ends_at - s.starts_at) / timedelta(hours=1)
        hours[s.local_date] = hours.get(s.local_date, 0.0) + length
    return hours


def plan(
    shifts: Sequence[PlannedShift],
    open_now: float,
    paused_now: bool,
    rates: Rates,
    desk: Desk,
    now: datetime,
    operators: int = MOST_OPERATORS,
) -> list[ShiftPlan]:
    """Each shift not yet over, in order: its recommended roster (of at most `operators`,
    the floor's active ones) and its roster as planned.

    Both chains start from the backlog now; each shift of a chain starts where the one
    before it ended, so a recommendation takes the earlier recommendations as followed.
    """
    ordered = sorted((s for s in shifts if s.ends_at > now), key=lambda s: s.starts_at)
    # Every shift of each day counts for its hours, those already over included.
    hours = floor_hours(shifts)
    plans = []
    advised = rostered = State(open_now, paused_now)
    for shift in ordered:
        per_hour = desk.closes_per_day / hours[shift.local_date]
        best, wanted = recommend(shift, advised, rates, per_hour, desk, now, operators)
        kept = run_shift(shift, shift.rostered, rostered, rates, per_hour, desk, since=now)
        plans.append(ShiftPlan(shift, best, kept, wanted))
        advised, rostered = best.end, kept.end
    return plans
