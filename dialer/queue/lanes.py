"""Claim lanes: next-call's usual case, gathered into batches that share one statement.

Under load most of a claim's cost is not its work but its overhead: a round trip, an
executor start for a plan of a hundred nodes, a commit. The lanes pay that once for
every ask that arrived while all of them were busy. An ask finding a lane free is sent
at once, alone, so a quiet floor waits for nothing; on a busy one each lane, when its
statement returns, takes every ask waiting (up to `BATCH_MOST`) into the next.

A lane is a connection of the engine's pool, held for one statement at a time: the
lanes bound how many of the pool's connections next-call takes at once.
"""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.base.db import driver_connection
from dialer.base.users import TokenClaims
from dialer.contacts.history import Past
from dialer.queue.claims import BATCH_MOST, Claimed, Slot, claim_batch
from dialer.queue.history import histories

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """A lease claimed in a batch, and the slots (the batch's) that it was claimed from."""

    claimed: Claimed
    slots: Sequence[Slot]
    history: tuple[Past, ...] = ()


@dataclass
class _Ask:
    token: TokenClaims
    slots: Sequence[Slot]
    now: datetime
    answer: asyncio.Future[Served | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ClaimLanes:
    """At most `lanes` statements at once that claim for the asks of one process."""

    def __init__(self, engine: AsyncEngine, lanes: int) -> None:
        self._engine = engine
        self._lanes = lanes
        self._waiting: dict[uuid.UUID, _Ask] = {}
        self._busy = 0
        self._batches: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Wait for the batches in flight (the engine is disposed after)."""
        if self._batches:
            await asyncio.wait(self._batches)

    async def claim(
        self, token: TokenClaims, slots: Sequence[Slot], now: datetime
    ) -> Served | None:
        """A new lease for this operator, or None when the single path must answer.

        An operator already waiting (a double submit) is answered None at once: two
        asks of one operator never share a statement.
        """
        if token.user_id in self._waiting:
            return None
        ask = _Ask(token, slots, now)
        self._waiting[token.user_id] = ask
        self._dispatch()
        return await ask.answer

    def _dispatch(self) -> None:
        while self._waiting and self._busy < self._lanes:
            operators = list(self._waiting)[:BATCH_MOST]
            batch = [self._waiting.pop(operator) for operator in operators]
            self._busy += 1
            task = asyncio.create_task(self._run(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _run(self, batch: list[_Ask]) -> None:
        # The latest ask's slots and time stand for the batch: the others came before
        # it, while the lanes were busy, and the statement runs now.
        latest = batch[-1]
        claimed: dict[uuid.UUID, Claimed] = {}
        past: dict[uuid.UUID, tuple[Past, ...]] = {}
        try:
            async with driver_connection(self._engine) as driver:
                claimed = await claim_batch(
                    driver, latest.slots, [a.token for a in batch], latest.now
                )
                past = await histories(driver, [c.contact for c in claimed.values()])
        except Exception:
            # Whatever the statement did or did not do, each caller's single path
            # finds out: a lease committed here is then found and returned.
            log.exception("a batch claim failed; its asks take the single path")
            claimed = {}
        finally:
            self._busy -= 1
            for ask in batch:
                if not ask.answer.done():
                    mine = claimed.get(ask.token.user_id)
                    ask.answer.set_result(
                        None
                        if mine is None
                        else Served(mine, latest.slots, past.get(mine.contact["id"], ()))
                    )
            self._dispatch()
