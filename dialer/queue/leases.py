"""The queue: next-call leases and their lifecycle — heartbeat, release, expiry.

A lease is a visibility timeout with an owner: the contact is the operator's
until the lease ends, exactly once, by an outcome, a release or expiry. Expiry
happens lazily here (the operator's own overdue lease before it claims again,
everyone's at most once per sweep interval, and before an empty answer) and
periodically from the scheduler, so a lease orphaned by a crash always returns
its contact to the queue.
"""

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import Forbidden, LeaseClosed, LeaseExpired
from dialer.base.models import CallbackScope, ContactState, LeaseEnd
from dialer.base.users import TokenClaims
from dialer.queue.catalog import CampaignView, Catalog
from dialer.queue.claims import (
    CONTACT_COLUMNS,
    Claimed,
    Slot,
    claim_in,
    contact,
    heads,
    lease,
)
from dialer.queue.lanes import ClaimLanes
from dialer.queue.records import HeldLease, lock_lease
from dialer.queue.why import why_empty

# A contact whose leases expire this many times in a row goes to review:
# something about it (a broken number, a page that crashes) keeps operators off.
EXPIRIES_TO_REVIEW = 3
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class ContactCard:
    """What an operator sees of a leased contact."""

    id: uuid.UUID
    phone: str | None
    name: str | None
    company: str | None
    timezone: str
    fields: dict[str, Any]
    callback_at: datetime | None
    callback_scope: CallbackScope | None
    callback_operator_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> "ContactCard":
        """The card of a contact row, as SQLAlchemy or the driver returns it."""
        scope = row["callback_scope"]
        return cls(
            id=row["id"],
            phone=row["phone"],
            name=row["name"],
            company=row["company"],
            timezone=row["timezone"],
            fields=row["fields"] or {},
            callback_at=row["callback_at"],
            callback_scope=CallbackScope(scope) if scope is not None else None,
            callback_operator_id=row["callback_operator_id"],
        )


@dataclass(frozen=True)
class LeaseView:
    """A lease as the operator receives it."""

    lease_id: uuid.UUID
    expires_at: datetime
    attempt_no: int
    contact: ContactCard
    campaign: CampaignView


async def active_lease(
    session: AsyncSession, catalog: Catalog, operator_id: uuid.UUID
) -> LeaseView | None:
    """The operator's active lease, expired or not, or None."""
    connection = await session.connection()
    query = (
        select(
            lease.c.id.label("lease_id"),
            lease.c.expires_at,
            lease.c.attempt_no,
            *CONTACT_COLUMNS,
        )
        .join_from(lease, contact, contact.c.id == lease.c.contact_id)
        .where(lease.c.operator_id == operator_id, lease.c.ended_at.is_(None))
    )
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    view = await catalog.campaign(session, row.campaign_id)
    card = ContactCard.of(row._mapping)
    return LeaseView(row.lease_id, row.expires_at, row.attempt_no, card, view)


async def permitted_slots(
    sessionmaker: async_sessionmaker[AsyncSession], catalog: Catalog, now: datetime
) -> list[Slot]:
    """The open slots for the permitted claim, from memory while the catalog is current.

    When it must be reloaded or overdue leases swept first, that takes a transaction of
    its own; the claim then runs in another, or as a single statement.
    """
    campaigns = catalog.current(now)
    if campaigns is not None:
        return _open_slots(campaigns, now)
    async with sessionmaker.begin() as session:
        if catalog.sweep_due(now):
            await expire_leases(session, now)
        return await _slots(session, catalog, now)


async def permitted_lease(
    lanes: ClaimLanes, slots: list[Slot], token: TokenClaims, now: datetime
) -> LeaseView | None:
    """Next-call's usual case on PostgreSQL, in the claim lanes: a new lease, or None.

    None whenever anything is not plainly fine; `dialer.shifts.gate.may_dial` and
    `next_lease` then find the held lease or say why there is none.
    """
    served = await lanes.claim(token, slots, now)
    return None if served is None else _view(served.slots, served.claimed)


async def next_lease(
    session: AsyncSession,
    catalog: Catalog,
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    now: datetime,
) -> LeaseView:
    """The operator's active lease, or a new one on the best callable contact.

    Raises QueueEmpty, saying why, when nothing may be called now.
    """
    if catalog.sweep_due(now):
        await expire_leases(session, now)
    slots = await _slots(session, catalog, now)
    # The claim itself refuses an operator who holds a lease, so the usual
    # case (no lease held) costs one statement; only a refusal looks further.
    leased = await _claim(session, slots, operator_id, shift_id, now, past_locks=False)
    if leased is not None:
        return leased
    held = await active_lease(session, catalog, operator_id)
    if held is not None and held.expires_at > now:
        return held
    if held is not None:
        await expire_leases(session, now)
    leased = await _claim(session, slots, operator_id, shift_id, now)
    if leased is None:
        # Before saying "empty": return orphaned contacts and re-read the
        # campaigns and zones, which a cached catalog may not know yet.
        await expire_leases(session, now)
        slots = await _slots(session, catalog, now, refresh=True)
        leased = await _claim(session, slots, operator_id, shift_id, now)
    if leased is None:
        raise await why_empty(session, await catalog.active(session, now), operator_id, now)
    return leased


async def _slots(
    session: AsyncSession, catalog: Catalog, now: datetime, *, refresh: bool = False
) -> list[Slot]:
    """The active campaigns with the zones of theirs whose window is open now."""
    return _open_slots(await catalog.active(session, now, refresh=refresh), now)


def _open_slots(campaigns: list[CampaignView], now: datetime) -> list[Slot]:
    return [Slot(c, tuple(zones)) for c in campaigns if (zones := c.open_zones(now))]


async def _claim(
    session: AsyncSession,
    slots: list[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    now: datetime,
    *,
    past_locks: bool = True,
) -> LeaseView | None:
    if not slots:
        return None
    claimed = await claim_in(session, slots, operator_id, shift_id, now)
    if claimed is None and past_locks:
        claimed = await _claim_past_locks(session, slots, operator_id, shift_id, now)
    return _view(slots, claimed)


def _view(slots: Sequence[Slot], claimed: Claimed | None) -> LeaseView | None:
    if claimed is None:
        return None
    view = next(s.campaign for s in slots if s.campaign.id == claimed.contact["campaign_id"])
    card = ContactCard.of(claimed.contact)
    return LeaseView(claimed.lease_id, claimed.expires_at, claimed.attempt_no, card, view)


async def _claim_past_locks(
    session: AsyncSession,
    slots: list[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    now: datetime,
) -> Claimed | None:
    """Try each open zone in head order: the best one's free rows may all be taken.

    Only PostgreSQL gets here with something to try, when concurrent claims hold
    every due row of the best zone while other zones still have some.
    """
    by_id = {s.campaign.id: s.campaign for s in slots}
    for head in await heads(session, slots, operator_id, now):
        slot = Slot(by_id[head.campaign_id], (head.timezone,))
        claimed = await claim_in(session, [slot], operator_id, shift_id, now)
        if claimed is not None:
            return claimed
    return None


async def expire_leases(session: AsyncSession, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """End overdue leases as expired and return their contacts to the queue; how many."""
    connection = await session.connection()
    overdue = (
        select(lease.c.id)
        .where(lease.c.ended_at.is_(None), lease.c.expires_at <= now)
        .order_by(lease.c.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ended = await connection.execute(
        update(lease)
        .where(lease.c.id.in_(overdue.scalar_subquery()))
        .values(ended_at=now, end_reason=LeaseEnd.EXPIRED)
        .returning(lease.c.contact_id)
    )
    contact_ids = [row.contact_id for row in ended]
    if contact_ids:
        streak = contact.c.expired_streak + 1
        await connection.execute(
            update(contact)
            .where(contact.c.id.in_(contact_ids), contact.c.state == ContactState.LEASED)
            .values(
                expired_streak=streak,
                state=case(
                    (streak >= EXPIRIES_TO_REVIEW, ContactState.REVIEW.value),
                    else_=ContactState.READY.value,
                ),
            )
        )
    return len(contact_ids)


async def check_live(
    session: AsyncSession, held: HeldLease, operator_id: uuid.UUID, now: datetime
) -> None:
    """Refuse another operator's lease, and one that has ended or run out."""
    if held.operator_id != operator_id:
        raise Forbidden("This lease is another operator's.")
    if held.ended_at is None:
        if held.expires_at <= now:
            raise LeaseExpired()
        return
    if held.end_reason is not LeaseEnd.EXPIRED:
        raise LeaseClosed()
    passed_on = await session.scalar(
        select(lease.c.id)
        .where(lease.c.contact_id == held.contact_id, lease.c.id != held.id)
        .where(lease.c.created_at >= held.ended_at)
        .limit(1)
    )
    if passed_on is not None:
        raise LeaseClosed("The lease expired and the contact passed to another operator.")
    raise LeaseExpired()


async def heartbeat(
    session: AsyncSession,
    catalog: Catalog,
    lease_id: uuid.UUID,
    operator_id: uuid.UUID,
    now: datetime,
) -> datetime:
    """Extend the operator's live lease by the campaign's lease time; the new expiry."""
    held = await lock_lease(session, lease_id)
    await check_live(session, held, operator_id, now)
    view = await catalog.campaign(session, held.campaign_id)
    expires_at = view.lease_expiry(now)
    connection = await session.connection()
    await connection.execute(
        update(lease).where(lease.c.id == held.id).values(expires_at=expires_at)
    )
    return expires_at


async def release(
    session: AsyncSession, lease_id: uuid.UUID, operator_id: uuid.UUID, now: datetime
) -> HeldLease:
    """End the lease without a call; the contact goes back to the queue unchanged."""
    held = await lock_lease(session, lease_id)
    await check_live(session, held, operator_id, now)
    connection = await session.connection()
    await connection.execute(
        update(lease)
        .where(lease.c.id == held.id)
        .values(ended_at=now, end_reason=LeaseEnd.RELEASED)
    )
    # A contact put on the do-not-call list meanwhile stays there.
    await connection.execute(
        update(contact)
        .where(contact.c.id == held.contact_id, contact.c.state == ContactState.LEASED)
        .values(state=ContactState.READY)
    )
    return dataclasses.replace(held, ended_at=now, end_reason=LeaseEnd.RELEASED)


async def end_operator_lease(session: AsyncSession, operator_id: uuid.UUID, now: datetime) -> int:
    """End a departing operator's lease as released; its contact goes back to the queue."""
    connection = await session.connection()
    ended = await connection.execute(
        update(lease)
        .where(lease.c.operator_id == operator_id, lease.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=LeaseEnd.RELEASED)
        .returning(lease.c.contact_id)
    )
    contact_ids = [row.contact_id for row in ended]
    if contact_ids:
        # A contact put on the do-not-call list meanwhile stays there.
        await connection.execute(
            update(contact)
            .where(contact.c.id.in_(contact_ids), contact.c.state == ContactState.LEASED)
            .values(state=ContactState.READY)
        )
    return len(contact_ids)
