"""Several app instances on one database: 200 operators at once, no contact leased twice."""

import asyncio
import uuid

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Attempt, Lease, LeaseEnd
from tests.floorsetup import build_floor
from tests.live import live_server

# Several servers and dozens of client threads each: side by side with one another they
# only slow each other past the pool's timeout, so one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("servers_under_load")

OPERATORS = 200
CALLS_EACH = 3
INSTANCES = 3


async def _operator(session: aiohttp.ClientSession, base: str, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    problems = []
    for _ in range(CALLS_EACH):
        async with session.post(f"{base}/api/v1/dialer/next", headers=headers) as lease:
            if lease.status != 200:
                problems.append(f"next {lease.status} {await lease.text()}")
                continue
            lease_id = (await lease.json())["lease_id"]
        outcome_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        async with session.post(
            f"{base}/api/v1/leases/{lease_id}/outcome",
            json={"disposition": "busy"},
            headers=outcome_headers,
        ) as outcome:
            if outcome.status != 200:
                problems.append(f"outcome {outcome.status} {await outcome.text()}")
    return problems


async def _floor(base: str, operator_tokens: list[str]) -> list[str]:
    connector = aiohttp.TCPConnector(limit=OPERATORS)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        results = await asyncio.gather(*(_operator(session, base, t) for t in operator_tokens))
    return [problem for problems in results for problem in problems]


async def _overlapping_leases(database_url: str) -> tuple[int, int, int]:
    """Pairs of one contact's leases that overlapped in time; attempts; outcome leases."""
    engine = create_engine(database_url)
    other = aliased(Lease)
    try:
        async with create_sessionmaker(engine)() as session:
            overlaps = await session.scalar(
                select(func.count())
                .select_from(Lease)
                .join(other, (other.contact_id == Lease.contact_id) & (other.id != Lease.id))
                .where(other.created_at < Lease.ended_at, Lease.created_at < other.ended_at)
            )
            attempts = await session.scalar(select(func.count()).select_from(Attempt))
            outcomes = await session.scalar(
                select(func.count()).where(Lease.end_reason == LeaseEnd.OUTCOME)
            )
            return overlaps or 0, attempts or 0, outcomes or 0
    finally:
        await engine.dispose()


def test_two_hundred_operators_over_several_instances(database_url: str) -> None:
    floor = build_floor(database_url, operators=OPERATORS, contacts=2000)
    with live_server(database_url, workers=INSTANCES) as server:
        operator_tokens = floor.operator_tokens
        problems = asyncio.run(_floor(server.url, operator_tokens))
    assert problems == []
    overlaps, attempts, outcomes = asyncio.run(_overlapping_leases(database_url))
    assert overlaps == 0
    assert attempts == outcomes == OPERATORS * CALLS_EACH
