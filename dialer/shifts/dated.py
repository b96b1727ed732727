"""Dated shifts: generated from the templates, moved through their states exactly once.

Every transition is one conditional UPDATE (`… WHERE state = <the state read>`): whoever
applies it first wins, anyone else finds nothing to update and does nothing. So two schedulers,
or a scheduler and a supervisor, can race on the same shift and each move happens once, logged
once in `shift_event`. The side effects of a transition (the shift's pause row, clocking
everyone out) happen in `transition` only, so the state and the rows never disagree.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from dialer.base.dialects import insert
from dialer.base.errors import InvalidInput, InvalidTransition, NotFound
from dialer.base.models import (
    Attendance,
    PauseReason,
    PauseScope,
    RosterEntry,
    Shift,
    ShiftEvent,
    ShiftState,
    ShiftTemplate,
)
from dialer.shifts.calendar import (
    LIVE,
    Schedule,
    can_transition,
    due_state,
    local_date,
    next_step,
    occurrences,
)
from dialer.shifts.pauses import end_pauses, start_pause

# How far ahead dated shifts exist, so that supervisors can roster them.
HORIZON = timedelta(days=14)
# The longest span `shifts_between` answers for, so one request cannot load years.
MAX_LIST_DAYS = 92


class Source(StrEnum):
    """What made a transition: the clock, or a person (a supervisor or an admin)."""

    SCHEDULER = "scheduler"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class By:
    """Who or what makes a transition, and why."""

    source: Source
    user_id: uuid.UUID | None = None
    reason: str | None = None


SCHEDULER = By(Source.SCHEDULER)

_CALENDAR_REASONS = {
    (ShiftState.PLANNED, ShiftState.OPEN): "the shift's start",
    (ShiftState.PLANNED, ShiftState.CLOSED): "the shift's window passed before it opened",
    (ShiftState.OPEN, ShiftState.CLOSED): "the shift's end",
    (ShiftState.PAUSED, ShiftState.CLOSED): "the shift's end",
}


@dataclass(frozen=True)
class ShiftView:
    """A shift with what its answer needs: the zone it is written in and its roster."""

    shift: Shift
    timezone: str
    roster: list[uuid.UUID]


def schedule_of(template: ShiftTemplate) -> Schedule:
    """The calendar rule of a template."""
    return Schedule(template.start, template.end, frozenset(template.weekdays), template.timezone)


async def transition(
    session: AsyncSession, shift: Shift, target: ShiftState, by: By, now: datetime
) -> bool:
    """Move the shift from the state it was read in to `target`; False if another did first."""
    current = shift.state
    if not can_transition(current, target):
        raise InvalidTransition(f"A {current.value} shift cannot become {target.value}.")
    moved = await session.scalar(
        update(Shift)
        .where(Shift.id == shift.id, Shift.state == current)
        .values(state=target)
        .returning(Shift.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        return False
    set_committed_value(shift, "state", target)
    await _follow(session, shift, current, target, by, now)
    reason = by.reason or _CALENDAR_REASONS.get((current, target))
    session.add(
        ShiftEvent(
            shift_id=shift.id,
            from_state=current,
            to_state=target,
            source=by.source.value,
            actor_id=by.user_id,
            reason=reason,
            at=now,
        )
    )
    await session.flush()
    return True


async def _follow(
    session: AsyncSession,
    shift: Shift,
    current: ShiftState,
    target: ShiftState,
    by: By,
    now: datetime,
) -> None:
    # A late close (the scheduler was down at the boundary) still ends at the boundary.
    at = min(now, shift.ends_at)
    if current is ShiftState.PAUSED:
        await end_pauses(session, PauseScope.SHIFT, shift.id, tuple(PauseReason), by.user_id, at)
    if target is ShiftState.PAUSED:
        await start_pause(
            session, PauseScope.SHIFT, shift.id, PauseReason.SUPERVISOR, by.reason, by.user_id, now
        )
    if target is ShiftState.CLOSED:
        await session.execute(
            update(Attendance)
            .where(Attendance.shift_id == shift.id, Attendance.clock_out_at.is_(None))
            .values(clock_out_at=at)
            .execution_options(synchronize_session=False)
        )


async def generate_shifts(
    session: AsyncSession, now: datetime, template_ids: list[uuid.UUID] | None = None
) -> int:
    """Create the dated shifts of the active templates up to the horizon; how many were new."""
    query = select(ShiftTemplate).where(ShiftTemplate.active.is_(True))
    if template_ids is not None:
        query = query.where(ShiftTemplate.id.in_(template_ids))
    created = 0
    for template in await session.scalars(query):
        created += await _generate(session, template, now)
    return created


async def _generate(session: AsyncSession, template: ShiftTemplate, now: datetime) -> int:
    wanted = occurrences(schedule_of(template), now, now + HORIZON)
    if not wanted:
        return 0
    # One shift per template per local day: a day that has one (moved, running with an end
    # a template change set, or closed early) gets no second.
    taken = {
        local_date(starts_at, template.timezone)
        for starts_at in await session.scalars(
            select(Shift.starts_at).where(
                Shift.template_id == template.id,
                Shift.starts_at >= wanted[0].starts_at - timedelta(days=1),
            )
        )
    }
    rows = [
        {
            "id": uuid.uuid4(),
            "template_id": template.id,
            "name": template.name,
            "starts_at": o.starts_at,
            "ends_at": o.ends_at,
            "state": ShiftState.PLANNED,
            "created_at": now,
        }
        for o in wanted
        if o.local_date not in taken
    ]
    if rows:
        # Two schedulers may generate at once: the unique (template, start) keeps one row.
        statement = insert(session, Shift).values(rows)
        await session.execute(
            statement.on_conflict_do_nothing(index_elements=["template_id", "starts_at"])
        )
    return len(rows)


async def reconcile(
    session: AsyncSession,
    now: datetime,
    by: By = SCHEDULER,
    template_ids: list[uuid.UUID] | None = None,
) -> int:
    """Generate shifts ahead and apply every transition the calendar says is due; how many.

    With `template_ids`, only the shifts of those templates: a person who changes one
    template moves its shifts, and leaves the others to the scheduler.
    """
    await generate_shifts(session, now, template_ids)
    query = select(Shift).where(Shift.state != ShiftState.CLOSED, Shift.starts_at <= now)
    if template_ids is not None:
        query = query.where(Shift.template_id.in_(template_ids))
    applied = 0
    for shift in await session.scalars(query.order_by(Shift.starts_at)):
        step = next_step(shift.state, due_state(shift.starts_at, shift.ends_at, now))
        if step is not None and await transition(session, shift, step, by, now):
            applied += 1
    return applied


async def get_shift(session: AsyncSession, shift_id: uuid.UUID) -> Shift:
    """One shift, or NotFound."""
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("There is no such shift.")
    return shift


async def views(
    session: AsyncSession, shifts: list[Shift], only: uuid.UUID | None = None
) -> list[ShiftView]:
    """The shifts with their zones and rosters, in two queries.

    With `only`, each roster holds that operator alone if it is on it: the shift as
    that operator sees it (the floor's roster is the supervisors' business, and on
    a floor of thousands it is thousands of ids).
    """
    ids = [s.id for s in shifts]
    # .all(): a Result has keys(), so dict() would take it for a mapping.
    zones = dict(
        (
            await session.execute(
                select(ShiftTemplate.id, ShiftTemplate.timezone).where(
                    ShiftTemplate.id.in_({s.template_id for s in shifts})
                )
            )
        ).all()
    )
    rosters: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    mine = () if only is None else (RosterEntry.operator_id == only,)
    entries = await session.execute(
        select(RosterEntry.shift_id, RosterEntry.operator_id)
        .where(RosterEntry.shift_id.in_(ids), *mine)
        .order_by(RosterEntry.added_at, RosterEntry.operator_id)
    )
    for shift_id, operator_id in entries:
        rosters[shift_id].append(operator_id)
    return [ShiftView(s, zones[s.template_id], rosters[s.id]) for s in shifts]


# No operator has this id: a view `only` for it has an empty roster.
NOBODY = uuid.UUID(int=0)


async def roster_size(session: AsyncSession, shift_id: uuid.UUID) -> int:
    """How many operators the shift's roster holds."""
    size = await session.scalar(
        select(func.count()).select_from(RosterEntry).where(RosterEntry.shift_id == shift_id)
    )
    return int(size or 0)


async def view(session: AsyncSession, shift: Shift, only: uuid.UUID | None = None) -> ShiftView:
    """One shift with its zone and roster (of `only` alone, when given)."""
    return (await views(session, [shift], only))[0]


async def shifts_between(session: AsyncSession, first: date, last: date) -> list[ShiftView]:
    """The shifts whose local start date, in their own zone, falls in [first, last]."""
    if last < first or (last - first).days >= MAX_LIST_DAYS:
        raise InvalidInput(
            f"Ask for between 1 and {MAX_LIST_DAYS} days, `from` not after `to`.",
            fields=[{"loc": ["query", "to"], "msg": "out of range"}],
        )
    # Zones run from UTC-12 to UTC+14: a day's margin each side catches every local date.
    low = datetime.combine(first - timedelta(days=1), time(), UTC)
    high = datetime.combine(last + timedelta(days=2), time(), UTC)
    rows = await session.execute(
        select(Shift, ShiftTemplate.timezone)
        .join(ShiftTemplate, ShiftTemplate.id == Shift.template_id)
        .where(Shift.starts_at >= low, Shift.starts_at < high)
        .order_by(Shift.starts_at, Shift.name)
    )
    shifts = [s for s, zone in rows if first <= local_date(s.starts_at, zone) <= last]
    return await views(session, shifts)


async def live_shifts(session: AsyncSession, now: datetime) -> list[Shift]:
    """The open or paused shifts whose window contains `now`."""
    return list(
        await session.scalars(
            select(Shift)
            .where(Shift.state.in_(LIVE), Shift.starts_at <= now, Shift.ends_at > now)
            .order_by(Shift.starts_at)
        )
    )


async def working_shift(session: AsyncSession, live: list[Shift]) -> Shift | None:
    """Of the live shifts, the one the floor works: the most operators clocked in, then the
    most rostered, then the earliest. Shifts overlap where templates do (a night shift
    beside a day's), and the earliest alone may be one nobody works."""
    if len(live) < 2:
        return live[0] if live else None
    ids = [s.id for s in live]
    clocked = await _per_shift(
        session,
        select(Attendance.shift_id, func.count())
        .where(Attendance.shift_id.in_(ids), Attendance.clock_out_at.is_(None))
        .group_by(Attendance.shift_id),
    )
    rostered = await _per_shift(
        session,
        select(RosterEntry.shift_id, func.count())
        .where(RosterEntry.shift_id.in_(ids))
        .group_by(RosterEntry.shift_id),
    )
    return min(live, key=lambda s: (-clocked.get(s.id, 0), -rostered.get(s.id, 0), s.starts_at))


async def _per_shift(
    session: AsyncSession, counted: Select[uuid.UUID, int]
) -> dict[uuid.UUID, int]:
    return dict((await session.execute(counted)).tuples().all())


async def pause_shift(session: AsyncSession, shift_id: uuid.UUID, by: By, now: datetime) -> Shift:
    """A supervisor pauses an open shift, with a reason."""
    return await _supervise(session, shift_id, ShiftState.PAUSED, by, now)


async def resume_shift(session: AsyncSession, shift_id: uuid.UUID, by: By, now: datetime) -> Shift:
    """A supervisor resumes a paused shift."""
    return await _supervise(session, shift_id, ShiftState.OPEN, by, now)


async def close_shift(session: AsyncSession, shift_id: uuid.UUID, by: By, now: datetime) -> Shift:
    """A supervisor closes an open or paused shift early; everyone is clocked out now."""
    return await _supervise(session, shift_id, ShiftState.CLOSED, by, now)


async def _supervise(
    session: AsyncSession, shift_id: uuid.UUID, target: ShiftState, by: By, now: datetime
) -> Shift:
    shift = await get_shift(session, shift_id)
    if shift.state is ShiftState.PLANNED or not await transition(session, shift, target, by, now):
        # Planned shifts belong to the calendar; a lost race means the state moved under us.
        raise InvalidTransition(f"A {shift.state.value} shift cannot become {target.value}.")
    return shift
