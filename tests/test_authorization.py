"""The authorization matrix: every endpoint × every role.

Each operation of the service's OpenAPI has exactly one row saying which roles may call it. The
test calls every operation as every other role and expects 403; an endpoint added without a row
fails here, so every new feature states who may use it.
"""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.models import Desk, Role
from tests.builders import Actor, actor

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
}

PATH_VALUES = {"phone": "+74951234567"}


def operations(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the service documents."""
    return {
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }


def concrete(path: str) -> str:
    """The path with a placeholder for each parameter: an unknown id is fine, roles come first."""
    for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
        path = path.replace(f"{{{name}}}", PATH_VALUES.get(name, str(uuid.uuid4())))
    return path


async def test_every_endpoint_has_a_row(app: FastAPI) -> None:
    documented = operations(app)
    missing = sorted(documented - MATRIX.keys())
    stale = sorted(MATRIX.keys() - documented)
    assert missing == [], f"add these to MATRIX in {__file__}: {missing}"
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
