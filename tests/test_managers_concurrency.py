"""Managers closing questionnaires at once: a close takes no managers' lock of its own, what it
leaves to weigh is read under that lock shared, and loads, routing and the saturation pause
come out as if they had closed one by one."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.locks import lock_managers, share_managers
from dialer.base.models import Account, Desk, Questionnaire, QuestionnaireStatus, Role, User
from dialer.sales.clients import clients
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import StatusChange, after_change, change_status
from dialer.sales.saturation import OPEN_STATUSES, backlog
from tests.builders import Actor
from tests.builders_managers import floor, user_row, warm
from tests.floor import quick_actor


async def mpks(sessionmaker: async_sessionmaker[AsyncSession], n: int) -> list[Actor]:
    now = utcnow()
    return [
        await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=2)
        for _ in range(n)
    ]


async def open_of(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Questionnaire]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Questionnaire).where(Questionnaire.status.in_(OPEN_STATUSES))
        )
        return list(rows)


FIRST_ORDER = {"status": "first_order", "amount": "100"}


async def hold(holder: AsyncSession, take: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """The managers' lock taken by `take` and held by `holder`, on PostgreSQL. SQLite has no
    such lock: every transaction takes the database's write lock, so there it only reads."""
    if holder.get_bind().dialect.name == "postgresql":
        await take(holder)
    else:
        await backlog(holder)
        await holder.rollback()


async def close_all(
    client: httpx.AsyncClient,
    managers: dict[uuid.UUID, Actor],
    close: dict[str, str] | None = None,
) -> None:
    """Every manager takes up and closes (loses) each of its questionnaires, all at once."""
    close = close or {"status": "lost", "reason": "no budget"}

    async def work(manager: Actor, questionnaire_id: str) -> None:
        url = f"/api/v1/questionnaires/{questionnaire_id}/status"
        for body in ({"status": "in_progress"}, close):
            answer = await client.post(url, json=body, headers=manager.headers)
            assert answer.status_code == 200, answer.text

    async def mine(manager: Actor) -> list[str]:
        listed = await client.get(
            "/api/v1/questionnaires", params={"status": "new"}, headers=manager.headers
        )
        return [q["id"] for q in listed.json()]

    jobs = [work(m, q) for m in managers.values() for q in await mine(m)]
    await asyncio.gather(*jobs)


async def test_closes_at_once_keep_loads_routing_and_saturation_exact(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    managers = {m.id: m for m in await mpks(sessionmaker, 4)}  # capacity 8 in all
    where = await floor(sessionmaker)
    start = utcnow()

    # Quiet: nobody waits, dialing runs. Four closes at once, each shares the lock.
    for i in range(4):
        await warm(sessionmaker, where, now=start + timedelta(seconds=i))
    await close_all(client, managers)
    assert await open_of(sessionmaker) == []
    async with sessionmaker() as session:
        assert (await backlog(session)).paused_since is None

    # Saturated: ten filed for eight places; two wait and dialing pauses.
    for i in range(10):
        await warm(sessionmaker, where, now=start + timedelta(minutes=1, seconds=i))
    async with sessionmaker() as session:
        assert (await backlog(session)).waiting == 2
        assert (await backlog(session)).paused_since is not None
    waiting = {q.id for q in await open_of(sessionmaker) if q.manager_id is None}

    await close_all(client, managers)

    # As one by one: the two that waited went to managers with room as places freed, and
    # with 2 open of 8 (at most the low mark's 6) dialing resumed.
    left = await open_of(sessionmaker)
    assert {q.id for q in left} == waiting
    assert all(q.manager_id is not None for q in left)
    assert all(q.status is QuestionnaireStatus.NEW for q in left)
    assert max(Counter(q.manager_id for q in left).values()) <= 2  # each one's capacity
    async with sessionmaker() as session:
        assert (await backlog(session)).paused_since is None
        assert (await backlog(session)).open == 2


async def test_first_orders_at_once_route_accounts_as_one_by_one(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Eight first orders at once under the clients' lock: three MRK of two places each hold
    two apiece, the other two accounts wait, and dialing pauses for the MRK."""
    managers = {m.id: m for m in await mpks(sessionmaker, 4)}
    mrks = {await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)}
    mrks |= {await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)}
    mrks |= {await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)}
    where = await floor(sessionmaker)
    start = utcnow()
    for i in range(8):
        await warm(sessionmaker, where, company=f"Client {i}", now=start + timedelta(seconds=i))
    await close_all(client, managers, FIRST_ORDER)

    async with sessionmaker() as session:
        accounts = list(await session.scalars(select(Account)))
        assert len(accounts) == 8
        held = Counter(a.manager_id for a in accounts if a.manager_id is not None)
        assert set(held) == mrks
        assert sorted(held.values()) == [2, 2, 2]
        assert (await clients(session)).waiting == 2
        assert (await clients(session)).paused_since is not None
    assert await open_of(sessionmaker) == []


@pytest.mark.parametrize("close", [{"status": "lost", "reason": "no"}, FIRST_ORDER])
async def test_a_close_with_nothing_to_weigh_does_not_wait_for_other_closes(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    close: dict[str, str],
) -> None:
    """Another close holds the shared lock throughout; this one completes beside it, a
    first order too: its account is weighed under the clients' lock, not the managers'."""
    (manager,) = await mpks(sessionmaker, 1)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/status"
    started = await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    assert started.status_code == 200
    async with sessionmaker() as holder:
        await hold(holder, share_managers)
        closed = await asyncio.wait_for(client.post(url, json=close, headers=manager.headers), 30)
        assert closed.status_code == 200, closed.text
        await holder.rollback()


async def test_a_close_commits_while_routing_holds_the_lock_and_its_place_is_handed_on_after(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A close locks its own row only: it commits while a warm outcome's routing holds the
    managers' lock. The place it freed goes to the one waiting once that lock is given back."""
    (manager,) = await mpks(sessionmaker, 1)  # two places
    where = await floor(sessionmaker)
    start = utcnow()
    held, _, waiting = [
        await warm(sessionmaker, where, now=start + timedelta(seconds=i)) for i in range(3)
    ]
    async with sessionmaker() as session:
        assert (await backlog(session)).waiting == 1
        assert (await backlog(session)).paused_since is not None
    now = start + timedelta(minutes=1)
    policy = Policy()
    async with sessionmaker.begin() as session:
        user = await session.get(User, manager.id)
        assert user is not None
        await change_status(
            session, held.id, StatusChange(QuestionnaireStatus.IN_PROGRESS), user, now, policy
        )
    lost = StatusChange(QuestionnaireStatus.LOST, reason="no budget")

    async def close() -> None:
        async with sessionmaker.begin() as session:
            user = await session.get(User, manager.id)
            assert user is not None
            await change_status(session, held.id, lost, user, now, policy)

    async with sessionmaker() as holder:
        await hold(holder, lock_managers)
        await asyncio.wait_for(close(), 30)
        async with sessionmaker() as session:
            assert (await backlog(session)).waiting == 1  # nothing weighed yet
        await holder.rollback()

    async with sessionmaker() as session:
        await after_change(session, lost, now, policy)
    async with sessionmaker() as session:
        given = await session.get(Questionnaire, waiting.id)
        assert given is not None
        assert given.manager_id == manager.id
        state = await backlog(session)
        assert (state.open, state.waiting) == (2, 0)
        assert state.paused_since is not None  # 2 open of 2: still at the high mark
