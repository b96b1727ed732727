"""Many operators at once against a real server: no double lease, no lost outcome.

The server runs as two uvicorn worker processes on the test's database; each
operator is a thread with its own HTTP connection, and every request commits
for real. The harness marks a contact as held when a lease for it arrives and
unmarks it just before sending the outcome or release, so a contact seen held
by two operators at once is a real double lease, not a race of the harness.
"""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Attempt, Desk, Lease, LeaseEnd, Role
from tests.builders import on_shift
from tests.floor import Clock, Floor, quick_actor
from tests.live import live_server

# Several servers and dozens of client threads each: side by side with one another they
# only slow each other past the pool's timeout, so one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("servers_under_load")

OPERATORS = 64
CONTACTS = 160
TIME_LIMIT = 60.0
ANSWERS = {"contact_person": "Anna", "need": "boxes"}


@dataclass
class Ledger:
    """What the operators saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    held: dict[str, str] = field(default_factory=dict)
    double_leases: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    attempt_ids: set[str] = field(default_factory=set)
    leases: int = 0

    def take(self, contact_id: str, operator: str) -> None:
        with self.lock:
            self.leases += 1
            if self.held.get(contact_id, operator) != operator:
                self.double_leases.append(contact_id)
            self.held[contact_id] = operator

    def drop(self, contact_id: str) -> None:
        with self.lock:
            self.held.pop(contact_id, None)

    def saw(self, answer: httpx.Response) -> None:
        with self.lock:
            self.statuses[answer.status_code] += 1
            if answer.status_code == 409:
                self.codes[answer.json()["error"]] += 1
            if answer.status_code >= 500 or "locked" in answer.text:
                self.errors.append(answer.text[:300])


def outcome_body(rng: random.Random) -> dict[str, object]:
    later = (utcnow() + timedelta(hours=2)).isoformat()
    return rng.choice(
        [
            {"disposition": "busy"},
            {"disposition": "no_answer"},
            {"disposition": "wrong_number"},
            {"disposition": "not_interested", "objection": "need_nothing"},
            {"disposition": "warm", "questionnaire": ANSWERS},
            {"disposition": "callback", "callback_at": later, "callback_scope": "anyone"},
            {"disposition": "do_not_call"},
        ]
    )


def work(url: str, token: str, operator: str, ledger: Ledger, seed: int) -> None:
    """One operator: pull, sometimes ask again or release, report; until the queue is empty."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + TIME_LIMIT
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        while time.monotonic() < deadline:
            answer = http.post("/api/v1/dialer/next")
            ledger.saw(answer)
            if answer.status_code != 200:
                return
            lease = answer.json()
            contact_id = lease["contact"]["id"]
            ledger.take(contact_id, operator)
            if rng.random() < 0.1:
                again = http.post("/api/v1/dialer/next")
                ledger.saw(again)
                assert again.json()["lease_id"] == lease["lease_id"]
            ledger.drop(contact_id)
            if rng.random() < 0.15:
                ledger.saw(http.post(f"/api/v1/leases/{lease['lease_id']}/release"))
                continue
            path = f"/api/v1/leases/{lease['lease_id']}/outcome"
            # Half with a key, half without: either takes the usual case where it applies.
            key = {"Idempotency-Key": lease["lease_id"]} if rng.random() < 0.5 else {}
            body = outcome_body(rng)
            done = http.post(path, json=body, headers=key)
            ledger.saw(done)
            if done.status_code == 200:
                with ledger.lock:
                    ledger.attempt_ids.add(done.json()["attempt_id"])
                if rng.random() < 0.1:  # a double submit gets the first answer again
                    again = http.post(path, json=body, headers=key)
                    ledger.saw(again)
                    assert again.json() == done.json()


async def test_sixty_four_operators_never_share_a_contact_or_lose_an_outcome(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    now = utcnow()
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, now)
    created = await client.post(
        "/api/v1/campaigns",
        json={"name": "Load", "calling_window": {"start": "00:00", "end": "23:59:59.999999"}},
        headers=supervisor.headers,
    )
    # An MPK with room for every warm questionnaire, so saturation never pauses dialing here.
    await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=CONTACTS)
    operators = [await quick_actor(sessionmaker, Role.OPERATOR, now) for _ in range(OPERATORS)]
    shift_id = await on_shift(sessionmaker, [o.id for o in operators])
    floor = Floor(client, sessionmaker, Clock(now), created.json(), supervisor, operators, shift_id)
    for _ in range(CONTACTS):
        await floor.add(due=now - timedelta(hours=1))
    ledger = Ledger()
    with live_server(database_url, workers=2) as server, ThreadPoolExecutor(OPERATORS) as pool:
        runs = [
            pool.submit(work, server.url, o.token, str(o.id), ledger, seed)
            for seed, o in enumerate(operators)
        ]
        for run in runs:
            run.result()
    assert ledger.errors == []
    assert ledger.double_leases == []
    assert set(ledger.statuses) <= {200, 409}
    assert set(ledger.codes) <= {"queue_empty"}
    async with sessionmaker() as session:
        attempts = set(map(str, await session.scalars(select(Attempt.id))))
        open_leases = await session.scalar(
            select(func.count()).select_from(Lease).where(Lease.ended_at.is_(None))
        )
        by_outcome = await session.scalar(
            select(func.count()).select_from(Lease).where(Lease.end_reason == LeaseEnd.OUTCOME)
        )
        leases = await session.scalar(select(func.count()).select_from(Lease))
    assert attempts == ledger.attempt_ids  # every acknowledged outcome is there, no other
    assert by_outcome == len(attempts)  # one attempt per lease ended by an outcome
    assert open_leases == 0
    assert leases == ledger.leases
    assert ledger.leases >= CONTACTS
