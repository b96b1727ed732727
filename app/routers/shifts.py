"""Shift templates, dated shifts, rosters and a supervisor's shift controls."""

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.deps import Now, Session, Staff
from app.schemas import Day, Model
from dialer.base.audit import record
from dialer.base.models import ShiftState, ShiftTemplate, User
from dialer.shifts.attendance import add_walk_in, set_roster
from dialer.shifts.dated import (
    By,
    ShiftView,
    Source,
    close_shift,
    pause_shift,
    resume_shift,
    shifts_between,
    view,
)
from dialer.shifts.templates import (
    TemplateSpec,
    create_template,
    deactivate_template,
    list_templates,
    update_template,
)

router = APIRouter(tags=["shifts"])

WallClock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["10:00"])]
Weekday = Annotated[int, Field(ge=1, le=7)]


class TemplateIn(Model):
    name: str = Field(min_length=1, max_length=100)
    start: WallClock
    end: WallClock
    weekdays: list[Weekday] = Field(default=[1, 2, 3, 4, 5], min_length=1, max_length=7)
    timezone: str = Field(default="Europe/Moscow", max_length=64)

    def spec(self) -> TemplateSpec:
        return TemplateSpec(
            name=self.name,
            start=time.fromisoformat(self.start),
            end=time.fromisoformat(self.end),
            weekdays=tuple(self.weekdays),
            timezone=self.timezone,
        )


class TemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    start: str
    end: str
    weekdays: list[int]
    timezone: str

    @classmethod
    def of(cls, t: ShiftTemplate) -> "TemplateOut":
        return cls(
            id=t.id,
            name=t.name,
            start=t.start.strftime("%H:%M"),
            end=t.end.strftime("%H:%M"),
            weekdays=t.weekdays,
            timezone=t.timezone,
        )


class ShiftFields(BaseModel):
    """What every answer about a shift says of it."""

    id: uuid.UUID
    template_id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    state: ShiftState


class ShiftOut(ShiftFields):
    roster: list[uuid.UUID]

    @classmethod
    def of(cls, v: ShiftView) -> "ShiftOut":
        """The shift, its instants written with the offset of its own zone."""
        zone = ZoneInfo(v.timezone)
        return cls(
            id=v.shift.id,
            template_id=v.shift.template_id,
            name=v.shift.name,
            starts_at=v.shift.starts_at.astimezone(zone),
            ends_at=v.shift.ends_at.astimezone(zone),
            state=v.shift.state,
            roster=v.roster,
        )


class ReasonIn(Model):
    reason: str = Field(min_length=1, max_length=500)


class RosterIn(Model):
    operator_ids: list[uuid.UUID] = Field(max_length=500)


class WalkInIn(Model):
    operator_id: uuid.UUID


def _t(template: ShiftTemplate) -> str:
    days = ",".join(str(d) for d in template.weekdays)
    start, end = f"{template.start:%H:%M}", f"{template.end:%H:%M}"
    return f"{template.name} {start}–{end} days {days} {template.timezone}"


def _by(user: User, reason: str | None = None) -> By:
    return By(Source.SUPERVISOR, user.id, reason)


@router.get("/shift-templates")
async def templates(session: Session, _staff: Staff) -> list[TemplateOut]:
    """The active shift templates."""
    return [TemplateOut.of(t) for t in await list_templates(session)]


@router.post("/shift-templates", status_code=201)
async def add_template(body: TemplateIn, session: Session, now: Now, staff: Staff) -> TemplateOut:
    """Add a template; its shifts exist at once, and one whose window contains now opens now."""
    created = await create_template(session, body.spec(), _by(staff), now)
    await record(session, staff, "template.create", "template", created.id, _t(created), now)
    return TemplateOut.of(created)


@router.put("/shift-templates/{template_id}")
async def change_template(
    template_id: uuid.UUID, body: TemplateIn, session: Session, now: Now, staff: Staff
) -> TemplateOut:
    """Change a template; every shift of it that has not ended follows at once."""
    changed = await update_template(session, template_id, body.spec(), _by(staff), now)
    await record(session, staff, "template.update", "template", changed.id, _t(changed), now)
    return TemplateOut.of(changed)


@router.delete("/shift-templates/{template_id}", status_code=204)
async def remove_template(
    template_id: uuid.UUID, session: Session, now: Now, staff: Staff
) -> Response:
    """Deactivate a template: its planned shifts go, a running one ends at its boundary."""
    await deactivate_template(session, template_id, now)
    await record(session, staff, "template.remove", "template", template_id, "removed", now)
    return Response(status_code=204)


@router.get("/shifts")
async def shifts(
    session: Session,
    now: Now,
    _staff: Staff,
    first: Annotated[Day | None, Query(alias="from")] = None,
    last: Annotated[Day | None, Query(alias="to")] = None,
) -> list[ShiftOut]:
    """Dated shifts whose local start date is in [from, to] (default: two weeks from today)."""
    first = first or now.date()
    last = last or first + timedelta(days=13)
    return [ShiftOut.of(v) for v in await shifts_between(session, first, last)]


@router.post("/shifts/{shift_id}/pause")
async def pause(
    shift_id: uuid.UUID, body: ReasonIn, session: Session, now: Now, staff: Staff
) -> ShiftOut:
    """Pause an open shift, with a reason: nobody on it dials until it resumes."""
    shift = await pause_shift(session, shift_id, _by(staff, body.reason), now)
    await record(session, staff, "shift.pause", "shift", shift_id, body.reason, now)
    return ShiftOut.of(await view(session, shift))


@router.post("/shifts/{shift_id}/resume")
async def resume(shift_id: uuid.UUID, session: Session, now: Now, staff: Staff) -> ShiftOut:
    """Resume a paused shift."""
    shift = await resume_shift(session, shift_id, _by(staff), now)
    await record(session, staff, "shift.resume", "shift", shift_id, "resumed", now)
    return ShiftOut.of(await view(session, shift))


@router.post("/shifts/{shift_id}/close")
async def close(shift_id: uuid.UUID, session: Session, now: Now, staff: Staff) -> ShiftOut:
    """Close an open or paused shift early; everyone on it is clocked out now."""
    shift = await close_shift(session, shift_id, _by(staff, "closed early"), now)
    await record(session, staff, "shift.close", "shift", shift_id, "closed early", now)
    return ShiftOut.of(await view(session, shift))


@router.put("/shifts/{shift_id}/roster")
async def roster(
    shift_id: uuid.UUID, body: RosterIn, session: Session, now: Now, staff: Staff
) -> ShiftOut:
    """Plan exactly these operators for the shift."""
    shift = await set_roster(session, shift_id, body.operator_ids, now)
    planned = await view(session, shift)
    summary = f"{planned.shift.name} {planned.shift.starts_at:%Y-%m-%d %H:%M}Z: "
    summary += f"{len(body.operator_ids)} operator(s) rostered"
    await record(session, staff, "shift.roster", "shift", shift_id, summary, now)
    return ShiftOut.of(planned)


@router.post("/shifts/{shift_id}/walk-ins")
async def walk_in(
    shift_id: uuid.UUID, body: WalkInIn, session: Session, now: Now, staff: Staff
) -> ShiftOut:
    """Add an operator who came without being planned to the shift's roster."""
    shift = await add_walk_in(session, shift_id, body.operator_id, now)
    summary = f"walk-in operator {body.operator_id}"
    await record(session, staff, "shift.walk_in", "shift", shift_id, summary, now)
    return ShiftOut.of(await view(session, shift))
