"""Liveness, readiness, metrics, request ids and the body size limit."""

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.observability import JsonFormatter, request_id
from dialer.base.clock import utcnow
from dialer.base.models import Role, SchedulerBeat
from tests.builders import actor


async def test_healthz_answers_while_the_process_lives(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_wants_a_fresh_scheduler_beat(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    without = await client.get("/readyz")
    assert without.status_code == 503
    assert without.json()["checks"] == {"database": True, "migrations": True, "scheduler": False}

    async with sessionmaker.begin() as session:
        session.add(SchedulerBeat(name="scheduler", beat_at=utcnow() - timedelta(minutes=5)))
    stale = await client.get("/readyz")
    assert stale.json()["checks"]["scheduler"] is False

    async with sessionmaker.begin() as session:
        beat = await session.get(SchedulerBeat, "scheduler")
        assert beat is not None
        beat.beat_at = utcnow()
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": True, "migrations": True, "scheduler": True},
    }


async def test_readyz_refuses_a_database_behind_the_code(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["migrations"] is False


async def test_metrics_expose_latency_and_queue_gauges(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await client.get("/api/v1/campaigns")
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    text = answer.text
    assert (
        'cascade_request_duration_seconds_count{method="GET",route="/api/v1/campaigns",status="401"}'
        in text
    )
    assert "cascade_queue_ready 0.0" in text
    assert "cascade_leases_active 0.0" in text


async def test_every_answer_carries_a_request_id(client: httpx.AsyncClient) -> None:
    fresh = await client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    given = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    hostile = await client.get("/healthz", headers={"X-Request-ID": "a b\nforged"})
    assert hostile.headers["x-request-id"] != "a b\nforged"


async def test_oversized_bodies_are_refused_before_they_are_read(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    huge = {"name": "x" * (2 << 20)}
    answer = await client.post("/api/v1/campaigns", json=huge, headers=admin.headers)
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"
    listed = await client.get("/api/v1/campaigns", headers=admin.headers)
    assert listed.json() == []


async def test_a_streamed_body_past_the_limit_is_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    answer = await client.post(
        "/api/v1/campaigns",
        content=chunks(),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413


@pytest.mark.parametrize("rid", ["req-1", None])
def test_log_lines_are_json_with_the_request_id(rid: str | None) -> None:
    token = request_id.set(rid)
    try:
        record = logging.LogRecord("cascade", logging.INFO, __file__, 1, "hello %s", ("там",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello там"
    assert line["level"] == "info"
    assert line.get("request_id") == rid
