"""Managers closing questionnaires at once: a close takes no managers' lock of its own, what it
leaves to weigh is read under that lock shared, and loads, routing and the saturation pause
come out as if they had closed one by one."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message

from dialer.base.clock import utcnow
from dialer.base.errors import Forbidden, InvalidTransition
from dialer.base.locks import lock_managers, share_managers
from dialer.base.models import (
    Account,
    AccountOrder,
    ContactState,
    Desk,
    Disposition,
    Questionnaire,
    QuestionnaireStatus,
    Role,
    User,
)
from dialer.sales.clients import clients
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import (
    StatusChange,
    after_change,
    change_status,
    file_questionnaire,
)
from dialer.sales.saturation import OPEN_STATUSES, backlog
from tests.asgi import post_scope
from tests.builders import Actor
from tests.builders_managers import add_contact, call, floor, user_row, warm
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


class Asked:
    """One request sent to the app as a server sends it (ASGI), its answer read as the client
    reads it: the answer is in once its last piece is sent, whatever the app does after."""

    def __init__(self, app: FastAPI, url: str, body: object, headers: dict[str, str]) -> None:
        sent = json.dumps(body).encode()
        typed = {"content-type": "application/json", "content-length": str(len(sent))}
        self.scope = post_scope(url, headers | typed)
        self._pieces = [{"type": "http.request", "body": sent, "more_body": False}]
        self._client_gone = asyncio.Event()
        self.status = 0
        self._body = b""
        self._in = asyncio.get_running_loop().create_future()
        self.served = asyncio.create_task(app(self.scope, self._receive, self._send))

    async def _receive(self) -> Message:
        if self._pieces:
            return self._pieces.pop()
        await self._client_gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self._body += message.get("body", b"")
            if not message.get("more_body", False):
                self._in.set_result(None)

    async def answer(self) -> tuple[int, dict[str, Any]]:
        """The status and body, once the answer's last piece is sent (within 10 s)."""
        await asyncio.wait_for(asyncio.shield(self._in), 10)
        return self.status, json.loads(self._body)


async def test_a_close_is_answered_before_what_it_freed_is_weighed(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A manager's close is answered once it has committed, not once what it freed has been
    weighed: a warm outcome's routing holding the managers' lock, which the weighing waits
    for, does not hold the answer. The place freed goes to the one waiting after that."""
    (manager,) = await mpks(sessionmaker, 1)  # two places
    where = await floor(sessionmaker)
    start = utcnow()
    held, _, waiting = [
        await warm(sessionmaker, where, now=start + timedelta(seconds=i)) for i in range(3)
    ]
    url = f"/api/v1/questionnaires/{held.id}/status"
    taken = await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    assert taken.status_code == 200, taken.text
    lost = {"status": "lost", "reason": "no budget"}

    async with sessionmaker() as holder:
        await hold(holder, lock_managers)
        asked = Asked(app, url, lost, manager.headers)
        status, body = await asked.answer()
        assert (status, body["status"]) == (200, "lost")
        if holder.get_bind().dialect.name == "postgresql":
            # SQLite has no such lock: there the weighing may be done by now.
            async with sessionmaker() as session:
                assert (await backlog(session)).waiting == 1  # the lock still held
            assert not asked.served.done()
        await holder.rollback()
    await asyncio.wait_for(asked.served, 30)

    async with sessionmaker() as session:
        given = await session.get(Questionnaire, waiting.id)
        assert given is not None
        assert given.manager_id == manager.id
        assert (await backlog(session)).waiting == 0


async def test_a_change_checked_against_a_stale_read_is_refused_as_under_the_lock(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A change made from a read that another close has since overtaken, or another manager
    since taken over, is refused as the locked read refuses it: its conditional update
    finds nothing, and the row read afresh says why."""
    (manager,) = await mpks(sessionmaker, 1)
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    where = await floor(sessionmaker)
    now = utcnow()
    lost = StatusChange(QuestionnaireStatus.LOST, reason="no budget")
    order = StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(100))

    async def change(
        questionnaire_id: uuid.UUID,
        what: StatusChange,
        actor_id: uuid.UUID,
        seen: Questionnaire | None = None,
    ) -> None:
        async with sessionmaker.begin() as session:
            actor = await session.get(User, actor_id)
            assert actor is not None
            await change_status(session, questionnaire_id, what, actor, now, Policy(), seen=seen)

    async def read(questionnaire_id: uuid.UUID) -> Questionnaire:
        async with sessionmaker() as session:
            found = await session.get(Questionnaire, questionnaire_id)
            assert found is not None
            return found  # closed without a commit: its values stay as read

    overtaken = await warm(sessionmaker, where, now=now)
    taken_over = await warm(sessionmaker, where, now=now + timedelta(seconds=1))
    (other,) = await mpks(sessionmaker, 1)
    mine = manager.id
    for filed in (overtaken, taken_over):
        assert filed.manager_id == mine
        await change(filed.id, StatusChange(QuestionnaireStatus.IN_PROGRESS), mine)

    stale = await read(overtaken.id)
    await change(overtaken.id, lost, supervisor_id)
    with pytest.raises(InvalidTransition) as refused:
        await change(overtaken.id, order, mine, seen=stale)
    assert refused.value.extra == {"current": "lost"}

    stale = await read(taken_over.id)
    async with sessionmaker.begin() as session:
        moved = await session.get(Questionnaire, taken_over.id)
        assert moved is not None
        moved.manager_id = other.id
    with pytest.raises(Forbidden):
        await change(taken_over.id, order, mine, seen=stale)

    async with sessionmaker() as session:
        states = {
            q.id: (q.status, q.amount)
            for q in await session.scalars(
                select(Questionnaire).where(Questionnaire.id.in_([overtaken.id, taken_over.id]))
            )
        }
        assert states == {
            overtaken.id: (QuestionnaireStatus.LOST, None),
            taken_over.id: (QuestionnaireStatus.IN_PROGRESS, None),
        }
        assert list(await session.scalars(select(Account))) == []


async def test_a_change_from_a_read_races_a_change_under_the_lock_and_one_wins(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The manager's first order from the read it was shown and a supervisor's loss under the
    row's lock, at once, on each of eight questionnaires: one of the two is made, the other
    refused with the status the first left, whichever came first."""
    managers = await mpks(sessionmaker, 4)
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    where = await floor(sessionmaker)
    now = utcnow()
    filed = [await warm(sessionmaker, where, now=now + timedelta(seconds=i)) for i in range(8)]
    taken = StatusChange(QuestionnaireStatus.IN_PROGRESS)
    order = StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(100))
    lost = StatusChange(QuestionnaireStatus.LOST, reason="no budget")

    async def change(
        questionnaire_id: uuid.UUID, what: StatusChange, actor_id: uuid.UUID, from_read: bool
    ) -> tuple[QuestionnaireStatus | None, str | None]:
        """The status made, or the status the refusal named."""
        try:
            async with sessionmaker.begin() as session:
                actor = await session.get(User, actor_id)
                seen = await session.get(Questionnaire, questionnaire_id)
                assert actor is not None
                assert seen is not None
                await change_status(
                    session,
                    questionnaire_id,
                    what,
                    actor,
                    now,
                    Policy(),
                    seen=seen if from_read else None,
                )
                return what.status, None
        except InvalidTransition as refused:
            return None, refused.extra["current"]

    made: list[tuple[tuple[QuestionnaireStatus | None, str | None], ...]] = []
    for questionnaire in filed:
        assert questionnaire.manager_id in {m.id for m in managers}
        await change(questionnaire.id, taken, questionnaire.manager_id, True)
        made.append(
            tuple(
                await asyncio.gather(
                    change(questionnaire.id, order, questionnaire.manager_id, True),
                    change(questionnaire.id, lost, supervisor_id, False),
                )
            )
        )

    async with sessionmaker() as session:
        statuses = {
            q.id: q.status
            for q in await session.scalars(
                select(Questionnaire).where(Questionnaire.id.in_([q.id for q in filed]))
            )
        }
        accounts = {a.questionnaire_id for a in await session.scalars(select(Account))}
    for questionnaire, ((by_read, read_refused), (by_lock, lock_refused)) in zip(
        filed, made, strict=True
    ):
        winner = by_read or by_lock
        assert winner is not None
        assert (by_read is None) != (by_lock is None), (by_read, by_lock)
        # The one refused names the status the other made.
        assert (read_refused or lock_refused) == winner.value
        assert statuses[questionnaire.id] == winner
        assert (questionnaire.id in accounts) == (by_read is not None)


async def test_a_change_from_a_fresh_read_is_one_update_and_no_locked_read(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The usual change, from the read it was shown in the same transaction, is a single
    conditional update: no row read again under its lock."""
    (manager,) = await mpks(sessionmaker, 1)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    statements: list[str] = []

    def sent(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    engine = sessionmaker.kw["bind"].sync_engine
    async with sessionmaker.begin() as session:
        actor = await session.get(User, manager.id)
        seen = await session.get(Questionnaire, filed.id)
        assert actor is not None
        assert seen is not None
        event.listen(engine, "before_cursor_execute", sent)
        try:
            changed, _ = await change_status(
                session,
                filed.id,
                StatusChange(QuestionnaireStatus.IN_PROGRESS),
                actor,
                utcnow(),
                Policy(),
                seen=seen,
            )
        finally:
            event.remove(engine, "before_cursor_execute", sent)
    assert changed.status is QuestionnaireStatus.IN_PROGRESS
    assert [statement.split()[0] for statement in statements] == ["UPDATE"]
    assert "RETURNING" in statements[0]


async def taken_up(
    sessionmaker: async_sessionmaker[AsyncSession], manager: Actor, filed: Questionnaire
) -> None:
    async with sessionmaker.begin() as session:
        user = await session.get(User, manager.id)
        assert user is not None
        change = StatusChange(QuestionnaireStatus.IN_PROGRESS)
        await change_status(session, filed.id, change, user, utcnow(), Policy())


async def first_order(
    session: AsyncSession, manager: Actor, filed: Questionnaire
) -> tuple[Questionnaire, Account | None]:
    user = await session.get(User, manager.id)
    assert user is not None
    change = StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(100))
    return await change_status(session, filed.id, change, user, utcnow(), Policy())


async def test_a_first_order_writes_its_account_before_the_clients_lock(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Every first order waits for the clients' lock: a new client's account and its first
    order are written before it, and under it only the desk is weighed (the MRK's loads, the
    hand-off, the desk's pause)."""
    (manager,) = await mpks(sessionmaker, 1)
    mrk = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)
    filed = await warm(sessionmaker, await floor(sessionmaker), company="Acme")
    await taken_up(sessionmaker, manager, filed)
    statements: list[str] = []

    def sent(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    engine = sessionmaker.kw["bind"].sync_engine
    async with sessionmaker.begin() as session:
        event.listen(engine, "before_cursor_execute", sent)
        try:
            _, account = await first_order(session, manager, filed)
        finally:
            event.remove(engine, "before_cursor_execute", sent)
    assert account is not None
    assert account.manager_id == mrk
    async with sessionmaker() as session:
        (order,) = await session.scalars(select(AccountOrder))
        assert (order.account_id, order.amount) == (account.id, Decimal(100))
        assert (order.recorded_by, order.at) == (manager.id, account.created_at)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "WITH"))]
    kinds = [" ".join(s.split()[:3]) for s in writes]
    if engine.dialect.name == "postgresql":
        # The contacts closed, the account and its order written: one statement.
        opened = kinds.index("WITH CLOSED AS")
        assert "INSERT INTO ACCOUNT (" in writes[opened]
        assert "INSERT INTO ACCOUNT_ORDER (" in writes[opened]
        assert "UPDATE CONTACT SET" in writes[opened]
    else:
        assert kinds.index("UPDATE CONTACT SET") < kinds.index("INSERT INTO ACCOUNT")
        opened = kinds.index("INSERT INTO ACCOUNT_ORDER")
        assert kinds.index("INSERT INTO ACCOUNT") < opened
    assert opened < kinds.index("UPDATE ACCOUNT SET") < kinds.index("INSERT INTO ACCOUNT_HANDOFF")
    if engine.dialect.name == "postgresql":
        locked = next(i for i, s in enumerate(statements) if "PG_ADVISORY_XACT_LOCK(" in s)
        assert statements.index(writes[opened]) < locked
        # The desk's loads and clients read at once, the account given, the hand-off logged.
        under = [" ".join(s.split()[:3]) for s in statements[locked + 1 :]]
        assert [u.split()[0] for u in under] == ["SELECT", "UPDATE", "INSERT"]
        assert under[1:] == ["UPDATE ACCOUNT SET", "INSERT INTO ACCOUNT_HANDOFF"]


async def a_lock_waited_for(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Return once some transaction waits for a lock (PostgreSQL), asking until one does."""
    async with sessionmaker() as session:
        waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
        while not await session.scalar(waiting):
            await session.rollback()


async def test_two_first_orders_of_one_company_at_once_make_one_account_with_both_orders(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A company's two questionnaires (one filed without the company, which its contact has)
    closed at once: the second's account meets the first's, still uncommitted, on the
    company's key, waits for it, and then adds its order to that account."""
    (manager,) = await mpks(sessionmaker, 1)
    mrk = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)
    where = await floor(sessionmaker)
    named = await warm(sessionmaker, where, company="Acme")
    async with sessionmaker.begin() as session:
        contact = await add_contact(session, where.campaign_id, company="ACME ")
        contact.state = ContactState.CLOSED
        attempt = await call(session, where, contact, Disposition.WARM, utcnow(), answered=True)
        unnamed = await file_questionnaire(session, attempt, {"need": "ink"}, None, utcnow())
    for filed in (named, unnamed):
        await taken_up(sessionmaker, manager, filed)

    async def second() -> None:
        async with sessionmaker.begin() as session:
            await first_order(session, manager, unnamed)

    async with sessionmaker.begin() as session:
        _, opened = await first_order(session, manager, named)
        assert opened is not None
        if session.get_bind().dialect.name == "postgresql":
            meeting = asyncio.create_task(second())
            await asyncio.wait_for(a_lock_waited_for(sessionmaker), 10)
            assert not meeting.done()
    if session.get_bind().dialect.name == "postgresql":
        await asyncio.wait_for(meeting, 10)
    else:
        await second()

    async with sessionmaker() as session:
        (account,) = await session.scalars(select(Account))
        assert account.id == opened.id
        assert account.manager_id == mrk
        orders = select(func.count()).where(AccountOrder.account_id == account.id)
        assert await session.scalar(orders) == 2
