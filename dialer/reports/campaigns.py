"""A campaign's live counts: callable now, waiting and why, leased, in review, done by outcome."""

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, case, func, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import (
    NOT_QUEUED,
    QUEUED,
    Attempt,
    Contact,
    ContactState,
    state_literal,
)
from dialer.queue.catalog import CampaignView
from dialer.queue.claims import READY
from dialer.queue.windows import is_open

contact = cast(Table, Contact.__table__)
attempt = cast(Table, Attempt.__table__)

CLOSED = state_literal(ContactState.CLOSED)
WAITING = ("outside_calling_window", "retry_not_due", "callback_not_due")
# `campaign_stats`, or a caller's shared copy of it (`app.counts`).
CountStats = Callable[[AsyncSession, CampaignView, datetime], Awaitable[dict[str, Any]]]


async def campaign_stats(
    session: AsyncSession, campaign: CampaignView, now: datetime
) -> dict[str, Any]:
    """The counts the campaign's page shows, all as of `now`."""
    states: Counter[str] = Counter()
    waiting: Counter[str] = Counter(dict.fromkeys(WAITING, 0))
    callbacks_later = await _callbacks_later(session, campaign.id, now)
    callable_now = 0
    for row in await _by_state_and_zone(session, campaign.id, now):
        states[str(row.state)] += row.total
        if row.state != ContactState.READY:
            continue
        # A callback's next call is its callback time: those not due yet are counted
        # apart, the rest of the later ones wait for their retry.
        not_due_callbacks = callbacks_later[row.timezone]
        waiting["callback_not_due"] += not_due_callbacks
        waiting["retry_not_due"] += row.later - not_due_callbacks
        due = row.total - row.later
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


async def _by_state_and_zone(session: AsyncSession, campaign_id: uuid.UUID, now: datetime) -> Any:
    """Contacts by state and zone, and how many are not due yet: one pass over
    ix_contact_ready (the ready ones, not callbacks) and one over ix_contact_campaign_state
    (every other), never the table's rows."""
    not_due = case((contact.c.next_call_at > now, 1), else_=0)
    later = func.coalesce(func.sum(not_due), 0).label("later")
    if session.get_bind().dialect.name == "postgresql":
        # When the campaign holds most of the table the planner's estimate picks a
        # sequential scan of every row; the indexes alone are a third of the pages and
        # measured faster (300,000 contacts: 265 ms against 433 ms on a loaded machine).
        await session.execute(text("SET LOCAL enable_seqscan = off"))
    ours = contact.c.campaign_id == campaign_id
    queued = (
        select(READY.label("state"), contact.c.timezone, func.count().label("total"), later)
        .where(ours, text(QUEUED))
        .group_by(contact.c.timezone)
    )
    others = (
        select(contact.c.state, contact.c.timezone, func.count().label("total"), later)
        .where(ours, text(NOT_QUEUED))
        .group_by(contact.c.state, contact.c.timezone)
    )
    both = union_all(queued, others).subquery()
    # A zone's ready callbacks come from the second pass: one row per state and zone.
    query = select(
        both.c.state,
        both.c.timezone,
        func.sum(both.c.total).cast(Integer).label("total"),
        func.sum(both.c.later).cast(Integer).label("later"),
    ).group_by(both.c.state, both.c.timezone)
    return (await session.execute(query)).all()


async def _callbacks_later(
    session: AsyncSession, campaign_id: uuid.UUID, now: datetime
) -> Counter[str]:
    """Callbacks not due yet, by zone: few, from ix_contact_callback."""
    rows = await session.execute(
        select(contact.c.timezone, func.count())
        .where(
            contact.c.state == READY,
            contact.c.callback_at > now,
            contact.c.campaign_id == campaign_id,
        )
        .group_by(contact.c.timezone)
    )
    return Counter({zone: int(n) for zone, n in rows.all()})


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
        .where(contact.c.campaign_id == campaign_id, contact.c.state == CLOSED)
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
