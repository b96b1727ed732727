"""The periodic jobs: the one list to add to.

Each job is `async def job(session, now)`: it runs inside `sessionmaker.begin()` (committed
when it returns, rolled back when it raises), takes the instant from the scheduler's clock, and
must be idempotent — it may run late, twice across a restart, or be skipped when this process
is not the leader. After each run its name is written to `scheduler_beat`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dialer.base.recording_store import store_of
from dialer.base.upkeep import keep_tables
from dialer.calls.recordings import expire_recordings
from dialer.queue.leases import SWEEP_BATCH
from dialer.queue.leases import expire_leases as expire_overdue_leases
from dialer.sales.managers import recheck
from dialer.sales.policy import policy_of
from dialer.shifts.dated import reconcile

Job = Callable[[AsyncSession, datetime], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler runs every `every`, and once at start-up."""

    name: str
    every: timedelta
    run: Job


async def reconcile_shifts(session: AsyncSession, now: datetime) -> None:
    """Generate shifts ahead and apply every transition that is due."""
    await reconcile(session, now)


RECONCILE_SHIFTS = PeriodicJob("reconcile_shifts", timedelta(seconds=30), reconcile_shifts)


async def recheck_managers(session: AsyncSession, now: datetime) -> None:
    """Hand out waiting questionnaires and unowned accounts; pause or resume for saturation."""
    await recheck(session, now, policy_of(session))


RECHECK_MANAGERS = PeriodicJob("recheck_managers", timedelta(seconds=60), recheck_managers)


async def expire_leases(session: AsyncSession, now: datetime) -> None:
    """End overdue leases and return their contacts to the queue (or to review)."""
    while await expire_overdue_leases(session, now) == SWEEP_BATCH:
        pass


# Often enough that a crashed operator's contact is back within seconds of its
# lease running out; claims also expire leases lazily, so this is the backstop.
EXPIRE_LEASES = PeriodicJob("expire_leases", timedelta(seconds=5), expire_leases)


async def keep_tables_clean(session: AsyncSession, _now: datetime) -> None:
    """Where the server's autovacuum is off, vacuum and analyze the tables as it would."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine)  # the scheduler's sessions are bound to its engine
    await keep_tables(engine)


# As often as autovacuum looks with its default naptime and then some: the contact
# table passes its threshold in under a minute at a few hundred calls per second.
KEEP_TABLES = PeriodicJob("keep_tables", timedelta(seconds=15), keep_tables_clean)


async def expire_old_recordings(session: AsyncSession, now: datetime) -> None:
    """Delete the recordings older than their campaign's `recording_days`."""
    store = store_of(session)
    if store is not None:
        await expire_recordings(session, store, now)


# Retention is counted in days: an hourly run keeps no recording more than an hour late.
EXPIRE_RECORDINGS = PeriodicJob("expire_recordings", timedelta(hours=1), expire_old_recordings)

PERIODIC_JOBS: list[PeriodicJob] = [
    RECONCILE_SHIFTS,
    RECHECK_MANAGERS,
    EXPIRE_LEASES,
    KEEP_TABLES,
    EXPIRE_RECORDINGS,
]
