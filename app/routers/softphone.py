"""Softphone call events: the operator's API, the hook URL, hook tokens, a lease's call."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from app.addresses import client_address, public_base_url
from app.deps import AppSettings, CurrentUser, Now, Operator, Session, Staff
from app.ratelimit import TokenBuckets
from app.routers.usual import usual_case_route, usual_token
from app.schemas import Instant, Model, Text
from dialer.base.audit import record
from dialer.base.db import driver_connection
from dialer.base.errors import Forbidden, InvalidInput, PublicUrlUnset, TooManyRequests
from dialer.base.models import Role, SoftphoneEvent, User
from dialer.base.settings import Settings
from dialer.calls.calls import CallEvent
from dialer.calls.events import (
    Aside,
    IncomingEvent,
    LeaseCall,
    Recorded,
    lease_call,
    list_events,
    record_event,
)
from dialer.calls.hooks import (
    MAX_TOKEN_LENGTH,
    has_hook_token,
    issue_hook_token,
    operator_for_hook_token,
    revoke_hook_token,
)
from dialer.calls.usual_event import keep_usual

router = APIRouter(tags=["softphone"])
hooks = APIRouter(tags=["softphone"])

HOOK_PATH = "/hooks/softphone"


class HookLimits:
    """Hook requests per client address and per token, counted before the token is checked.

    A call makes about four events; an operator makes a few calls a minute. A
    call centre often sits behind one address, so that limit is the wider one.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.per_address = TokenBuckets(per_second=20.0, burst=200)
        self.per_token = TokenBuckets(per_second=1.0, burst=30)

    def check(self, address: str, token: str) -> None:
        """Raise TooManyRequests when either limit is spent."""
        now = self.clock()
        wait = self.per_address.take(address, now) or self.per_token.take(
            token[:MAX_TOKEN_LENGTH], now
        )
        if wait is not None:
            raise TooManyRequests(retry_after=wait)


class EventIn(Model):
    event: CallEvent
    call_id: str | None = Field(default=None, max_length=255)
    number: str | None = Field(default=None, max_length=64)
    at: Instant | None = None
    reason: str | None = Field(default=None, max_length=255)


class EventAccepted(BaseModel):
    event_id: uuid.UUID
    lease_id: uuid.UUID | None
    matched: bool
    kept_aside: Aside | None = Field(
        description="Why the event found its lease but changed nothing: `outcome_recorded`, "
        "`lease_ended` or `outside_lease` (its time outside the lease's life by over a minute)."
    )

    @classmethod
    def of(cls, recorded: Recorded) -> "EventAccepted":
        row = recorded.row
        return cls(
            event_id=row.id,
            lease_id=row.lease_id,
            matched=row.lease_id is not None,
            kept_aside=recorded.aside,
        )


class HookAccepted(BaseModel):
    """What the hook answers: no lease id, the token reads nothing."""

    event_id: uuid.UUID
    matched: bool
    kept_aside: Aside | None


class EventOut(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    lease_id: uuid.UUID | None
    event: str
    call_id: str | None
    number: str | None
    reason: str | None
    at: datetime
    received_at: datetime

    @classmethod
    def of(cls, row: SoftphoneEvent) -> "EventOut":
        return cls.model_validate(row, from_attributes=True)


class LeaseCallOut(BaseModel):
    lease_id: uuid.UUID
    call_id: str | None
    dialed_at: datetime | None
    ringing_at: datetime | None
    answered_at: datetime | None
    hangup_at: datetime | None
    hangup_reason: str | None
    ring_seconds: float | None
    talk_seconds: float | None
    suggested_disposition: str | None
    events: list[EventOut]

    @classmethod
    def of(cls, call: LeaseCall) -> "LeaseCallOut":
        times = call.times
        ring_from = times.dialed or times.ringing
        ring_to = times.answered or times.hangup
        return cls(
            lease_id=call.lease_id,
            call_id=call.call_id,
            dialed_at=times.dialed,
            ringing_at=times.ringing,
            answered_at=times.answered,
            hangup_at=times.hangup,
            hangup_reason=times.reason,
            ring_seconds=_seconds(ring_from, ring_to),
            talk_seconds=_seconds(times.answered, times.hangup),
            suggested_disposition=call.suggestion.value if call.suggestion else None,
            events=[EventOut.of(e) for e in call.events],
        )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


class HookTokenOut(BaseModel):
    hook_token: str
    hook_url: str


class HookTokenState(BaseModel):
    active: bool


def _incoming(body: EventIn, now: datetime) -> IncomingEvent:
    return IncomingEvent(body.event, body.at or now, body.call_id, body.number, body.reason)


async def usual_event(request: Request) -> Response | None:
    """A softphone event's usual case (`dialer.calls.usual_event`): the answer, or None.

    Read by the full route's own schema; on PostgreSQL, without an Idempotency-Key, with a
    bearer token of good signature. Everything else, and every refusal, is None.
    """
    state = request.app.state
    now: datetime = state.clock()
    token = await usual_token(request, now)
    if token is None or not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = EventIn.model_validate_json(await request.body())
    except ValidationError:
        return None
    settings: Settings = state.settings
    async with driver_connection(state.engine) as driver:
        kept = await keep_usual(driver, token, _incoming(body, now), settings.default_region, now)
    if kept is None:
        return None
    event_id, lease_id = kept
    answer = {
        "event_id": str(event_id),
        "lease_id": str(lease_id),
        "matched": True,
        "kept_aside": None,
    }
    return JSONResponse(answer, status_code=202)


# The router of the operator's events alone, so that its route class concerns no other route.
events_router = APIRouter(tags=["softphone"], route_class=usual_case_route(usual_event))


@events_router.post("/softphone/events", status_code=202)
async def post_event(
    body: EventIn, session: Session, settings: AppSettings, now: Now, operator: Operator
) -> EventAccepted:
    """A call event from the operator's softphone (or its connector)."""
    recorded = await record_event(
        session, operator.id, _incoming(body, now), settings.default_region, now
    )
    return EventAccepted.of(recorded)


@router.get("/softphone/events")
async def events(
    session: Session,
    user: CurrentUser,
    unmatched: bool | None = None,
    operator_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventOut]:
    """Call events newest first; `unmatched=true` lists those no lease claimed."""
    if user.role is Role.OPERATOR:
        if operator_id not in (None, user.id):
            raise Forbidden("An operator sees only its own events.")
        operator_id = user.id
    elif user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden()
    rows = await list_events(session, operator_id=operator_id, unmatched=unmatched, limit=limit)
    return [EventOut.of(r) for r in rows]


@router.get("/leases/{lease_id}/call")
async def call_of_lease(lease_id: uuid.UUID, session: Session, user: CurrentUser) -> LeaseCallOut:
    """The lease's call as the softphone reported it, with the suggested disposition."""
    if user.role not in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden()
    return LeaseCallOut.of(await lease_call(session, lease_id, user))


def _hook_base(request: Request) -> str:
    """Where hook URLs point; checked before a token is made, so a refusal changes nothing."""
    base = public_base_url(request)
    if base is None:
        raise PublicUrlUnset()
    return f"{base}{HOOK_PATH}"


@router.post("/me/hook-token", status_code=201)
async def rotate_own_hook_token(
    request: Request, session: Session, settings: AppSettings, operator: Operator
) -> HookTokenOut:
    """A new hook token for the caller, replacing the old one; the secret is shown only now."""
    base = _hook_base(request)
    token = await issue_hook_token(session, settings.secret_key, operator.id)
    return HookTokenOut(hook_token=token, hook_url=f"{base}/{token}/")


@router.get("/me/hook-token")
async def own_hook_token(session: Session, operator: Operator) -> HookTokenState:
    """Whether the caller has a hook token (never the secret)."""
    return HookTokenState(active=await has_hook_token(session, operator.id))


@router.delete("/me/hook-token", status_code=204)
async def revoke_own_hook_token(session: Session, operator: Operator) -> Response:
    """Revoke the caller's hook token."""
    await revoke_hook_token(session, operator.id)
    return Response(status_code=204)


@router.post("/operators/{operator_id}/hook-token", status_code=201)
async def rotate_hook_token(
    operator_id: uuid.UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    staff: Staff,
) -> HookTokenOut:
    """A new hook token for an operator, replacing the old one; the secret is shown only now."""
    base = _hook_base(request)
    token = await issue_hook_token(session, settings.secret_key, operator_id)
    await record(session, staff, "hook_token.issue", "user", operator_id, "issued", now)
    return HookTokenOut(hook_token=token, hook_url=f"{base}/{token}/")


@router.get("/operators/{operator_id}/hook-token")
async def hook_token_state(operator_id: uuid.UUID, session: Session, _: Staff) -> HookTokenState:
    """Whether an operator has a hook token (never the secret)."""
    return HookTokenState(active=await has_hook_token(session, operator_id))


@router.delete("/operators/{operator_id}/hook-token", status_code=204)
async def revoke_hook(operator_id: uuid.UUID, session: Session, now: Now, staff: Staff) -> Response:
    """Revoke an operator's hook token."""
    await revoke_hook_token(session, operator_id)
    await record(session, staff, "hook_token.revoke", "user", operator_id, "revoked", now)
    return Response(status_code=204)


def hook_limits(request: Request) -> HookLimits:
    limits: HookLimits = request.app.state.hook_limits
    return limits


async def hook_operator(
    hook_token: str,
    request: Request,
    session: Session,
    settings: AppSettings,
    limits: Annotated[HookLimits, Depends(hook_limits)],
) -> User:
    """The operator of the hook token in the path, after the rate limits."""
    limits.check(client_address(request), hook_token)
    return await operator_for_hook_token(session, settings.secret_key, hook_token)


_instant: TypeAdapter[datetime] = TypeAdapter(Instant)


def _hook_event(event: str, at: str | None, now: datetime) -> tuple[CallEvent, datetime]:
    # Checked after the token, so that a request with a bad token learns nothing else.
    if event not in set(CallEvent):
        allowed = ", ".join(CallEvent)
        raise InvalidInput(
            f"The event must be one of {allowed}.",
            fields=[{"loc": ["path", "event"], "msg": f"one of {allowed}"}],
        )
    if at is None:
        return CallEvent(event), now
    try:
        return CallEvent(event), _instant.validate_python(at)
    except ValidationError as error:
        fields: list[dict[str, Any]] = [
            {"loc": ["query", "at"], "msg": e["msg"]} for e in error.errors()
        ]
        raise InvalidInput("The time is not valid.", fields=fields) from error


async def _hook(
    event: str,
    session: Session,
    settings: AppSettings,
    now: Now,
    operator: Annotated[User, Depends(hook_operator)],
    number: Annotated[Text | None, Query(max_length=64)] = None,
    call_id: Annotated[Text | None, Query(max_length=255)] = None,
    reason: Annotated[Text | None, Query(max_length=255)] = None,
    at: Annotated[Text | None, Query(max_length=64)] = None,
) -> HookAccepted:
    """A call event from a softphone that can only open a URL; the token names the operator."""
    kind, instant = _hook_event(event, at, now)
    incoming = IncomingEvent(kind, instant, call_id, number, reason)
    recorded = await record_event(session, operator.id, incoming, settings.default_region, now)
    row = recorded.row
    return HookAccepted(
        event_id=row.id, matched=row.lease_id is not None, kept_aside=recorded.aside
    )


# One handler for both methods, registered twice so each has its own OpenAPI operation:
# MicroSIP's curl and desk phones send GET, some softphones POST.
HOOK_ROUTE = f"{HOOK_PATH}/{{hook_token}}/{{event}}"
hooks.add_api_route(HOOK_ROUTE, _hook, methods=["GET"], status_code=202, name="hook_get")
hooks.add_api_route(HOOK_ROUTE, _hook, methods=["POST"], status_code=202, name="hook_post")


_HOOK_IN_PATH = re.compile(rf"({HOOK_PATH}/)[^/?\s]+")


class RedactHookTokens(logging.Filter):
    """Keep hook tokens out of the access log: the URL is the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _HOOK_IN_PATH.sub(r"\1<token>", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def redact_hook_tokens_in_access_log() -> None:
    """Install the redacting filter on the access loggers (ours and uvicorn's), once."""
    for name in ("cascade.access", "uvicorn.access"):
        access = logging.getLogger(name)
        if not any(isinstance(f, RedactHookTokens) for f in access.filters):
            access.addFilter(RedactHookTokens())
