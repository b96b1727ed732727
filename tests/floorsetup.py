"""A floor for process-level tests: operators on an open shift, a campaign, many contacts."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Contact, ContactState, Role, User
from dialer.base.users import hash_password, issue_token
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from dialer.contacts.phones import phone_hash
from tests.builders import PASSWORD, TEST_SECRET, on_shift

# Open all day, so a test never depends on the hour it runs at.
ALL_DAY = (time(0, 0), time(23, 59, 59))


@dataclass(frozen=True)
class Floor:
    campaign_id: uuid.UUID
    operator_logins: list[str]
    operator_tokens: list[str]


async def _seed(maker: async_sessionmaker[AsyncSession], operators: int, contacts: int) -> Floor:
    now = utcnow()
    logins = [f"op{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(operators)]
    async with maker.begin() as session:
        campaign = await create_campaign(
            session,
            CampaignSpec(name="Floor", window_start=ALL_DAY[0], window_end=ALL_DAY[1]),
            now,
        )
        # One Argon2 hash for the whole floor: hashing is what makes a user slow to create.
        password_hash = hash_password(PASSWORD)
        ids = [uuid.uuid4() for _ in logins]
        rows = [
            _operator_row(i, name, password_hash, now) for i, name in zip(ids, logins, strict=True)
        ]
        await session.execute(insert(User), rows)
        rows = [_contact_row(campaign.id, n, now - timedelta(minutes=1)) for n in range(contacts)]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Contact), rows[start : start + 5000])
    await on_shift(maker, ids)
    # Signed as the service signs them: logging 200 operators in would only measure Argon2.
    expires = now + timedelta(hours=2)
    minted = [issue_token(TEST_SECRET, User(id=i, token_version=0), expires) for i in ids]
    return Floor(campaign.id, logins, minted)


def _operator_row(
    user_id: uuid.UUID, login: str, password_hash: str, now: datetime
) -> dict[str, object]:
    return {
        "id": user_id,
        "login": login,
        "password_hash": password_hash,
        "name": login,
        "role": Role.OPERATOR,
        "active": True,
        "token_version": 0,
        "created_at": now,
    }


def _contact_row(campaign_id: uuid.UUID, n: int, due: object) -> dict[str, object]:
    phone = f"+7495{n:07d}"
    return {
        "id": uuid.uuid4(),
        "campaign_id": campaign_id,
        "phone": phone,
        "phone_hash": phone_hash(TEST_SECRET, phone),
        "name": f"Contact {n}",
        "company": f"Company {n}",
        "timezone": "Europe/Moscow",
        "fields": {},
        "state": ContactState.READY,
        "priority": 0,
        "next_call_at": due,
        "attempts": 0,
        "expired_streak": 0,
        "created_at": due,
    }


def build_floor(database_url: str, *, operators: int, contacts: int) -> Floor:
    """Seed a floor into the database directly, as the migrations left it."""

    async def run() -> Floor:
        engine = create_engine(database_url)
        try:
            return await _seed(create_sessionmaker(engine), operators, contacts)
        finally:
            await engine.dispose()

    return asyncio.run(run())
