"""Things one user owns, for the authorization matrix: a lease, a questionnaire, an account."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import ColumnElement, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import (
    Account,
    AccountHandoff,
    AccountOrder,
    Attempt,
    Base,
    Contact,
    Desk,
    Lease,
    Questionnaire,
    Recording,
    Role,
    SoftphoneEvent,
)
from tests import builders_managers
from tests.builders import Actor
from tests.builders_recordings import attempt, wav
from tests.floor import make_floor, quick_actor

Maker = async_sessionmaker[AsyncSession]
State = dict[str, Any]


@dataclass(frozen=True)
class Thing:
    """One user's thing, another user of the same role, and the staff who may act on it."""

    id: uuid.UUID
    owner: Actor
    another: Actor
    staff: dict[Role, Actor]
    sessionmaker: Maker
    read: Callable[[AsyncSession], Awaitable[State]]
    # The leased contact's number, by which softphone events find the lease.
    phone: str | None = None
    # A recorded call's SIP Call-ID and audio.
    call_id: str | None = None
    audio: bytes | None = None

    async def state(self) -> State:
        """Everything a request could change about the thing, read afresh from the database."""
        async with self.sessionmaker() as session:
            return await self.read(session)


async def columns(session: AsyncSession, model: type[Base], row_id: uuid.UUID) -> State:
    """Every column of one row."""
    row = await session.get(model, row_id)
    assert row is not None
    return {c.key: getattr(row, c.key) for c in inspect(model).column_attrs}


async def count(session: AsyncSession, where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).where(where)) or 0)


async def staff(sessionmaker: Maker, at: Any) -> dict[Role, Actor]:
    return {
        role: await quick_actor(sessionmaker, role, at) for role in (Role.SUPERVISOR, Role.ADMIN)
    }


async def operators_lease(app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker) -> Thing:
    """An operator's active lease with a call event on it; another operator on the same shift."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    owner, another = floor.operators
    contact_id = await floor.add()
    lease = await floor.lease(owner)
    phone = lease["contact"]["phone"]
    event = {"event": "dialing", "number": phone}
    sent = await client.post("/api/v1/softphone/events", json=event, headers=owner.headers)
    assert sent.json()["matched"] is True, sent.text
    # Later than the lease was made, so that a heartbeat visibly moves its expiry.
    floor.clock.advance(seconds=30)
    lease_id = uuid.UUID(lease["lease_id"])

    async def read(session: AsyncSession) -> State:
        return {
            "lease": await columns(session, Lease, lease_id),
            "contact": await columns(session, Contact, contact_id),
            "attempts": await count(session, Attempt.lease_id == lease_id),
            "events": await count(session, SoftphoneEvent.lease_id == lease_id),
        }

    return Thing(
        lease_id,
        owner,
        another,
        await staff(sessionmaker, floor.clock.now),
        sessionmaker,
        read,
        phone,
    )


RECORDED_AUDIO = wav(0.2)


async def operators_recording(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> Thing:
    """An operator's call with its recording; another operator on the same shift."""
    floor = await make_floor(app, client, sessionmaker, operators=2)
    owner, another = floor.operators
    call_id = uuid.uuid4().hex
    attempt_id = await attempt(floor, owner, call_id=call_id)
    sent = await client.put(
        f"/api/v1/attempts/{attempt_id}/recording",
        content=RECORDED_AUDIO,
        headers={**owner.headers, "Content-Type": "audio/wav"},
    )
    assert sent.status_code == 201, sent.text

    async def read(session: AsyncSession) -> State:
        row = await session.scalar(select(Recording).where(Recording.attempt_id == attempt_id))
        assert row is not None
        return await columns(session, Recording, row.id)

    return Thing(
        attempt_id,
        owner,
        another,
        await staff(sessionmaker, floor.clock.now),
        sessionmaker,
        read,
        call_id=call_id,
        audio=RECORDED_AUDIO,
    )


async def mpk(sessionmaker: Maker) -> Actor:
    return await quick_actor(
        sessionmaker, Role.MANAGER, utcnow(), desk=Desk.ACQUISITION, capacity=10
    )


async def managers_questionnaire(sessionmaker: Maker) -> Thing:
    """A new questionnaire assigned to an MPK; another MPK with room."""
    owner = await mpk(sessionmaker)
    filed = await builders_managers.warm(sessionmaker, await builders_managers.floor(sessionmaker))
    assert filed.manager_id == owner.id
    # Made after the filing, which would otherwise go to whichever MPK is less loaded.
    another = await mpk(sessionmaker)

    async def read(session: AsyncSession) -> State:
        return {
            "questionnaire": await columns(session, Questionnaire, filed.id),
            "accounts": await count(session, Account.questionnaire_id == filed.id),
        }

    return Thing(filed.id, owner, another, await staff(sessionmaker, utcnow()), sessionmaker, read)


async def mrk(sessionmaker: Maker) -> Actor:
    return await quick_actor(
        sessionmaker, Role.MANAGER, utcnow(), desk=Desk.DEVELOPMENT, capacity=10
    )


async def managers_account(client: httpx.AsyncClient, sessionmaker: Maker) -> Thing:
    """A working account held by an MRK after an MPK's first order; another MRK with room."""
    owner = await mrk(sessionmaker)
    closer = await mpk(sessionmaker)
    filed = await builders_managers.warm(
        sessionmaker, await builders_managers.floor(sessionmaker), company="Alpha"
    )
    url = f"/api/v1/questionnaires/{filed.id}/status"
    for change in ({"status": "in_progress"}, {"status": "first_order", "amount": "100.00"}):
        answer = await client.post(url, json=change, headers=closer.headers)
        assert answer.status_code == 200, answer.text
    account_id = uuid.UUID(answer.json()["account_id"])
    another = await mrk(sessionmaker)

    async def read(session: AsyncSession) -> State:
        return {
            "account": await columns(session, Account, account_id),
            "orders": await count(session, AccountOrder.account_id == account_id),
            "handoffs": await count(session, AccountHandoff.account_id == account_id),
        }

    held = Thing(
        account_id, owner, another, await staff(sessionmaker, utcnow()), sessionmaker, read
    )
    assert (await held.state())["account"]["manager_id"] == owner.id
    return held
