"""Logging in, tokens, the login throttle, passwords, logout and revocation."""

import asyncio
import threading
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base import users
from dialer.base.clock import utcnow
from dialer.base.db import driver_connection
from dialer.base.errors import Unauthenticated
from dialer.base.models import Desk, Role, User
from dialer.base.throttle import FREE_FAILURES
from tests.builders import PASSWORD, actor, login
from tests.builders_shifts import clock_at
from tests.databases import postgres_server_url


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


async def _try(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": login, "password": password})


async def test_failures_slow_the_pair_and_the_right_password_waits_at_most_a_minute(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    with clock_at(app, utcnow()) as clock:
        waits = []
        for _ in range(30):
            answer = await _try(client, operator.login, "wrong-password-1")
            if answer.status_code == 429:
                waits.append(int(answer.headers["Retry-After"]))
                assert answer.json()["error"] == "too_many_requests"
                clock.now += timedelta(seconds=waits[-1])
                answer = await _try(client, operator.login, "wrong-password-1")
            assert answer.status_code == 401
        # Growing waits, never past a minute: no lock.
        assert waits == sorted(waits)
        assert waits[0] == 1
        assert max(waits) == 60
        refused = await _try(client, operator.login, PASSWORD)
        assert refused.status_code == 429
        clock.now += timedelta(seconds=60)
        assert (await _try(client, operator.login, PASSWORD)).status_code == 200
        # A success forgets the pair: its free tries are back.
        for _ in range(FREE_FAILURES):
            assert (await _try(client, operator.login, "wrong-password-1")).status_code == 401


async def test_a_guesser_elsewhere_does_not_slow_the_person(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    with clock_at(app, utcnow()):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cascade.test"
        ) as guesser:
            for _ in range(10):
                await _try(guesser, operator.login, "wrong-password-1")
            assert (await _try(guesser, operator.login, PASSWORD)).status_code == 429
        assert (await _try(client, operator.login, PASSWORD)).status_code == 200


async def test_unknown_and_known_logins_are_answered_alike_as_they_slow_down(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    with clock_at(app, utcnow()):
        known = [await _try(client, operator.login, "wrong-password-1") for _ in range(6)]
        unknown = [await _try(client, "nobody-at-all", "wrong-password-1") for _ in range(6)]
    assert [a.status_code for a in known] == [a.status_code for a in unknown]
    assert [a.status_code for a in known][: FREE_FAILURES + 1] == [401] * (FREE_FAILURES + 1)
    assert known[-1].status_code == 429
    assert [a.json() for a in known] == [a.json() for a in unknown]
    assert [a.headers.get("Retry-After") for a in known] == [
        a.headers.get("Retry-After") for a in unknown
    ]


def test_an_unknown_login_is_checked_against_a_hash_as_dear_as_a_real_one() -> None:
    """The hash a login that does not exist is verified against carries the parameters of
    every hash the service makes (memory, passes, lanes), so it costs the same Argon2 work.
    The service hashes with Argon2's defaults (the tests' own hasher is a cheaper one)."""
    service = PasswordHasher()
    assert not service.check_needs_rehash(users.DUMMY_HASH)
    assert service.verify(users.DUMMY_HASH, "cascade-dummy-password")


async def test_the_password_is_checked_off_the_event_loop(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    release = threading.Event()
    entered = threading.Event()
    released: list[bool] = []

    class HeldHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            entered.set()
            # Waits for the test, which can only ask /healthz while the loop is free.
            released.append(release.wait(timeout=30))
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", HeldHasher())
    logging_in = asyncio.create_task(_try(client, operator.login, PASSWORD))
    assert await asyncio.to_thread(entered.wait, 30)
    health = await client.get("/healthz")
    release.set()
    assert health.status_code == 200
    assert (await logging_in).status_code == 200
    assert released == [True]


async def test_logins_are_unique_whatever_their_case(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    body = {"login": "Anna.Petrova", "password": PASSWORD, "role": "operator"}
    assert (await client.post("/api/v1/users", json=body, headers=admin.headers)).status_code == 201
    again = await client.post(
        "/api/v1/users", json={**body, "login": "anna.petrova"}, headers=admin.headers
    )
    assert again.status_code == 409
    assert again.json()["error"] == "login_taken"
    assert (await _try(client, "ANNA.PETROVA", PASSWORD)).status_code == 200


async def test_the_database_refuses_a_second_login_differing_in_case(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    async with sessionmaker.begin() as session:
        session.add(_user_row("night-shift", now))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(_user_row("Night-Shift", now))


def _user_row(login: str, now: datetime) -> User:
    return User(
        login=login, password_hash="!", name=login, role=Role.OPERATOR, active=True,
        token_version=0, created_at=now,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-one", "at least 10 characters"),
        ("abc", "at least 10 characters"),
        (" " * 12, "too common or too easy to guess"),
        ("password123", "too common or too easy to guess"),
        ("qwertyuiop", "too common or too easy to guess"),
        ("operator-anna-1", "must not contain the login"),
        ("ivan.ivanov", "must not contain the login"),
    ],
)
async def test_weak_passwords_are_refused_with_the_field(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    password: str,
    why: str,
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    login = "operator-anna" if "anna" in password else "ivan.ivanov"
    body = {"login": login, "password": password, "role": "operator"}
    answer = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_input"
    assert answer.json()["fields"] == [{"loc": ["password"], "msg": why}]
    async with sessionmaker() as session:
        assert await session.scalar(select(User.id).where(User.login == login)) is None


async def test_logout_ends_the_token_used_at_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    assert (await client.get("/api/v1/me", headers=operator.headers)).status_code == 200
    out = await client.post("/api/v1/auth/logout", headers=operator.headers)
    assert out.status_code == 204
    refused = await client.get("/api/v1/me", headers=operator.headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"
    assert (await client.post("/api/v1/auth/logout", headers=operator.headers)).status_code == 401
    fresh = await login(client, operator.login)
    assert (await client.get("/api/v1/me", headers=_bearer(fresh))).status_code == 200


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


async def test_an_admin_cannot_deactivate_itself(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Either way an admin would lock itself out, and the last admin everyone: another admin
    does it. Nothing changes, and the admin's token goes on working."""
    admin = await actor(client, sessionmaker, Role.ADMIN)
    other = await actor(client, sessionmaker, Role.ADMIN)
    for method, path, body in (
        ("POST", f"/api/v1/users/{admin.id}/deactivate", None),
        ("PATCH", f"/api/v1/users/{admin.id}", {"active": False}),
    ):
        refused = await client.request(method, path, json=body, headers=admin.headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "own_account"
    renamed = await client.patch(
        f"/api/v1/users/{admin.id}", json={"name": "Главный"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["active"] is True
    by_another = await client.post(f"/api/v1/users/{admin.id}/deactivate", headers=other.headers)
    assert by_another.status_code == 200, by_another.text
    assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 401


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
        "password": PASSWORD,
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
    body = {"login": "sneaky", "password": PASSWORD, "role": "admin"}
    answer = await client.post("/api/v1/users", json=body, headers=supervisor.headers)
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"


async def test_a_manager_needs_a_desk(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    body = {"login": "deskless", "password": PASSWORD, "role": "manager"}
    answer = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == ["desk"]


# The usual cases run on PostgreSQL alone: this test runs there only (CI gives it one).
@pytest.mark.parametrize(
    "database_url", ["postgresql"] if postgres_server_url() else [], indirect=True
)
async def test_the_usual_cases_caller_is_the_full_routes_caller(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # An operator's stream opens through `usual_user` on a driver connection: raced here
    # against the full route's `user_for_token`, for a good token and for each one the
    # full route refuses.
    now = utcnow()
    async with sessionmaker.begin() as session:
        kept = [
            _user_row("anna", now),
            _user_row("boris", now),
            _user_row("vera", now),
            User(
                login="mpk-1", password_hash="!", name="Mpk", role=Role.MANAGER,
                desk=Desk.ACQUISITION, capacity=7, hourly_rate=Decimal("410.50"), active=True,
                token_version=3, created_at=now,
            ),
        ]  # fmt: skip
        session.add_all(kept)
        await session.flush()
        anna, boris, vera, manager = (u.id for u in kept)
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == boris).values(token_version=1))
        await session.execute(update(User).where(User.id == vera).values(active=False))
    expires = (now + timedelta(hours=1)).timestamp()
    claims = [
        users.TokenClaims(anna, 0, expires),
        users.TokenClaims(manager, 3, expires),
        users.TokenClaims(boris, 0, expires),
        users.TokenClaims(vera, 0, expires),
        users.TokenClaims(uuid.uuid4(), 0, expires),
    ]
    columns = [c.key for c in User.__table__.columns]
    found = []
    for claim in claims:
        async with driver_connection(app.state.engine) as driver:
            usual = await users.usual_user(driver, claim)
        async with sessionmaker() as session:
            try:
                full: User | None = await users.user_for_token(session, claim)
            except Unauthenticated:
                full = None
        assert (usual is None) == (full is None)
        if usual is not None and full is not None:
            assert [getattr(usual, c) for c in columns] == [getattr(full, c) for c in columns]
            found.append((usual.id, usual.role, usual.desk))
    assert found == [(anna, Role.OPERATOR, None), (manager, Role.MANAGER, Desk.ACQUISITION)]
