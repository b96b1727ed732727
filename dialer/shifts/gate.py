"""The gate: may this operator dial now, and if not, why.

It sits on next-call's hot path, so the answer is one query: the operator's open attendance
on a live shift, with the operator's and the dialer's active pauses as subqueries (both use
the partial unique index on active pauses). Only a refusal for want of a shift or of a
clock-in costs a second query, to tell the two apart, and a paused operator's, to say whose
pause holds it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Exists, ScalarSelect, case, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import DialerPaused, NoOpenShift, NotClockedIn, OperatorPaused, ShiftPaused
from dialer.base.models import Attendance, Pause, PauseReason, PauseScope, Shift, ShiftState

# The target of dialer-wide pauses: one fixed id so the active-pause index covers them.
DIALER_TARGET = uuid.UUID(int=0)

_LIVE = (ShiftState.OPEN, ShiftState.PAUSED)


@dataclass(frozen=True)
class Permit:
    """Leave to dial, within this shift."""

    shift_id: uuid.UUID


def _operator_paused(operator_id: uuid.UUID) -> Exists:
    return exists().where(
        Pause.scope == PauseScope.OPERATOR,
        Pause.target_id == operator_id,
        Pause.ended_at.is_(None),
    )


async def _operator_pause(session: AsyncSession, operator_id: uuid.UUID) -> OperatorPaused:
    """The refusal of a paused operator: its own break (with the break's kind) or a
    supervisor's pause.

    Its own break is named first, as the live floor's state names it (`break` over
    `paused`): the operator ends it with the console's button.
    """
    rows = await session.execute(
        select(Pause.reason_code, Pause.break_code).where(
            Pause.scope == PauseScope.OPERATOR,
            Pause.target_id == operator_id,
            Pause.ended_at.is_(None),
        )
    )
    held = {PauseReason(reason): code for reason, code in rows}
    if PauseReason.SELF in held:
        return OperatorPaused(
            "You are on a break: come back from it first.",
            reason=PauseReason.SELF.value,
            break_code=held[PauseReason.SELF],
        )
    return OperatorPaused(reason=PauseReason.SUPERVISOR.value)


def _dialer_pause_reason() -> ScalarSelect[PauseReason]:
    # A supervisor's pause is the one to show: it will not lift by itself.
    first = case((Pause.reason_code == PauseReason.SUPERVISOR, 0), else_=1)
    return (
        select(Pause.reason_code)
        .where(
            Pause.scope == PauseScope.DIALER,
            Pause.target_id == DIALER_TARGET,
            Pause.ended_at.is_(None),
        )
        .order_by(first)
        .limit(1)
        .scalar_subquery()
    )


def _live_at(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Shift.state.in_(_LIVE), Shift.starts_at <= now, Shift.ends_at > now)


async def may_dial(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> Permit:
    """The operator's permit to dial now, or the refusal that says why not."""
    row = (
        await session.execute(
            select(
                Shift.id,
                Shift.state,
                _operator_paused(operator_id),
                _dialer_pause_reason(),
            )
            .select_from(Attendance)
            .join(Shift, Shift.id == Attendance.shift_id)
            .where(
                Attendance.operator_id == operator_id,
                Attendance.clock_out_at.is_(None),
                *_live_at(now),
            )
            .limit(1)
        )
    ).first()
    if row is None:
        any_live = await session.scalar(select(Shift.id).where(*_live_at(now)).limit(1))
        raise NoOpenShift() if any_live is None else NotClockedIn()
    shift_id, state, operator_paused, dialer_reason = row
    if state is ShiftState.PAUSED:
        raise ShiftPaused()
    if operator_paused:
        raise await _operator_pause(session, operator_id)
    if dialer_reason is not None:
        raise DialerPaused(reason=PauseReason(dialer_reason).value)
    return Permit(shift_id=shift_id)
