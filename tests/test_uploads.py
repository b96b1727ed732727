"""Uploads: the caller is checked before the body is read, and a body must arrive in time."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import observability
from dialer.base.models import ContactImport, Role
from tests.asgi import post_scope
from tests.builders import actor, campaign

BOUNDARY = "cascade-test-boundary"
# What the attack sent: a 315 MB body, answered 401 only once read whole.
DECLARED = 315 * 1000 * 1000


class Upload:
    """An ASGI request whose body the test hands over chunk by chunk, counting reads."""

    def __init__(
        self, path: str, headers: dict[str, str], chunks: list[bytes], *, ends: bool = False
    ) -> None:
        self.scope = post_scope(path, headers)
        self.chunks = chunks
        self.ends = ends
        self.reads = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        if self.reads <= len(self.chunks):
            last = self.reads == len(self.chunks)
            body = self.chunks[self.reads - 1]
            return {"type": "http.request", "body": body, "more_body": not (last and self.ends)}
        await asyncio.Event().wait()  # the client sends nothing more, and stays connected
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def run(self, app: FastAPI) -> tuple[int, dict[str, Any]]:
        # Only a guard, so that a service which waits for ever fails instead of hanging.
        async with asyncio.timeout(60):
            await app(self.scope, self.receive, self.send)
        status = next(m["status"] for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return status, json.loads(body)


def _upload_headers(token: str | None) -> dict[str, str]:
    headers = {
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "content-length": str(DECLARED),
    }
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


FIRST_PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="base.csv"\r\n'
    "Content-Type: text/csv\r\n\r\nphone;name\r\n+74951234567;Anna\r\n"
).encode()


async def _imports(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(ContactImport)) or 0


@pytest.mark.parametrize("role", [None, Role.OPERATOR, Role.MANAGER])
@pytest.mark.parametrize("upload_to", ["contacts", "do-not-call"])
async def test_an_upload_is_refused_before_its_body_is_read(
    role: Role | None,
    upload_to: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    staff = await actor(client, sessionmaker, Role.SUPERVISOR)
    target = await campaign(client, staff)
    path = (
        f"/api/v1/campaigns/{target['id']}/imports"
        if upload_to == "contacts"
        else "/api/v1/dnc/imports"
    )
    desk = {"desk": "acquisition"} if role is Role.MANAGER else {}
    caller = None if role is None else await actor(client, sessionmaker, role, **desk)  # type: ignore[arg-type]
    upload = Upload(
        path,
        _upload_headers(caller.token if caller else None),
        [FIRST_PART + f"--{BOUNDARY}--\r\n".encode()],
        ends=True,
    )
    status, body = await upload.run(app)
    assert (status, body["error"]) == (
        (401, "unauthenticated") if role is None else (403, "forbidden")
    )
    assert upload.reads == 0
    assert await _imports(sessionmaker) == 0


async def test_an_upload_that_stalls_is_answered_408_and_imports_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(observability, "STALL_SECONDS", 0.2)
    staff = await actor(client, sessionmaker, Role.SUPERVISOR)
    target = await campaign(client, staff)
    upload = Upload(
        f"/api/v1/campaigns/{target['id']}/imports", _upload_headers(staff.token), [FIRST_PART]
    )
    status, body = await upload.run(app)
    assert (status, body["error"]) == (408, "request_timeout")
    assert upload.reads == 2
    assert await _imports(sessionmaker) == 0


async def test_a_body_trickling_past_its_deadline_is_answered_408(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Bytes come, then none: the body's own deadline ends it before any pause would.
    monkeypatch.setattr(observability, "BODY_SECONDS", 0.2)
    staff = await actor(client, sessionmaker, Role.SUPERVISOR)
    upload = Upload(
        "/api/v1/campaigns",
        {"content-type": "application/json", "authorization": f"Bearer {staff.token}"},
        [b"{"] * 3,
    )
    status, body = await upload.run(app)
    assert (status, body["error"]) == (408, "request_timeout")
    names = [
        c["name"] for c in (await client.get("/api/v1/campaigns", headers=staff.headers)).json()
    ]
    assert names == []


async def test_a_streamed_answer_waits_for_the_client_as_long_as_it_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stream (the floor's live events) listens for the client leaving once the body is
    # in: that wait is the client's to end, never a body's deadline. With every bound at
    # zero, any wait still under one ends at the loop's next turn.
    monkeypatch.setattr(observability, "STALL_SECONDS", 0.0)
    monkeypatch.setattr(observability, "BODY_SECONDS", 0.0)
    heard: list[str] = []

    async def streaming(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "http.request"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        heard.append((await receive())["type"])
        await send({"type": "http.response.body", "body": b"bye"})

    reads = 0

    async def client_receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        if reads == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        for _ in range(10):  # the client stays for several turns of the loop, then leaves
            await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    upload = Upload("/api/v1/floor/stream", {}, [])
    middleware = observability.RequestMiddleware(streaming)  # type: ignore[arg-type]
    await middleware(upload.scope, client_receive, send)  # type: ignore[arg-type]
    assert heard == ["http.disconnect"]
    assert sent[0]["status"] == 200
