"""Logging in, tokens, the login lock and revocation."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Role
from tests.builders import PASSWORD, actor


async def test_login_gives_a_token_that_opens_me(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    answer = await client.get("/api/v1/me", headers=operator.headers)
    assert answer.status_code == 200
    assert answer.json()["user"]["login"] == operator.login
    assert answer.json()["role"] == "operator"


async def test_wrong_password_and_unknown_login_get_the_same_answer(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    wrong = await client.post(
        "/api/v1/auth/token", data={"username": operator.login, "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody-here", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "unauthenticated"


async def test_ten_failed_logins_lock_the_login(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    for _ in range(10):
        answer = await client.post(
            "/api/v1/auth/token", data={"username": operator.login, "password": "wrong-pass"}
        )
        assert answer.status_code == 401
    locked = await client.post(
        "/api/v1/auth/token", data={"username": operator.login, "password": PASSWORD}
    )
    assert locked.status_code == 401
    assert locked.json()["error"] == "login_locked"


async def test_nine_failures_then_the_right_password_still_logs_in(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    for _ in range(9):
        await client.post(
            "/api/v1/auth/token", data={"username": operator.login, "password": "wrong-pass"}
        )
    answer = await client.post(
        "/api/v1/auth/token", data={"username": operator.login, "password": PASSWORD}
    )
    assert answer.status_code == 200


async def test_deactivation_revokes_tokens_at_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    assert (await client.get("/api/v1/me", headers=operator.headers)).status_code == 200
    answer = await client.post(f"/api/v1/users/{operator.id}/deactivate", headers=admin.headers)
    assert answer.status_code == 200
    refused = await client.get("/api/v1/me", headers=operator.headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"
    again = await client.post(
        "/api/v1/auth/token", data={"username": operator.login, "password": PASSWORD}
    )
    assert again.status_code == 401


async def test_forged_and_missing_tokens_are_refused(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/me")
    forged = await client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def"})
    assert missing.status_code == forged.status_code == 401
    assert missing.json()["error"] == "unauthenticated"


async def test_admin_creates_users_and_logins_are_unique(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    body = {
        "login": "mpk-anna",
        "password": "long-enough",
        "name": "Anna",
        "role": "manager",
        "desk": "acquisition",
        "capacity": 12,
    }
    created = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["desk"] == "acquisition"
    again = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "login_taken"


async def test_only_admins_create_users(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    body = {"login": "sneaky", "password": "long-enough", "role": "admin"}
    answer = await client.post("/api/v1/users", json=body, headers=supervisor.headers)
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"


async def test_a_manager_needs_a_desk(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    body = {"login": "deskless", "password": "long-enough", "role": "manager"}
    answer = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == ["desk"]
