"""Contacts for staff: search by number, name or company; a card with every attempt; review."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AppSettings, Now, Session, Staff
from app.listing import Page, Total
from app.schemas import Text
from dialer.base.audit import record
from dialer.base.models import Contact, ContactState
from dialer.contacts.lookup import ContactQuery, find_contacts
from dialer.contacts.review import close_from_review, release_from_review
from dialer.reports.contacts import contact_card, contact_line

router = APIRouter(tags=["contacts"])


@router.get("/contacts")
async def contacts(
    session: Session,
    settings: AppSettings,
    page: Page,
    total: Total,
    _staff: Staff,
    q: Annotated[Text | None, Query(max_length=200)] = None,
    campaign_id: uuid.UUID | None = None,
    state: ContactState | None = None,
) -> list[dict[str, Any]]:
    """Contacts matching a number in any spelling, or a part of a name or company."""
    query = ContactQuery(q, campaign_id, state)
    found, count = await find_contacts(
        session, query, settings.secret_key, settings.default_region, page.limit, page.offset
    )
    total.set(count)
    return [contact_line(c) for c in found]


@router.get("/contacts/{contact_id}")
async def contact(contact_id: uuid.UUID, session: Session, _staff: Staff) -> dict[str, Any]:
    """The contact with its attempts, callback, questionnaire and its company's account."""
    return await contact_card(session, contact_id)


@router.post("/contacts/{contact_id}/release")
async def release(
    contact_id: uuid.UUID, session: Session, now: Now, staff: Staff
) -> dict[str, Any]:
    """A contact in review back to the queue; 409 invalid_transition from any other state."""
    found = await release_from_review(session, contact_id)
    await record(session, staff, "contact.release", "contact", contact_id, _named(found), now)
    return contact_line(found)


@router.post("/contacts/{contact_id}/close")
async def close(contact_id: uuid.UUID, session: Session, now: Now, staff: Staff) -> dict[str, Any]:
    """A contact in review closed for good; 409 invalid_transition from any other state."""
    found = await close_from_review(session, contact_id)
    await record(session, staff, "contact.close", "contact", contact_id, _named(found), now)
    return contact_line(found)


def _named(found: Contact) -> str:
    # The number only, never the name: erasure takes numbers out of the log.
    return f"{found.phone or 'an erased number'} from review"
