"""Liveness, readiness, metrics, request ids and the body size limit."""

import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.observability import JsonFormatter, request_id
from dialer.base.clock import utcnow
from dialer.base.db import driver_connection
from dialer.base.models import Role, SchedulerBeat
from dialer.base.settings import SchedulerMode, Settings
from tests.builders import TEST_SECRET, actor
from tests.databases import SqliteDatabases


async def test_healthz_answers_while_the_process_lives(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_wants_a_fresh_scheduler_beat(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    without = await client.get("/readyz")
    assert without.status_code == 503
    assert without.json()["checks"] == {
        "database": True,
        "database_writable": True,
        "migrations": True,
        "scheduler": False,
    }

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
        "checks": {
            "database": True,
            "database_writable": True,
            "migrations": True,
            "scheduler": True,
        },
    }


async def _deny_writes(app: FastAPI, deny: bool) -> None:
    # SQLite keeps one connection per process: refusing writes on it is what a full disk or
    # a read-only file does to the service, with reads going on as before.
    def authorizer(action: int, *_: object) -> int:
        return sqlite3.SQLITE_DENY if action in WRITES else sqlite3.SQLITE_OK

    async with driver_connection(app.state.engine) as connection:
        await connection.set_authorizer(authorizer if deny else None)


WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}


async def test_readyz_says_not_ready_while_sqlite_cannot_be_written(
    sqlite_databases: SqliteDatabases,
) -> None:
    url = sqlite_databases.fresh()
    app = create_app(
        Settings(database_url=url, scheduler=SchedulerMode.OFF, secret_key=TEST_SECRET)
    )
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker.begin() as session:
            session.add(SchedulerBeat(name="scheduler", beat_at=utcnow()))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade.test") as client:
            assert (await client.get("/readyz")).status_code == 200
            await _deny_writes(app, True)
            full = await client.get("/readyz")
            await _deny_writes(app, False)
            again = await client.get("/readyz")
    assert full.status_code == 503
    assert full.json()["checks"]["database"] is True
    assert full.json()["checks"]["database_writable"] is False
    assert again.status_code == 200


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
