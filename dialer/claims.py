"""The claim: the statements that hand one contact to one operator.

On PostgreSQL one statement does it all: pick the best due callback, or else
the head of the open zone whose head comes first, `FOR UPDATE SKIP LOCKED` so
that concurrent claims step past each other's rows instead of queueing behind
them; mark the contact leased and insert the lease, `RETURNING` both. The
partial unique indexes on `lease` refuse a second active lease per contact or
operator whatever happens above them. On SQLite, where every transaction
begins IMMEDIATE and so holds the write lock from its first read, the same
pick runs as an `UPDATE … RETURNING` followed by the lease's INSERT. Neither
ever picks a contact whose company is already a client (`not_a_client`).

Written in SQLAlchemy Core: the claim is the hot path, and the ORM's unit of
work would cost more than the database does.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    Uuid,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.accounts import not_a_client
from dialer.catalog import CampaignView
from dialer.db import UTCDateTime
from dialer.models import Attendance, Campaign, Contact, ContactState, Lease

contact = cast(Table, Contact.__table__)
lease = cast(Table, Lease.__table__)
campaign = cast(Table, Campaign.__table__)
attendance = cast(Table, Attendance.__table__)

# Literal, never a bound parameter: a planner can use a partial index only when
# it sees that the query's condition matches the index predicate.
READY: ColumnClause[str] = literal_column("'ready'", String())

CONTACT_COLUMNS = (
    contact.c.id,
    contact.c.campaign_id,
    contact.c.phone,
    contact.c.name,
    contact.c.company,
    contact.c.timezone,
    contact.c.fields,
    contact.c.attempts,
    contact.c.callback_at,
    contact.c.callback_scope,
    contact.c.callback_operator_id,
)


@dataclass(frozen=True)
class Slot:
    """A campaign and the zones of its contacts whose window is open now."""

    campaign: CampaignView
    zones: tuple[str, ...]


@dataclass(frozen=True)
class Claimed:
    """A contact just leased: its row and the new lease."""

    lease_id: uuid.UUID
    contact: Row[*tuple[Any, ...]]
    expires_at: datetime
    attempt_no: int


def _is_active(campaign_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(campaign.c.id == campaign_id, campaign.c.active)


def _ready_head(view: CampaignView, zone: str, now: datetime) -> Select[Any]:
    """The first due contact of one campaign in one zone: one index descent."""
    return (
        select(
            contact.c.id,
            contact.c.campaign_id,
            contact.c.timezone,
            contact.c.priority,
            contact.c.next_call_at,
            literal(view.max_attempts).label("max_attempts"),
        )
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_(None),
            contact.c.campaign_id == view.id,
            contact.c.timezone == zone,
            contact.c.next_call_at <= now,
            contact.c.attempts < view.max_attempts,
            _is_active(view.id),
            not_a_client(),
        )
        .order_by(contact.c.priority, contact.c.next_call_at)
        .limit(1)
    )


def heads(slots: Sequence[Slot], now: datetime) -> Select[Any]:
    """The head of every open (campaign, zone), unlocked: where to claim from."""
    legs = [select(_ready_head(s.campaign, z, now).subquery()) for s in slots for z in s.zones]
    union = union_all(*legs).subquery("heads") if len(legs) > 1 else legs[0].subquery("heads")
    return select(union).order_by(union.c.priority, union.c.next_call_at)


def _callback_pick(slots: Sequence[Slot], operator_id: uuid.UUID, now: datetime) -> Select[Any]:
    """The due callback this operator may take: its own first, then anyone's by time.

    A personal callback stays with its operator until `callback_handover_minutes`
    after it fell due, and longer while that operator is clocked in (it will be
    the first thing they get); then anyone may take it.
    """
    open_here = or_(
        *(
            and_(contact.c.campaign_id == s.campaign.id, contact.c.timezone.in_(s.zones))
            for s in slots
        )
    )
    handed_over = or_(
        *(
            and_(
                contact.c.campaign_id == s.campaign.id,
                contact.c.callback_at
                <= now - timedelta(minutes=s.campaign.callback_handover_minutes),
            )
            for s in slots
        )
    )
    owner_on_shift = exists().where(
        attendance.c.operator_id == contact.c.callback_operator_id,
        attendance.c.clock_out_at.is_(None),
    )
    claimable = or_(
        contact.c.callback_operator_id.is_(None),
        contact.c.callback_operator_id == operator_id,
        and_(handed_over, ~owner_on_shift),
    )
    mine_first = case((contact.c.callback_operator_id == operator_id, 0), else_=1)
    return (
        select(contact.c.id)
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_not(None),
            contact.c.callback_at <= now,
            contact.c.campaign_id.in_(select(campaign.c.id).where(campaign.c.active)),
            open_here,
            claimable,
            not_a_client(),
        )
        .order_by(mine_first, contact.c.callback_at)
        .limit(1)
    )


def postgres_claim(
    slots: Sequence[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    lease_id: uuid.UUID,
    now: datetime,
) -> Select[Any]:
    """The whole claim as one PostgreSQL statement; no row when nothing is free."""
    callback = _callback_pick(slots, operator_id, now).with_for_update(skip_locked=True)
    callback_cte = callback.cte("callback_pick")
    best = heads(slots, now).limit(1).cte("best")
    ready = (
        select(contact.c.id)
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_(None),
            contact.c.campaign_id == select(best.c.campaign_id).scalar_subquery(),
            contact.c.timezone == select(best.c.timezone).scalar_subquery(),
            contact.c.next_call_at <= now,
            contact.c.attempts < select(best.c.max_attempts).scalar_subquery(),
            ~exists(select(callback_cte.c.id)),
            not_a_client(),
        )
        .order_by(contact.c.priority, contact.c.next_call_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .cte("ready_pick")
    )
    picked = union_all(select(callback_cte.c.id), select(ready.c.id)).cte("picked")
    claimed = (
        update(contact)
        .where(contact.c.id.in_(select(picked.c.id)))
        .values(state=ContactState.LEASED)
        .returning(*CONTACT_COLUMNS)
        .cte("claimed")
    )
    new_lease = (
        insert(lease)
        .from_select(
            ["id", "contact_id", "operator_id", "campaign_id", "shift_id"]
            + ["attempt_no", "created_at", "expires_at"],
            select(
                literal(lease_id, Uuid()),
                claimed.c.id,
                literal(operator_id, Uuid()),
                claimed.c.campaign_id,
                literal(shift_id, Uuid()),
                claimed.c.attempts + 1,
                literal(now, UTCDateTime()),
                _expiry(slots, claimed.c.campaign_id, now),
            ),
        )
        .returning(lease.c.expires_at, lease.c.attempt_no)
        .cte("new_lease")
    )
    return select(claimed, new_lease.c.expires_at, new_lease.c.attempt_no).select_from(
        claimed.join(new_lease, true())
    )


def _expiry(
    slots: Sequence[Slot], campaign_id: ColumnElement[Any], now: datetime
) -> ColumnElement[Any]:
    return case(
        *(
            (campaign_id == s.campaign.id, literal(s.campaign.lease_expiry(now), UTCDateTime()))
            for s in slots
        )
    )


def sqlite_pick(slots: Sequence[Slot], operator_id: uuid.UUID, now: datetime) -> Any:
    """Mark the best contact leased and return it; SQLite runs it under its write lock."""
    best = heads(slots, now).subquery()
    ready_id = select(best.c.id).limit(1).scalar_subquery()
    callback_id = _callback_pick(slots, operator_id, now).scalar_subquery()
    return (
        update(contact)
        .where(contact.c.id == func.coalesce(callback_id, ready_id))
        .values(state=ContactState.LEASED)
        .returning(*CONTACT_COLUMNS)
    )


async def claim_in(
    session: AsyncSession,
    slots: Sequence[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    now: datetime,
) -> Claimed | None:
    """Lease the best free contact of these slots to the operator, or None."""
    connection = await session.connection()
    lease_id = uuid.uuid4()
    if connection.dialect.name == "postgresql":
        row = (
            await connection.execute(postgres_claim(slots, operator_id, shift_id, lease_id, now))
        ).first()
        if row is None:
            return None
        return Claimed(lease_id, row, row.expires_at, row.attempt_no)
    row = (await connection.execute(sqlite_pick(slots, operator_id, now))).first()
    if row is None:
        return None
    view = next(s.campaign for s in slots if s.campaign.id == row.campaign_id)
    expires_at = view.lease_expiry(now)
    await connection.execute(
        insert(lease).values(
            id=lease_id,
            contact_id=row.id,
            operator_id=operator_id,
            campaign_id=row.campaign_id,
            shift_id=shift_id,
            attempt_no=row.attempts + 1,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return Claimed(lease_id, row, expires_at, row.attempts + 1)
