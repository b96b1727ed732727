"""Timesheets: per operator per shift, the time clocked, paused and paid, and the calls made.

Time counts only within the shift's bounds. A pause the operator did not choose — the
dialer's (a supervisor's or the managers' saturation), the shift's, a supervisor's pause of
the operator — is paid time: the operator was there and ready. The operator's own break is
paid as its break code says; a break without a code is unpaid unless the service is
configured otherwise (`CASCADE_SELF_PAUSE_PAID`).
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.intervals import Interval, clip, intersect, length, subtract
from dialer.base.models import (
    Attempt,
    Attendance,
    BreakCode,
    Disposition,
    Pause,
    PauseReason,
    PauseScope,
    ShiftState,
    User,
)
from dialer.shifts.dated import ShiftView, shifts_between
from dialer.shifts.gate import DIALER_TARGET

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Minutes:
    """The time of one operator on one shift."""

    clocked: timedelta
    paused: timedelta
    unpaid: timedelta

    @property
    def paid(self) -> timedelta:
        return self.clocked - self.unpaid


@dataclass(frozen=True)
class Calls:
    count: int = 0
    talk: timedelta = timedelta()
    warm: int = 0


@dataclass(frozen=True)
class TimesheetRow:
    operator: User
    shift: ShiftView
    minutes: Minutes
    calls: Calls

    @property
    def hours_paid(self) -> Decimal:
        return (Decimal(self.minutes.paid.total_seconds()) / 3600).quantize(CENTS, ROUND_HALF_UP)

    @property
    def pay(self) -> Decimal | None:
        """Hours paid × the hourly rate, to the kopeck; None without a rate."""
        rate = self.operator.hourly_rate
        if rate is None:
            return None
        seconds = Decimal(self.minutes.paid.total_seconds())
        return (seconds * rate / 3600).quantize(CENTS, ROUND_HALF_UP)


def count_time(
    clocked: list[Interval],
    bounds: Interval,
    imposed: list[Interval],
    own: list[Interval],
    own_paid: bool,
) -> Minutes:
    """Clocked, paused and unpaid time within the bounds; an imposed pause beats an own one."""
    worked = clip(clocked, *bounds)
    unpaid = [] if own_paid else subtract(intersect(worked, own), imposed)
    return Minutes(
        clocked=length(worked),
        paused=length(intersect(worked, imposed + own)),
        unpaid=length(unpaid),
    )


async def timesheet(
    session: AsyncSession, first: date, last: date, now: datetime, own_paid: bool
) -> list[TimesheetRow]:
    """One row per operator per shift that has begun, whose local date is in [first, last]."""
    shifts = [
        s
        for s in await shifts_between(session, first, last)
        if s.shift.state is not ShiftState.PLANNED
    ]
    ids = [s.shift.id for s in shifts]
    attended = await _attendance(session, ids, now)
    calls = await _calls(session, ids)
    people = (
        {op for s in shifts for op in s.roster}
        | {op for _, op in attended}
        | {op for _, op in calls}
    )
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(people)))}
    pauses = await _pauses(session, shifts, list(people), now, own_paid)
    rows = []
    for view in shifts:
        shift = view.shift
        bounds = (shift.starts_at, min(shift.ends_at, now))
        here = set(view.roster) | {op for s, op in attended if s == shift.id}
        here |= {op for s, op in calls if s == shift.id}
        for operator_id in sorted(here, key=lambda o: (users[o].name, users[o].login)):
            imposed = pauses.imposed(shift.id, operator_id)
            own = pauses.own.get(operator_id, [])
            minutes = count_time(
                attended.get((shift.id, operator_id), []), bounds, imposed, own, False
            )
            call = calls.get((shift.id, operator_id), Calls())
            rows.append(TimesheetRow(users[operator_id], view, minutes, call))
    return rows


async def _attendance(
    session: AsyncSession, shift_ids: list[uuid.UUID], now: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Interval]]:
    found: dict[tuple[uuid.UUID, uuid.UUID], list[Interval]] = defaultdict(list)
    for record in await session.scalars(
        select(Attendance).where(Attendance.shift_id.in_(shift_ids))
    ):
        interval = (record.clock_in_at, record.clock_out_at or now)
        found[(record.shift_id, record.operator_id)].append(interval)
    return found


async def _calls(
    session: AsyncSession, shift_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Calls]:
    found: dict[tuple[uuid.UUID, uuid.UUID], Calls] = {}
    rows = await session.execute(
        select(
            Attempt.shift_id,
            Attempt.operator_id,
            Attempt.disposition,
            Attempt.answered_at,
            Attempt.hangup_at,
        ).where(Attempt.shift_id.in_(shift_ids))
    )
    for shift_id, operator_id, disposition, answered, hangup in rows:
        assert shift_id is not None
        talk = hangup - answered if answered and hangup and hangup > answered else timedelta()
        before = found.get((shift_id, operator_id), Calls())
        found[(shift_id, operator_id)] = Calls(
            before.count + 1,
            before.talk + talk,
            before.warm + (disposition is Disposition.WARM),
        )
    return found


@dataclass
class _Pauses:
    dialer: list[Interval]
    shift: dict[uuid.UUID, list[Interval]]
    supervised: dict[uuid.UUID, list[Interval]]
    own: dict[uuid.UUID, list[Interval]]
    own_paid: dict[uuid.UUID, list[Interval]]

    def imposed(self, shift_id: uuid.UUID, operator_id: uuid.UUID) -> list[Interval]:
        """The pauses that are paid: those an operator did not choose, and its paid breaks."""
        return (
            self.dialer
            + self.shift.get(shift_id, [])
            + self.supervised.get(operator_id, [])
            + self.own_paid.get(operator_id, [])
        )


async def _pauses(
    session: AsyncSession,
    shifts: list[ShiftView],
    operator_ids: list[uuid.UUID],
    now: datetime,
    own_paid: bool,
) -> _Pauses:
    found = _Pauses([], defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    if not shifts:
        return found
    start = min(s.shift.starts_at for s in shifts)
    end = max(s.shift.ends_at for s in shifts)
    query = (
        select(Pause, BreakCode.paid)
        .outerjoin(BreakCode, BreakCode.code == Pause.break_code)
        .where(
            Pause.started_at < end,
            or_(Pause.ended_at.is_(None), Pause.ended_at > start),
            or_(
                (Pause.scope == PauseScope.DIALER) & (Pause.target_id == DIALER_TARGET),
                (Pause.scope == PauseScope.SHIFT)
                & Pause.target_id.in_([s.shift.id for s in shifts]),
                (Pause.scope == PauseScope.OPERATOR) & Pause.target_id.in_(operator_ids),
            ),
        )
    )
    for pause, code_paid in await session.execute(query):
        interval = (pause.started_at, pause.ended_at or now)
        if pause.scope is PauseScope.DIALER:
            found.dialer.append(interval)
        elif pause.scope is PauseScope.SHIFT:
            found.shift[pause.target_id].append(interval)
        elif pause.reason_code is PauseReason.SELF:
            paid = own_paid if code_paid is None else code_paid
            (found.own_paid if paid else found.own)[pause.target_id].append(interval)
        else:
            found.supervised[pause.target_id].append(interval)
    return found
