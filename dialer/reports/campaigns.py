"""A campaign's live counts: callable now, waiting and why, leased, in review, done by outcome."""

import uuid
from collections import Counter
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Attempt, Campaign, Contact, ContactState
from dialer.queue.windows import is_open

contact = cast(Table, Contact.__table__)
attempt = cast(Table, Attempt.__table__)

WAITING = ("outside_calling_window", "retry_not_due", "callback_not_due")


async def campaign_stats(
    session: AsyncSession, campaign: Campaign, now: datetime
) -> dict[str, Any]:
    """The counts the campaign's page shows, all as of `now`."""
    states = await _by_state(session, campaign.id)
    waiting: Counter[str] = Counter(dict.fromkeys(WAITING, 0))
    callable_now = 0
    for row in await _ready_by_zone(session, campaign.id, now):
        waiting["retry_not_due"] += row.later
        waiting["callback_not_due"] += row.callbacks_later
        due = row.total - row.later - row.callbacks_later
        if is_open(row.timezone, campaign.window_start, campaign.window_end, now):
            callable_now += due
        else:
            waiting["outside_calling_window"] += due
    return {
        "contacts": sum(states.values()),
        "callable_now": callable_now,
        "leased": states[ContactState.LEASED],
        "review": states[ContactState.REVIEW],
        "waiting": dict(waiting),
        "done": await _done(session, campaign.id, states),
    }


async def _by_state(session: AsyncSession, campaign_id: uuid.UUID) -> Counter[str]:
    # Counted from ix_contact_campaign_state alone.
    rows = await session.execute(
        select(contact.c.state, func.count())
        .where(contact.c.campaign_id == campaign_id)
        .group_by(contact.c.state)
    )
    return Counter({str(state): int(n) for state, n in rows.all()})


async def _ready_by_zone(session: AsyncSession, campaign_id: uuid.UUID, now: datetime) -> Any:
    """Ready contacts per zone: in all, not due yet, callbacks not due yet."""
    callback = contact.c.callback_at.is_not(None)
    later = and_(contact.c.callback_at.is_(None), contact.c.next_call_at > now)
    callback_later = and_(callback, contact.c.callback_at > now)
    query = (
        select(
            contact.c.timezone,
            func.count().label("total"),
            func.coalesce(func.sum(case((later, 1), else_=0)), 0).label("later"),
            func.coalesce(func.sum(case((callback_later, 1), else_=0)), 0).label("callbacks_later"),
        )
        .where(contact.c.campaign_id == campaign_id, contact.c.state == ContactState.READY)
        .group_by(contact.c.timezone)
    )
    return (await session.execute(query)).all()


async def _done(
    session: AsyncSession, campaign_id: uuid.UUID, states: Counter[str]
) -> dict[str, int]:
    """Contacts that are finished, closed ones by the disposition of their last attempt."""
    last = and_(
        attempt.c.contact_id == contact.c.id, attempt.c.created_at == contact.c.last_attempt_at
    )
    rows = await session.execute(
        select(attempt.c.disposition, func.count())
        .select_from(contact.join(attempt, last))
        .where(contact.c.campaign_id == campaign_id, contact.c.state == ContactState.CLOSED)
        .group_by(attempt.c.disposition)
    )
    done: dict[str, int] = {str(d): n for d, n in rows.all()}
    # Closed without a call: its company became a client.
    without_call = states[ContactState.CLOSED] - sum(done.values())
    if without_call > 0:
        done["closed"] = without_call
    for state in (ContactState.DO_NOT_CALL, ContactState.ERASED):
        if states[state]:
            done[state.value] = states[state]
    return done
