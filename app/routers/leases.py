"""An operator's lease: heartbeat, outcome, release."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError

from app.deps import Now, Operator, Session
from app.idempotency import IdempotencyKey, idempotent
from app.routers.dialer import get_catalog
from app.routers.usual import usual_case_route, usual_token, usual_write
from app.schemas import Instant, Model
from dialer.base.db import driver_connection
from dialer.base.models import CallbackScope, Disposition
from dialer.queue.leases import heartbeat, release
from dialer.queue.outcomes import Outcome, record_outcome
from dialer.queue.usual_heartbeat import extend_usual
from dialer.queue.usual_outcome import record_usual

router = APIRouter(tags=["leases"])

LEASE_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The lease is another operator's."},
    404: {"description": "There is no such lease."},
    409: {"description": "`lease_expired`, or `lease_closed` (ended, or passed to another)."},
}


class ConsentIn(Model):
    given: bool
    scope: str = Field(default="offers", min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")


class OutcomeIn(Model):
    disposition: Disposition
    objection: str | None = Field(default=None, max_length=64)
    callback_at: Instant | None = None
    callback_scope: CallbackScope = CallbackScope.PERSONAL
    notes: str | None = Field(default=None, max_length=4000)
    questionnaire: dict[str, Any] | None = None
    consent: ConsentIn | None = None


async def usual_heartbeat(request: Request) -> Response | None:
    """A heartbeat's usual case (`dialer.queue.usual_heartbeat`): the answer, or None."""
    state = request.app.state
    now: datetime = state.clock()
    token = await usual_token(request, now)
    if token is None:
        return None
    try:
        lease_id = uuid.UUID(request.path_params["lease_id"])
    except ValueError:
        return None
    async with driver_connection(state.engine) as driver:
        expires_at = await extend_usual(driver, lease_id, token, now)
    return None if expires_at is None else JSONResponse({"expires_at": expires_at.isoformat()})


# The heartbeat's router alone, so that its route class concerns no other route.
heartbeat_router = APIRouter(tags=["leases"], route_class=usual_case_route(usual_heartbeat))


@heartbeat_router.post("/leases/{lease_id}/heartbeat", responses=LEASE_REFUSALS)
async def extend(
    lease_id: uuid.UUID,
    request: Request,
    session: Session,
    now: Now,
    operator: Operator,
) -> dict[str, str]:
    """Keep the lease: its new expiry."""
    expires_at = await heartbeat(session, get_catalog(request), lease_id, operator.id, now)
    return {"expires_at": expires_at.isoformat()}


def reported_in(body: bytes) -> OutcomeIn | None:
    """The outcome a body reports, read by the full route's own schema; None if invalid."""
    try:
        return OutcomeIn.model_validate_json(body)
    except ValidationError:
        return None


async def usual_outcome(request: Request) -> Response | None:
    """An outcome's usual case with the least machinery: the answer, or None.

    On PostgreSQL, with a bearer token of good signature, a JSON body the full route would
    accept and an Idempotency-Key or none, `dialer.queue.usual_outcome.record_usual` runs
    on a pooled driver connection outside any session. Everything else, and everything it
    refuses, is None: `outcome` then answers as it always has.
    """
    state = request.app.state
    now: datetime = state.clock()
    write = await usual_write(request, now, "lease_id")
    if write is None:
        return None
    body = reported_in(await request.body())
    if body is None:
        return None
    reported = Outcome(**body.model_dump())
    lease_id = write.target
    kept = write.kept(f"/leases/{lease_id}/outcome", body)
    async with driver_connection(state.engine) as driver:
        answer = await record_usual(
            driver, get_catalog(request), lease_id, write.token, reported, now, kept
        )
    return None if answer is None else JSONResponse(answer)


# The router of the outcome alone, so that its route class concerns no other route.
outcome_router = APIRouter(tags=["leases"], route_class=usual_case_route(usual_outcome))


@outcome_router.post("/leases/{lease_id}/outcome", responses=LEASE_REFUSALS)
async def outcome(
    lease_id: uuid.UUID,
    body: OutcomeIn,
    request: Request,
    session: Session,
    now: Now,
    operator: Operator,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record the call: `{"attempt_id", "contact_state", "next_call_at", "questionnaire_id"}`."""
    reported = Outcome(**body.model_dump())
    catalog = get_catalog(request)

    async def work() -> dict[str, Any]:
        return await record_outcome(session, catalog, lease_id, operator.id, reported, now)

    path = f"/leases/{lease_id}/outcome"
    fingerprint = ("POST", path, body.model_dump(mode="json"))
    return await idempotent(session, operator.id, key, fingerprint, now, work)


@router.post("/leases/{lease_id}/release", responses=LEASE_REFUSALS)
async def give_back(
    lease_id: uuid.UUID,
    session: Session,
    now: Now,
    operator: Operator,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Give the contact back to the queue unchanged, without a call."""

    async def work() -> dict[str, Any]:
        ended = await release(session, lease_id, operator.id, now)
        assert ended.ended_at is not None
        return {
            "lease_id": str(ended.id),
            "ended_at": ended.ended_at.isoformat(),
            "end_reason": "released",
        }

    path = f"/leases/{lease_id}/release"
    return await idempotent(session, operator.id, key, ("POST", path), now, work)
