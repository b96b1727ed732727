"""Finding contacts: by a number in any spelling, or by part of a name or company."""

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.folds import company_key, company_key_sql
from dialer.base.models import Contact, ContactState
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
    folded = company_key(q) or q
    # The company fold lowers Cyrillic on SQLite too, whose lower() knows only ASCII.
    return or_(
        company_key_sql(Contact.name).contains(folded, autoescape=True),
        company_key_sql(Contact.company).contains(folded, autoescape=True),
    )


def _filtered(query: ContactQuery, key: str, region: str) -> Select[Contact]:
    found = select(Contact)
    if (condition := _matching(query, key, region)) is not None:
        found = found.where(condition)
    if query.campaign_id is not None:
        found = found.where(Contact.campaign_id == query.campaign_id)
    if query.state is not None:
        found = found.where(Contact.state == query.state)
    return found


async def find_contacts(
    session: AsyncSession, query: ContactQuery, key: str, region: str, limit: int, offset: int
) -> tuple[list[Contact], int]:
    """A page of the contacts that match, newest first, and how many match in all."""
    found = _filtered(query, key, region)
    total = await session.scalar(select(func.count()).select_from(found.subquery()))
    page = found.order_by(Contact.created_at.desc(), Contact.id).limit(limit).offset(offset)
    return list(await session.scalars(page)), int(total or 0)
