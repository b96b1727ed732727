"""Counts over the whole base, counted once a second per process and shared by every reader.

`standing()` groups every ready contact of the active campaigns: its cost grows with the
base (0.09 s at 100,000 contacts, 0.8 s at 2,000,000, on PostgreSQL), while everything else
in the dialer's status (pauses, the live shift, leases, the managers' and clients' load)
reads small sets and stays computed per request, fresh. So `GET /dialer/status`, the
dialer's pause and resume, and the live floor's stream all take the standings from one entry
here:

- a fresh entry is served as it is: one at most `FRESH_FOR` old, or ten times as long as its
  count took (`COUNT_SHARE`), up to half of `SERVED_FOR`: a count that takes 0.3 s on a
  large base is redone every 3 s, not every second, so that behind a reader who keeps asking
  it takes a tenth of the database's time per process, whatever the base's size;
- an older one, up to `SERVED_FOR`, is served too, and one background count starts (one at
  a time, however many readers ask), so the next readers find it fresh;
- with no entry, one too old, or one for other campaigns (one activated, a window moved),
  the reader counts in its own session; readers arriving meanwhile wait for that count
  instead of starting their own.

While someone read the standings in the last `WARM_FOR`, the hub's refresher also counts
them behind every time it wakes (at most once a second after a change, every 5 s
regardless), so a dashboard that polls every few seconds, or every half minute, never
finds its entry too old. So on a quiet or a busy service only the first reader pays the
full count, and the counts trail the base by a second or two (up to five on a large
base); a background count that differs from the last marks the floor changed, so the
streams send it.

A campaign's stats (`GET /campaigns/{id}/stats`) are one pass over the campaign's contacts
too (0.8 s at 2,000,000 in one campaign), so they are kept the same way, an entry per
campaign and calling window beside the standings' entry per set of active campaigns.

An entry's age is taken on both clocks: the wall's (monotonic) for how long ago it was
counted, and the app's (`now`, which the tests move) for which instants it may answer —
never one before it was counted, nor one more than `SERVED_FOR` after.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.queue.catalog import CampaignView
from dialer.queue.why import Standing, standing
from dialer.reports.campaigns import campaign_stats

log = logging.getLogger(__name__)

FRESH_FOR = 1.0
# A count kept fresh behind its readers takes at most this share of the database's time
# per process: a dear one (a second on a large base) stays fresh longer than a second.
COUNT_SHARE = 0.1
# Longer than the refresher's sleep between counts (`app.live.RECHECK_EVERY`) and a count.
SERVED_FOR = 10.0
WARM_FOR = 60.0
# The hub's own statements, told apart from requests' (the tests count those).
BACKGROUND = {"cascade_background": True}
SERIAL = "SET LOCAL max_parallel_workers_per_gather = 0"

Standings = dict[uuid.UUID, Standing]
# A count as of an instant, in a session of its own.
Count = Callable[[AsyncSession, datetime], Awaitable[Any]]


@dataclass(frozen=True)
class Entry:
    at: datetime
    counted: float
    value: Any
    # How long the count took, on the wall clock.
    took: float = 0.0

    def serves(self, now: datetime, wall: float) -> bool:
        """Not counted after `now`, nor too long before it."""
        late = (now - self.at).total_seconds()
        return 0 <= late <= SERVED_FOR and wall - self.counted <= SERVED_FOR

    def fresh(self, now: datetime, wall: float) -> bool:
        # At least a second; up to half of what is served, so a count behind ends in time.
        fresh_for = min(max(FRESH_FOR, self.took / COUNT_SHARE), SERVED_FOR / 2)
        late = (now - self.at).total_seconds()
        return late <= fresh_for and wall - self.counted <= fresh_for


@dataclass(frozen=True)
class Read:
    """What a reader asked for last, and when: the hub keeps it warm for a while."""

    count: Count
    at: float
    floor: bool


class SharedCounts:
    """One process's entries (one per key: what was counted, for which campaigns and
    windows), their background counts and the readers' single counts."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], on_new: Callable[[], None]
    ) -> None:
        self._sessionmaker = sessionmaker
        self._on_new = on_new
        # The wall clock, in seconds: the tests hold it still or move it.
        self.wall: Callable[[], float] = time.monotonic
        self._entries: dict[Hashable, Entry] = {}
        self._reads: dict[Hashable, Read] = {}
        self._counting: dict[Hashable, asyncio.Future[None]] = {}
        self._refreshes: dict[Hashable, asyncio.Task[None]] = {}

    async def standings(
        self, session: AsyncSession, views: list[CampaignView], now: datetime
    ) -> Standings:
        """The standings of these campaigns as of `now`, or of a second or two before."""
        key = ("standings", *((v.id, v.window_start, v.window_end) for v in views))

        async def count(session: AsyncSession, at: datetime) -> Standings:
            return await standing(session, views, at)

        return cast(Standings, await self._read(session, key, count, now, floor=True))

    async def campaign_stats(
        self, session: AsyncSession, view: CampaignView, now: datetime
    ) -> dict[str, Any]:
        """A campaign's stats as of `now`, or of a second or two before."""
        key = ("campaign", view.id, view.window_start, view.window_end)

        async def count(session: AsyncSession, at: datetime) -> dict[str, Any]:
            return await campaign_stats(session, view, at)

        return cast(dict[str, Any], await self._read(session, key, count, now, floor=False))

    @property
    def counted_at(self) -> float | None:
        """When the latest entry's count began, on `wall`; None before the first."""
        return max((e.counted for e in self._entries.values()), default=None)

    def keep_warm(self, now: datetime) -> None:
        """Count behind what someone read lately and is no longer fresh; forget the rest."""
        wall = self.wall()
        for key, read in list(self._reads.items()):
            if wall - read.at > WARM_FOR:
                del self._reads[key]
                self._entries.pop(key, None)
                continue
            entry = self._entries.get(key)
            if entry is None or not entry.fresh(now, wall):
                self._start_refresh(key, read, now)

    async def settled(self) -> None:
        """Once the counts running behind have ended (at once when none runs)."""
        running = [task for task in self._refreshes.values() if not task.done()]
        if running:
            await asyncio.wait(running)

    async def stop(self, within: float) -> None:
        """Cancel the counts running behind, waiting for them `within` seconds at most."""
        running = [task for task in self._refreshes.values() if not task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=within)

    async def _read(
        self, session: AsyncSession, key: Hashable, count: Count, now: datetime, *, floor: bool
    ) -> Any:
        read = Read(count, self.wall(), floor)
        self._reads[key] = read
        entry = self._entries.get(key)
        if entry is not None and entry.serves(now, self.wall()):
            if not entry.fresh(now, self.wall()):
                self._start_refresh(key, read, now)
            return entry.value
        return await self._count_once(session, key, count, now)

    async def _count_once(
        self, session: AsyncSession, key: Hashable, count: Count, now: datetime
    ) -> Any:
        """Count here, or wait for the reader already counting (each in its own session,
        so that waiting needs no second connection: SQLite's pool holds one)."""
        while (counting := self._counting.get(key)) is not None:
            # Shielded: a waiter cancelled must not cancel the counter's future for others.
            with contextlib.suppress(Exception):
                await asyncio.shield(counting)
            entry = self._entries.get(key)
            if entry is not None and entry.serves(now, self.wall()):
                return entry.value
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._counting[key] = mine
        try:
            counted = self.wall()
            found = await count(session, now)
            self._keep(key, Entry(now, counted, found, self.wall() - counted))
            return found
        finally:
            if self._counting.get(key) is mine:
                del self._counting[key]
            mine.set_result(None)

    def _start_refresh(self, key: Hashable, read: Read, now: datetime) -> None:
        running = self._refreshes.get(key)
        if running is None or running.done():
            self._refreshes[key] = asyncio.create_task(self._count_behind(key, read, now))

    async def _count_behind(self, key: Hashable, read: Read, now: datetime) -> None:
        before = self._entries.get(key)
        try:
            counted = self.wall()
            async with self._sessionmaker() as session:
                connection = await session.connection(execution_options=BACKGROUND)
                if connection.dialect.name == "postgresql":
                    # One core at most, not PostgreSQL's parallel workers besides: the
                    # readers it counts for are served meanwhile, on the other cores.
                    await connection.exec_driver_sql(SERIAL)
                found = await read.count(session, now)
        except Exception:
            log.exception("the shared counts could not be counted; served as they were")
            return
        finally:
            if self._refreshes.get(key) is asyncio.current_task():
                del self._refreshes[key]
        self._keep(key, Entry(now, counted, found, self.wall() - counted))
        if read.floor and (before is None or before.value != found):
            self._on_new()

    def _keep(self, key: Hashable, entry: Entry) -> None:
        """Keep the latest count (by when it started): a slow one never replaces a newer."""
        kept = self._entries.get(key)
        if kept is None or kept.counted <= entry.counted:
            self._entries[key] = entry
