"""Attendance: operators clock in and out of the open shift; a supervisor may clock one in."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import Now, Operator, Session, Staff
from app.schemas import Instant, Model
from dialer.base.audit import record
from dialer.base.models import Attendance
from dialer.shifts.attendance import (
    add_attendance,
    clock_in,
    clock_in_to,
    clock_out,
    correct_attendance,
    get_attendance,
    minutes_counted,
    shift_attendance,
)
from dialer.shifts.dated import get_shift

router = APIRouter(tags=["attendance"])


class AttendanceOut(BaseModel):
    id: uuid.UUID
    shift_id: uuid.UUID
    operator_id: uuid.UUID
    clock_in_at: datetime
    clock_out_at: datetime | None
    minutes: float = Field(description="Minutes within the shift's bounds, up to now if open.")


class ClockInIn(Model):
    operator_id: uuid.UUID


async def _out(session: Session, record: Attendance, now: datetime) -> AttendanceOut:
    shift = await get_shift(session, record.shift_id)
    return AttendanceOut(
        id=record.id,
        shift_id=record.shift_id,
        operator_id=record.operator_id,
        clock_in_at=record.clock_in_at,
        clock_out_at=record.clock_out_at,
        minutes=minutes_counted(record, shift, now),
    )


@router.post("/shifts/current/clock-in")
async def clock_in_now(session: Session, now: Now, operator: Operator) -> AttendanceOut:
    """Clock in to the open shift you are rostered on; asked again, the same record."""
    return await _out(session, await clock_in(session, operator.id, now), now)


@router.post("/shifts/current/clock-out")
async def clock_out_now(session: Session, now: Now, operator: Operator) -> AttendanceOut:
    """Clock out of the shift you are clocked in to; the answer counts your minutes."""
    return await _out(session, await clock_out(session, operator.id, now), now)


@router.post("/shifts/{shift_id}/attendance")
async def clock_in_for(
    shift_id: uuid.UUID, body: ClockInIn, session: Session, now: Now, staff: Staff
) -> AttendanceOut:
    """Clock a rostered operator in to an open shift (a walk-in is added to the roster first)."""
    clocked = await clock_in_to(session, shift_id, body.operator_id, now)
    summary = f"operator {body.operator_id} clocked in by staff"
    await record(session, staff, "attendance.clock_in", "shift", shift_id, summary, now)
    return await _out(session, clocked, now)


class CorrectionIn(Model):
    clock_in_at: Instant
    clock_out_at: Instant | None = None


class ForgottenIn(CorrectionIn):
    operator_id: uuid.UUID


@router.get("/shifts/{shift_id}/attendance")
async def attendance_of(
    shift_id: uuid.UUID, session: Session, now: Now, _staff: Staff
) -> list[AttendanceOut]:
    """Every clock-in and clock-out of the shift, with the minutes each counts."""
    return [await _out(session, r, now) for r in await shift_attendance(session, shift_id)]


@router.put("/attendance/{attendance_id}")
async def correct(
    attendance_id: uuid.UUID, body: CorrectionIn, session: Session, now: Now, staff: Staff
) -> AttendanceOut:
    """Correct a clock-in or a forgotten clock-out; the timesheet counts the new times."""
    found = await get_attendance(session, attendance_id)
    before = f"{_hm(found.clock_in_at)}–{_hm(found.clock_out_at)}"
    fixed = await correct_attendance(session, found, body.clock_in_at, body.clock_out_at, now)
    summary = f"operator {fixed.operator_id}: {before} → {_hm(fixed.clock_in_at)}–"
    summary += f"{_hm(fixed.clock_out_at)} UTC"
    await record(session, staff, "attendance.correct", "shift", fixed.shift_id, summary, now)
    return await _out(session, fixed, now)


@router.post("/shifts/{shift_id}/attendance-records", status_code=201)
async def add_forgotten(
    shift_id: uuid.UUID, body: ForgottenIn, session: Session, now: Now, staff: Staff
) -> AttendanceOut:
    """Write a forgotten clock-in (and its clock-out) afterwards, for a rostered operator."""
    added = await add_attendance(
        session, shift_id, body.operator_id, body.clock_in_at, body.clock_out_at, now
    )
    summary = f"operator {added.operator_id}: {_hm(added.clock_in_at)}–"
    summary += f"{_hm(added.clock_out_at)} UTC added"
    await record(session, staff, "attendance.correct", "shift", shift_id, summary, now)
    return await _out(session, added, now)


def _hm(instant: datetime | None) -> str:
    return "…" if instant is None else f"{instant.astimezone(UTC):%H:%M}"
