"""Back-pressure from the MRK: the dialer pauses when the development desk is full.

An MRK's capacity is the number of working accounts it can hold. When every MRK is full,
new clients wait unowned and more warm leads would only pile up behind them, so dialing
pauses with reason `clients_saturated` at the same high and low marks as the MPK's
saturation (`dialer.sales.saturation`), and resumes when working accounts fall back to
the low mark. An MRK without a capacity holds without limit, and a floor without any
active MRK does not use the desk: neither pauses dialing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.locks import lock_clients
from dialer.base.models import (
    Account,
    AccountHandoff,
    AccountStage,
    Desk,
    PauseReason,
    User,
)
from dialer.sales.policy import Marks, Policy
from dialer.sales.saturation import (
    at_desk,
    paused_since,
    resume_at_most,
    resume_estimate,
    stays_paused,
    turn_pause,
)


@dataclass(frozen=True)
class Clients:
    """Working accounts against the development desk's capacity (None: no limit)."""

    working: int
    waiting: int
    capacity: int | None
    # When dialing was paused for the MRK, or None while it is not.
    paused_since: datetime | None


@cache
def clients_read() -> Select[tuple[Any, ...]]:
    """`clients` as a statement, its columns in `clients_of`'s order, to read beside others;
    built once."""
    of_desk = [
        select(total).where(*at_desk(Desk.DEVELOPMENT)).scalar_subquery()
        for total in (func.count(), func.count(User.capacity), func.sum(User.capacity))
    ]
    return select(
        func.count(),
        func.count().filter(Account.manager_id.is_(None)),
        *of_desk,
        paused_since(PauseReason.CLIENTS_SATURATED),
    ).where(Account.stage == AccountStage.WORKING)


def clients_of(counts: Sequence[Any]) -> Clients:
    """The `Clients` of `clients_read`'s row."""
    managers, limited, total = counts[2:5]
    # Without any MRK the desk is not in use; one without a capacity takes every client.
    capacity = int(total or 0) if managers and managers == limited else None
    return Clients(working=counts[0], waiting=counts[1], capacity=capacity, paused_since=counts[5])


async def clients(session: AsyncSession) -> Clients:
    """Working accounts, those waiting for an MRK, the active MRK's total capacity, and
    whether dialing is paused for them: one statement."""
    return clients_of((await session.execute(clients_read())).one())


def _describe(state: Clients, marks: Marks) -> str:
    return (
        f"{state.working} working accounts for an MRK capacity of {state.capacity} "
        f"(marks {marks.high}% / {marks.low}%)"
    )


async def evaluate_clients(session: AsyncSession, now: datetime, marks: Marks) -> None:
    """Pause or resume dialing for the MRK's load.

    The pause is a row the gate and the claim already read, like the MPK's: nothing is
    added to next-call's hot path.
    """
    await lock_clients(session)
    await weigh_clients(session, await clients(session), now, marks)


async def weigh_clients(session: AsyncSession, state: Clients, now: datetime, marks: Marks) -> None:
    """Pause or resume dialing for this state of the desk, read under the clients' lock (held)."""
    was = state.paused_since is not None
    paused = state.capacity is not None and stays_paused(was, state.working, state.capacity, marks)
    why = _describe(state, marks)
    await turn_pause(session, PauseReason.CLIENTS_SATURATED, paused, was, why, now)


async def developed_since(session: AsyncSession, since: datetime) -> int:
    """Working accounts that passed on from their MRK since an instant: the desk's pace."""
    count = await session.scalar(
        select(func.count()).where(
            AccountHandoff.from_stage == AccountStage.WORKING,
            AccountHandoff.to_stage != AccountStage.WORKING,
            AccountHandoff.at >= since,
        )
    )
    return int(count or 0)


async def clients_status(session: AsyncSession, now: datetime, policy: Policy) -> dict[str, Any]:
    """The `clients` part of the dialer's status: the MRK's load and when a pause should end."""
    state = await clients(session)
    passed = await developed_since(session, now - policy.closing_window)
    hours = policy.closing_window.total_seconds() / 3600
    capacity = state.capacity
    estimate = None
    if state.paused_since is not None and capacity is not None:
        estimate = resume_estimate(
            state.working, capacity, policy.marks, passed, policy.closing_window, now
        )
    return {
        "working": state.working,
        "waiting": state.waiting,
        "capacity": capacity,
        "load_percent": round(100 * state.working / capacity, 1) if capacity else None,
        "resume_at_working": resume_at_most(capacity, policy.marks) if capacity else None,
        "saturated": state.paused_since is not None,
        "paused_since": state.paused_since.isoformat() if state.paused_since else None,
        "developed_recently": passed,
        "developing_rate_per_hour": round(passed / hours, 2),
        "resume_estimate": estimate.isoformat() if estimate is not None else None,
    }
