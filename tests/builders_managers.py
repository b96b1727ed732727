"""Builders for the managers' side: a calling floor and warm questionnaires on it."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import (
    Attempt,
    Contact,
    ContactState,
    Desk,
    Disposition,
    Lease,
    LeaseEnd,
    Questionnaire,
    Role,
    User,
)
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from dialer.contacts.phones import phone_hash
from dialer.sales.questionnaires import file_questionnaire
from tests.builders import TEST_SECRET, Actor

_numbers = iter(range(10_000_000))


@dataclass(frozen=True)
class Floor:
    campaign_id: uuid.UUID
    operator_id: uuid.UUID


async def user_row(
    sessionmaker: async_sessionmaker[AsyncSession],
    role: Role,
    *,
    desk: Desk | None = None,
    capacity: int | None = None,
) -> uuid.UUID:
    """A user who never logs in, inserted without the cost of hashing a password."""
    login = f"{role.value}-{uuid.uuid4().hex[:8]}"
    async with sessionmaker.begin() as session:
        user = User(
            login=login,
            password_hash="!",
            name=login,
            role=role,
            desk=desk,
            capacity=capacity,
            active=True,
            token_version=0,
            created_at=utcnow(),
        )
        session.add(user)
        await session.flush()
        return user.id


async def floor(sessionmaker: async_sessionmaker[AsyncSession]) -> Floor:
    """A campaign and an operator, inserted directly."""
    operator_id = await user_row(sessionmaker, Role.OPERATOR)
    async with sessionmaker.begin() as session:
        campaign = await create_campaign(session, CampaignSpec(name="Managers' floor"), utcnow())
        return Floor(campaign.id, operator_id)


def next_phone() -> str:
    """A fresh Moscow number for each contact."""
    return f"+7495{next(_numbers):07d}"


async def add_contact(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    *,
    company: str | None = None,
    phone: str | None = None,
    state: ContactState = ContactState.READY,
    now: datetime | None = None,
) -> Contact:
    """A contact of the campaign."""
    at = now or utcnow()
    number = phone or next_phone()
    contact = Contact(
        campaign_id=campaign_id,
        phone=number,
        phone_hash=phone_hash(TEST_SECRET, number),
        name="Client",
        company=company,
        timezone="Europe/Moscow",
        fields={},
        state=state,
        priority=0,
        next_call_at=at,
        attempts=0,
        expired_streak=0,
        created_at=at,
    )
    session.add(contact)
    await session.flush()
    return contact


async def call(
    session: AsyncSession,
    where: Floor,
    contact: Contact,
    disposition: Disposition,
    now: datetime,
    *,
    shift_id: uuid.UUID | None = None,
    objection: str | None = None,
    answered: bool = False,
) -> Attempt:
    """One finished call of the contact, with its ended lease."""
    lease = Lease(
        contact_id=contact.id,
        operator_id=where.operator_id,
        campaign_id=where.campaign_id,
        shift_id=shift_id,
        attempt_no=contact.attempts + 1,
        created_at=now,
        expires_at=now + timedelta(minutes=10),
        ended_at=now,
        end_reason=LeaseEnd.OUTCOME,
    )
    session.add(lease)
    await session.flush()
    contact.attempts += 1
    attempt = Attempt(
        lease_id=lease.id,
        contact_id=contact.id,
        operator_id=where.operator_id,
        campaign_id=where.campaign_id,
        shift_id=shift_id,
        attempt_no=lease.attempt_no,
        disposition=disposition,
        objection=objection,
        answered_at=now if answered else None,
        created_at=now,
    )
    session.add(attempt)
    await session.flush()
    return attempt


async def warm_in(
    session: AsyncSession,
    where: Floor,
    now: datetime,
    *,
    company: str | None = None,
    shift_id: uuid.UUID | None = None,
) -> Questionnaire:
    """A warm call filed as a questionnaire, in the session given."""
    contact = await add_contact(session, where.campaign_id, company=company, now=now)
    contact.state = ContactState.CLOSED
    attempt = await call(
        session, where, contact, Disposition.WARM, now, shift_id=shift_id, answered=True
    )
    return await file_questionnaire(session, attempt, {"need": "paper"}, company, now)


async def warm(
    sessionmaker: async_sessionmaker[AsyncSession],
    where: Floor,
    *,
    company: str | None = None,
    now: datetime | None = None,
) -> Questionnaire:
    """A warm questionnaire filed and committed."""
    async with sessionmaker.begin() as session:
        return await warm_in(session, where, now or utcnow(), company=company)


async def moved(
    client: httpx.AsyncClient, manager: Actor, questionnaire_id: uuid.UUID, *steps: str
) -> None:
    """A questionnaire moved on over the API by its manager ("in_progress", "first_order 1000")."""
    for step in steps:
        status, _, amount = step.partition(" ")
        body = {"status": status, **({"amount": amount} if amount else {})}
        path = f"/api/v1/questionnaires/{questionnaire_id}/status"
        answer = await client.post(path, json=body, headers=manager.headers)
        assert answer.status_code == 200, answer.text


async def sold(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    manager: Actor,
    companies: tuple[str, ...],
    *steps: str,
) -> None:
    """A warm questionnaire for each company on a new floor, each moved on by its manager."""
    where = await floor(sessionmaker)
    for company in companies:
        filed = await warm(sessionmaker, where, company=company)
        await moved(client, manager, filed.id, *steps)
