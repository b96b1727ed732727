"""The operator's next call: `POST /api/v1/dialer/next`."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from app.deps import AppSettings, Now, Session, Token, allowed, current_user
from app.errors import error_response
from app.idempotency import IdempotencyKey, idempotent
from app.routers.usual import usual_case_route, usual_token
from dialer.base.errors import QueueEmpty
from dialer.base.models import Role
from dialer.base.settings import Settings
from dialer.queue.catalog import Catalog
from dialer.queue.leases import (
    LeaseView,
    expire_leases,
    next_lease,
    permitted_lease,
    permitted_slots,
)
from dialer.queue.windows import local_time
from dialer.shifts.gate import may_dial


def get_catalog(request: Request) -> Catalog:
    """The process's catalog of active campaigns, built at start-up."""
    catalog: Catalog = request.app.state.catalog
    return catalog


def lease_json(lease: LeaseView, sip_domain: str | None, now: Any) -> dict[str, Any]:
    """A lease in the shape of API.md."""
    contact, campaign = lease.contact, lease.campaign
    dial = {"tel": f"tel:{contact.phone}"}
    if sip_domain:
        dial["sip"] = f"sip:{contact.phone}@{sip_domain}"
    callback = None
    if contact.callback_at is not None:
        callback = {
            "at": contact.callback_at.isoformat(),
            "scope": contact.callback_scope.value if contact.callback_scope else None,
            "operator_id": str(contact.callback_operator_id)
            if contact.callback_operator_id
            else None,
        }
    return {
        "lease_id": str(lease.lease_id),
        "expires_at": lease.expires_at.isoformat(),
        "attempt_no": lease.attempt_no,
        "contact": {
            "id": str(contact.id),
            "phone": contact.phone,
            "name": contact.name,
            "company": contact.company,
            "timezone": contact.timezone,
            "local_time": local_time(contact.timezone, now).isoformat(),
            "fields": contact.fields,
            "history": [past.as_json() for past in lease.history],
        },
        "campaign": {
            "id": str(campaign.id),
            "name": campaign.name,
            "script": campaign.script,
            "objections": campaign.objections,
            "questionnaire_fields": campaign.questionnaire_fields,
            # In the contact's zone: where a callback may be booked (and how far ahead).
            "calling_window": {
                "start": f"{campaign.window_start:%H:%M}",
                "end": f"{campaign.window_end:%H:%M}",
            },
            "callback_max_days": campaign.callback_max_days,
        },
        "callback": callback,
        "dial": dial,
    }


async def usual_case(request: Request) -> Response | None:
    """Next-call's usual case with the least machinery: a new lease, or None.

    On PostgreSQL, without an Idempotency-Key and with a bearer token of good signature,
    the statement that checks the token's user, the gate and the held lease and then
    claims runs in the claim lanes, beside the asks of other operators that came
    meanwhile. Everything else, and every refusal of that statement, is None:
    `next_call` then answers as it always has (the held lease, 401, 403, 409).
    """
    state = request.app.state
    now: datetime = state.clock()
    token = await usual_token(request, now)
    if token is None:
        return None
    settings: Settings = state.settings
    slots = await permitted_slots(state.sessionmaker, get_catalog(request), now)
    if not slots:
        return None
    leased = await permitted_lease(state.lanes, slots, token, now)
    if leased is None:
        return None
    return JSONResponse(lease_json(leased, settings.sip_domain, now))


# The router of next-call alone, so that its route class concerns no other route.
router = APIRouter(tags=["dialer"], route_class=usual_case_route(usual_case))


@router.post(
    "/dialer/next",
    responses={
        409: {
            "description": "Dialing refused now, or the queue is empty (see `why`); "
            "`operator_paused` says whose pause: `reason` `self` (its own break, with its "
            "`break_code`) or `supervisor`."
        }
    },
)
async def next_call(
    request: Request,
    session: Session,
    now: Now,
    token: Token,
    settings: AppSettings,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The operator's lease: the one it holds, or the next contact to call."""
    catalog = get_catalog(request)
    # Read once: a rollback below expires every loaded object, the operator included.
    operator_id = allowed(await current_user(session, token), Role.OPERATOR).id

    async def work() -> dict[str, Any]:
        permit = await may_dial(session, operator_id, now)
        lease = await next_lease(session, catalog, operator_id, permit.shift_id, now)
        return lease_json(lease, settings.sip_domain, now)

    async def once() -> JSONResponse:
        return await idempotent(session, operator_id, key, ("POST", "/dialer/next"), now, work)

    try:
        try:
            return await once()
        except IntegrityError:
            # The same operator asked twice at once: the other request's lease won
            # the unique index. Start over; this time that lease is found and returned.
            await session.rollback()
            return await once()
    except QueueEmpty as empty:
        # The refusal must not undo what the claim found on its way: overdue
        # leases are ended and their contacts returned (or sent to review) for good.
        await session.rollback()
        await expire_leases(session, now)
        return error_response(409, empty.code, empty.detail, **empty.extra)
