"""A small dialing floor for queue tests: a fixed clock, a campaign, operators on shift."""

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import CallbackScope, Contact, ContactState, Role, User
from dialer.base.users import issue_token
from dialer.contacts.phones import phone_hash
from tests.builders import TEST_SECRET, Actor, campaign, on_shift

# 14:00 in Moscow, 11:00 UTC, on a Tuesday.
MOSCOW_2PM = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
_numbers = itertools.count(1_000_000)
# How long the dialer's counts may take to catch up with a change (`app.counts`: a second
# or two), with room for a slow, shared machine.
CATCH_UP_WITHIN = 30.0


def phone() -> str:
    """A fresh, valid Moscow number."""
    return f"+7495{next(_numbers):07d}"


async def status_once(
    client: httpx.AsyncClient, headers: dict[str, str], settled: Callable[[Any], bool]
) -> Any:
    """The dialer's status once `settled` holds for it (its queue's counts trail the base
    by a second or two), or as it stands after `CATCH_UP_WITHIN`: the caller asserts."""
    deadline = time.monotonic() + CATCH_UP_WITHIN
    while True:
        answer = await client.get("/api/v1/dialer/status", headers=headers)
        assert answer.status_code == 200, answer.text
        if settled(answer.json()) or time.monotonic() > deadline:
            return answer.json()
        await asyncio.sleep(0.05)


@dataclass
class Clock:
    """The request clock of the app under test, moved by hand."""

    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def fix_clock(app: FastAPI, at: datetime) -> Clock:
    """Make every request of the app see `clock.now`."""
    clock = Clock(at)
    app.state.clock = lambda: clock.now
    return clock


@dataclass
class Floor:
    client: httpx.AsyncClient
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    campaign: dict[str, Any]
    supervisor: Actor
    operators: list[Actor]
    shift_id: uuid.UUID
    responses: list[httpx.Response] = field(default_factory=list)

    @property
    def campaign_id(self) -> uuid.UUID:
        return uuid.UUID(self.campaign["id"])

    async def next(self, operator: Actor, key: str | None = None) -> httpx.Response:
        headers = {**operator.headers, **({"Idempotency-Key": key} if key else {})}
        return await self.client.post("/api/v1/dialer/next", headers=headers)

    async def lease(self, operator: Actor) -> dict[str, Any]:
        answer = await self.next(operator)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def outcome(
        self, operator: Actor, lease_id: str, key: str | None = None, **body: Any
    ) -> httpx.Response:
        headers = {**operator.headers, **({"Idempotency-Key": key} if key else {})}
        return await self.client.post(
            f"/api/v1/leases/{lease_id}/outcome", json=body, headers=headers
        )

    async def contact_row(self, contact_id: uuid.UUID | str) -> Contact:
        async with self.sessionmaker() as session:
            row = await session.scalar(
                select(Contact).where(Contact.id == uuid.UUID(str(contact_id)))
            )
            assert row is not None
            return row

    async def add(
        self,
        timezone: str = "Europe/Moscow",
        *,
        due: datetime | None = None,
        priority: int = 0,
        number: str | None = None,
        campaign_id: uuid.UUID | str | None = None,
        callback_at: datetime | None = None,
        callback_operator: Actor | None = None,
        company: str | None = None,
    ) -> uuid.UUID:
        """A ready contact, due an hour ago unless told, optionally a callback.

        Each contact is of a company of its own unless told: warm calls of one company
        add to its open questionnaire rather than filing another.
        """
        e164 = number or phone()
        async with self.sessionmaker.begin() as session:
            row = Contact(
                campaign_id=uuid.UUID(str(campaign_id)) if campaign_id else self.campaign_id,
                phone=e164,
                phone_hash=phone_hash(TEST_SECRET, e164),
                name="Contact",
                company=company or f"Company {e164}",
                timezone=timezone,
                fields={"source": "test"},
                state=ContactState.READY,
                priority=priority,
                next_call_at=callback_at or due or self.clock.now - timedelta(hours=1),
                attempts=0,
                expired_streak=0,
                callback_at=callback_at,
                callback_scope=None
                if callback_at is None
                else CallbackScope.PERSONAL
                if callback_operator
                else CallbackScope.ANYONE,
                callback_operator_id=callback_operator.id if callback_operator else None,
                created_at=self.clock.now,
            )
            session.add(row)
            await session.flush()
            return row.id


async def quick_actor(
    sessionmaker: async_sessionmaker[AsyncSession], role: Role, now: datetime, **fields: Any
) -> Actor:
    """A user with a token, without the Argon2 work of a password: tests need many."""
    login = f"{role.value}-{uuid.uuid4().hex[:10]}"
    async with sessionmaker.begin() as session:
        user = User(
            login=login,
            password_hash="!",
            name=login,
            role=role,
            active=True,
            token_version=0,
            created_at=now,
            **fields,
        )
        session.add(user)
        await session.flush()
        token = issue_token(TEST_SECRET, user, now + timedelta(days=30))
        return Actor(user.id, login, token)


async def make_floor(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    operators: int = 1,
    off_shift: int = 0,
    at: datetime = MOSCOW_2PM,
    **campaign_body: Any,
) -> Floor:
    """A campaign and operators, the first `operators` of them clocked in to an open shift."""
    clock = fix_clock(app, at)
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, at)
    created = await campaign(client, supervisor, **campaign_body)
    people = [
        await quick_actor(sessionmaker, Role.OPERATOR, at) for _ in range(operators + off_shift)
    ]
    shift_id = await on_shift(
        sessionmaker, [p.id for p in people[:operators]], starts_at=at - timedelta(hours=1), hours=4
    )
    return Floor(client, sessionmaker, clock, created, supervisor, people, shift_id)
