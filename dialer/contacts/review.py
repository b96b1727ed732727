"""The review queue: contacts whose leases ran out three times, released or closed by staff."""

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import InvalidTransition, NotFound
from dialer.base.models import Contact, ContactState


async def _in_review(session: AsyncSession, contact_id: uuid.UUID, to: ContactState) -> Contact:
    contact = await session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound("There is no such contact.")
    # Conditional on the state read: a release racing a close moves the contact once.
    moved = await session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.state == ContactState.REVIEW)
        .values(state=to, expired_streak=0)
    )
    if cast(CursorResult[Any], moved).rowcount != 1:
        raise InvalidTransition(f"The contact is {contact.state.value}, not in review.")
    await session.refresh(contact)
    return contact


async def release_from_review(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    """A contact in review back to the queue, its run of expired leases forgotten."""
    return await _in_review(session, contact_id, ContactState.READY)


async def close_from_review(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    """A contact in review closed for good."""
    return await _in_review(session, contact_id, ContactState.CLOSED)
