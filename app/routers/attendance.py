"""Attendance: operators clock in and out of the open shift; a supervisor may clock one in."""

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import Now, Operator, Session, Staff
from app.schemas import Model
from dialer.base.models import Attendance
from dialer.shifts.attendance import clock_in, clock_in_to, clock_out, minutes_counted
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
    shift_id: uuid.UUID, body: ClockInIn, session: Session, now: Now, _staff: Staff
) -> AttendanceOut:
    """Clock a rostered operator in to an open shift (a walk-in is added to the roster first)."""
    return await _out(session, await clock_in_to(session, shift_id, body.operator_id, now), now)
