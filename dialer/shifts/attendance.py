"""Rosters and attendance: who is planned for a shift, and when each clocked in and out."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import (
    InvalidInput,
    NoOpenShift,
    NotClockedIn,
    NotFound,
    NotRostered,
    ShiftClosed,
)
from dialer.base.intervals import clip, length
from dialer.base.models import Attendance, Lease, Role, RosterEntry, Shift, ShiftState, User
from dialer.shifts.calendar import LIVE
from dialer.shifts.dated import ShiftView, get_shift, live_shifts, view


@dataclass(frozen=True)
class Floor:
    """Where an operator stands now: its live shift, clocked in or not, its active lease."""

    shift: ShiftView | None
    clocked_in: bool
    lease_id: uuid.UUID | None


async def require_operators(session: AsyncSession, operator_ids: list[uuid.UUID]) -> None:
    """Refuse ids that are not active operators."""
    found = set(
        await session.scalars(
            select(User.id).where(
                User.id.in_(operator_ids), User.role == Role.OPERATOR, User.active.is_(True)
            )
        )
    )
    unknown = [str(i) for i in operator_ids if i not in found]
    if unknown:
        raise InvalidInput(
            f"Not active operators: {', '.join(unknown)}.",
            fields=[{"loc": ["operator_ids"], "msg": "not an active operator"}],
        )


async def get_operator(session: AsyncSession, operator_id: uuid.UUID) -> User:
    """One active operator, or NotFound."""
    user = await session.get(User, operator_id)
    if user is None or user.role is not Role.OPERATOR or not user.active:
        raise NotFound("There is no such operator.")
    return user


async def _open_shift_for_change(session: AsyncSession, shift_id: uuid.UUID) -> Shift:
    shift = await get_shift(session, shift_id)
    if shift.state is ShiftState.CLOSED:
        raise ShiftClosed()
    return shift


async def set_roster(
    session: AsyncSession, shift_id: uuid.UUID, operator_ids: list[uuid.UUID], now: datetime
) -> Shift:
    """Plan exactly these operators for a shift; anyone taken off a live shift clocks out now."""
    shift = await _open_shift_for_change(session, shift_id)
    wanted = list(dict.fromkeys(operator_ids))
    await require_operators(session, wanted)
    current = set(
        await session.scalars(
            select(RosterEntry.operator_id).where(RosterEntry.shift_id == shift.id)
        )
    )
    removed = current - set(wanted)
    if removed:
        await session.execute(
            delete(RosterEntry).where(
                RosterEntry.shift_id == shift.id, RosterEntry.operator_id.in_(removed)
            )
        )
        await _clock_out(session, shift.id, removed, now)
    for operator_id in wanted:
        if operator_id not in current:
            session.add(RosterEntry(shift_id=shift.id, operator_id=operator_id, added_at=now))
    await session.flush()
    return shift


async def add_walk_in(
    session: AsyncSession, shift_id: uuid.UUID, operator_id: uuid.UUID, now: datetime
) -> Shift:
    """Add an operator who came without being planned; a no-op if already rostered."""
    shift = await _open_shift_for_change(session, shift_id)
    await require_operators(session, [operator_id])
    entry = await session.get(RosterEntry, (shift.id, operator_id))
    if entry is None:
        session.add(
            RosterEntry(shift_id=shift.id, operator_id=operator_id, walk_in=True, added_at=now)
        )
        await session.flush()
    return shift


async def _clock_out(
    session: AsyncSession, shift_id: uuid.UUID, operator_ids: set[uuid.UUID], now: datetime
) -> None:
    await session.execute(
        update(Attendance)
        .where(
            Attendance.shift_id == shift_id,
            Attendance.operator_id.in_(operator_ids),
            Attendance.clock_out_at.is_(None),
        )
        .values(clock_out_at=now)
        .execution_options(synchronize_session=False)
    )


async def clock_in(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> Attendance:
    """Clock the operator in to the live shift it is rostered on; again, the same record."""
    live = await live_shifts(session, now)
    if not live:
        raise NoOpenShift()
    rostered = set(
        await session.scalars(
            select(RosterEntry.shift_id).where(
                RosterEntry.operator_id == operator_id,
                RosterEntry.shift_id.in_([s.id for s in live]),
            )
        )
    )
    shift = next((s for s in live if s.id in rostered), None)
    if shift is None:
        raise NotRostered()
    return await _clock_in(session, shift.id, operator_id, now)


async def clock_in_to(
    session: AsyncSession, shift_id: uuid.UUID, operator_id: uuid.UUID, now: datetime
) -> Attendance:
    """A supervisor clocks a rostered operator in to a live shift."""
    shift = await get_shift(session, shift_id)
    if shift.state not in LIVE or not shift.starts_at <= now < shift.ends_at:
        raise NoOpenShift("That shift is not open now.")
    await get_operator(session, operator_id)
    if await session.get(RosterEntry, (shift.id, operator_id)) is None:
        raise NotRostered("The operator is not on this shift's roster: add a walk-in first.")
    return await _clock_in(session, shift.id, operator_id, now)


async def _open_attendance(
    session: AsyncSession, operator_id: uuid.UUID, shift_id: uuid.UUID | None = None
) -> Attendance | None:
    query = select(Attendance).where(
        Attendance.operator_id == operator_id, Attendance.clock_out_at.is_(None)
    )
    if shift_id is not None:
        query = query.where(Attendance.shift_id == shift_id)
    found: Attendance | None = await session.scalar(query.order_by(Attendance.clock_in_at))
    return found


async def _clock_in(
    session: AsyncSession, shift_id: uuid.UUID, operator_id: uuid.UUID, now: datetime
) -> Attendance:
    existing = await _open_attendance(session, operator_id, shift_id)
    if existing is not None:
        return existing
    record = Attendance(shift_id=shift_id, operator_id=operator_id, clock_in_at=now)
    try:
        async with session.begin_nested():
            session.add(record)
    except IntegrityError:
        # A double click: the other request's record is the one (one open per shift).
        found = await _open_attendance(session, operator_id, shift_id)
        assert found is not None
        return found
    return record


async def clock_out(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> Attendance:
    """Clock the operator out of the shift it is clocked in to."""
    record = await _open_attendance(session, operator_id)
    if record is None:
        raise NotClockedIn("You are not clocked in.")
    shift = await get_shift(session, record.shift_id)
    record.clock_out_at = min(now, shift.ends_at)
    await session.flush()
    return record


def minutes_counted(record: Attendance, shift: Shift, now: datetime) -> float:
    """Minutes of the record within the shift's bounds (up to now while still clocked in)."""
    until = record.clock_out_at or now
    counted = length(clip([(record.clock_in_at, until)], shift.starts_at, shift.ends_at))
    return round(counted.total_seconds() / 60, 2)


async def floor_of(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> Floor:
    """The operator's live shift (one it is clocked in to, else rostered on) and lease."""
    lease_id = await session.scalar(
        select(Lease.id).where(Lease.operator_id == operator_id, Lease.ended_at.is_(None))
    )
    live = await live_shifts(session, now)
    attended = await session.scalar(
        select(Attendance.shift_id).where(
            Attendance.operator_id == operator_id,
            Attendance.clock_out_at.is_(None),
            Attendance.shift_id.in_([s.id for s in live]),
        )
    )
    rostered = set(
        await session.scalars(
            select(RosterEntry.shift_id).where(
                RosterEntry.operator_id == operator_id,
                RosterEntry.shift_id.in_([s.id for s in live]),
            )
        )
    )
    shift = next((s for s in live if s.id == attended), None) or next(
        (s for s in live if s.id in rostered), None
    )
    return Floor(
        shift=await view(session, shift, only=operator_id) if shift else None,
        clocked_in=attended is not None,
        lease_id=lease_id,
    )


async def shift_attendance(session: AsyncSession, shift_id: uuid.UUID) -> list[Attendance]:
    """Every clock-in and clock-out of the shift, in order."""
    await get_shift(session, shift_id)
    query = select(Attendance).where(Attendance.shift_id == shift_id)
    return list(await session.scalars(query.order_by(Attendance.clock_in_at, Attendance.id)))


def _check_times(shift: Shift, start: datetime, end: datetime | None, now: datetime) -> None:
    """A corrected record lies within the shift, is not in the future, and starts before it ends."""
    wrong: list[dict[str, object]] = []
    if not shift.starts_at <= start < shift.ends_at or start > now:
        wrong.append({"loc": ["body", "clock_in_at"], "msg": "outside the shift or in the future"})
    if end is not None and (end <= start or end > shift.ends_at or end > now):
        wrong.append(
            {"loc": ["body", "clock_out_at"], "msg": "before the clock-in or outside the shift"}
        )
    if wrong:
        raise InvalidInput("The times do not fit the shift.", fields=wrong)


async def _check_overlap(
    session: AsyncSession, record: Attendance, start: datetime, end: datetime | None
) -> None:
    others = await session.scalars(
        select(Attendance).where(
            Attendance.shift_id == record.shift_id,
            Attendance.operator_id == record.operator_id,
            Attendance.id != record.id,
        )
    )
    for other in others:
        other_end = other.clock_out_at
        if (other_end is None or start < other_end) and (end is None or other.clock_in_at < end):
            raise InvalidInput(
                "The operator was already clocked in for part of that time.",
                fields=[{"loc": ["body", "clock_in_at"], "msg": "overlaps another record"}],
            )


async def correct_attendance(
    session: AsyncSession,
    record: Attendance,
    start: datetime,
    end: datetime | None,
    now: datetime,
) -> Attendance:
    """Set a record's clock-in and clock-out as a supervisor knows them; the timesheet counts it."""
    shift = await get_shift(session, record.shift_id)
    _check_times(shift, start, end, now)
    await _check_overlap(session, record, start, end)
    record.clock_in_at, record.clock_out_at = start, end
    await session.flush()
    return record


async def get_attendance(session: AsyncSession, attendance_id: uuid.UUID) -> Attendance:
    """One attendance record, locked for a correction, or NotFound."""
    found = await session.get(Attendance, attendance_id, with_for_update=True)
    if found is None:
        raise NotFound("There is no such attendance record.")
    return found


async def add_attendance(
    session: AsyncSession,
    shift_id: uuid.UUID,
    operator_id: uuid.UUID,
    start: datetime,
    end: datetime | None,
    now: datetime,
) -> Attendance:
    """A forgotten clock-in, written afterwards for a rostered operator."""
    shift = await get_shift(session, shift_id)
    if await session.get(RosterEntry, (shift.id, operator_id)) is None:
        raise NotRostered("The operator is not on this shift's roster: add a walk-in first.")
    record = Attendance(shift_id=shift.id, operator_id=operator_id, clock_in_at=start)
    _check_times(shift, start, end, now)
    await _check_overlap(session, record, start, end)
    record.clock_out_at = end
    session.add(record)
    await session.flush()
    return record
