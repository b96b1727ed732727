"""The dialer status's queue counts: one count per process, shared by its readers, catching up."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.counts import SERVED_FOR, Entry
from app.routers.floor import StatusOut
from dialer.base.clock import utcnow
from dialer.base.models import Campaign
from dialer.queue.catalog import CampaignView
from dialer.reports.campaigns import campaign_stats
from dialer.reports.floor import dialer_status
from tests.floor import Floor, make_floor, status_once
from tests.test_next_call import statements_of

# The standings' two statements (ready contacts, callbacks), each a group-by over contacts.
COUNT = "GROUP BY contact.campaign_id"


@dataclass
class Wall:
    """The shared counts' wall clock, held still unless moved."""

    now: float = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


def hold_wall(app: FastAPI) -> Wall:
    wall = Wall()
    app.state.hub.counts.wall = lambda: wall.now
    return wall


def counts_in(sent: list[str]) -> int:
    return sum(COUNT in statement for statement in sent)


async def status(floor: Floor) -> Any:
    answer = await floor.client.get("/api/v1/dialer/status", headers=floor.supervisor.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def full_status(floor: Floor) -> Any:
    """What the status says counted from scratch, as of the floor's clock."""
    async with floor.sessionmaker() as session:
        counted = await dialer_status(session, floor.clock.now)
    return StatusOut.of(counted).model_dump(mode="json")


async def test_a_second_status_within_the_second_counts_no_contact(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    wall = hold_wall(app)
    await floor.add()
    await floor.add(due=floor.clock.now + timedelta(hours=1))
    sent = statements_of(app)
    first = await status(floor)
    assert counts_in(sent) == 2
    sent.clear()
    wall.advance(0.5)
    second = await status(floor)
    assert counts_in(sent) == 0
    assert second == first
    assert (first["queue"]["ready"], first["queue"]["waiting"]["retry_not_due"]) == (1, 1)


async def test_the_counts_catch_up_with_a_change_counted_behind_the_requests(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    wall = hold_wall(app)
    await floor.add()
    assert (await status(floor))["queue"]["ready"] == 1
    await floor.add()
    await floor.add()
    # Within the second: the shared answer, as it was.
    wall.advance(0.5)
    assert (await status(floor))["queue"]["ready"] == 1
    # Older than a second: served once more while one count runs behind the request.
    wall.advance(1)
    sent = statements_of(app)
    assert (await status(floor))["queue"]["ready"] == 1
    caught = await status_once(client, floor.supervisor.headers, lambda s: s["queue"]["ready"] == 3)
    assert caught["queue"]["ready"] == 3
    assert caught["campaigns"][0]["callable_now"] == 3
    # The background count's statements are the hub's own, not any request's.
    assert counts_in(sent) == 0


async def test_the_hub_keeps_the_counts_warm_while_someone_reads_them(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    wall = hold_wall(app)
    counts = app.state.hub.counts
    counts.keep_warm(floor.clock.now)
    assert counts.counted_at is None  # nobody read them yet: nothing to keep
    await floor.add()
    assert (await status(floor))["queue"]["ready"] == 1
    await floor.add()
    wall.advance(2)
    counts.keep_warm(floor.clock.now)
    await counts.settled()
    assert counts.counted_at == wall.now
    sent = statements_of(app)
    assert (await status(floor))["queue"]["ready"] == 2
    assert counts_in(sent) == 0


async def test_an_answer_far_too_old_is_never_served(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    wall = hold_wall(app)
    await floor.add()
    assert (await status(floor))["queue"]["ready"] == 1
    await floor.add()
    wall.advance(SERVED_FOR + 1)
    sent = statements_of(app)
    assert (await status(floor))["queue"]["ready"] == 2
    assert counts_in(sent) == 2


async def test_the_counts_follow_the_clock_both_ways(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An answer counted at one instant is never given for an earlier one, nor a much later."""
    floor = await make_floor(app, client, sessionmaker)
    hold_wall(app)
    start = floor.clock.now
    await floor.add()
    await floor.add(due=start + timedelta(minutes=10))
    assert (await status(floor))["queue"]["ready"] == 1
    floor.clock.advance(minutes=11)
    assert (await status(floor))["queue"]["ready"] == 2
    floor.clock.now = start
    sent = statements_of(app)
    earlier = await status(floor)
    assert (earlier["queue"]["ready"], earlier["queue"]["waiting"]["retry_not_due"]) == (1, 1)
    assert counts_in(sent) == 2


async def test_readers_at_once_share_one_count(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    hold_wall(app)
    await floor.add()
    await floor.add(callback_at=floor.clock.now - timedelta(minutes=1))
    sent = statements_of(app)
    answers = await asyncio.gather(*(status(floor) for _ in range(8)))
    assert counts_in(sent) == 2
    assert all(a == answers[0] for a in answers)
    assert answers[0]["queue"]["ready"] == 2


async def test_the_shared_counts_say_what_a_full_count_says(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Readers race the floor's work; once it stops, the shared answer is the full count's."""
    floor = await make_floor(app, client, sessionmaker, operators=3)
    now = floor.clock.now
    for _ in range(4):
        await floor.add()
    await floor.add("Asia/Kamchatka")  # 23:00 there: outside its calling window
    await floor.add(due=now + timedelta(hours=2))
    await floor.add(callback_at=now - timedelta(minutes=3))
    await floor.add(callback_at=now + timedelta(hours=1))
    await floor.add(callback_at=now - timedelta(minutes=1), callback_operator=floor.operators[2])
    before = await status(floor)
    working = True

    async def work() -> None:
        nonlocal working
        try:
            for operator in floor.operators[:2]:
                lease = await floor.lease(operator)
                answer = await floor.outcome(operator, lease["lease_id"], disposition="busy")
                assert answer.status_code == 200, answer.text
                await floor.add()
            await floor.lease(floor.operators[2])
        finally:
            working = False

    async def read() -> list[Any]:
        seen = []
        while working:
            seen.append(await status(floor))
        return seen

    _, answers = await asyncio.gather(work(), read())
    full = await full_status(floor)
    assert full["queue"] != before["queue"]
    served = await status_once(client, floor.supervisor.headers, lambda s: s == full)
    assert served == full
    # What a reader saw meanwhile was the floor at some instant: the queue's totals agree
    # with the campaigns' (one campaign), whatever they trailed.
    for answer in [before, *answers]:
        assert answer["campaigns"][0]["callable_now"] == answer["queue"]["ready"]


# A campaign's stats: its contacts by state and zone, one group-by over the campaign's.
STATS_COUNT = "GROUP BY contact.state, contact.timezone"


async def stats(floor: Floor) -> Any:
    path = f"/api/v1/campaigns/{floor.campaign_id}/stats"
    answer = await floor.client.get(path, headers=floor.supervisor.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_campaigns_stats_are_shared_within_the_second_and_catch_up_after(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    wall = hold_wall(app)
    await floor.add()
    sent = statements_of(app)
    first = await stats(floor)
    assert sum(STATS_COUNT in s for s in sent) == 1
    assert (first["contacts"], first["callable_now"]) == (1, 1)
    await floor.add()
    async with sessionmaker() as session:
        campaign = await session.get(Campaign, floor.campaign_id)
        assert campaign is not None
        full = await campaign_stats(session, CampaignView.of(campaign), floor.clock.now)
    assert (full["contacts"], full["callable_now"]) == (2, 2)
    sent.clear()
    wall.advance(0.5)
    assert await stats(floor) == first
    assert sum(STATS_COUNT in s for s in sent) == 0
    # Past the second: served as it was while one count runs behind, then caught up with
    # what a count from scratch says.
    wall.advance(1)
    assert await stats(floor) == first
    await app.state.hub.counts.settled()
    assert await stats(floor) == full
    assert sum(STATS_COUNT in s for s in sent) == 0  # counted behind, not by a request


def test_a_dear_count_stays_fresh_longer_up_to_half_of_what_is_served() -> None:
    """Redone behind a reader who keeps asking, a count takes at most a tenth of the time."""
    now = utcnow()

    def fresh_after(took: float, seconds: float) -> bool:
        entry = Entry(now, 100.0, None, took)
        return entry.fresh(now + timedelta(seconds=seconds), 100.0 + seconds)

    # A cheap count: a second. One of 0.3 s: three. One of 2 s: half of what is served.
    for took, lasts in ((0.0, 1.0), (0.3, 3.0), (2.0, SERVED_FOR / 2)):
        assert fresh_after(took, lasts - 0.1)
        assert not fresh_after(took, lasts + 0.1)
