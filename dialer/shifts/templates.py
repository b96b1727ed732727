"""Shift templates: the weekly pattern shifts are generated from.

A new or changed template takes effect at once for every shift that has not ended: planned
shifts move to the new times (keeping their roster) or go when their day is dropped, a running
shift takes the new end, and a shift whose new window contains now opens now.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import InvalidInput, NotFound
from dialer.base.models import RosterEntry, Shift, ShiftState, ShiftTemplate
from dialer.contacts.campaigns import check_timezone
from dialer.shifts.calendar import LIVE, local_date, occurrence_on
from dialer.shifts.dated import By, reconcile, schedule_of


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    start: time
    end: time
    weekdays: tuple[int, ...]
    timezone: str = "Europe/Moscow"


def validate_spec(spec: TemplateSpec) -> None:
    """Refuse a template that cannot make shifts."""
    check_timezone(spec.timezone)
    if spec.start == spec.end:
        raise InvalidInput(
            "A shift cannot start and end at the same time.",
            fields=[{"loc": ["end"], "msg": "equals start"}],
        )
    if not spec.weekdays or any(d not in range(1, 8) for d in spec.weekdays):
        raise InvalidInput(
            "Weekdays are ISO numbers from 1 (Monday) to 7 (Sunday), at least one.",
            fields=[{"loc": ["weekdays"], "msg": "1 to 7, at least one"}],
        )


async def list_templates(session: AsyncSession) -> list[ShiftTemplate]:
    """The active templates, by start time."""
    return list(
        await session.scalars(
            select(ShiftTemplate)
            .where(ShiftTemplate.active.is_(True))
            .order_by(ShiftTemplate.start, ShiftTemplate.name)
        )
    )


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> ShiftTemplate:
    """One active template, or NotFound."""
    template = await session.get(ShiftTemplate, template_id)
    if template is None or not template.active:
        raise NotFound("There is no such shift template.")
    return template


async def create_template(
    session: AsyncSession, spec: TemplateSpec, by: By, now: datetime
) -> ShiftTemplate:
    """Add a template; its shifts exist at once and one whose window contains now opens."""
    validate_spec(spec)
    template = ShiftTemplate(
        name=spec.name,
        start=spec.start,
        end=spec.end,
        weekdays=sorted(set(spec.weekdays)),
        timezone=spec.timezone,
        active=True,
        created_at=now,
    )
    session.add(template)
    await session.flush()
    await reconcile(session, now, by, [template.id])
    return template


async def update_template(
    session: AsyncSession, template_id: uuid.UUID, spec: TemplateSpec, by: By, now: datetime
) -> ShiftTemplate:
    """Change a template; the change reaches every shift of it that has not ended."""
    validate_spec(spec)
    template = await get_template(session, template_id)
    old_zone = template.timezone
    template.name = spec.name
    template.start = spec.start
    template.end = spec.end
    template.weekdays = sorted(set(spec.weekdays))
    template.timezone = spec.timezone
    await session.flush()
    await _realign(session, template, old_zone, now)
    await reconcile(session, now, by, [template.id])
    return template


async def deactivate_template(session: AsyncSession, template_id: uuid.UUID, now: datetime) -> None:
    """Stop a template: its planned shifts go; a running one still ends at its boundary."""
    template = await get_template(session, template_id)
    template.active = False
    planned = await _unended(session, template.id, now, (ShiftState.PLANNED,))
    await _drop(session, [s.id for s in planned])


async def _unended(
    session: AsyncSession, template_id: uuid.UUID, now: datetime, states: tuple[ShiftState, ...]
) -> list[Shift]:
    return list(
        await session.scalars(
            select(Shift).where(
                Shift.template_id == template_id, Shift.state.in_(states), Shift.ends_at > now
            )
        )
    )


async def _realign(
    session: AsyncSession, template: ShiftTemplate, old_zone: str, now: datetime
) -> None:
    schedule = schedule_of(template)
    dropped = []
    states = (ShiftState.PLANNED, *LIVE)
    for shift in await _unended(session, template.id, now, states):
        new = occurrence_on(schedule, local_date(shift.starts_at, old_zone))
        shift.name = template.name
        if shift.state is ShiftState.PLANNED:
            if new is None:
                dropped.append(shift.id)
            else:
                shift.starts_at, shift.ends_at = new.starts_at, new.ends_at
        else:
            # A running shift keeps the start it really had; its end moves, at once if
            # its day was dropped, and the reconcile that follows closes it if now is past.
            shift.ends_at = new.ends_at if new else now
    await session.flush()
    await _drop(session, dropped)


async def _drop(session: AsyncSession, shift_ids: list[uuid.UUID]) -> None:
    # Planned shifts have no attendance, events or calls yet: only their roster goes with them.
    if shift_ids:
        await session.execute(delete(RosterEntry).where(RosterEntry.shift_id.in_(shift_ids)))
        await session.execute(delete(Shift).where(Shift.id.in_(shift_ids)))
