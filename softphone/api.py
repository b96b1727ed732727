"""The service's public API as the connector uses it (API.md): nothing else, nothing internal.

Requests that fail on the way (connection refused, a timeout, a proxy's 502–504)
are tried again with a backoff until they get through: every request here is
safe to repeat (next-call returns the held lease, clock-in and heartbeats are
idempotent, the outcome carries an Idempotency-Key, a repeated event is kept once).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from softphone.backoff import Backoff

RETRIED_STATUSES = frozenset({502, 503, 504})


class ServiceError(Exception):
    """The service said no: its status, error code and sentence (API.md's error shape)."""

    def __init__(self, answer: httpx.Response) -> None:
        self.status = answer.status_code
        body = _json(answer)
        self.body = body
        self.code = str(body.get("error") or answer.status_code)
        self.detail = str(body.get("detail") or answer.text[:200])
        super().__init__(f"{self.status} {self.code}: {self.detail}")


class Unauthorized(ServiceError):
    """The token is refused and there is no password to get a new one."""


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class Lease:
    """The part of a lease the connector uses."""

    id: str
    phone: str
    name: str | None
    company: str | None
    expires_at: datetime
    dial: dict[str, str]
    objections: list[str]
    questionnaire_fields: list[dict[str, Any]]

    @classmethod
    def of(cls, body: dict[str, Any]) -> "Lease":
        contact, campaign = body["contact"], body["campaign"]
        return cls(
            id=body["lease_id"],
            phone=contact["phone"],
            name=contact.get("name"),
            company=contact.get("company"),
            expires_at=datetime.fromisoformat(body["expires_at"]),
            dial=dict(body.get("dial") or {}),
            objections=[o["code"] for o in campaign.get("objections") or []],
            questionnaire_fields=list(campaign.get("questionnaire_fields") or []),
        )


@dataclass(frozen=True)
class Refusal:
    """Why there is no call now (a 409 of next-call or clock-in), and when to ask again."""

    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def retry_after(self) -> float | None:
        value = self.extra.get("retry_after")
        return float(value) if isinstance(value, int | float) else None

    def describe(self) -> str:
        """One line for the operator: the code, its particulars, the service's sentence."""
        particulars = []
        if reason := self.extra.get("reason"):
            particulars.append(str(reason))
        why = self.extra.get("why")
        if isinstance(why, dict):
            particulars += [f"{k} {v}" for k, v in why.items() if v]
        said = f" ({', '.join(particulars)})" if particulars else ""
        return f"{self.code}{said}: {self.detail}"


@dataclass
class Credentials:
    login: str | None = None
    password: str | None = None
    token: str | None = None


class Service:
    """Cascade over HTTP, signed in as one operator."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        say: Callable[[str], None],
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.say = say
        self.backoff = backoff

    async def sign_in(self) -> None:
        """Get a token with the login and password, unless a token was given."""
        if self.credentials.password is None:
            if self.credentials.token is None:
                raise ValueError("a password or a token is needed")
            return
        form = {"username": self.credentials.login or "", "password": self.credentials.password}
        answer = await self._send("POST", "/api/v1/auth/token", data=form, signed=False)
        if answer.status_code != 200:
            raise ServiceError(answer)
        self.credentials.token = answer.json()["access_token"]

    async def me(self) -> dict[str, Any]:
        return _json(await self._expect(200, "GET", "/api/v1/me"))

    async def clock_in(self) -> Refusal | None:
        """Clock in to the open shift; a refusal when there is none or it is not ours."""
        answer = await self.request("POST", "/api/v1/shifts/current/clock-in")
        if answer.status_code in (403, 409):
            return _refusal(answer)
        if answer.status_code != 200:
            raise ServiceError(answer)
        return None

    async def next_call(self) -> Lease | Refusal:
        answer = await self.request("POST", "/api/v1/dialer/next")
        if answer.status_code == 409:
            return _refusal(answer)
        if answer.status_code != 200:
            raise ServiceError(answer)
        return Lease.of(answer.json())

    async def heartbeat(self, lease_id: str) -> datetime:
        """Extend the lease; its new end."""
        answer = await self._expect(200, "POST", f"/api/v1/leases/{lease_id}/heartbeat")
        return datetime.fromisoformat(answer.json()["expires_at"])

    async def post_event(self, body: dict[str, Any]) -> httpx.Response:
        return await self.request("POST", "/api/v1/softphone/events", json=body)

    async def lease_call(self, lease_id: str) -> dict[str, Any]:
        """The call as the service matched it, with its suggested disposition."""
        return _json(await self._expect(200, "GET", f"/api/v1/leases/{lease_id}/call"))

    async def outcome(self, lease_id: str, body: dict[str, Any]) -> dict[str, Any]:
        # One key per lease: a retry after a lost answer gets the first answer back.
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cascade-softphone-outcome:{lease_id}"))
        path = f"/api/v1/leases/{lease_id}/outcome"
        answer = await self._expect(200, "POST", path, json=body, headers={"Idempotency-Key": key})
        return _json(answer)

    async def put_recording(self, attempt_id: str, audio: bytes) -> httpx.Response:
        """Send an attempt's recording (Ogg Opus); sending the same audio again is harmless."""
        path = f"/api/v1/attempts/{attempt_id}/recording"
        headers = {"Content-Type": "audio/ogg"}
        return await self.request("PUT", path, content=audio, headers=headers)

    async def release(self, lease_id: str) -> None:
        await self._expect(200, "POST", f"/api/v1/leases/{lease_id}/release")

    async def _expect(self, status: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = await self.request(method, path, **kwargs)
        if answer.status_code != status:
            raise ServiceError(answer)
        return answer

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A signed request, signing in again once if the token expired."""
        answer = await self._send(method, path, **kwargs)
        if answer.status_code != 401:
            return answer
        if self.credentials.password is None:
            raise Unauthorized(answer)
        await self.sign_in()
        answer = await self._send(method, path, **kwargs)
        if answer.status_code == 401:
            raise Unauthorized(answer)
        return answer

    async def _send(
        self, method: str, path: str, *, signed: bool = True, **kwargs: Any
    ) -> httpx.Response:
        backoff = self.backoff()
        extra_headers = kwargs.pop("headers", None) or {}
        complained = False
        while True:
            headers = {**extra_headers, **self._authorization(signed)}
            try:
                answer = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                trouble = f"{type(error).__name__}: {error}"
            else:
                if answer.status_code not in RETRIED_STATUSES:
                    if complained:
                        self.say(f"service: reachable again ({method} {path})")
                    return answer
                trouble = f"{answer.status_code}"
            if not complained:
                self.say(f"service: unreachable ({trouble}); retrying {method} {path}")
                complained = True
            await backoff.wait()

    def _authorization(self, signed: bool) -> dict[str, str]:
        if not signed or not self.credentials.token:
            return {}
        return {"Authorization": f"Bearer {self.credentials.token}"}


def _refusal(answer: httpx.Response) -> Refusal:
    body = _json(answer)
    extra = {k: v for k, v in body.items() if k not in ("error", "detail")}
    return Refusal(str(body.get("error") or answer.status_code), str(body.get("detail", "")), extra)
