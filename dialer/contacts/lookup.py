"""Finding contacts: by a number in any spelling, or by part of a name or company."""

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.folds import search_key, search_key_sql
from dialer.base.models import NOT_QUEUED, QUEUED, Contact, ContactState, state_literal
from dialer.contacts.phones import normalise, phone_hash

# What a number typed by a person may hold besides its digits.
NUMBER_SPELLING = re.compile(r"^[\d\s()+\-.]+$")
MIN_PARTIAL_DIGITS = 3


@dataclass(frozen=True)
class ContactQuery:
    q: str | None = None
    campaign_id: uuid.UUID | None = None
    state: ContactState | None = None


def _matching(query: ContactQuery, key: str, region: str) -> ColumnElement[bool] | None:
    """The condition `q` sets: a whole number by its keyed hash (an index), else a substring."""
    q = (query.q or "").strip()
    if not q:
        return None
    if NUMBER_SPELLING.fullmatch(q):
        e164 = normalise(q, region)
        if e164 is not None:
            # The unique index (phone_hash, campaign_id) finds it in every campaign.
            return Contact.phone_hash == phone_hash(key, e164)
        digits = re.sub(r"\D", "", q)
        if len(digits) >= MIN_PARTIAL_DIGITS:
            return Contact.phone.contains(digits, autoescape=True)
    folded = search_key(q) or q
    # The company fold lowers Cyrillic on SQLite too, whose lower() knows only ASCII; the
    # search's folds ё into е on both sides, as most people type it.
    return or_(
        search_key_sql(Contact.name).contains(folded, autoescape=True),
        search_key_sql(Contact.company).contains(folded, autoescape=True),
    )


def _filtered(query: ContactQuery, key: str, region: str) -> Select[Contact]:
    found = select(Contact)
    if (condition := _matching(query, key, region)) is not None:
        found = found.where(condition)
    if query.campaign_id is not None:
        found = found.where(_in_campaign(query.campaign_id, query.state))
    elif query.state is not None:
        found = found.where(Contact.state == query.state)
    return found


def _in_campaign(campaign_id: uuid.UUID, state: ContactState | None) -> ColumnElement[bool]:
    """A campaign's contacts (in a state) as its two partial indexes find them: each contact
    is in ix_contact_ready or in ix_contact_campaign_state, and a generic plan reaches
    either only through a condition it sees implies the index's predicate."""
    ours = Contact.campaign_id == campaign_id
    if state is None:
        return and_(ours, or_(text(QUEUED), text(NOT_QUEUED)))
    same = Contact.state == state_literal(state)
    if state is ContactState.READY:
        return and_(
            ours, same, or_(Contact.callback_at.is_(None), Contact.callback_at.is_not(None))
        )
    return and_(ours, same)


async def find_contacts(
    session: AsyncSession, query: ContactQuery, key: str, region: str, limit: int, offset: int
) -> tuple[list[Contact], int]:
    """A page of the contacts that match, newest first, and how many match in all."""
    found = _filtered(query, key, region)
    total = await session.scalar(select(func.count()).select_from(found.subquery()))
    page = found.order_by(Contact.created_at.desc(), Contact.id).limit(limit).offset(offset)
    return list(await session.scalars(page)), int(total or 0)
