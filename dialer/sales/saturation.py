"""Saturation: the dialer pauses itself when the MPK cannot keep up, with hysteresis.

Open questionnaires (new and in progress, assigned or waiting) are weighed against the
total capacity of the active MPK. Dialing pauses at the high mark and resumes at the low
mark; between the two it stays as it is, so it does not flap. The pause rows are the log.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.locks import lock_managers, share_managers
from dialer.base.models import (
    Desk,
    Pause,
    PauseReason,
    PauseScope,
    Questionnaire,
    QuestionnaireStatus,
    Role,
    User,
)
from dialer.sales.policy import Marks, Policy
from dialer.shifts.gate import DIALER_TARGET
from dialer.shifts.pauses import end_pauses, start_pause

log = logging.getLogger(__name__)

OPEN_STATUSES = (QuestionnaireStatus.NEW, QuestionnaireStatus.IN_PROGRESS)
CLOSED_STATUSES = (QuestionnaireStatus.FIRST_ORDER, QuestionnaireStatus.LOST)


def reaches_high(open_count: int, capacity: int, marks: Marks) -> bool:
    """True when the backlog is at or above the high mark (and there is a backlog)."""
    return open_count > 0 and open_count * 100 >= marks.high * capacity


def down_to_low(open_count: int, capacity: int, marks: Marks) -> bool:
    """True when the backlog is at or below the low mark."""
    return open_count * 100 <= marks.low * capacity


def stays_paused(paused: bool, open_count: int, capacity: int, marks: Marks) -> bool:
    """Whether dialing should be paused, given whether it is now: the hysteresis."""
    if paused:
        return not down_to_low(open_count, capacity, marks)
    return reaches_high(open_count, capacity, marks)


def resume_at_most(capacity: int, marks: Marks) -> int:
    """The largest backlog at which a saturation pause ends."""
    return marks.low * capacity // 100


def resume_estimate(
    open_count: int,
    capacity: int,
    marks: Marks,
    closed_recently: int,
    window: timedelta,
    now: datetime,
) -> datetime | None:
    """When the backlog should fall to the low mark at the recent closing rate; None if never."""
    to_close = open_count - resume_at_most(capacity, marks)
    if to_close <= 0:
        return now
    if closed_recently <= 0:
        return None
    return now + window * to_close / closed_recently


def _dialer_paused(reason: PauseReason) -> tuple[ColumnElement[bool], ...]:
    return (
        Pause.scope == PauseScope.DIALER,
        Pause.target_id == DIALER_TARGET,
        Pause.reason_code == reason,
        Pause.ended_at.is_(None),
    )


def paused_since(reason: PauseReason) -> ScalarSelect[datetime]:
    """When dialing was paused for the reason (its active pause's start), as a column to
    read beside the counts that decide it."""
    return select(Pause.started_at).where(*_dialer_paused(reason)).limit(1).scalar_subquery()


async def turn_pause(
    session: AsyncSession, reason: PauseReason, paused: bool, was: bool, why: str, now: datetime
) -> None:
    """Start or end dialing's pause for the reason, as it now should (`paused`) and was."""
    if paused and not was:
        await start_pause(session, PauseScope.DIALER, DIALER_TARGET, reason, why, None, now)
        log.info("dialing paused: %s, %s", reason.value.replace("_", " "), why)
    elif was and not paused:
        await end_pauses(session, PauseScope.DIALER, DIALER_TARGET, (reason,), None, now)
        log.info("dialing resumed: %s", why)


@dataclass(frozen=True)
class Backlog:
    open: int
    waiting: int
    capacity: int
    # When dialing was paused for the managers, or None while it is not.
    paused_since: datetime | None


def at_desk(desk: Desk) -> tuple[ColumnElement[bool], ...]:
    """The active managers of a desk, as conditions on `User`."""
    return User.role == Role.MANAGER, User.desk == desk, User.active.is_(True)


@cache
def backlog_read() -> Select[tuple[Any, ...]]:
    """`backlog` as a statement, its columns in `backlog_of`'s order, to read beside others;
    built once (statements are immutable: a caller adding to it makes another)."""
    capacity = (
        select(func.coalesce(func.sum(User.capacity), 0))
        .where(*at_desk(Desk.ACQUISITION))
        .scalar_subquery()
    )
    return select(
        func.count(),
        func.count().filter(Questionnaire.manager_id.is_(None)),
        capacity,
        paused_since(PauseReason.MANAGERS_SATURATED),
    ).where(Questionnaire.status.in_(OPEN_STATUSES))


def backlog_of(counts: Sequence[Any]) -> Backlog:
    """The `Backlog` of `backlog_read`'s row."""
    return Backlog(
        open=counts[0], waiting=counts[1], capacity=int(counts[2] or 0), paused_since=counts[3]
    )


async def backlog(session: AsyncSession) -> Backlog:
    """Open and waiting questionnaires, the capacity of the active MPK, and whether dialing
    is paused for them: one statement."""
    return backlog_of((await session.execute(backlog_read())).one())


def _describe(state: Backlog, marks: Marks) -> str:
    return (
        f"{state.open} open questionnaires for a capacity of {state.capacity} "
        f"(marks {marks.high}% / {marks.low}%)"
    )


async def evaluate_saturation(session: AsyncSession, now: datetime, marks: Marks) -> None:
    """Pause or resume dialing for the managers' backlog."""
    await lock_managers(session)
    await weigh_saturation(session, await backlog(session), now, marks)


async def weigh_saturation(
    session: AsyncSession, state: Backlog, now: datetime, marks: Marks
) -> None:
    """Pause or resume dialing for this backlog, read under the managers' lock (held)."""
    was = state.paused_since is not None
    paused = stays_paused(was, state.open, state.capacity, marks)
    why = _describe(state, marks)
    await turn_pause(session, PauseReason.MANAGERS_SATURATED, paused, was, why, now)


@dataclass(frozen=True)
class ManagersStatus:
    """The `managers` part of the dialer's status."""

    backlog: Backlog
    marks: Marks
    closed_recently: int
    closing_window: timedelta
    resume_estimate: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON the status endpoint shows."""
        hours = self.closing_window / timedelta(hours=1)
        capacity = self.backlog.capacity
        load = round(100 * self.backlog.open / capacity, 1) if capacity else None
        return {
            "open": self.backlog.open,
            "capacity": capacity,
            "waiting": self.backlog.waiting,
            "load_percent": load,
            "high_mark_percent": self.marks.high,
            "low_mark_percent": self.marks.low,
            "resume_at_open": resume_at_most(capacity, self.marks),
            "saturated": self.backlog.paused_since is not None,
            "paused_since": _iso(self.backlog.paused_since),
            "closed_recently": self.closed_recently,
            "closing_rate_per_hour": round(self.closed_recently / hours, 2),
            "resume_estimate": _iso(self.resume_estimate),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def closed_since(session: AsyncSession, since: datetime) -> int:
    """Questionnaires closed (first order or lost) since an instant."""
    count = await session.scalar(
        select(func.count()).where(
            Questionnaire.status.in_(CLOSED_STATUSES), Questionnaire.updated_at >= since
        )
    )
    return int(count or 0)


async def managers_status(session: AsyncSession, now: datetime, policy: Policy) -> ManagersStatus:
    """The backlog, the marks, and when a saturation pause should end."""
    state = await backlog(session)
    closed = await closed_since(session, now - policy.closing_window)
    estimate = None
    if state.paused_since is not None:
        estimate = resume_estimate(
            state.open, state.capacity, policy.marks, closed, policy.closing_window, now
        )
    return ManagersStatus(
        backlog=state,
        marks=policy.marks,
        closed_recently=closed,
        closing_window=policy.closing_window,
        resume_estimate=estimate,
    )


async def nothing_to_weigh(session: AsyncSession, marks: Marks) -> bool:
    """Whether the managers' side needs nothing weighed after a close has committed: read
    under the managers' lock shared with other such reads, held until the caller ends the
    transaction (before weighing, which takes the exclusive one).

    Nothing needs weighing when nobody waits for a manager, dialing is not paused for them,
    and the backlog is under the high mark. The shared lock waits for a writer in flight (a
    warm outcome's routing, which may have counted the questionnaire as still open) and
    keeps the next one out while this reads, so what it reads holds.
    """
    await share_managers(session)
    state = await backlog(session)
    return (
        state.waiting == 0
        and state.paused_since is None
        and not reaches_high(state.open, state.capacity, marks)
    )
