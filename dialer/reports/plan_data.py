"""The shift planner's data: the history measured, the shifts ahead, the MPK now.

The one query layer that feeds the pure model (`dialer.reports.planner`). From the last
`days` days it measures warm questionnaires per operator-hour by weekday and hour of
shift (attendance for the hours, questionnaires filed for the warm: a warm call added to
its company's open questionnaire adds nothing to the MPK's load), and each MPK's closing
pace per floor day. With too little history it says so and uses the active campaigns'
planning defaults instead.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import (
    Attempt,
    Attendance,
    Campaign,
    Desk,
    Questionnaire,
    Role,
    Shift,
    ShiftTemplate,
    User,
)
from dialer.contacts.campaigns import planning_of_spec
from dialer.reports import planner
from dialer.sales.policy import Policy
from dialer.sales.saturation import CLOSED_STATUSES, at_desk, backlog
from dialer.shifts.calendar import local_date
from dialer.shifts.dated import shifts_between

# Less than this and the history says too little: the campaigns' defaults stand in.
LEAST_OPERATOR_HOURS = 20.0
LEAST_FLOOR_DAYS = 5
# A weekday and hour of shift needs this many operator-hours to stand on its own.
LEAST_CELL_HOURS = 4.0


@dataclass(frozen=True)
class History:
    start: datetime
    end: datetime
    samples: list[planner.Sample]
    floor_days: int
    closed: dict[uuid.UUID, int]

    @property
    def operator_hours(self) -> float:
        return sum(s.operator_hours for s in self.samples)

    @property
    def warm(self) -> int:
        return sum(s.warm for s in self.samples)

    @property
    def enough(self) -> bool:
        return self.operator_hours >= LEAST_OPERATOR_HOURS and self.floor_days >= LEAST_FLOOR_DAYS


def _hours_by_hour_of_shift(
    start: datetime, end: datetime, clock_in: datetime, clock_out: datetime
) -> dict[int, float]:
    """Operator-hours of one attendance in each hour of its shift."""
    hours: dict[int, float] = {}
    hour, at = 1, start
    while at < end:
        top = min(at + timedelta(hours=1), end)
        overlap = (min(top, clock_out) - max(at, clock_in)) / timedelta(hours=1)
        if overlap > 0:
            hours[hour] = overlap
        hour, at = hour + 1, top
    return hours


async def history(session: AsyncSession, start: datetime, end: datetime) -> History:
    """What the floor did in [start, end): operator-hours, warm questionnaires, closes."""
    cells: dict[tuple[int, int], list[float]] = {}
    days: set[date] = set()
    worked = await session.execute(
        select(
            Shift.starts_at,
            Shift.ends_at,
            ShiftTemplate.timezone,
            Attendance.clock_in_at,
            Attendance.clock_out_at,
        )
        .select_from(Attendance)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(ShiftTemplate, ShiftTemplate.id == Shift.template_id)
        .where(Shift.starts_at >= start, Shift.starts_at < end)
    )
    for starts, ends, zone, clock_in, clock_out in worked:
        day = local_date(starts, zone)
        days.add(day)
        until = min(clock_out or end, ends, end)
        for hour, spent in _hours_by_hour_of_shift(starts, ends, clock_in, until).items():
            cells.setdefault((day.isoweekday(), hour), [0.0, 0])[0] += spent
    filed = await session.execute(
        select(Attempt.created_at, Shift.starts_at, ShiftTemplate.timezone)
        .select_from(Questionnaire)
        .join(Attempt, Attempt.id == Questionnaire.attempt_id)
        .join(Shift, Shift.id == Attempt.shift_id)
        .join(ShiftTemplate, ShiftTemplate.id == Shift.template_id)
        .where(Shift.starts_at >= start, Shift.starts_at < end)
    )
    for at, starts, zone in filed:
        hour = int((at - starts) // timedelta(hours=1)) + 1
        cells.setdefault((local_date(starts, zone).isoweekday(), hour), [0.0, 0])[1] += 1
    closed = await session.execute(
        select(Questionnaire.manager_id, func.count())
        .where(
            Questionnaire.status.in_(CLOSED_STATUSES),
            Questionnaire.updated_at >= start,
            Questionnaire.updated_at < end,
            Questionnaire.manager_id.is_not(None),
        )
        .group_by(Questionnaire.manager_id)
    )
    samples = [
        planner.Sample(weekday, hour, spent, int(warm))
        for (weekday, hour), (spent, warm) in sorted(cells.items())
    ]
    return History(start, end, samples, len(days), {m: n for m, n in closed.all() if m})


async def defaults(session: AsyncSession) -> dict[str, float]:
    """The planning defaults: the mean of the active campaigns', else the built-in ones."""
    given = [
        planning_of_spec(p)
        for p in await session.scalars(select(Campaign.planning).where(Campaign.active.is_(True)))
    ]
    if not given:
        return planning_of_spec(None)
    return {key: fmean(p[key] for p in given) for key in given[0]}


@dataclass(frozen=True)
class Manager:
    id: uuid.UUID
    name: str
    capacity: int
    closed: int
    closes_per_day: float
    measured: bool


async def acquisition_desk(session: AsyncSession, past: History, fallback: float) -> list[Manager]:
    """The active MPK, each with its measured pace, or the default where too little history."""
    rows = await session.execute(
        select(User.id, User.name, User.capacity)
        .where(*at_desk(Desk.ACQUISITION))
        .order_by(User.name, User.id)
    )
    measured = past.floor_days >= LEAST_FLOOR_DAYS
    desk = []
    for manager_id, name, capacity in rows:
        closed = past.closed.get(manager_id, 0)
        pace = closed / past.floor_days if measured else fallback
        desk.append(Manager(manager_id, name, capacity or 0, closed, pace, measured))
    return desk


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _shift_json(p: planner.ShiftPlan, state: str) -> dict[str, Any]:
    s, best, kept = p.shift, p.recommended, p.as_rostered
    return {
        "id": str(s.id),
        "name": s.name,
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        "date": s.local_date.isoformat(),
        "state": state,
        "rostered": s.rostered,
        "recommended": best.operators,
        "wanted": p.wanted,
        "expected_warm": round(kept.warm, 1),
        "expected_open_at_end": round(kept.end.open, 1),
        "pause_expected_at": _iso(kept.pause_at),
        "idle_hours": round(kept.idle_hours, 2),
        "recommended_warm": round(best.warm, 1),
        "recommended_open_at_end": round(best.end.open, 1),
        "recommended_idle_hours": round(best.idle_hours, 2),
    }


async def plan_report(
    session: AsyncSession, first: date, last: date, days: int, now: datetime, policy: Policy
) -> dict[str, Any]:
    """The planner's answer for the shifts of [first, last], from the last `days` days."""
    views = await shifts_between(session, first, last)
    past = await history(session, now - timedelta(days=days), now)
    assumed = await defaults(session)
    if past.enough:
        rates = planner.measure_rates(past.samples, LEAST_CELL_HOURS)
    else:
        rates = planner.Rates({}, {}, assumed["warm_per_operator_hour"])
    managers = await acquisition_desk(session, past, assumed["closes_per_manager_day"])
    desk = planner.Desk(
        closes_per_day=sum(m.closes_per_day for m in managers),
        capacity=sum(m.capacity for m in managers),
        high_percent=policy.marks.high,
        low_percent=policy.marks.low,
    )
    state = await backlog(session)
    paused = state.paused_since is not None
    shifts = [
        planner.PlannedShift(
            v.shift.id,
            v.shift.name,
            v.shift.starts_at,
            v.shift.ends_at,
            local_date(v.shift.starts_at, v.timezone),
            local_date(v.shift.starts_at, v.timezone).isoweekday(),
            len(v.roster),
        )
        for v in views
    ]
    states = {v.shift.id: v.shift.state.value for v in views}
    # A roster is made of the floor's active operators: no more are recommended.
    operators = (
        await session.scalar(
            select(func.count()).where(User.role == Role.OPERATOR, User.active.is_(True))
        )
        or 0
    )
    plans = planner.plan(shifts, state.open, paused, rates, desk, now, operators)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "measured": {
            "days": days,
            "from": past.start.isoformat(),
            "to": past.end.isoformat(),
            "floor_days": past.floor_days,
            "operator_hours": round(past.operator_hours, 1),
            "warm": past.warm,
            "enough_history": past.enough,
            "warm_per_operator_hour": round(rates.overall, 3),
            "by_hour_of_shift": [
                {"hour": h, "warm_per_operator_hour": round(r, 3)}
                for h, r in sorted(rates.by_hour.items())
            ],
            "by_weekday_and_hour": [
                {"weekday": w, "hour": h, "warm_per_operator_hour": round(r, 3)}
                for (w, h), r in sorted(rates.cells.items())
            ],
        },
        "defaults": assumed,
        "managers": [
            {
                "id": str(m.id),
                "name": m.name,
                "capacity": m.capacity,
                "closed": m.closed,
                "closes_per_day": round(m.closes_per_day, 2),
                "measured": m.measured,
            }
            for m in managers
        ],
        "operators": operators,
        "desk": {
            "capacity": desk.capacity,
            "closes_per_day": round(desk.closes_per_day, 2),
            "high_mark": desk.high,
            "low_mark": desk.low,
            "open_now": state.open,
            "paused_now": paused,
        },
        "shifts": [_shift_json(p, states[p.shift.id]) for p in plans],
    }
