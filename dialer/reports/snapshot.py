"""The floor at one instant: what `GET /me`, `/dialer/status` and `/operators/live` answer.

The live streams share one snapshot per process (refreshed at most once a second), and
each operator's `/me` is cut from it, so a stream costs no query of its own; the
requests build a snapshot of one operator the same way, so both say the same.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Shift
from dialer.base.users import staff_tokens
from dialer.queue.why import standing
from dialer.reports.floor import CountStandings, DialerStatus, dialer_status
from dialer.reports.live import OperatorLive, Tally, live_operators
from dialer.shifts.dated import ShiftView, live_shifts, views


# Hashed by identity: what the streams make of a snapshot is kept beside it while it lives.
@dataclass(frozen=True, eq=False)
class Snapshot:
    at: datetime
    operators: dict[uuid.UUID, OperatorLive]
    shifts: list[ShiftView]
    status: DialerStatus | None
    # The floor's staff and their tokens' version, for the floor's streams (empty for an
    # operator's own snapshot); the operators' are in `operators`.
    staff: Mapping[uuid.UUID, int]

    def shift_of(self, operator_id: uuid.UUID) -> ShiftView | None:
        """The operator's live shift as it sees it: the one it is clocked in to, else one
        it is rostered on, with itself alone on the roster."""
        live = self.operators.get(operator_id)
        attended = live.shift_id if live is not None and live.clocked_in else None
        found = next((v for v in self.shifts if v.shift.id == attended), None) or next(
            (v for v in self.shifts if operator_id in self._rosters[v.shift.id]), None
        )
        if found is None:
            return None
        mine = [operator_id] if operator_id in self._rosters[found.shift.id] else []
        return ShiftView(found.shift, found.timezone, mine)

    def moved_since(self, before: "Snapshot | None") -> set[uuid.UUID] | None:
        """The operators whose part of the floor differs from `before`'s; None for all of
        them (nothing before, or a live shift changed: every operator's answer shows one)."""
        if before is None or _shifts_as_values(self.shifts) != _shifts_as_values(before.shifts):
            return None
        ids = self.operators.keys() | before.operators.keys()
        return {i for i in ids if self.operators.get(i) != before.operators.get(i)}

    # Every operator's stream asks once a snapshot: sets, not a scan of each roster.
    @cached_property
    def _rosters(self) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
        return {v.shift.id: frozenset(v.roster) for v in self.shifts}


def _shifts_as_values(views: list[ShiftView]) -> list[tuple[object, ...]]:
    """The live shifts as plain values: each snapshot loads its own mapped objects."""
    columns = Shift.__table__.columns
    return [(*(getattr(v.shift, c.key) for c in columns), v.timezone, v.roster) for v in views]


async def snapshot(
    session: AsyncSession,
    now: datetime,
    operator_ids: list[uuid.UUID] | None = None,
    seen: Mapping[uuid.UUID, datetime] | None = None,
    count: CountStandings = standing,
    tally: Tally | None = None,
) -> Snapshot:
    """The whole floor, with the dialer's status and its staff; or just these operators,
    without them."""
    live = await live_shifts(session, now)
    operators = await live_operators(session, now, operator_ids, seen, tally, live)
    only = operator_ids[0] if operator_ids is not None and len(operator_ids) == 1 else None
    shifts = await views(session, live, only)
    if operator_ids is not None:
        return Snapshot(now, {o.id: o for o in operators}, shifts, None, {})
    status = await dialer_status(session, now, count)
    return Snapshot(now, {o.id: o for o in operators}, shifts, status, await staff_tokens(session))
