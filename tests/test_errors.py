"""Every error, unknown routes and bad bodies included, has the contract's one shape."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.models import Role
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
