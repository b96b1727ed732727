"""Every error, unknown routes and bad bodies included, has the contract's one shape."""

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Role
from dialer.base.settings import Settings
from tests.builders import actor


async def test_unknown_route_is_a_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json() == {"error": "not_found", "detail": "There is no such resource."}


async def test_validation_errors_list_their_fields(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    answer = await client.post(
        "/api/v1/campaigns", json={"calling_window": {"start": "25:00"}}, headers=admin.headers
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_input"
    locations = [field["loc"] for field in body["fields"]]
    assert ["body", "name"] in locations
    assert ["body", "calling_window", "start"] in locations


async def test_malformed_json_is_a_422_not_a_500(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    answer = await client.post(
        "/api/v1/campaigns",
        content=b"{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"


async def test_a_pool_busy_past_its_timeout_answers_503_busy(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    operator = await actor(client, app.state.sessionmaker, Role.OPERATOR)
    engine = create_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        async with engine.connect():  # the only connection, held
            answer = await client.get("/api/v1/me", headers=operator.headers)
        assert answer.status_code == 503
        assert answer.json()["error"] == "busy"
        assert answer.headers["Retry-After"] == "1"
        # Free again: the same request is served.
        assert (await client.get("/api/v1/me", headers=operator.headers)).status_code == 200
    finally:
        await engine.dispose()
