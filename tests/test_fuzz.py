"""Schemathesis against the live service's own OpenAPI, once per role: never a 5xx."""

from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.cli import run_in_session
from dialer.base.clock import utcnow
from dialer.base.models import Desk, Role
from dialer.base.settings import Settings
from dialer.base.users import NewUser, create_user
from tests.builders import PASSWORD
from tests.live import live_server

ROLES: list[tuple[Role, Desk | None]] = [
    (Role.OPERATOR, None),
    (Role.MANAGER, Desk.ACQUISITION),
    (Role.SUPERVISOR, None),
    (Role.ADMIN, None),
]
EXAMPLES_PER_OPERATION = 4


def _create_users(database_url: str) -> None:
    settings_ = Settings(database_url=database_url)

    async def work(session: Any) -> None:
        for role, desk in ROLES:
            await create_user(
                session, NewUser(role.value, PASSWORD, role.value, role, desk, 5), utcnow()
            )

    run_in_session(settings_, work)


def _token(base_url: str, login: str) -> str:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": login, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _fuzz(
    operation: Any, base_url: str, headers: dict[str, str], session: requests.Session
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url,
            session=session,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()


@pytest.mark.parametrize("role", [None, *(role for role, _ in ROLES)], ids=str)
def test_no_role_can_make_the_service_fail(production_database_url: str, role: Role | None) -> None:
    """Each role (and nobody) on a server of its own, so the roles can run side by side."""
    _create_users(production_database_url)
    failures = []
    with live_server(production_database_url) as server, requests.Session() as session:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        # Its 503 is its meaning, not a failure, and it takes no input.
        operations = [op for op in operations if op.path != "/readyz"]
        headers = {"Authorization": f"Bearer {_token(server.url, role.value)}"} if role else {}
        for operation in operations:
            try:
                _fuzz(operation, server.url, headers, session)
            except Exception as error:  # noqa: BLE001 - collect every failing operation
                name = f"{operation.method.upper()} {operation.path}"
                failures.append(f"{role}: {name}: {error}")
    assert failures == []


def test_unauthenticated_calls_are_refused(production_database_url: str) -> None:
    public = {"/healthz", "/readyz", "/metrics", "/api/v1/auth/token"}
    with live_server(production_database_url) as server, httpx.Client() as client:
        schema = client.get(f"{server.url}/openapi.json").json()
        refused = []
        for path, methods in schema["paths"].items():
            if path in public or path.startswith("/hooks/"):
                continue
            concrete = path.replace("{", "").replace("}", "")
            for method in methods:
                answer = client.request(method, f"{server.url}{concrete}", json={})
                refused.append((method, path, answer.status_code, answer.json().get("error")))
        assert refused, "the schema lists no protected operation"
        assert [r for r in refused if r[2:] != (401, "unauthenticated")] == []
