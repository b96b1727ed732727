"""Who the client is (X-Forwarded-For only from trusted proxies) and the hook URL's address."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from dialer.base.clock import utcnow
from dialer.base.models import Role
from dialer.base.settings import Settings
from tests.builders import PASSWORD, actor
from tests.builders_shifts import Clock
from tests.live import live_server

BURST = 200  # the hook's per-address burst (`HookLimits`), refilled at 20 a second
# Enough requests to spend a burst even as it refills, however slow the machine.
TRIES = 5 * BURST


def _addresses(count: int) -> list[str]:
    return [f"198.51.{n // 250}.{n % 250 + 1}" for n in range(count)]


def _flood(url: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=url) as http:
        return [
            http.get(
                f"/hooks/softphone/guess{n}/ringing", headers={"X-Forwarded-For": ip}
            ).status_code
            for n, ip in enumerate(forwarded)
        ]


def test_a_client_cannot_name_its_own_address_to_the_hook_limit(database_url: str) -> None:
    with live_server(database_url, cli=True) as server:
        codes = _flood(server.url, _addresses(TRIES))
    assert codes[:BURST] == [401] * BURST
    assert 429 in codes


def test_a_trusted_proxy_names_each_client(database_url: str) -> None:
    trusted = {"CASCADE_TRUSTED_PROXIES": "127.0.0.0/8, 10.0.0.1"}
    with live_server(database_url, cli=True, env=trusted) as server:
        # A client's own X-Forwarded-For comes first; the proxy appends the address it saw.
        spread = _flood(server.url, [f"6.6.6.6, {ip}" for ip in _addresses(TRIES)])
        one = _flood(server.url, ["203.0.113.7, 10.0.0.1"] * TRIES)
    assert set(spread) == {401}
    assert 429 in one


@asynccontextmanager
async def _app(settings: Settings, **changes: str) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(**{**settings.model_dump(), **changes}))
    async with application.router.lifespan_context(application):
        yield application


async def _rotate(app: FastAPI, operator_headers: dict[str, str], url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url) as client:
        return await client.post("/api/v1/me/hook-token", headers=operator_headers)


async def test_hook_urls_use_the_public_address_whatever_the_host_header(
    settings: Settings, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    async with _app(settings, public_url="https://cascade.example/floor/") as app:
        answer = await _rotate(app, operator.headers, "http://attacker.example")
    assert answer.status_code == 201
    token = answer.json()["hook_token"]
    assert answer.json()["hook_url"] == f"https://cascade.example/floor/hooks/softphone/{token}/"


async def test_without_a_public_address_only_a_loopback_request_names_it(
    settings: Settings, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    async with _app(settings, public_url="") as app:
        local = await _rotate(app, operator.headers, "http://127.0.0.1:8000")
        token = local.json()["hook_token"]
        assert local.json()["hook_url"] == f"http://127.0.0.1:8000/hooks/softphone/{token}/"
        forged = await _rotate(app, operator.headers, "http://attacker.example")
        assert forged.status_code == 409
        assert forged.json()["error"] == "public_url_unset"
        assert "CASCADE_PUBLIC_URL" in forged.json()["detail"]
        # Refused before anything changed: the token given out still posts events.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
        ) as local_client:
            kept = await local_client.get(f"/hooks/softphone/{token}/ringing")
    assert kept.status_code == 202


async def test_the_login_throttle_tells_clients_behind_a_trusted_proxy_apart(
    settings: Settings, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    async with _app(settings, trusted_proxies="127.0.0.1") as app:
        app.state.clock = Clock(utcnow())  # the waits do not run out while the test runs
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade.test") as proxy:

            async def log_in(password: str, forwarded: str) -> int:
                answer = await proxy.post(
                    "/api/v1/auth/token",
                    data={"username": operator.login, "password": password},
                    headers={"X-Forwarded-For": forwarded},
                )
                return answer.status_code

            guesses = [await log_in("wrong-password-1", "203.0.113.66") for _ in range(6)]
            assert guesses[-1] == 429
            assert await log_in(PASSWORD, "203.0.113.66") == 429
            assert await log_in(PASSWORD, "192.0.2.5") == 200


@pytest.mark.parametrize("value", ["cascade.example", "ftp://cascade.example", "https://"])
def test_a_public_address_that_is_not_one_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="CASCADE_PUBLIC_URL"):
        Settings(public_url=value)
