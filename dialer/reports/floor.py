"""The floor as a supervisor sees it: the dialer's state and reasons, the queue, each operator."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import (
    Attempt,
    Attendance,
    Contact,
    Disposition,
    Lease,
    Pause,
    PauseScope,
    Role,
    Shift,
    ShiftState,
    User,
)
from dialer.queue.claims import READY
from dialer.sales.clients import clients_status
from dialer.sales.policy import policy_of
from dialer.sales.saturation import managers_status
from dialer.shifts.dated import NOBODY, ShiftView, live_shifts, roster_size, view
from dialer.shifts.gate import DIALER_TARGET


@dataclass(frozen=True)
class Reason:
    """One active pause: of what, why, who started it and when."""

    scope: PauseScope
    code: str
    reason: str | None
    by_id: uuid.UUID | None
    by_name: str | None
    since: datetime


@dataclass(frozen=True)
class QueueCounts:
    ready: int
    leased: int
    callbacks_due: int


@dataclass(frozen=True)
class DialerStatus:
    state: str
    reasons: list[Reason]
    queue: QueueCounts
    managers: dict[str, Any]
    clients: dict[str, Any]
    # The live shift without its roster's ids (a floor of thousands would send thousands
    # of ids with every poll of the dashboard), and how many are on that roster.
    shift: ShiftView | None
    rostered: int


@dataclass(frozen=True)
class OperatorLive:
    """One operator now: off, idle, on_lease or paused, and this shift's numbers."""

    id: uuid.UUID
    login: str
    name: str
    state: str
    shift_id: uuid.UUID | None
    lease: Lease | None
    paused: bool
    calls: int
    warm: int


async def reasons(
    session: AsyncSession, scope: PauseScope, target_ids: list[uuid.UUID]
) -> list[Reason]:
    """The active pauses of these targets, with who started each."""
    rows = await session.execute(
        select(Pause, User.name)
        .outerjoin(User, User.id == Pause.started_by)
        .where(Pause.scope == scope, Pause.target_id.in_(target_ids), Pause.ended_at.is_(None))
        .order_by(Pause.started_at)
    )
    return [
        Reason(p.scope, p.reason_code.value, p.reason, p.started_by, name, p.started_at)
        for p, name in rows
    ]


async def queue_counts(session: AsyncSession, now: datetime) -> QueueCounts:
    """Contacts due to be called now (due callbacks included), active leases, callbacks due.

    Each count walks its own partial index (the state a literal, so that a generic plan
    still matches the indexes' predicates) instead of reading every contact's row: the
    dashboard asks every few seconds, whatever the size of the base.
    """
    contact, lease = Contact.__table__, Lease.__table__
    ready = contact.c.state == READY
    counts = select(
        select(func.count())
        .where(ready, contact.c.callback_at.is_(None), contact.c.next_call_at <= now)
        .scalar_subquery(),
        select(func.count())
        .where(ready, contact.c.callback_at.is_not(None), contact.c.callback_at <= now)
        .scalar_subquery(),
        select(func.count()).where(lease.c.ended_at.is_(None)).scalar_subquery(),
    )
    due, callbacks, leased = (await session.execute(counts)).one()
    return QueueCounts(ready=due + callbacks, leased=leased, callbacks_due=callbacks)


async def dialer_status(session: AsyncSession, now: datetime) -> DialerStatus:
    """Running or paused, every reason, the queue, the managers' load and the live shift."""
    live = await live_shifts(session, now)
    shift = live[0] if live else None
    why = await reasons(session, PauseScope.DIALER, [DIALER_TARGET])
    if shift is not None:
        why += await reasons(session, PauseScope.SHIFT, [shift.id])
    policy = policy_of(session)
    managers = await managers_status(session, now, policy)
    return DialerStatus(
        state="paused" if why else "running",
        reasons=why,
        queue=await queue_counts(session, now),
        managers=managers.as_dict(),
        clients=await clients_status(session, now, policy),
        shift=await view(session, shift, only=NOBODY) if shift else None,
        rostered=await roster_size(session, shift.id) if shift else 0,
    )


async def live_operators(
    session: AsyncSession, now: datetime, operator_ids: list[uuid.UUID] | None = None
) -> list[OperatorLive]:
    """Every active operator (or these), what it is doing now and its calls this shift."""
    query = select(User).where(User.role == Role.OPERATOR, User.active.is_(True))
    if operator_ids is not None:
        query = query.where(User.id.in_(operator_ids))
    operators = list(await session.scalars(query.order_by(User.name, User.login)))
    ids = [o.id for o in operators]
    live = {s.id: s for s in await live_shifts(session, now)}
    attending = await _attending(session, ids, list(live))
    leases = {
        lease.operator_id: lease
        for lease in await session.scalars(
            select(Lease).where(Lease.operator_id.in_(ids), Lease.ended_at.is_(None))
        )
    }
    paused = set(
        await session.scalars(
            select(Pause.target_id).where(
                Pause.scope == PauseScope.OPERATOR,
                Pause.target_id.in_(ids),
                Pause.ended_at.is_(None),
            )
        )
    )
    dialer_paused = bool(await reasons(session, PauseScope.DIALER, [DIALER_TARGET]))
    counts = await _calls(session, list(live))
    return [
        _live_one(
            o, attending.get(o.id), live, leases.get(o.id), o.id in paused, dialer_paused, counts
        )
        for o in operators
    ]


def _live_one(
    operator: User,
    shift_id: uuid.UUID | None,
    live: dict[uuid.UUID, Shift],
    lease: Lease | None,
    paused: bool,
    dialer_paused: bool,
    counts: dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]],
) -> OperatorLive:
    shift_paused = shift_id is not None and live[shift_id].state is ShiftState.PAUSED
    if lease is not None:
        state = "on_lease"
    elif shift_id is None:
        state = "off"
    elif paused or shift_paused or dialer_paused:
        state = "paused"
    else:
        state = "idle"
    calls, warm = counts.get((operator.id, shift_id), (0, 0)) if shift_id else (0, 0)
    return OperatorLive(
        operator.id, operator.login, operator.name, state, shift_id, lease, paused, calls, warm
    )


async def _attending(
    session: AsyncSession, operator_ids: list[uuid.UUID], shift_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(Attendance.operator_id, Attendance.shift_id).where(
            Attendance.operator_id.in_(operator_ids),
            Attendance.shift_id.in_(shift_ids),
            Attendance.clock_out_at.is_(None),
        )
    )
    return {row[0]: row[1] for row in rows}


async def _calls(
    session: AsyncSession, shift_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]]:
    rows = await session.execute(
        select(
            Attempt.operator_id,
            Attempt.shift_id,
            func.count(),
            func.count().filter(Attempt.disposition == Disposition.WARM),
        )
        .where(Attempt.shift_id.in_(shift_ids))
        .group_by(Attempt.operator_id, Attempt.shift_id)
    )
    return {(o, s): (calls, warm) for o, s, calls, warm in rows if s is not None}
