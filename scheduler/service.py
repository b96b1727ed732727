"""The scheduler: APScheduler 3.11 on the event loop, driving the core at its boundaries.

It only triggers: every job asks the database what is due at the clock's `now` and applies
it idempotently. Three kinds of job:

- start-up reconciliation, before anything else, so a process that was down across a
  boundary applies what it missed exactly once;
- the periodic jobs of `scheduler.jobs.PERIODIC_JOBS`, on interval triggers;
- a cron trigger at each template boundary, in the template's own zone (so 10:00 Moscow or
  10:00 Berlin is right across daylight-saving changes), which runs the shift reconcile at
  the boundary itself instead of up to one interval late. The boundary jobs follow the
  templates: they are re-read with every reconcile.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.base.beats import record_beat
from dialer.base.clock import utcnow
from dialer.base.db import create_sessionmaker
from dialer.base.models import ShiftTemplate
from dialer.base.recording_store import RecordingStore, bind_store
from dialer.sales.policy import Policy, bind_policy
from dialer.shifts.calendar import Schedule
from dialer.shifts.dated import schedule_of
from scheduler.jobs import PERIODIC_JOBS, RECONCILE_SHIFTS, PeriodicJob
from scheduler.leader import Leadership

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Every job coalesces: after a stall (a suspended laptop, a long GC, a busy loop) the missed
# runs collapse into one, because each run applies everything due at its `now` — running the
# same reconcile three times in a row would only repeat work. misfire_grace_time=None runs a
# late job however late instead of dropping it: a boundary applied late is right, a boundary
# skipped would wait for the next periodic tick. max_instances=1: a slow run is never
# overlapped by the next.
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


def boundary_id(template_id: object, edge: str) -> str:
    """The job id of a template's start or end boundary."""
    return f"boundary:{template_id}:{edge}"


def boundary_triggers(schedule: Schedule) -> dict[str, CronTrigger]:
    """Cron triggers at a schedule's start and end, in its zone."""
    zone = ZoneInfo(schedule.timezone)
    days = sorted(schedule.weekdays)
    end_days = [d % 7 + 1 for d in days] if schedule.crosses_midnight else days
    return {
        "start": _cron(schedule.start, days, zone),
        "end": _cron(schedule.end, end_days, zone),
    }


def _cron(at: time, weekdays: list[int], zone: ZoneInfo) -> CronTrigger:
    names = ",".join(DAY_NAMES[d - 1] for d in weekdays)
    return CronTrigger(
        day_of_week=names, hour=at.hour, minute=at.minute, second=at.second, timezone=zone
    )


class CascadeScheduler:
    """The time-driven side: embedded in the app or run alone by `python -m scheduler`."""

    def __init__(
        self,
        engine: AsyncEngine,
        database_url: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        jobs: list[PeriodicJob] | None = None,
        policy: Policy | None = None,
        store: RecordingStore | None = None,
    ) -> None:
        self.sessionmaker = create_sessionmaker(engine)
        # Jobs read the configured marks and thresholds from their session, as requests do,
        # and the recordings' store (without one, old recordings are left for a scheduler
        # that has it).
        bind_policy(self.sessionmaker, policy or Policy())
        if store is not None:
            bind_store(self.sessionmaker, store)
        self.clock = clock
        self.jobs = PERIODIC_JOBS if jobs is None else jobs
        self.leadership = Leadership(database_url)
        self.apscheduler = AsyncIOScheduler(timezone=ZoneInfo("UTC"), job_defaults=JOB_DEFAULTS)
        self._boundaries: dict[str, str] = {}
        self._stopping = False

    async def start(self) -> None:
        """Reconcile what was missed, then start the periodic and boundary jobs."""
        for job in self.jobs:
            try:
                await self.run(job)
            except Exception:
                # The periodic run retries; a database down at start-up must not stop the app.
                log.exception("start-up run of %s failed", job.name)
            self.apscheduler.add_job(
                self.run,
                IntervalTrigger(seconds=job.every.total_seconds()),
                args=[job],
                id=job.name,
                name=job.name,
            )
        try:
            await self.sync_boundaries()
        except Exception:
            # Not migrated yet (the app migrates): the next reconcile syncs the boundaries.
            log.exception("cannot read the shift templates at start-up")
        self.apscheduler.start()

    async def stop(self) -> None:
        """Stop the jobs and give up the lead."""
        self._stopping = True
        if self.apscheduler.running:
            self.apscheduler.shutdown(wait=False)
        await self.leadership.release()

    async def run(self, job: PeriodicJob) -> bool:
        """Run one job now in its own transaction, if this process leads; True if it ran."""
        if not await self.leadership.held():
            return False
        now = self.clock()
        try:
            async with self.sessionmaker.begin() as session:
                await job.run(session, now)
                await record_beat(session, job.name, now)
        except asyncio.CancelledError:
            # Stopping cancels a run in flight (a VACUUM, say): its transaction rolls back
            # and the next start runs it again. That is a stop, not a failing job.
            if not self._stopping:
                raise
            log.info("%s stopped with the scheduler; it runs again at the next start", job.name)
            return False
        if job is RECONCILE_SHIFTS and self.apscheduler.running:
            await self.sync_boundaries()
        return True

    async def boundary(self) -> None:
        """A template boundary: reconcile the shifts at once."""
        await self.run(RECONCILE_SHIFTS)

    async def sync_boundaries(self) -> None:
        """Make the boundary jobs match the active templates."""
        async with self.sessionmaker() as session:
            templates = list(
                await session.scalars(select(ShiftTemplate).where(ShiftTemplate.active.is_(True)))
            )
        wanted: dict[str, CronTrigger] = {}
        for template in templates:
            for edge, trigger in boundary_triggers(schedule_of(template)).items():
                wanted[boundary_id(template.id, edge)] = trigger
        for job_id in set(self._boundaries) - set(wanted):
            self.apscheduler.remove_job(job_id)
            del self._boundaries[job_id]
        for job_id, trigger in wanted.items():
            if self._boundaries.get(job_id) != repr(trigger):
                self.apscheduler.add_job(
                    self.boundary, trigger, id=job_id, name=job_id, replace_existing=True
                )
                self._boundaries[job_id] = repr(trigger)
                log.info("boundary %s at %s", job_id, trigger)
