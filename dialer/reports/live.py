"""Each operator now: its state and since when, what keeps it paused, and this shift's numbers.

States, first that applies:

- `off`: not clocked in to a live shift (since its last clock-out);
- `offline`: clocked in, but no request and no open stream for `OFFLINE_AFTER`;
- `on_lease`, `ringing`, `talking`, `wrap_up`: holding a lease, by the softphone's last event
  for it (none yet, dialing or ringing, answered, hung up with no outcome yet);
- `break`: its own break, with the break's code;
- `paused`: a supervisor's pause of the operator, its shift's or the dialer's;
- `idle`: ready for a number (since clock-in, its last outcome or the last pause's end).

"This shift" is the shift of its latest clock-in in the last `SHIFT_LOOKBACK`, so the
numbers stay on the board after it clocks out.

The whole floor is read once a second per process while a stream is open (`app.live`), so
it reads plain rows into values, not mapped objects: loading thousands of those is the
floor's largest cost, and values compare equal when nothing changed, which lets a stream
skip an operator whose state did not move. A large floor's values are made in a worker
thread (`off_the_loop`): made on the loop, 3,000 operators held it for 40–50 ms each second,
and every request in flight in that process waited for them.
"""

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.db import GENERIC_PLANS
from dialer.base.dialects import seconds_between
from dialer.base.models import (
    Attempt,
    Attendance,
    Disposition,
    Lease,
    OperatorPresence,
    Pause,
    PauseReason,
    PauseScope,
    Role,
    Shift,
    ShiftState,
    SoftphoneEvent,
    User,
)
from dialer.reports.floor import Reason
from dialer.shifts.dated import live_shifts
from dialer.shifts.gate import DIALER_TARGET

OFFLINE_AFTER = timedelta(seconds=30)
# From this many operators on, their values are made in a worker thread (`off_the_loop`).
LARGE_FLOOR = 200
SHIFT_LOOKBACK = timedelta(hours=16)
STATES = (
    "off",
    "idle",
    "on_lease",
    "ringing",
    "talking",
    "wrap_up",
    "break",
    "paused",
    "offline",
)
CALL_STATES = {
    "dialing": "ringing",
    "ringing": "ringing",
    "answered": "talking",
    "hangup": "wrap_up",
}


@dataclass(frozen=True)
class ShiftCounts:
    calls: int = 0
    talk_seconds: int = 0
    warm: int = 0
    last_at: datetime | None = None

    @property
    def conversion(self) -> float | None:
        """Warm questionnaires per call, as the funnel counts it; None before any call."""
        return round(self.warm / self.calls, 4) if self.calls else None


@dataclass(frozen=True)
class Held:
    """The lease an operator holds, as the floor shows it."""

    id: uuid.UUID
    contact_id: uuid.UUID
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Clocked:
    """An operator's clock-in: its shift, and when it clocked in and (if it did) out."""

    shift_id: uuid.UUID
    clock_in_at: datetime
    clock_out_at: datetime | None


@dataclass(frozen=True)
class OperatorLive:
    """One operator now."""

    id: uuid.UUID
    login: str
    name: str
    state: str
    since: datetime | None
    shift_id: uuid.UUID | None
    clocked_in: bool
    lease: Held | None
    holds: tuple[Reason, ...]
    counts: ShiftCounts
    # Which of its tokens work: its stream ends once the one it opened with no longer does.
    token_version: int

    @property
    def paused(self) -> bool:
        """The operator itself is paused (by a supervisor or its own break)."""
        return any(h.scope is PauseScope.OPERATOR for h in self.holds)

    @property
    def break_code(self) -> str | None:
        return next((h.break_code for h in self.holds if h.code == PauseReason.SELF), None)


@dataclass
class _Floor:
    live: dict[uuid.UUID, Shift]
    latest: dict[uuid.UUID, Clocked] = field(default_factory=dict)
    leases: dict[uuid.UUID, Held] = field(default_factory=dict)
    calls: dict[uuid.UUID, tuple[str, datetime]] = field(default_factory=dict)
    holds: dict[uuid.UUID, list[Reason]] = field(default_factory=dict)
    resumed: dict[uuid.UUID, datetime] = field(default_factory=dict)
    seen: dict[uuid.UUID, datetime] = field(default_factory=dict)
    counts: dict[uuid.UUID, ShiftCounts] = field(default_factory=dict)


# An attempt is written once, stamped with its request's instant, and committed with that
# request: one stamped this long ago is settled, and the floor's tally keeps its counts.
SETTLED_AFTER = timedelta(minutes=5)
SETTLE_STEP = timedelta(minutes=1)

Key = tuple[uuid.UUID, uuid.UUID | None]


@dataclass(frozen=True)
class _Sum:
    """An operator's attempts of a shift, summed; talk time kept unrounded until shown."""

    calls: int = 0
    seconds: float = 0.0
    warm: int = 0
    last_at: datetime | None = None

    def plus(self, other: "_Sum") -> "_Sum":
        lasts = [t for t in (self.last_at, other.last_at) if t is not None]
        return _Sum(
            self.calls + other.calls,
            self.seconds + other.seconds,
            self.warm + other.warm,
            max(lasts, default=None),
        )


def _merged(kept: Mapping[Key, _Sum], recent: Mapping[Key, _Sum]) -> dict[Key, _Sum]:
    both = dict(kept)
    for key, more in recent.items():
        both[key] = both.get(key, _Sum()).plus(more)
    return both


@dataclass
class Tally:
    """The floor's counts of its shifts' settled attempts, kept from one snapshot to the
    next (the hub's, `app.live`), so that each snapshot reads only the attempts of the last
    minutes: a four-hour shift of a thousand operators is 240,000 attempts, and summing
    them all once a second per process took over a tenth of a second of the database."""

    shifts: frozenset[uuid.UUID | None] = frozenset()
    until: datetime | None = None
    kept: dict[Key, _Sum] = field(default_factory=dict)

    async def sums(
        self, session: AsyncSession, shifts: frozenset[uuid.UUID | None], now: datetime
    ) -> dict[Key, _Sum]:
        cut = now - SETTLED_AFTER
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            # Planned for the instants given: a generic plan cannot know that "since" is
            # a few minutes ago and walks the whole shift (30 ms at 240,000 attempts,
            # 0.1 ms through the index by instant).
            await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        if shifts != self.shifts or self.until is None or cut < self.until:
            # Other shifts, or the clock went back (the tests move it): sum them afresh.
            self.kept = await _sums(session, shifts, None, until=cut)
            self.shifts, self.until = shifts, cut
        elif cut - self.until >= SETTLE_STEP:
            settled = await _sums(session, shifts, None, since=self.until, until=cut)
            merged = await off_the_loop(len(self.kept), _merged, self.kept, settled)
            self.kept, self.until = merged, cut
        recent = await _sums(session, shifts, None, since=self.until)
        if postgres:
            await session.execute(text(f"SET LOCAL plan_cache_mode = {GENERIC_PLANS}"))
        return await off_the_loop(len(self.kept), _merged, self.kept, recent)


async def live_operators(
    session: AsyncSession,
    now: datetime,
    operator_ids: list[uuid.UUID] | None = None,
    seen: Mapping[uuid.UUID, datetime] | None = None,
    tally: Tally | None = None,
    live: list[Shift] | None = None,
) -> list[OperatorLive]:
    """Every active operator (or these), in name order, as it stands now.

    `seen` adds sightings the database may not have yet (this process's, not yet written);
    `tally` keeps the whole floor's settled counts between calls (see `Tally`); `live` the
    live shifts, if the caller has read them.
    """
    query = select(User.id, User.login, User.name, User.token_version).where(
        User.role == Role.OPERATOR, User.active.is_(True)
    )
    if operator_ids is not None:
        query = query.where(User.id.in_(operator_ids))
    operators = list(await session.execute(query.order_by(User.name, User.login)))
    # The whole floor reads whole (small, indexed) sets rather than thousands of ids.
    ids = None if operator_ids is None else [o.id for o in operators]
    if live is None:
        live = await live_shifts(session, now)
    floor = _Floor(live={s.id: s for s in live})
    floor.latest = await _latest_attendance(session, ids, now)
    held = select(
        Lease.operator_id, Lease.id, Lease.contact_id, Lease.created_at, Lease.expires_at
    ).where(*_among(Lease.operator_id, ids), Lease.ended_at.is_(None))
    floor.leases = {row[0]: Held(*row[1:]) for row in await session.execute(held)}
    floor.calls = await _call_states(session, ids)
    await _pauses(session, floor, ids, now)
    known = select(OperatorPresence.operator_id, OperatorPresence.seen_at).where(
        *_among(OperatorPresence.operator_id, ids)
    )
    floor.seen = {row[0]: row[1] for row in await session.execute(known)}
    for operator_id, at in (seen or {}).items():
        floor.seen[operator_id] = max(at, floor.seen.get(operator_id, at))
    sums = await _sums_of(session, floor.latest, ids, now, tally)
    return await off_the_loop(len(operators), _made, operators, floor, sums, now)


def _made(
    operators: Sequence[Any], floor: _Floor, sums: Mapping[Key, _Sum], now: datetime
) -> list[OperatorLive]:
    floor.counts = _counts(floor.latest, sums)
    return [_one(i, login, name, version, floor, now) for i, login, name, version in operators]


P = ParamSpec("P")
R = TypeVar("R")


async def off_the_loop(
    operators: int, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """`work(*args)` about this many operators: in a worker thread for a large floor.

    While the loop has work, the thread holds the interpreter for at most the switch
    interval at a time (the service sets 0.5 ms, `app.main`), so requests in flight wait
    that long, not for the whole floor. Only plain values go in and out, nothing of a session.
    """
    if operators >= LARGE_FLOOR:
        return await asyncio.to_thread(work, *args, **kwargs)
    return work(*args, **kwargs)


def _among(column: Any, ids: list[uuid.UUID] | None) -> list[Any]:
    return [] if ids is None else [column.in_(ids)]


def _one(
    operator_id: uuid.UUID, login: str, name: str, token_version: int, floor: _Floor, now: datetime
) -> OperatorLive:
    record = floor.latest.get(operator_id)
    clocked_in = (
        record is not None and record.clock_out_at is None and record.shift_id in floor.live
    )
    holds = floor.holds.get(operator_id, []) + (
        floor.holds.get(record.shift_id, []) if record and clocked_in else []
    )
    holds += floor.holds.get(DIALER_TARGET, [])
    lease = floor.leases.get(operator_id)
    state, since = _state(operator_id, record if clocked_in else None, lease, holds, floor, now)
    if state == "off" and record is not None:
        since = record.clock_out_at
    return OperatorLive(
        id=operator_id,
        login=login,
        name=name,
        state=state,
        since=since,
        shift_id=record.shift_id if record else None,
        clocked_in=clocked_in,
        lease=lease,
        holds=tuple(
            holds if clocked_in or lease else (h for h in holds if h.scope is PauseScope.OPERATOR)
        ),
        counts=floor.counts.get(operator_id, ShiftCounts()),
        token_version=token_version,
    )


def _state(
    operator_id: uuid.UUID,
    record: Clocked | None,
    lease: Held | None,
    holds: Sequence[Reason],
    floor: _Floor,
    now: datetime,
) -> tuple[str, datetime | None]:
    if record is None and lease is None:
        return "off", None
    # Clocking in (or the claim) is a sign of life too, however long ago the last one was.
    start = record.clock_in_at if record else lease.created_at if lease else now
    seen = max(floor.seen.get(operator_id, start), start)
    if seen + OFFLINE_AFTER <= now:
        return "offline", seen + OFFLINE_AFTER
    if lease is not None:
        event = floor.calls.get(lease.id)
        return (CALL_STATES[event[0]], event[1]) if event else ("on_lease", lease.created_at)
    assert record is not None
    own = [h for h in holds if h.code == PauseReason.SELF]
    if own:
        return "break", own[0].since
    if holds:
        return "paused", max(record.clock_in_at, min(h.since for h in holds))
    counts = floor.counts.get(operator_id, ShiftCounts())
    marks = [record.clock_in_at, counts.last_at, floor.resumed.get(operator_id)]
    if record.shift_id is not None:
        marks += [floor.resumed.get(record.shift_id), floor.resumed.get(DIALER_TARGET)]
    return "idle", max(m for m in marks if m is not None)


async def _latest_attendance(
    session: AsyncSession, ids: list[uuid.UUID] | None, now: datetime
) -> dict[uuid.UUID, Clocked]:
    """Each operator's latest clock-in of the last hours: "this shift"."""
    rows = await session.execute(
        select(
            Attendance.operator_id,
            Attendance.shift_id,
            Attendance.clock_in_at,
            Attendance.clock_out_at,
        )
        .where(*_among(Attendance.operator_id, ids), Attendance.clock_in_at > now - SHIFT_LOOKBACK)
        .order_by(Attendance.clock_in_at)
    )
    return {row[0]: Clocked(*row[1:]) for row in rows}


async def _call_states(
    session: AsyncSession, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, tuple[str, datetime]]:
    """The softphone's last event for each open lease (of these operators), and when."""
    found: dict[uuid.UUID, tuple[str, datetime]] = {}
    rows = await session.execute(
        select(SoftphoneEvent.lease_id, SoftphoneEvent.event, SoftphoneEvent.at)
        .join(Lease, Lease.id == SoftphoneEvent.lease_id)
        .where(*_among(Lease.operator_id, ids), Lease.ended_at.is_(None))
        .order_by(SoftphoneEvent.at, SoftphoneEvent.received_at)
    )
    for lease_id, event, at in rows:
        if lease_id is not None and event in CALL_STATES:
            found[lease_id] = (event, at)
    return found


async def _pauses(
    session: AsyncSession, floor: _Floor, ids: list[uuid.UUID] | None, now: datetime
) -> None:
    """Active pauses by target (operator, shift or the dialer), and when each target last
    came out of one (since the earliest clock-in on the board)."""
    starts = [r.clock_in_at for r in floor.latest.values()]
    targets = None if ids is None else [*ids, *floor.live, DIALER_TARGET]
    query = (
        select(
            Pause.target_id,
            Pause.scope,
            Pause.reason_code,
            Pause.reason,
            Pause.started_by,
            Pause.started_at,
            Pause.ended_at,
            Pause.break_code,
            User.name,
        )
        .outerjoin(User, User.id == Pause.started_by)
        .where(
            *_among(Pause.target_id, targets),
            or_(Pause.ended_at.is_(None), Pause.ended_at > min(starts, default=now)),
        )
        .order_by(Pause.started_at)
    )
    for pause in await session.execute(query):
        if pause.ended_at is not None:
            before = floor.resumed.get(pause.target_id)
            floor.resumed[pause.target_id] = max(pause.ended_at, before or pause.ended_at)
            continue
        if pause.scope is PauseScope.SHIFT and (
            pause.target_id not in floor.live
            or floor.live[pause.target_id].state is not ShiftState.PAUSED
        ):
            continue
        floor.holds.setdefault(pause.target_id, []).append(
            Reason(
                pause.scope,
                pause.reason_code.value,
                pause.reason,
                pause.started_by,
                pause.name,
                pause.started_at,
                pause.break_code,
            )
        )


async def _sums_of(
    session: AsyncSession,
    latest: dict[uuid.UUID, Clocked],
    ids: list[uuid.UUID] | None,
    now: datetime,
    tally: Tally | None,
) -> Mapping[Key, _Sum]:
    """The attempts of each operator's shift (of its latest clock-in), summed."""
    shifts = frozenset(r.shift_id for r in latest.values())
    if not shifts:
        return {}
    if tally is not None and ids is None:
        return await tally.sums(session, shifts, now)
    return await _sums(session, shifts, ids)


def _counts(
    latest: dict[uuid.UUID, Clocked], sums: Mapping[Key, _Sum]
) -> dict[uuid.UUID, ShiftCounts]:
    """Calls, talk seconds, warm questionnaires and the last call of each operator's shift."""
    shift_of = {o: r.shift_id for o, r in latest.items()}
    return {
        operator: ShiftCounts(s.calls, round(s.seconds), s.warm, s.last_at)
        for (operator, shift), s in sums.items()
        if shift_of.get(operator) == shift
    }


async def _sums(
    session: AsyncSession,
    shifts: frozenset[uuid.UUID | None],
    ids: list[uuid.UUID] | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[Key, _Sum]:
    """The attempts of these shifts (by these operators, made in [since, until)), summed
    by operator and shift."""
    talk = seconds_between(session, Attempt.answered_at, Attempt.hangup_at)
    made = [] if since is None else [Attempt.created_at >= since]
    made += [] if until is None else [Attempt.created_at < until]
    rows = await session.execute(
        select(
            Attempt.operator_id,
            Attempt.shift_id,
            func.count(),
            func.coalesce(func.sum(talk).filter(Attempt.hangup_at > Attempt.answered_at), 0),
            func.count().filter(Attempt.disposition == Disposition.WARM),
            func.max(Attempt.created_at),
        )
        .where(Attempt.shift_id.in_(shifts), *_among(Attempt.operator_id, ids), *made)
        .group_by(Attempt.operator_id, Attempt.shift_id)
    )
    return {
        (operator, shift): _Sum(calls, float(seconds), warm, last)
        for operator, shift, calls, seconds, warm, last in rows
    }
