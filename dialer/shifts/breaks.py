"""Operators' breaks: the codes an admin configures, and an operator's own break with one.

A break is an operator pause with the reason `self` and a `break_code`; taking a break of
another kind while on one ends the first and starts the second, so each interval carries
the code that pays it (or not) on the timesheet. A break without a code is still accepted
(older clients), paid as `CASCADE_SELF_PAUSE_PAID` says.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import BreakCodeTaken, InvalidInput, NotFound
from dialer.base.models import BreakCode, Pause, PauseReason, PauseScope
from dialer.shifts.pauses import end_pauses, start_pause


@dataclass(frozen=True)
class BreakCodeChange:
    label: str | None = None
    paid: bool | None = None
    active: bool | None = None


async def break_codes(session: AsyncSession, *, active_only: bool = False) -> list[BreakCode]:
    """The configured break codes, in code order."""
    query = select(BreakCode).order_by(BreakCode.code)
    if active_only:
        query = query.where(BreakCode.active.is_(True))
    return list(await session.scalars(query))


async def add_break_code(
    session: AsyncSession, code: str, label: str, paid: bool, now: datetime
) -> BreakCode:
    """A new break code; 409 when the code exists."""
    if await session.get(BreakCode, code) is not None:
        raise BreakCodeTaken()
    added = BreakCode(code=code, label=label, paid=paid, active=True, created_at=now)
    session.add(added)
    await session.flush()
    return added


async def change_break_code(session: AsyncSession, code: str, change: BreakCodeChange) -> BreakCode:
    """Relabel a code, say whether it is paid, or retire it (breaks already taken keep it)."""
    found = await session.get(BreakCode, code)
    if found is None:
        raise NotFound("There is no such break code.")
    if change.label is not None:
        found.label = change.label
    if change.paid is not None:
        found.paid = change.paid
    if change.active is not None:
        found.active = change.active
    await session.flush()
    return found


async def take_break(
    session: AsyncSession,
    operator_id: uuid.UUID,
    code: str | None,
    reason: str | None,
    now: datetime,
) -> Pause:
    """Start the operator's own break of this kind (ending one of another kind first)."""
    if code is not None:
        found = await session.get(BreakCode, code)
        if found is None or not found.active:
            raise InvalidInput(
                "Choose one of the active break codes.",
                fields=[{"loc": ["body", "code"], "msg": "not an active break code"}],
            )
    current = await session.scalar(
        select(Pause).where(
            Pause.scope == PauseScope.OPERATOR,
            Pause.target_id == operator_id,
            Pause.reason_code == PauseReason.SELF,
            Pause.ended_at.is_(None),
        )
    )
    if current is not None and current.break_code == code:
        return current
    if current is not None:
        await end_pauses(
            session, PauseScope.OPERATOR, operator_id, (PauseReason.SELF,), operator_id, now
        )
    pause = await start_pause(
        session, PauseScope.OPERATOR, operator_id, PauseReason.SELF, reason, operator_id, now
    )
    pause.break_code = code
    await session.flush()
    return pause
