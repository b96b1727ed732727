"""The live streams over real servers: a change made through one instance reaches a stream
served by another (PostgreSQL `LISTEN/NOTIFY`; on SQLite, one instance in process)."""

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx

from tests.floorsetup import add_staff, build_floor
from tests.live import LiveServer, live_server

# The floor's promise: a supervisor's pause shows on an idle console within two seconds.
WITHIN = 2.0


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """The stream's events as (name, data), comments skipped."""
    name, data = "message", []
    for line in lines:
        if line.startswith(":"):
            continue
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data.append(line.partition(":")[2].strip())


def two_instances(database_url: str, stack: ExitStack) -> tuple[LiveServer, LiveServer]:
    """Two servers on one PostgreSQL database; on SQLite, one serving both parts."""
    first = stack.enter_context(live_server(database_url))
    if database_url.startswith("sqlite"):
        return first, first
    return first, stack.enter_context(live_server(database_url))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_supervisors_pause_reaches_an_idle_console_served_by_another_instance(
    database_url: str,
) -> None:
    floor = build_floor(database_url, operators=1, contacts=0)
    operator = floor.operator_tokens[0]
    _, supervisor = add_staff(database_url)
    with ExitStack() as stack:
        pausing, serving = two_instances(database_url, stack)
        me = httpx.get(f"{serving.url}/api/v1/me", headers=bearer(operator)).json()
        operator_id = me["user"]["id"]
        # No byte for the promised time fails the read itself.
        timeout = httpx.Timeout(10.0, read=WITHIN)
        with httpx.stream(
            "GET", f"{serving.url}/api/v1/me/stream", headers=bearer(operator), timeout=timeout
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            received = events(stream.iter_lines())
            name, first = next(received)
            assert (name, first["live"]["state"], first) == (
                "me",
                "idle",
                me | {"live": first["live"]},
            )
            paused = httpx.post(
                f"{pausing.url}/api/v1/operators/{operator_id}/pause",
                json={"reason": "coaching at desk 4"},
                headers=bearer(supervisor),
            )
            assert paused.status_code == 200
            asked = time.monotonic()
            for _, body in received:
                if body["live"]["state"] == "paused":
                    break
            waited = time.monotonic() - asked
    assert waited < WITHIN
    assert [r["reason"] for r in body["live"]["reasons"]] == ["coaching at desk 4"]


def test_the_floor_stream_shows_an_operators_break_to_staff(database_url: str) -> None:
    floor = build_floor(database_url, operators=2, contacts=0)
    _, supervisor = add_staff(database_url)
    operator = floor.operator_tokens[1]
    with ExitStack() as stack:
        acting, serving = two_instances(database_url, stack)
        refused = httpx.get(f"{serving.url}/api/v1/floor/stream", headers=bearer(operator))
        assert refused.status_code == 403
        timeout = httpx.Timeout(10.0, read=WITHIN)
        with httpx.stream(
            "GET", f"{serving.url}/api/v1/floor/stream", headers=bearer(supervisor), timeout=timeout
        ) as stream:
            received = events(stream.iter_lines())
            name, first = next(received)
            assert name == "floor"
            assert {"status", "operators"} == set(first)
            assert first["status"]["state"] == "running"
            assert len(first["operators"]) == 2
            taken = httpx.post(f"{acting.url}/api/v1/me/pause", json={}, headers=bearer(operator))
            assert taken.status_code == 200
            mine = taken.json()["id"]
            for _, body in received:
                states = {o["id"]: o["state"] for o in body["operators"]}
                if states[mine] == "break":
                    break
    assert states[mine] == "break"
