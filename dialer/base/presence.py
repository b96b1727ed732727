"""Operators' signs of life, written in batches by each app process (see `OperatorPresence`)."""

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.dialects import insert
from dialer.base.models import OperatorPresence, Role, User

# One statement whatever the batch's size: two arrays, not a VALUES list of a thousand rows
# (compiled anew for each size, it stalled the process's loop every few seconds on a busy
# floor). In key order, so two processes writing the same operators never deadlock.
_UPSERT = text(
    """
    INSERT INTO operator_presence (operator_id, seen_at)
    SELECT s.operator_id, s.seen_at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:ats AS timestamptz[])) AS s(operator_id, seen_at)
    JOIN user_account u ON u.id = s.operator_id AND u.role = :role
    ORDER BY s.operator_id
    ON CONFLICT (operator_id)
    DO UPDATE SET seen_at = greatest(operator_presence.seen_at, excluded.seen_at)
    """
)


async def record_seen(session: AsyncSession, seen: Mapping[uuid.UUID, datetime]) -> None:
    """Keep when the operators among these users were last seen (later sightings stand)."""
    if not seen:
        return
    if session.get_bind().dialect.name == "postgresql":
        ids = list(seen)
        at = [seen[i] for i in ids]
        await session.execute(_UPSERT, {"ids": ids, "ats": at, "role": Role.OPERATOR.value})
        return
    operators = await session.scalars(
        select(User.id).where(User.id.in_(list(seen)), User.role == Role.OPERATOR)
    )
    rows = [{"operator_id": o, "seen_at": seen[o]} for o in operators]
    if not rows:
        return
    statement = insert(session, OperatorPresence).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["operator_id"],
            set_={"seen_at": func.max(OperatorPresence.seen_at, statement.excluded.seen_at)},
        )
    )
