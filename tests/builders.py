"""Small typed builders: users with tokens, campaigns, contacts."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Contact, ContactState, Desk, Role
from dialer.base.users import NewUser, create_user
from dialer.contacts.phones import phone_hash

PASSWORD = "correct-horse-battery"
# A key as a deployment would have one: random, 43 characters.
TEST_SECRET = "t3Vq8pXk2NwR9sLm4ZcA7yHd0bGf5JuE1oIiKeWvQnT"


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID
    login: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(client: httpx.AsyncClient, login_name: str, password: str = PASSWORD) -> str:
    """A bearer token for the login."""
    answer = await client.post(
        "/api/v1/auth/token", data={"username": login_name, "password": password}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def actor(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    role: Role,
    *,
    desk: Desk | None = None,
    capacity: int | None = None,
    hourly_rate: Decimal | None = None,
    login_name: str | None = None,
) -> Actor:
    """A user of the role, created in the database, logged in over the API."""
    name = login_name or f"{role.value}-{uuid.uuid4().hex[:8]}"
    async with sessionmaker.begin() as session:
        user = await create_user(
            session, NewUser(name, PASSWORD, name, role, desk, capacity, hourly_rate), utcnow()
        )
        user_id = user.id
    return Actor(user_id, name, await login(client, name))


async def campaign(client: httpx.AsyncClient, staff: Actor, **body: Any) -> dict[str, Any]:
    """A campaign created over the API."""
    answer = await client.post(
        "/api/v1/campaigns", json={"name": "Test campaign", **body}, headers=staff.headers
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def contact(
    sessionmaker: async_sessionmaker[AsyncSession],
    campaign_id: uuid.UUID | str,
    phone: str,
    *,
    timezone: str = "Europe/Moscow",
    next_call_at: datetime | None = None,
    company: str | None = None,
) -> uuid.UUID:
    """A ready contact inserted directly, for tests of what comes after import."""
    now = utcnow()
    async with sessionmaker.begin() as session:
        row = Contact(
            campaign_id=uuid.UUID(str(campaign_id)),
            phone=phone,
            phone_hash=phone_hash(TEST_SECRET, phone),
            name="Test Contact",
            company=company,
            timezone=timezone,
            fields={},
            state=ContactState.READY,
            priority=0,
            next_call_at=next_call_at or now,
            attempts=0,
            expired_streak=0,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        return row.id


async def on_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    operator_ids: list[uuid.UUID],
    *,
    starts_at: datetime | None = None,
    hours: int = 4,
    clocked_in: bool = True,
) -> uuid.UUID:
    """An open shift around now with the operators rostered (and clocked in); its id."""
    from dialer.base.models import Attendance, RosterEntry, Shift, ShiftState, ShiftTemplate

    now = utcnow()
    start = starts_at or now - timedelta(hours=1)
    async with sessionmaker.begin() as session:
        template = ShiftTemplate(
            name="Test shift",
            start=start.time(),
            end=(start + timedelta(hours=hours)).time(),
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            timezone="UTC",
            active=True,
            created_at=now,
        )
        session.add(template)
        await session.flush()
        shift = Shift(
            template_id=template.id,
            name=template.name,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            state=ShiftState.OPEN,
            created_at=now,
        )
        session.add(shift)
        await session.flush()
        for operator_id in operator_ids:
            session.add(RosterEntry(shift_id=shift.id, operator_id=operator_id, added_at=now))
            if clocked_in:
                session.add(Attendance(shift_id=shift.id, operator_id=operator_id, clock_in_at=now))
        return shift.id
