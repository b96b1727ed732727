"""Operators asking at once: on PostgreSQL their asks share a statement (`dialer.queue.lanes`).

Each test sends its asks together with `asyncio.gather` against one lane, so that the
asks after the first wait for it and go out as one batch. What each operator gets must
be what it would get alone: the best free contacts in turn, its own held lease, its
own refusal. On SQLite the asks are served one by one, and the answers are the same.
"""

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, ContactState, Lease, User
from dialer.queue import lanes
from dialer.queue.lanes import ClaimLanes
from tests.builders import Actor
from tests.floor import Floor, make_floor


@pytest.fixture
def batches(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch claimed from now on, through a single lane."""
    sizes: list[int] = []
    real = lanes.claim_batch

    async def counted(driver: Any, slots: Any, tokens: Sequence[Any], now: Any) -> Any:
        sizes.append(len(tokens))
        return await real(driver, slots, tokens, now)

    monkeypatch.setattr(lanes, "claim_batch", counted)
    app.state.lanes = ClaimLanes(app.state.engine, 1)
    return sizes


async def ask_together(floor: Floor, operators: list[Actor]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(floor.next(operator) for operator in operators)))


def batched(app: FastAPI, sizes: list[int], asks: int) -> None:
    """On PostgreSQL, every ask went out in the lane and some shared a statement."""
    if app.state.engine.dialect.name == "postgresql":
        assert sum(sizes) == asks
        assert max(sizes) > 1, sizes
    else:
        assert sizes == []


async def open_leases(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Lease).where(Lease.ended_at.is_(None))
        )
        return int(count or 0)


async def test_operators_asking_at_once_get_the_best_contacts_each_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    batches: list[int],
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=7)
    first, *together = floor.operators
    best = {await floor.add(priority=p) for p in range(6)}
    later = {await floor.add(priority=9) for _ in range(3)}
    await floor.lease(first)  # the catalog is loaded: the asks below wait for nothing else
    taken_first = {str(c) for c in best} - {str(r) for r in await leased_contacts(sessionmaker)}
    answers = await ask_together(floor, together)
    assert [a.status_code for a in answers] == [200] * 6
    contacts = {a.json()["contact"]["id"] for a in answers}
    # The first operator took the best; these six took the next six, one each.
    assert len(contacts) == 6
    assert contacts <= {str(c) for c in best | later}
    assert len(contacts & {str(c) for c in later}) == 1
    assert len(taken_first) == 5
    batched(app, batches, 7)
    assert await open_leases(sessionmaker) == 7
    for answer, operator in zip(answers, together, strict=True):
        again = await floor.next(operator)
        assert again.json()["lease_id"] == answer.json()["lease_id"]
        row = await floor.contact_row(answer.json()["contact"]["id"])
        assert row.state == ContactState.LEASED


async def leased_contacts(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(Lease.contact_id)))


async def test_in_a_batch_each_operator_gets_its_own_answer(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    batches: list[int],
) -> None:
    """A fine operator, one holding a lease, a paused one and a revoked token, at once."""
    floor = await make_floor(app, client, sessionmaker, operators=5)
    for _ in range(6):
        await floor.add()
    warm, fine, holding, paused, revoked = floor.operators
    await floor.lease(warm)
    held = await floor.lease(holding)
    pause = await client.post(
        f"/api/v1/operators/{paused.id}/pause",
        json={"reason": "r"},
        headers=floor.supervisor.headers,
    )
    assert pause.status_code == 200, pause.text
    async with sessionmaker.begin() as session:
        await session.execute(
            update(User).where(User.id == revoked.id).values(token_version=User.token_version + 1)
        )
    batches.clear()
    answers = await ask_together(floor, [fine, holding, paused, revoked, fine])
    statuses = [a.status_code for a in answers]
    assert statuses[:4] == [200, 200, 409, 401]
    assert answers[2].json()["error"] == "operator_paused"
    assert answers[1].json()["lease_id"] == held["lease_id"]
    # The same operator twice at once: one lease, the same answer to both.
    assert statuses[4] == 200
    assert answers[4].json()["lease_id"] == answers[0].json()["lease_id"]
    assert await open_leases(sessionmaker) == 3
    if app.state.engine.dialect.name == "postgresql":
        assert sum(batches) == 5, batches
        assert max(batches) > 1, batches


async def test_a_due_callback_goes_to_its_operator_when_asks_come_together(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    batches: list[int],
) -> None:
    """A batch claims nothing while a callback one of its operators may take is due."""
    floor = await make_floor(app, client, sessionmaker, operators=4)
    warm, owner, *others = floor.operators
    for _ in range(4):
        await floor.add(priority=-1)
    await floor.lease(warm)
    callback = await floor.add(
        callback_at=floor.clock.now - timedelta(minutes=1), callback_operator=owner
    )
    answers = await ask_together(floor, [*others, owner])
    assert [a.status_code for a in answers] == [200] * 3
    assert answers[-1].json()["contact"]["id"] == str(callback)
    assert answers[-1].json()["callback"]["scope"] == "personal"
    assert str(callback) not in {a.json()["contact"]["id"] for a in answers[:-1]}
    async with sessionmaker() as session:
        row = await session.get_one(Contact, callback)
        assert row.state == ContactState.LEASED


async def test_a_batch_that_fails_leaves_each_ask_to_the_single_path(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever breaks in a batch, every operator still gets its lease, and only one."""
    floor = await make_floor(app, client, sessionmaker, operators=4)
    for _ in range(4):
        await floor.add()
    app.state.lanes = ClaimLanes(app.state.engine, 1)

    async def broken(*_: Any) -> Any:
        raise ConnectionResetError("the link dropped")

    monkeypatch.setattr(lanes, "claim_batch", broken)
    answers = await ask_together(floor, floor.operators)
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["contact"]["id"] for a in answers}) == 4
    assert await open_leases(sessionmaker) == 4
    if app.state.engine.dialect.name == "postgresql":
        assert "a batch claim failed" in caplog.text
