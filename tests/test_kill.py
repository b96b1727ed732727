"""Kill -9 under load: nothing acknowledged is lost, orphaned leases come back, nothing sticks."""

import asyncio
import threading
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Attempt, Contact, ContactState, Lease, LeaseEnd
from dialer.queue.leases import expire_leases
from tests.floorsetup import build_floor
from tests.live import live_server

# Several servers and dozens of client threads each: side by side with one another they
# only slow each other past the pool's timeout, so one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("servers_under_load")

OPERATORS = 12
ACKNOWLEDGED_BEFORE_KILL = 120


class Load:
    """Operators pulling and finishing calls in threads, each with its own connection."""

    def __init__(self, base_url: str, operator_tokens: list[str]) -> None:
        self.base_url = base_url
        self.tokens = operator_tokens
        self.acknowledged: list[str] = []
        self.unexpected: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.stop = threading.Event()
        self.target = 0

    def run_until(self, target: int) -> None:
        self.target = len(self.acknowledged) + target
        self.enough.clear()
        self.threads = [
            threading.Thread(target=self._operator, args=(token,)) for token in self.tokens
        ]
        for thread in self.threads:
            thread.start()
        assert self.enough.wait(timeout=120), "the floor made no progress"

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)

    def _operator(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    self._one_call(client)
                except httpx.TransportError:
                    return  # the server is gone: what happened so far is what we check

    def _one_call(self, client: httpx.Client) -> None:
        lease = client.post("/api/v1/dialer/next")
        if lease.status_code != 200:
            self._unexpected(lease)
            return
        lease_id = lease.json()["lease_id"]
        outcome = client.post(
            f"/api/v1/leases/{lease_id}/outcome",
            json={"disposition": "no_answer"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if outcome.status_code != 200:
            self._unexpected(outcome)
            return
        with self.lock:
            self.acknowledged.append(outcome.json()["attempt_id"])
            if len(self.acknowledged) >= self.target:
                self.enough.set()

    def _unexpected(self, answer: httpx.Response) -> None:
        with self.lock:
            self.unexpected.append((answer.status_code, answer.text[:200]))


async def _attempt_ids(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return {str(i) for i in await session.scalars(select(Attempt.id))}
    finally:
        await engine.dispose()


async def _orphans(database_url: str) -> set[uuid.UUID]:
    """The contacts of leases still active: mid-call when the process died."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            active = select(Lease.contact_id).where(Lease.ended_at.is_(None))
            return set(await session.scalars(active))
    finally:
        await engine.dispose()


async def _let_leases_run_out(database_url: str) -> dict[ContactState, int]:
    """Expire every lease as the scheduler would a day later; count contacts by state."""
    engine = create_engine(database_url)
    later = utcnow() + timedelta(days=1)
    try:
        maker = create_sessionmaker(engine)
        while True:
            async with maker.begin() as session:
                if await expire_leases(session, later) == 0:
                    break
        async with maker() as session:
            rows = await session.execute(
                select(Contact.state, func.count()).group_by(Contact.state)
            )
            return dict(rows.all())
    finally:
        await engine.dispose()


async def _states_of(database_url: str, contact_ids: set[uuid.UUID]) -> set[ContactState]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            query = select(Contact.state).where(Contact.id.in_(contact_ids))
            return set(await session.scalars(query))
    finally:
        await engine.dispose()


async def _attempts_match_leases(database_url: str) -> tuple[int, int]:
    """Attempts, and leases ended by an outcome: one each, always."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            attempts = await session.scalar(select(func.count()).select_from(Attempt))
            outcomes = await session.scalar(
                select(func.count()).where(Lease.end_reason == LeaseEnd.OUTCOME)
            )
            return attempts or 0, outcomes or 0
    finally:
        await engine.dispose()


def test_kill_minus_nine_under_load_loses_nothing_acknowledged(database_url: str) -> None:
    floor = build_floor(database_url, operators=OPERATORS, contacts=3000)

    with live_server(database_url) as server:
        load = Load(server.url, floor.operator_tokens)
        load.run_until(ACKNOWLEDGED_BEFORE_KILL)
        server.kill()
        load.join()
    assert load.unexpected == []
    stored = asyncio.run(_attempt_ids(database_url))
    assert [a for a in load.acknowledged if a not in stored] == [], "a 200 outcome was lost"

    orphans = asyncio.run(_orphans(database_url))
    states = asyncio.run(_let_leases_run_out(database_url))
    assert ContactState.LEASED not in states, "a contact is stuck on a dead lease"
    if orphans:
        assert asyncio.run(_states_of(database_url, orphans)) == {ContactState.READY}

    with live_server(database_url) as server:
        load.base_url = server.url
        load.run_until(ACKNOWLEDGED_BEFORE_KILL)
        load.stop.set()
        load.join()
    assert load.unexpected == []
    assert set(load.acknowledged) <= asyncio.run(_attempt_ids(database_url))
    attempts, outcome_leases = asyncio.run(_attempts_match_leases(database_url))
    # One attempt per lease ended by an outcome; a few more than acknowledged when the kill
    # fell between a commit and its answer, never fewer.
    assert attempts == outcome_leases >= len(set(load.acknowledged))
