"""The gate: may this operator dial now, and if not, why."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.errors import DialerPaused, NoOpenShift, NotClockedIn, OperatorPaused, ShiftPaused
from dialer.models import Attendance, Pause, PauseReason, PauseScope, Shift, ShiftState

# The target of dialer-wide pauses: one fixed id so the active-pause index covers them.
DIALER_TARGET = uuid.UUID(int=0)


@dataclass(frozen=True)
class Permit:
    """Leave to dial, within this shift."""

    shift_id: uuid.UUID


async def may_dial(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> Permit:
    """The operator's permit to dial now, or the refusal that says why not."""
    live = (ShiftState.OPEN, ShiftState.PAUSED)
    shifts = {
        s.id: s
        for s in await session.scalars(
            select(Shift).where(Shift.state.in_(live), Shift.starts_at <= now, Shift.ends_at > now)
        )
    }
    if not shifts:
        raise NoOpenShift()
    shift_id = await session.scalar(
        select(Attendance.shift_id).where(
            Attendance.operator_id == operator_id,
            Attendance.clock_out_at.is_(None),
            Attendance.shift_id.in_(shifts),
        )
    )
    if shift_id is None:
        raise NotClockedIn()
    if shifts[shift_id].state is ShiftState.PAUSED:
        raise ShiftPaused()
    pauses = list(
        await session.scalars(
            select(Pause).where(
                Pause.ended_at.is_(None),
                Pause.target_id.in_((operator_id, DIALER_TARGET)),
            )
        )
    )
    if any(p.scope is PauseScope.OPERATOR for p in pauses):
        raise OperatorPaused()
    dialer = [p for p in pauses if p.scope is PauseScope.DIALER]
    if dialer:
        # A supervisor's pause is the one to show: it will not lift by itself.
        codes = {p.reason_code for p in dialer}
        reason = (
            PauseReason.SUPERVISOR if PauseReason.SUPERVISOR in codes else dialer[0].reason_code
        )
        raise DialerPaused(reason=reason.value)
    return Permit(shift_id=shift_id)
