"""The queue's standings, counted once a second per process and shared by every reader.

`standing()` groups every ready contact of the active campaigns: its cost grows with the
base (0.09 s at 100,000 contacts, 0.8 s at 2,000,000, on PostgreSQL), while everything else
in the dialer's status (pauses, the live shift, leases, the managers' and clients' load)
reads small sets and stays computed per request, fresh. So `GET /dialer/status`, the
dialer's pause and resume, and the live floor's stream all take the standings from one entry
here:

- an entry at most `FRESH_FOR` old is served as it is;
- an older one, up to `SERVED_FOR`, is served too, and one background count starts (one at
  a time, however many readers ask), so the next readers find it fresh;
- with no entry, one too old, or one for other campaigns (one activated, a window moved),
  the reader counts in its own session; readers arriving meanwhile wait for that count
  instead of starting their own.

While someone read the standings in the last `WARM_FOR`, the hub's refresher also counts
them behind every time it wakes (at most once a second after a change, every 5 s
regardless), so a dashboard that polls every few seconds, or every half minute, never
finds its entry too old. So on a quiet or a busy service only the first reader pays the
full count, and the counts trail the base by a second or two; a background count that
differs from the last marks the floor changed, so the streams send it.

An entry's age is taken on both clocks: the wall's (monotonic) for how long ago it was
counted, and the app's (`now`, which the tests move) for which instants it may answer —
never one before it was counted, nor one more than `SERVED_FOR` after.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.queue.catalog import CampaignView
from dialer.queue.why import Standing, standing

log = logging.getLogger(__name__)

FRESH_FOR = 1.0
# Longer than the refresher's sleep between counts (`app.live.RECHECK_EVERY`) and a count.
SERVED_FOR = 10.0
WARM_FOR = 60.0
# The hub's own statements, told apart from requests' (the tests count those).
BACKGROUND = {"cascade_background": True}

Standings = dict[uuid.UUID, Standing]
# What the standings depend on besides the contacts: the campaigns and their windows.
Key = tuple[tuple[uuid.UUID, clock_time, clock_time], ...]


def key_of(views: list[CampaignView]) -> Key:
    return tuple((v.id, v.window_start, v.window_end) for v in views)


@dataclass(frozen=True)
class Entry:
    key: Key
    at: datetime
    counted: float
    standings: Standings

    def serves(self, key: Key, now: datetime, wall: float) -> bool:
        """Counted for these campaigns, not after `now` nor too long before it."""
        late = (now - self.at).total_seconds()
        return key == self.key and 0 <= late <= SERVED_FOR and wall - self.counted <= SERVED_FOR

    def fresh(self, now: datetime, wall: float) -> bool:
        late = (now - self.at).total_seconds()
        return late <= FRESH_FOR and wall - self.counted <= FRESH_FOR


class SharedCounts:
    """One process's standings entry, its background count and the readers' single count."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], on_new: Callable[[], None]
    ) -> None:
        self._sessionmaker = sessionmaker
        self._on_new = on_new
        # The wall clock, in seconds: the tests hold it still or move it.
        self.wall: Callable[[], float] = time.monotonic
        self._entry: Entry | None = None
        # The campaigns of the latest read, and when it was.
        self._read: tuple[list[CampaignView], float] | None = None
        self._counting: asyncio.Future[None] | None = None
        self._refresh: asyncio.Task[None] | None = None

    async def standings(
        self, session: AsyncSession, views: list[CampaignView], now: datetime
    ) -> Standings:
        """The standings of these campaigns as of `now`, or of a second or two before."""
        self._read = (views, self.wall())
        key = key_of(views)
        entry = self._entry
        if entry is not None and entry.serves(key, now, self.wall()):
            if not entry.fresh(now, self.wall()):
                self._start_refresh(views, now)
            return entry.standings
        return await self._count_once(session, views, now)

    @property
    def counted_at(self) -> float | None:
        """When the entry's count began, on `wall`; None before the first."""
        return None if self._entry is None else self._entry.counted

    def keep_warm(self, now: datetime) -> None:
        """Count behind if someone read lately and the entry is no longer fresh."""
        if self._read is None:
            return
        views, at = self._read
        entry = self._entry
        if self.wall() - at <= WARM_FOR and (entry is None or not entry.fresh(now, self.wall())):
            self._start_refresh(views, now)

    async def stop(self, within: float) -> None:
        """Cancel the count running behind, waiting for it `within` seconds at most."""
        if self._refresh is not None and not self._refresh.done():
            self._refresh.cancel()
            await asyncio.wait([self._refresh], timeout=within)

    async def _count_once(
        self, session: AsyncSession, views: list[CampaignView], now: datetime
    ) -> Standings:
        """Count here, or wait for the reader already counting (each in its own session,
        so that waiting needs no second connection: SQLite's pool holds one)."""
        key = key_of(views)
        while self._counting is not None:
            # Shielded: a waiter cancelled must not cancel the counter's future for others.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._counting)
            entry = self._entry
            if entry is not None and entry.serves(key, now, self.wall()):
                return entry.standings
        counting = asyncio.get_running_loop().create_future()
        self._counting = counting
        try:
            counted = self.wall()
            found = await standing(session, views, now)
            self._keep(Entry(key, now, counted, found))
            return found
        finally:
            if self._counting is counting:
                self._counting = None
            counting.set_result(None)

    def _start_refresh(self, views: list[CampaignView], now: datetime) -> None:
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._count_behind(views, now))

    async def _count_behind(self, views: list[CampaignView], now: datetime) -> None:
        before = self._entry
        try:
            counted = self.wall()
            async with self._sessionmaker() as session:
                await session.connection(execution_options=BACKGROUND)
                found = await standing(session, views, now)
        except Exception:
            log.exception("the queue's standings could not be counted; served as they were")
            return
        self._keep(Entry(key_of(views), now, counted, found))
        if before is None or before.standings != found:
            self._on_new()

    def _keep(self, entry: Entry) -> None:
        """Keep the latest count (by when it started): a slow one never replaces a newer."""
        if self._entry is None or self._entry.counted <= entry.counted:
            self._entry = entry
