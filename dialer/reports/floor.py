"""The floor as a supervisor sees it: the dialer's state and reasons, the queue per campaign."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Campaign, Contact, Lease, Pause, PauseScope, User
from dialer.queue.catalog import CampaignView
from dialer.queue.claims import READY
from dialer.queue.why import Standing, standing
from dialer.sales.clients import clients_status
from dialer.sales.policy import policy_of
from dialer.sales.saturation import managers_status
from dialer.shifts.dated import NOBODY, ShiftView, live_shifts, roster_size, view, working_shift
from dialer.shifts.gate import DIALER_TARGET

# How the status gets the queue's standings: `standing` itself, or a count shared by a
# process's readers (`app.counts`), which may trail the base by a second or two.
CountStandings = Callable[
    [AsyncSession, list[CampaignView], datetime], Awaitable[dict[uuid.UUID, Standing]]
]


@dataclass(frozen=True)
class Reason:
    """One active pause: of what, why, who started it and when."""

    scope: PauseScope
    code: str
    reason: str | None
    by_id: uuid.UUID | None
    by_name: str | None
    since: datetime
    # The kind of an operator's own break (`dialer.shifts.breaks`).
    break_code: str | None = None


@dataclass(frozen=True)
class QueueCounts:
    """`ready` is what the floor may call now: due, and inside its calling window."""

    ready: int
    leased: int
    callbacks_due: int
    waiting: Standing


@dataclass(frozen=True)
class DialerStatus:
    state: str
    reasons: list[Reason]
    queue: QueueCounts
    campaigns: list[tuple[Campaign, Standing]]
    managers: dict[str, Any]
    clients: dict[str, Any]
    # The live shift without its roster's ids (a floor of thousands would send thousands
    # of ids with every poll of the dashboard), and how many are on that roster.
    shift: ShiftView | None
    rostered: int


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


async def queue_counts(
    session: AsyncSession, standings: dict[uuid.UUID, Standing], now: datetime
) -> QueueCounts:
    """Contacts callable now (due callbacks included), active leases, callbacks due.

    Each count walks its own partial index (the state a literal, so that a generic plan
    still matches the indexes' predicates) instead of reading every contact's row.
    """
    contact, lease = Contact.__table__, Lease.__table__
    ready = contact.c.state == READY
    counts = select(
        select(func.count())
        .where(ready, contact.c.callback_at.is_not(None), contact.c.callback_at <= now)
        .scalar_subquery(),
        select(func.count()).where(lease.c.ended_at.is_(None)).scalar_subquery(),
    )
    callbacks, leased = (await session.execute(counts)).one()
    total = sum(standings.values(), Standing())
    return QueueCounts(
        ready=total.callable_now, leased=leased, callbacks_due=callbacks, waiting=total
    )


async def dialer_status(
    session: AsyncSession, now: datetime, count: CountStandings = standing
) -> DialerStatus:
    """Running or paused, every reason, the queue, the managers' load and the live shift.

    Everything is read as of now but the standings, which `count` may share.
    """
    shift = await working_shift(session, await live_shifts(session, now))
    why = await reasons(session, PauseScope.DIALER, [DIALER_TARGET])
    if shift is not None:
        why += await reasons(session, PauseScope.SHIFT, [shift.id])
    policy = policy_of(session)
    managers = await managers_status(session, now, policy)
    campaigns = list(
        await session.scalars(
            select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.name)
        )
    )
    standings = await count(session, [CampaignView.of(c) for c in campaigns], now)
    return DialerStatus(
        state="paused" if why else "running",
        reasons=why,
        queue=await queue_counts(session, standings, now),
        campaigns=[(c, standings[c.id]) for c in campaigns],
        managers=managers.as_dict(),
        clients=await clients_status(session, now, policy),
        shift=await view(session, shift, only=NOBODY) if shift else None,
        rostered=await roster_size(session, shift.id) if shift else 0,
    )
