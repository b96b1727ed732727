"""Pauses of the dialer, a shift or an operator: who started and ended each, when and why.

A pause is active while `ended_at` is null; a partial unique index allows one active pause
per scope, target and reason code, so starting one twice returns the first.
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Pause, PauseReason, PauseScope
from dialer.shifts.gate import DIALER_TARGET


def _active(scope: PauseScope, target_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [Pause.scope == scope, Pause.target_id == target_id, Pause.ended_at.is_(None)]


async def start_pause(
    session: AsyncSession,
    scope: PauseScope,
    target_id: uuid.UUID,
    code: PauseReason,
    reason: str | None,
    by: uuid.UUID | None,
    now: datetime,
) -> Pause:
    """Start a pause, or return the same one already active."""
    existing = await _find(session, scope, target_id, code)
    if existing is not None:
        return existing
    pause = Pause(
        scope=scope,
        target_id=target_id,
        reason_code=code,
        reason=reason,
        started_by=by,
        started_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(pause)
    except IntegrityError:
        # Another request started the same pause between our read and our insert.
        found = await _find(session, scope, target_id, code)
        assert found is not None
        return found
    return pause


async def _find(
    session: AsyncSession, scope: PauseScope, target_id: uuid.UUID, code: PauseReason
) -> Pause | None:
    found: Pause | None = await session.scalar(
        select(Pause).where(*_active(scope, target_id), Pause.reason_code == code)
    )
    return found


async def end_pauses(
    session: AsyncSession,
    scope: PauseScope,
    target_id: uuid.UUID,
    codes: tuple[PauseReason, ...],
    by: uuid.UUID | None,
    at: datetime,
) -> int:
    """End the active pauses of the target with these reason codes; how many ended."""
    ended = await session.scalars(
        update(Pause)
        .where(*_active(scope, target_id), Pause.reason_code.in_(codes))
        .values(ended_at=at, ended_by=by)
        .returning(Pause.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(ended))


async def active_pauses(
    session: AsyncSession, scope: PauseScope, target_ids: list[uuid.UUID] | None = None
) -> list[Pause]:
    """The active pauses of a scope (of some targets only, when given), oldest first."""
    query = select(Pause).where(Pause.scope == scope, Pause.ended_at.is_(None))
    if target_ids is not None:
        query = query.where(Pause.target_id.in_(target_ids))
    return list(await session.scalars(query.order_by(Pause.started_at)))


async def pause_dialer(session: AsyncSession, reason: str, by: uuid.UUID, now: datetime) -> Pause:
    """A supervisor's pause of all dialing; it holds across shifts until resumed."""
    return await start_pause(
        session, PauseScope.DIALER, DIALER_TARGET, PauseReason.SUPERVISOR, reason, by, now
    )


async def resume_dialer(session: AsyncSession, by: uuid.UUID, now: datetime) -> int:
    """End the supervisor's pause of the dialer; a saturation pause lifts only by itself."""
    return await end_pauses(
        session, PauseScope.DIALER, DIALER_TARGET, (PauseReason.SUPERVISOR,), by, now
    )


async def pause_operator(
    session: AsyncSession,
    operator_id: uuid.UUID,
    code: PauseReason,
    reason: str | None,
    by: uuid.UUID,
    now: datetime,
) -> Pause:
    """Pause one operator (a supervisor's pause, or the operator's own break) until resumed."""
    return await start_pause(session, PauseScope.OPERATOR, operator_id, code, reason, by, now)


async def resume_operator(
    session: AsyncSession,
    operator_id: uuid.UUID,
    codes: tuple[PauseReason, ...],
    by: uuid.UUID,
    now: datetime,
) -> int:
    """End the operator's active pauses with these reason codes."""
    return await end_pauses(session, PauseScope.OPERATOR, operator_id, codes, by, now)
