"""Contacts of the raw base: erasure at the owner's request."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.audit import forget_number
from dialer.base.errors import NotFound
from dialer.base.models import (
    Attempt,
    Contact,
    ContactState,
    Lease,
    LeaseEnd,
    Recording,
    SoftphoneEvent,
)
from dialer.base.recording_store import RecordingStore, forget
from dialer.contacts.dnc import DncSource, suppress_hash

ERASED_FIELDS: dict[str, Any] = {
    "phone": None,
    "name": None,
    "company": None,
    "company_key": None,
    "region": None,
    "fields": {},
    "state": ContactState.ERASED,
    "callback_at": None,
    "callback_scope": None,
    "callback_operator_id": None,
}


async def erase_contact(
    session: AsyncSession,
    store: RecordingStore,
    contact_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> int:
    """Remove the personal data of the contact's number everywhere; keep a suppression.

    The number identifies the person, so every contact with it (in any campaign) is
    erased, with the recordings of its calls (audio deleted from the store, in this
    same run); only its keyed hash stays, on the do-not-call list, so that a later
    import cannot bring it back. Returns how many contacts were erased.
    """
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    hashed = contact.phone_hash
    rows = (
        await session.execute(select(Contact.id, Contact.phone).where(Contact.phone_hash == hashed))
    ).all()
    ids = [row.id for row in rows]
    phones = {row.phone for row in rows if row.phone}
    await session.execute(
        update(Lease)
        .where(Lease.contact_id.in_(ids), Lease.ended_at.is_(None))
        .values(ended_at=now, end_reason=LeaseEnd.RELEASED)
    )
    await session.execute(update(Attempt).where(Attempt.contact_id.in_(ids)).values(notes=None))
    recorded = select(Recording).join(Attempt, Attempt.id == Recording.attempt_id)
    await forget(
        session, store, list(await session.scalars(recorded.where(Attempt.contact_id.in_(ids))))
    )
    if phones:
        await session.execute(
            update(SoftphoneEvent).where(SoftphoneEvent.number.in_(phones)).values(number=None)
        )
    await session.execute(update(Contact).where(Contact.id.in_(ids)).values(**ERASED_FIELDS))
    await suppress_hash(session, hashed, None, DncSource.ERASURE, actor_id, now)
    await forget_number(session, phones)
    return len(ids)
