"""Why the queue is empty: contacts by reason, and when the next one becomes callable.

Computed only on the empty path, never when a claim succeeds. The counts cover
the active campaigns; `retry_after` is the wait, in seconds, until the first
contact becomes callable for this operator — its next call falling due, or its
zone's window opening — or None when nothing ever will.
"""

import math
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.db import UTCDateTime
from dialer.base.errors import QueueEmpty
from dialer.base.models import Attempt, ContactState, state_literal
from dialer.queue.catalog import CampaignView
from dialer.queue.claims import READY, attendance, contact
from dialer.queue.retries import RETRYABLE
from dialer.queue.windows import is_open, next_opening

attempt = cast(Table, Attempt.__table__)

REASONS = (
    "outside_calling_window",
    "retry_not_due",
    "callback_not_due",
    "exhausted",
    "do_not_call",
)


async def why_empty(
    session: AsyncSession, campaigns: list[CampaignView], operator_id: uuid.UUID, now: datetime
) -> QueueEmpty:
    """The queue_empty refusal with its counts and retry_after."""
    counts: Counter[str] = Counter()
    soonest: list[datetime] = []
    if campaigns:
        by_id = {c.id: c for c in campaigns}
        for row in await _ready_groups(session, list(by_id), now):
            _count_ready(by_id[row.campaign_id], row, now, counts, soonest)
        for row in await _callback_groups(session, campaigns, operator_id, now):
            _count_callbacks(by_id[row.campaign_id], row, now, counts, soonest)
        counts.update(await _closed_counts(session, list(by_id)))
    return QueueEmpty(why={r: counts[r] for r in REASONS}, retry_after=_seconds(soonest, now))


def _seconds(instants: Iterable[datetime], now: datetime) -> int | None:
    first = min(instants, default=None)
    if first is None:
        return None
    return max(1, math.ceil((first - now).total_seconds()))


def _callable_from(view: CampaignView, zone: str, due: datetime, now: datetime) -> datetime | None:
    return next_opening(zone, view.window_start, view.window_end, max(due, now))


async def _ready_groups(
    session: AsyncSession, campaign_ids: list[uuid.UUID], now: datetime
) -> list[Row[*tuple[Any, ...]]]:
    """Ready contacts (not callbacks) per campaign and zone: how many, how many later."""
    later = contact.c.next_call_at > now
    query = (
        select(
            contact.c.campaign_id,
            contact.c.timezone,
            func.count().label("total"),
            func.sum(case((later, 1), else_=0)).label("later"),
            func.min(case((later, contact.c.next_call_at))).label("first_later"),
        )
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_(None),
            contact.c.campaign_id.in_(campaign_ids),
        )
        .group_by(contact.c.campaign_id, contact.c.timezone)
    )
    return list((await session.execute(query)).all())


def _count_ready(
    view: CampaignView,
    row: Row[*tuple[Any, ...]],
    now: datetime,
    counts: Counter[str],
    soonest: list[datetime],
) -> None:
    due = row.total - row.later
    if row.later:
        counts["retry_not_due"] += row.later
        _add(soonest, _callable_from(view, row.timezone, row.first_later, now))
    if due:
        if not is_open(row.timezone, view.window_start, view.window_end, now):
            counts["outside_calling_window"] += due
        # Due in an open zone means held by claims in flight: worth asking again soon.
        _add(soonest, _callable_from(view, row.timezone, now, now))


def _add(soonest: list[datetime], instant: datetime | None) -> None:
    if instant is not None:
        soonest.append(instant)


async def _callback_groups(
    session: AsyncSession, campaigns: list[CampaignView], operator_id: uuid.UUID, now: datetime
) -> list[Row[*tuple[Any, ...]]]:
    """Ready callbacks per campaign, zone and kind: later, held for another operator, due."""
    handover = case(
        *(
            (
                contact.c.campaign_id == c.id,
                literal(now - timedelta(minutes=c.callback_handover_minutes), UTCDateTime()),
            )
            for c in campaigns
        ),
        else_=literal(now, UTCDateTime()),
    )
    owner_on_shift = exists().where(
        attendance.c.operator_id == contact.c.callback_operator_id,
        attendance.c.clock_out_at.is_(None),
    )
    held = and_(
        contact.c.callback_operator_id.is_not(None),
        contact.c.callback_operator_id != operator_id,
        or_(contact.c.callback_at > handover, owner_on_shift),
    )
    kind = case((contact.c.callback_at > now, "later"), (held, "held"), else_="due")
    query = (
        select(
            contact.c.campaign_id,
            contact.c.timezone,
            kind.label("kind"),
            func.count().label("total"),
            func.min(contact.c.callback_at).label("first_at"),
        )
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_not(None),
            contact.c.campaign_id.in_([c.id for c in campaigns]),
        )
        .group_by(contact.c.campaign_id, contact.c.timezone, kind)
    )
    return list((await session.execute(query)).all())


def _count_callbacks(
    view: CampaignView,
    row: Row[*tuple[Any, ...]],
    now: datetime,
    counts: Counter[str],
    soonest: list[datetime],
) -> None:
    if row.kind == "due":
        if not is_open(row.timezone, view.window_start, view.window_end, now):
            counts["outside_calling_window"] += row.total
        _add(soonest, _callable_from(view, row.timezone, row.first_at, now))
        return
    counts["callback_not_due"] += row.total
    wait = timedelta(minutes=view.callback_handover_minutes) if row.kind == "held" else timedelta()
    if row.first_at + wait > now:
        _add(soonest, _callable_from(view, row.timezone, row.first_at + wait, now))


async def _closed_counts(session: AsyncSession, campaign_ids: list[uuid.UUID]) -> Counter[str]:
    """Contacts on the do-not-call list, and those closed with no retry left."""
    last_attempt = and_(
        attempt.c.contact_id == contact.c.id, attempt.c.created_at == contact.c.last_attempt_at
    )
    exhausted = (
        select(func.count())
        .select_from(contact.join(attempt, last_attempt))
        .where(
            contact.c.state == state_literal(ContactState.CLOSED),
            contact.c.campaign_id.in_(campaign_ids),
            attempt.c.disposition.in_([d.value for d in RETRYABLE]),
        )
        .scalar_subquery()
    )
    do_not_call = (
        select(func.count())
        .where(
            contact.c.state == state_literal(ContactState.DO_NOT_CALL),
            contact.c.campaign_id.in_(campaign_ids),
        )
        .scalar_subquery()
    )
    row = (await session.execute(select(exhausted, do_not_call))).one()
    return Counter({"exhausted": row[0], "do_not_call": row[1]})


@dataclass(frozen=True)
class Standing:
    """A campaign's ready contacts now: callable, or waiting and why."""

    callable_now: int = 0
    outside_calling_window: int = 0
    retry_not_due: int = 0
    callback_not_due: int = 0

    def __add__(self, other: "Standing") -> "Standing":
        return Standing(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


async def standing(
    session: AsyncSession, campaigns: list[CampaignView], now: datetime
) -> dict[uuid.UUID, Standing]:
    """Per active campaign: contacts callable now (their zone's window open, their call
    or callback due) and those waiting, by reason — what the floor may call, not a
    count of ready rows."""
    by_id = {c.id: c for c in campaigns}
    found = {c.id: Standing() for c in campaigns}
    if not campaigns:
        return found
    for row in await _ready_groups(session, list(by_id), now):
        found[row.campaign_id] += _standing(by_id[row.campaign_id], row, now, "retry_not_due")
    later = contact.c.callback_at > now
    rows = await session.execute(
        select(
            contact.c.campaign_id,
            contact.c.timezone,
            func.count().label("total"),
            func.sum(case((later, 1), else_=0)).label("later"),
        )
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_not(None),
            contact.c.campaign_id.in_(list(by_id)),
        )
        .group_by(contact.c.campaign_id, contact.c.timezone)
    )
    for row in rows:
        found[row.campaign_id] += _standing(by_id[row.campaign_id], row, now, "callback_not_due")
    return found


def _standing(
    view: CampaignView, row: Row[*tuple[Any, ...]], now: datetime, later: str
) -> Standing:
    """One zone's group: the due ones callable if its window is open, the others waiting."""
    due = row.total - row.later
    if is_open(row.timezone, view.window_start, view.window_end, now):
        return Standing(callable_now=due, **{later: row.later})
    return Standing(outside_calling_window=due, **{later: row.later})
