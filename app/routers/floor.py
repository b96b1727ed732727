"""The floor: the dialer's status and pause, operators' pauses and what each is doing now."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.deps import Counts, Now, Operator, Session, Sightings, Staff
from app.routers.shifts import ReasonIn, ShiftFields, ShiftOut
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.models import PauseReason
from dialer.queue.why import Standing
from dialer.reports.floor import DialerStatus, Reason, dialer_status
from dialer.reports.live import STATES, OperatorLive, live_operators
from dialer.shifts.attendance import get_operator
from dialer.shifts.breaks import take_break
from dialer.shifts.dated import ShiftView
from dialer.shifts.pauses import pause_dialer, pause_operator, resume_dialer, resume_operator

router = APIRouter(tags=["floor"])


class ReasonOut(BaseModel):
    """One active pause: of what, why (the supervisor's words), who, since when."""

    scope: str
    code: str
    reason: str | None
    break_code: str | None = Field(description="The kind of an operator's own break.")
    by: dict[str, Any] | None
    since: datetime

    @classmethod
    def of(cls, r: Reason) -> "ReasonOut":
        by = {"id": r.by_id, "name": r.by_name} if r.by_id else None
        return cls(
            scope=r.scope.value,
            code=r.code,
            reason=r.reason,
            break_code=r.break_code,
            by=by,
            since=r.since,
        )


class LiveShiftOut(ShiftFields):
    """The live shift in the dialer's status: its roster's size, not its ids."""

    rostered: int

    @classmethod
    def of(cls, v: ShiftView, rostered: int) -> "LiveShiftOut":
        return cls(**ShiftOut.of(v).model_dump(exclude={"roster"}), rostered=rostered)


def _waiting(s: Standing) -> dict[str, int]:
    return {
        "outside_calling_window": s.outside_calling_window,
        "retry_not_due": s.retry_not_due,
        "callback_not_due": s.callback_not_due,
    }


class CampaignNow(BaseModel):
    """A campaign's contacts callable now, and those waiting by reason."""

    id: uuid.UUID
    name: str
    callable_now: int
    waiting: dict[str, int]


class StatusOut(BaseModel):
    state: str
    reasons: list[ReasonOut]
    queue: dict[str, Any] = Field(
        description="`ready` counts contacts callable now (inside their calling window, "
        "due); `waiting` those that are not yet, by reason."
    )
    campaigns: list[CampaignNow]
    managers: dict[str, Any]
    # The MRK's side: working accounts against their capacity, and its own pause.
    clients: dict[str, Any]
    shift: LiveShiftOut | None

    @classmethod
    def of(cls, s: DialerStatus) -> "StatusOut":
        return cls(
            state=s.state,
            reasons=[ReasonOut.of(r) for r in s.reasons],
            queue={
                "ready": s.queue.ready,
                "leased": s.queue.leased,
                "callbacks_due": s.queue.callbacks_due,
                "waiting": _waiting(s.queue.waiting),
            },
            campaigns=[
                CampaignNow(id=c.id, name=c.name, callable_now=n.callable_now, waiting=_waiting(n))
                for c, n in s.campaigns
            ],
            managers=s.managers,
            clients=s.clients,
            shift=LiveShiftOut.of(s.shift, s.rostered) if s.shift else None,
        )


class LeaseBrief(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    since: datetime
    expires_at: datetime


class OperatorOut(BaseModel):
    id: uuid.UUID
    login: str
    name: str
    state: str = Field(description=", ".join(STATES))
    since: datetime | None = Field(description="The instant it entered that state.")
    break_code: str | None
    paused: bool = Field(description="The operator itself is paused (by a supervisor or a break).")
    reasons: list[ReasonOut] = Field(description="What keeps it from dialing now, oldest first.")
    shift_id: uuid.UUID | None = Field(description="This shift: that of its latest clock-in.")
    clocked_in: bool
    lease: LeaseBrief | None
    calls: int
    talk_seconds: int
    warm_questionnaires: int
    conversion: float | None = Field(description="Warm questionnaires per call this shift.")

    @classmethod
    def of(cls, o: OperatorLive) -> "OperatorOut":
        lease = o.lease
        brief = (
            LeaseBrief(
                id=lease.id,
                contact_id=lease.contact_id,
                since=lease.created_at,
                expires_at=lease.expires_at,
            )
            if lease
            else None
        )
        return cls(
            id=o.id,
            login=o.login,
            name=o.name,
            state=o.state,
            since=o.since,
            break_code=o.break_code,
            paused=o.paused,
            reasons=[ReasonOut.of(h) for h in o.holds],
            shift_id=o.shift_id,
            clocked_in=o.clocked_in,
            lease=brief,
            calls=o.counts.calls,
            talk_seconds=o.counts.talk_seconds,
            warm_questionnaires=o.counts.warm,
            conversion=o.counts.conversion,
        )


class BreakIn(Model):
    code: str | None = Field(default=None, min_length=1, max_length=32)
    reason: str | None = Field(default=None, max_length=500)


async def _one(
    session: Session, operator_id: uuid.UUID, now: datetime, seen: dict[uuid.UUID, datetime]
) -> OperatorOut:
    return OperatorOut.of((await live_operators(session, now, [operator_id], seen))[0])


@router.get("/dialer/status")
async def status(session: Session, now: Now, count: Counts, _staff: Staff) -> StatusOut:
    """Running or paused, every active reason, the queue, the managers and the live shift.

    The queue's standings may trail the contacts by a second or two (`app.counts`).
    """
    return StatusOut.of(await dialer_status(session, now, count))


@router.post("/dialer/pause")
async def pause(
    body: ReasonIn, session: Session, now: Now, count: Counts, staff: Staff
) -> StatusOut:
    """Pause all dialing, with a reason; it holds across shifts until resumed."""
    await pause_dialer(session, body.reason, staff.id, now)
    await record(session, staff, "dialer.pause", "dialer", None, body.reason, now)
    return StatusOut.of(await dialer_status(session, now, count))


@router.post("/dialer/resume")
async def resume(session: Session, now: Now, count: Counts, staff: Staff) -> StatusOut:
    """End a supervisor's pause of the dialer (a saturation pause lifts by itself)."""
    await resume_dialer(session, staff.id, now)
    await record(session, staff, "dialer.resume", "dialer", None, "resumed", now)
    return StatusOut.of(await dialer_status(session, now, count))


@router.get("/operators/live")
async def operators_live(
    session: Session, now: Now, seen: Sightings, _staff: Staff
) -> list[OperatorOut]:
    """Each operator: off, idle, on_lease or paused, its lease, its calls this shift."""
    return [OperatorOut.of(o) for o in await live_operators(session, now, seen=seen)]


@router.post("/operators/{operator_id}/pause")
async def pause_one(
    operator_id: uuid.UUID,
    body: ReasonIn,
    session: Session,
    now: Now,
    seen: Sightings,
    staff: Staff,
) -> OperatorOut:
    """Pause one operator, with a reason; it holds until resumed."""
    await get_operator(session, operator_id)
    await pause_operator(session, operator_id, PauseReason.SUPERVISOR, body.reason, staff.id, now)
    await record(session, staff, "operator.pause", "user", operator_id, body.reason, now)
    return await _one(session, operator_id, now, seen)


@router.post("/operators/{operator_id}/resume")
async def resume_one(
    operator_id: uuid.UUID, session: Session, now: Now, seen: Sightings, staff: Staff
) -> OperatorOut:
    """Resume one operator: ends a supervisor's pause and the operator's own break."""
    await get_operator(session, operator_id)
    codes = (PauseReason.SUPERVISOR, PauseReason.SELF)
    await resume_operator(session, operator_id, codes, staff.id, now)
    await record(session, staff, "operator.resume", "user", operator_id, "resumed", now)
    return await _one(session, operator_id, now, seen)


@router.post("/me/pause")
async def own_break(
    session: Session,
    now: Now,
    seen: Sightings,
    operator: Operator,
    body: Annotated[BreakIn | None, Body()] = None,
) -> OperatorOut:
    """An operator's own break, of a kind (`code`, paid or not per code): no numbers
    until it resumes. Without a code it is unpaid unless the service says otherwise."""
    code, reason = (body.code, body.reason) if body else (None, None)
    await take_break(session, operator.id, code, reason, now)
    summary = code or reason or "break"
    await record(session, operator, "operator.break", "user", operator.id, summary, now)
    return await _one(session, operator.id, now, seen)


@router.post("/me/resume")
async def end_break(session: Session, now: Now, seen: Sightings, operator: Operator) -> OperatorOut:
    """End the operator's own break; a supervisor's pause stays."""
    await resume_operator(session, operator.id, (PauseReason.SELF,), operator.id, now)
    await record(session, operator, "operator.back", "user", operator.id, "back from break", now)
    return await _one(session, operator.id, now, seen)
