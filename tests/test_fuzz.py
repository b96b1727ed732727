"""Schemathesis against the live service's own OpenAPI, once per role: never a 5xx.

Two phases: every operation alone with generated input, and the stateful phase, where
schemathesis chains operations by the links it infers from the schema (a campaign
created, then read by its id; a shift template made, changed and removed) so that
generated input reaches real rows instead of 404s. Examples and steps are bounded so
that both run in a few minutes on either database.
"""

import contextlib
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
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
# The stateful phase: scenarios per role, each at most this many linked calls.
SCENARIOS = 12
STEPS = 6
# /readyz: its 503 is its meaning, not a failure, and it takes no input. Logging out would
# end the token the rest of the run uses (tests/test_auth.py covers it).
NOT_FUZZED = ["/readyz", "/api/v1/auth/logout"]
# A recording's body is bytes whatever its type: random bytes, as for any file.
for _audio in ("audio/wav", "audio/ogg", "audio/mpeg"):
    schemathesis.serializer.alias(_audio, "application/octet-stream")


def _schema(base_url: str) -> Any:
    """The service's own OpenAPI, read from it as a client would."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    # A live stream sends its first event at once and then waits for a change: read that
    # one, checked against its schema, rather than waiting out the read's 10 s for 20.
    schema.config.max_stream_events = 1
    return schema


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
        schema = _schema(server.url)
        operations = [result.ok() for result in schema.get_all_operations()]
        operations = [op for op in operations if op.path not in NOT_FUZZED]
        headers = {"Authorization": f"Bearer {_token(server.url, role.value)}"} if role else {}
        for operation in operations:
            try:
                _fuzz(operation, server.url, headers, session)
            except Exception as error:  # noqa: BLE001 - collect every failing operation
                name = f"{operation.method.upper()} {operation.path}"
                failures.append(f"{role}: {name}: {error}")
    assert failures == []


def _linked_scenarios(base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Run the stateful phase with these headers: how many calls it made, every 5xx it met."""
    schema = _schema(base_url).exclude(path=NOT_FUZZED)
    schema.config.update(base_url=base_url)
    machine = schema.as_state_machine()
    server_errors: list[str] = []
    calls = 0

    class AsRole(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            nonlocal calls
            calls += 1
            # Kept rather than raised, so that no scenario is replayed.
            if response.status_code >= 500:
                sent = f"{case.method} {case.formatted_path} {case.query} {case.body!r:.300}"
                server_errors.append(f"{sent} -> {response.status_code} {response.text[:300]}")

    # A scenario replayed against rows that moved on can take another path, which
    # Hypothesis reports as flaky; what the server answered is recorded above either way.
    with contextlib.suppress(Flaky):
        AsRole.run(
            settings=settings(
                max_examples=SCENARIOS,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )
    return calls, server_errors


def test_no_role_makes_the_service_fail_through_linked_operations(database_url: str) -> None:
    _create_users(database_url)
    failures = {}
    with live_server(database_url) as server:
        for role in [None, *(role for role, _ in ROLES)]:
            headers = {"Authorization": f"Bearer {_token(server.url, role.value)}"} if role else {}
            calls, failures[role] = _linked_scenarios(server.url, headers)
            # Every scenario is at least two linked calls.
            assert calls >= 2 * SCENARIOS, (role, calls)
    assert failures == dict.fromkeys(failures, [])


def test_the_stateful_phase_has_links_to_follow(production_database_url: str) -> None:
    with live_server(production_database_url) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        machine = schema.as_state_machine()
        links = {
            (source, link.target.label)
            for source, operation in machine._transitions.operations.items()
            for link in operation.outgoing
        }
        # Creating a campaign leads to reading it by its id, and so on.
        assert ("POST /api/v1/campaigns", "GET /api/v1/campaigns/{campaign_id}") in links


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
