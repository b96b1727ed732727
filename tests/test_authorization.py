"""The authorization matrix: every endpoint × every role × whose thing it names.

Each operation of the service's OpenAPI has exactly one row in MATRIX saying which roles may call
it, and one in OWNERSHIP saying whose thing its request names. The tests call every operation as
every other role and expect 403; and every operation that names a user's thing as another user of
the owner's role, expecting 403 or 404 and the thing unchanged, while the owner and the staff the
row allows still reach it. An endpoint added without its rows fails here, so every new feature
states who may use it and on whose things.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from tests import builders_owned
from tests.builders import Actor, actor
from tests.builders_owned import Thing

ADMIN, SUPERVISOR, MANAGER, OPERATOR = Role.ADMIN, Role.SUPERVISOR, Role.MANAGER, Role.OPERATOR
EVERYONE = frozenset(Role)
STAFF = frozenset({ADMIN, SUPERVISOR})
MANAGERS = frozenset({MANAGER, SUPERVISOR, ADMIN})
# Open to anyone on the network: logging in, and the probes a load balancer or Prometheus use.
PUBLIC = "public"
# Authenticated by a per-operator secret in the path instead of a bearer token.
HOOK_TOKEN = "hook-token"

MATRIX: dict[tuple[str, str], frozenset[Role] | str] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): EVERYONE,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/api/v1/me"): EVERYONE,
    ("POST", "/api/v1/users"): frozenset({ADMIN}),
    ("POST", "/api/v1/users/{user_id}/deactivate"): frozenset({ADMIN}),
    ("GET", "/api/v1/campaigns"): STAFF,
    ("POST", "/api/v1/campaigns"): STAFF,
    ("GET", "/api/v1/campaigns/{campaign_id}"): STAFF,
    ("PUT", "/api/v1/campaigns/{campaign_id}/active"): STAFF,
    ("POST", "/api/v1/dnc"): STAFF,
    ("GET", "/api/v1/dnc"): STAFF,
    ("DELETE", "/api/v1/dnc/{phone}"): STAFF,
    ("DELETE", "/api/v1/contacts/{contact_id}"): frozenset({ADMIN}),
    ("POST", "/api/v1/campaigns/{campaign_id}/imports"): STAFF,
    ("GET", "/api/v1/imports/{import_id}"): STAFF,
    ("GET", "/api/v1/questionnaires"): MANAGERS,
    ("GET", "/api/v1/questionnaires/{questionnaire_id}"): MANAGERS,
    ("POST", "/api/v1/questionnaires/{questionnaire_id}/status"): MANAGERS,
    ("POST", "/api/v1/questionnaires/{questionnaire_id}/assign"): STAFF,
    ("GET", "/api/v1/accounts"): MANAGERS,
    ("GET", "/api/v1/accounts/{account_id}"): MANAGERS,
    ("POST", "/api/v1/accounts/{account_id}/orders"): MANAGERS,
    ("POST", "/api/v1/accounts/{account_id}/strategic"): STAFF,
    ("GET", "/api/v1/reports/funnel"): STAFF,
    ("POST", "/api/v1/softphone/events"): frozenset({OPERATOR}),
    ("GET", "/api/v1/softphone/events"): frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    ("GET", "/api/v1/leases/{lease_id}/call"): frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    ("POST", "/api/v1/me/hook-token"): frozenset({OPERATOR}),
    ("GET", "/api/v1/me/hook-token"): frozenset({OPERATOR}),
    ("DELETE", "/api/v1/me/hook-token"): frozenset({OPERATOR}),
    ("POST", "/api/v1/operators/{operator_id}/hook-token"): STAFF,
    ("GET", "/api/v1/operators/{operator_id}/hook-token"): STAFF,
    ("DELETE", "/api/v1/operators/{operator_id}/hook-token"): STAFF,
    ("GET", "/hooks/softphone/{hook_token}/{event}"): HOOK_TOKEN,
    ("POST", "/hooks/softphone/{hook_token}/{event}"): HOOK_TOKEN,
    ("GET", "/api/v1/shift-templates"): STAFF,
    ("POST", "/api/v1/shift-templates"): STAFF,
    ("PUT", "/api/v1/shift-templates/{template_id}"): STAFF,
    ("DELETE", "/api/v1/shift-templates/{template_id}"): STAFF,
    ("GET", "/api/v1/shifts"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/pause"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/resume"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/close"): STAFF,
    ("PUT", "/api/v1/shifts/{shift_id}/roster"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/walk-ins"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/attendance"): STAFF,
    ("POST", "/api/v1/shifts/current/clock-in"): frozenset({OPERATOR}),
    ("POST", "/api/v1/shifts/current/clock-out"): frozenset({OPERATOR}),
    ("GET", "/api/v1/dialer/status"): STAFF,
    ("POST", "/api/v1/dialer/pause"): STAFF,
    ("POST", "/api/v1/dialer/resume"): STAFF,
    ("GET", "/api/v1/operators/live"): STAFF,
    ("POST", "/api/v1/operators/{operator_id}/pause"): STAFF,
    ("POST", "/api/v1/operators/{operator_id}/resume"): STAFF,
    ("POST", "/api/v1/me/pause"): frozenset({OPERATOR}),
    ("POST", "/api/v1/me/resume"): frozenset({OPERATOR}),
    ("GET", "/api/v1/reports/timesheet"): STAFF,
    ("POST", "/api/v1/dialer/next"): frozenset({OPERATOR}),
    ("POST", "/api/v1/leases/{lease_id}/heartbeat"): frozenset({OPERATOR}),
    ("POST", "/api/v1/leases/{lease_id}/outcome"): frozenset({OPERATOR}),
    ("POST", "/api/v1/leases/{lease_id}/release"): frozenset({OPERATOR}),
    ("GET", "/api/v1/users"): STAFF,
    ("PATCH", "/api/v1/users/{user_id}"): frozenset({ADMIN}),
    ("POST", "/api/v1/users/{user_id}/password"): frozenset({ADMIN}),
    ("POST", "/api/v1/me/password"): EVERYONE,
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): STAFF,
    ("GET", "/api/v1/campaigns/{campaign_id}/stats"): STAFF,
    ("GET", "/api/v1/campaigns/{campaign_id}/imports"): STAFF,
    ("GET", "/api/v1/imports/{import_id}/errors"): STAFF,
    ("GET", "/api/v1/contacts"): STAFF,
    ("GET", "/api/v1/contacts/{contact_id}"): STAFF,
    ("POST", "/api/v1/contacts/{contact_id}/release"): STAFF,
    ("POST", "/api/v1/contacts/{contact_id}/close"): STAFF,
    ("POST", "/api/v1/dnc/imports"): STAFF,
    ("GET", "/api/v1/audit"): STAFF,
    ("GET", "/api/v1/shifts/{shift_id}/attendance"): STAFF,
    ("PUT", "/api/v1/attendance/{attendance_id}"): STAFF,
    ("POST", "/api/v1/shifts/{shift_id}/attendance-records"): STAFF,
}


class Owner(StrEnum):
    """A kind of thing one user owns, which another user of the same role must not reach."""

    OPERATOR_LEASE = "an operator's lease"
    MANAGER_QUESTIONNAIRE = "a manager's questionnaire"
    MANAGER_ACCOUNT = "a manager's account"


OWNING_ROLE = {
    Owner.OPERATOR_LEASE: OPERATOR,
    Owner.MANAGER_QUESTIONNAIRE: MANAGER,
    Owner.MANAGER_ACCOUNT: MANAGER,
}


@dataclass(frozen=True)
class Owned:
    """The request names a user's thing: its id in the path, `{phone}` or `{owner}` elsewhere.

    `body` and `query` make a request the owner may make. A `filtered` operation lists things or
    matches them by number, so another user gets an answer without the thing, not 403 or 404.
    """

    owner: Owner
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    filtered: bool = False


REFUSALS = {(403, "forbidden"), (404, "not_found")}
OWNER = "owner"
# Acts on the caller alone: nothing in the request can name another user's thing.
CALLER = "caller"
# Names nothing a user owns: what staff run for everyone (campaigns, imports, shifts, users,
# operators' pauses and hook tokens), or what is public.
NOT_OWNED = "not owned"

LEASE = Owner.OPERATOR_LEASE
QUESTIONNAIRE = Owner.MANAGER_QUESTIONNAIRE
ACCOUNT = Owner.MANAGER_ACCOUNT
DIALING = {"event": "dialing", "number": "{phone}"}

OWNERSHIP: dict[tuple[str, str], Owned | str] = {
    ("POST", "/api/v1/auth/token"): NOT_OWNED,
    ("POST", "/api/v1/auth/logout"): CALLER,
    ("GET", "/healthz"): NOT_OWNED,
    ("GET", "/readyz"): NOT_OWNED,
    ("GET", "/metrics"): NOT_OWNED,
    ("GET", "/api/v1/me"): CALLER,
    ("POST", "/api/v1/users"): NOT_OWNED,
    ("POST", "/api/v1/users/{user_id}/deactivate"): NOT_OWNED,
    ("GET", "/api/v1/campaigns"): NOT_OWNED,
    ("POST", "/api/v1/campaigns"): NOT_OWNED,
    ("GET", "/api/v1/campaigns/{campaign_id}"): NOT_OWNED,
    ("PUT", "/api/v1/campaigns/{campaign_id}/active"): NOT_OWNED,
    ("POST", "/api/v1/dnc"): NOT_OWNED,
    ("GET", "/api/v1/dnc"): NOT_OWNED,
    ("DELETE", "/api/v1/dnc/{phone}"): NOT_OWNED,
    ("DELETE", "/api/v1/contacts/{contact_id}"): NOT_OWNED,
    ("POST", "/api/v1/campaigns/{campaign_id}/imports"): NOT_OWNED,
    ("GET", "/api/v1/imports/{import_id}"): NOT_OWNED,
    ("GET", "/api/v1/questionnaires"): Owned(QUESTIONNAIRE, filtered=True),
    ("GET", "/api/v1/questionnaires/{questionnaire_id}"): Owned(QUESTIONNAIRE),
    ("POST", "/api/v1/questionnaires/{questionnaire_id}/status"): Owned(
        QUESTIONNAIRE, body={"status": "in_progress"}
    ),
    ("POST", "/api/v1/questionnaires/{questionnaire_id}/assign"): Owned(
        QUESTIONNAIRE, body={"manager_id": None}
    ),
    ("GET", "/api/v1/accounts"): Owned(ACCOUNT, filtered=True),
    ("GET", "/api/v1/accounts/{account_id}"): Owned(ACCOUNT),
    ("POST", "/api/v1/accounts/{account_id}/orders"): Owned(ACCOUNT, body={"amount": "100.00"}),
    ("POST", "/api/v1/accounts/{account_id}/strategic"): Owned(ACCOUNT, body={}),
    ("GET", "/api/v1/reports/funnel"): NOT_OWNED,
    ("POST", "/api/v1/softphone/events"): Owned(LEASE, body=DIALING, filtered=True),
    ("GET", "/api/v1/softphone/events"): Owned(LEASE, query={"operator_id": "{owner}"}),
    ("GET", "/api/v1/leases/{lease_id}/call"): Owned(LEASE),
    ("POST", "/api/v1/me/hook-token"): CALLER,
    ("GET", "/api/v1/me/hook-token"): CALLER,
    ("DELETE", "/api/v1/me/hook-token"): CALLER,
    ("POST", "/api/v1/operators/{operator_id}/hook-token"): NOT_OWNED,
    ("GET", "/api/v1/operators/{operator_id}/hook-token"): NOT_OWNED,
    ("DELETE", "/api/v1/operators/{operator_id}/hook-token"): NOT_OWNED,
    ("GET", "/hooks/softphone/{hook_token}/{event}"): Owned(
        LEASE, query={"number": "{phone}"}, filtered=True
    ),
    ("POST", "/hooks/softphone/{hook_token}/{event}"): Owned(
        LEASE, query={"number": "{phone}"}, filtered=True
    ),
    ("GET", "/api/v1/shift-templates"): NOT_OWNED,
    ("POST", "/api/v1/shift-templates"): NOT_OWNED,
    ("PUT", "/api/v1/shift-templates/{template_id}"): NOT_OWNED,
    ("DELETE", "/api/v1/shift-templates/{template_id}"): NOT_OWNED,
    ("GET", "/api/v1/shifts"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/pause"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/resume"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/close"): NOT_OWNED,
    ("PUT", "/api/v1/shifts/{shift_id}/roster"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/walk-ins"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/attendance"): NOT_OWNED,
    ("POST", "/api/v1/shifts/current/clock-in"): CALLER,
    ("POST", "/api/v1/shifts/current/clock-out"): CALLER,
    ("GET", "/api/v1/dialer/status"): NOT_OWNED,
    ("POST", "/api/v1/dialer/pause"): NOT_OWNED,
    ("POST", "/api/v1/dialer/resume"): NOT_OWNED,
    ("GET", "/api/v1/operators/live"): NOT_OWNED,
    ("POST", "/api/v1/operators/{operator_id}/pause"): NOT_OWNED,
    ("POST", "/api/v1/operators/{operator_id}/resume"): NOT_OWNED,
    ("POST", "/api/v1/me/pause"): CALLER,
    ("POST", "/api/v1/me/resume"): CALLER,
    ("GET", "/api/v1/reports/timesheet"): NOT_OWNED,
    ("POST", "/api/v1/dialer/next"): CALLER,
    ("POST", "/api/v1/leases/{lease_id}/heartbeat"): Owned(LEASE),
    ("POST", "/api/v1/leases/{lease_id}/outcome"): Owned(LEASE, body={"disposition": "no_answer"}),
    ("POST", "/api/v1/leases/{lease_id}/release"): Owned(LEASE),
    ("GET", "/api/v1/users"): NOT_OWNED,
    ("PATCH", "/api/v1/users/{user_id}"): NOT_OWNED,
    ("POST", "/api/v1/users/{user_id}/password"): NOT_OWNED,
    ("POST", "/api/v1/me/password"): CALLER,
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): NOT_OWNED,
    ("GET", "/api/v1/campaigns/{campaign_id}/stats"): NOT_OWNED,
    ("GET", "/api/v1/campaigns/{campaign_id}/imports"): NOT_OWNED,
    ("GET", "/api/v1/imports/{import_id}/errors"): NOT_OWNED,
    ("GET", "/api/v1/contacts"): NOT_OWNED,
    ("GET", "/api/v1/contacts/{contact_id}"): NOT_OWNED,
    ("POST", "/api/v1/contacts/{contact_id}/release"): NOT_OWNED,
    ("POST", "/api/v1/contacts/{contact_id}/close"): NOT_OWNED,
    ("POST", "/api/v1/dnc/imports"): NOT_OWNED,
    ("GET", "/api/v1/audit"): NOT_OWNED,
    ("GET", "/api/v1/shifts/{shift_id}/attendance"): NOT_OWNED,
    ("PUT", "/api/v1/attendance/{attendance_id}"): NOT_OWNED,
    ("POST", "/api/v1/shifts/{shift_id}/attendance-records"): NOT_OWNED,
}

PATH_VALUES = {"phone": "+74951234567"}


def operations(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the service documents."""
    return {
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }


def parameters(path: str) -> list[str]:
    """The names of the path's parameters."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def concrete(path: str) -> str:
    """The path with a placeholder for each parameter: an unknown id is fine, roles come first."""
    for name in parameters(path):
        path = path.replace(f"{{{name}}}", PATH_VALUES.get(name, str(uuid.uuid4())))
    return path


@pytest.mark.parametrize("table", ["MATRIX", "OWNERSHIP"])
async def test_every_endpoint_has_a_row(app: FastAPI, table: str) -> None:
    rows = {"MATRIX": MATRIX, "OWNERSHIP": OWNERSHIP}[table]
    documented = operations(app)
    missing = sorted(documented - rows.keys())
    stale = sorted(rows.keys() - documented)
    assert missing == [], f"add these to {table} in {__file__}: {missing}"
    assert stale == [], f"these rows name endpoints that no longer exist: {stale}"


@pytest.fixture
async def actors(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[Role, Actor]:
    desks = {MANAGER: Desk.ACQUISITION}
    return {
        role: await actor(client, sessionmaker, role, desk=desks.get(role), capacity=5)
        for role in Role
    }


async def test_every_role_outside_its_row_is_forbidden(
    client: httpx.AsyncClient, actors: dict[Role, Actor]
) -> None:
    allowed_wrongly = []
    for (method, path), allowed in sorted(MATRIX.items()):
        if isinstance(allowed, str):
            continue
        for role in sorted(frozenset(Role) - allowed):
            answer = await client.request(
                method, concrete(path), json={}, headers=actors[role].headers
            )
            if answer.status_code != 403 or answer.json().get("error") != "forbidden":
                allowed_wrongly.append((method, path, role.value, answer.status_code))
    assert allowed_wrongly == []


async def test_every_protected_endpoint_wants_a_token(client: httpx.AsyncClient) -> None:
    let_through = []
    for (method, path), allowed in sorted(MATRIX.items()):
        if allowed in (PUBLIC, HOOK_TOKEN):
            continue
        answer = await client.request(method, concrete(path), json={})
        if answer.status_code != 401:
            let_through.append((method, path, answer.status_code))
    assert let_through == []


def owned_rows(owner: Owner) -> list[tuple[tuple[str, str], Owned]]:
    """The operations whose request names this kind of thing."""
    return [
        (operation, row)
        for operation, row in sorted(OWNERSHIP.items())
        if isinstance(row, Owned) and row.owner is owner
    ]


def callers(operation: tuple[str, str], owner: Owner) -> list[str]:
    """Who may reach the thing through the operation: its owner, and the staff MATRIX allows."""
    allowed = MATRIX[operation]
    if allowed == HOOK_TOKEN:
        return [OWNER]
    assert isinstance(allowed, frozenset)
    owners = [OWNER] if OWNING_ROLE[owner] in allowed else []
    return owners + [role.value for role in (SUPERVISOR, ADMIN) if role in allowed]


REACHING = [
    pytest.param(operation, caller, id=f"{operation[0]} {operation[1]} as {caller}")
    for owner in Owner
    for operation, _ in owned_rows(owner)
    for caller in callers(operation, owner)
]


async def build(
    owner: Owner,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Thing:
    """A fresh thing of the kind, with its owner, another user of the owner's role and staff."""
    if owner is Owner.OPERATOR_LEASE:
        return await builders_owned.operators_lease(app, client, sessionmaker)
    if owner is Owner.MANAGER_QUESTIONNAIRE:
        return await builders_owned.managers_questionnaire(sessionmaker)
    return await builders_owned.managers_account(client, sessionmaker)


async def call(
    client: httpx.AsyncClient, operation: tuple[str, str], thing: Thing, caller: Actor
) -> httpx.Response:
    """The operation's request on the thing, made by the caller."""
    method, path = operation
    row = OWNERSHIP[operation]
    assert isinstance(row, Owned)
    values = {"phone": thing.phone or "", "owner": str(thing.owner.id)}
    for name in parameters(path):
        if name == "hook_token":
            value = await hook_token(client, caller)
        elif name == "event":
            value = "dialing"
        else:
            value = str(thing.id)
        path = path.replace(f"{{{name}}}", value)
    body = {k: v.format(**values) if isinstance(v, str) else v for k, v in (row.body or {}).items()}
    query = {k: v.format(**values) for k, v in (row.query or {}).items()}
    return await client.request(
        method,
        path,
        params=query,
        json=body if row.body is not None else None,
        headers=caller.headers,
    )


async def hook_token(client: httpx.AsyncClient, operator: Actor) -> str:
    """A fresh hook token of the operator."""
    answer = await client.post("/api/v1/me/hook-token", headers=operator.headers)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["hook_token"]
    return token


def refused(answer: httpx.Response, thing: Thing, row: Owned) -> bool:
    """403 `forbidden` or 404 `not_found`; for a list or a match by number: no trace of it."""
    if answer.is_success:
        return row.filtered and str(thing.id) not in answer.text
    return (answer.status_code, answer.json().get("error")) in REFUSALS


@pytest.mark.parametrize("owner", list(Owner))
async def test_another_users_thing_is_out_of_reach(
    owner: Owner,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    thing = await build(owner, app, client, sessionmaker)
    reached = []
    for operation, row in owned_rows(owner):
        if OWNER not in callers(operation, owner):
            continue  # the owner's role may not call it at all: MATRIX's test covers it
        before = await thing.state()
        answer = await call(client, operation, thing, thing.another)
        if not refused(answer, thing, row) or await thing.state() != before:
            reached.append((*operation, answer.status_code))
    assert reached == []


@pytest.mark.parametrize(("operation", "caller"), REACHING)
async def test_the_owner_and_the_staff_reach_it(
    operation: tuple[str, str],
    caller: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    row = OWNERSHIP[operation]
    assert isinstance(row, Owned)
    thing = await build(row.owner, app, client, sessionmaker)
    before = await thing.state()
    who = thing.owner if caller == OWNER else thing.staff[Role(caller)]
    answer = await call(client, operation, thing, who)
    assert answer.is_success, answer.text
    # A read shows the thing; a write changes it.
    assert str(thing.id) in answer.text or await thing.state() != before
