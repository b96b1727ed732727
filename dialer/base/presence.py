"""Operators' signs of life, written in batches by each app process (see `OperatorPresence`)."""

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.dialects import insert
from dialer.base.models import OperatorPresence, Role, User


async def record_seen(session: AsyncSession, seen: Mapping[uuid.UUID, datetime]) -> None:
    """Keep when the operators among these users were last seen (later sightings stand)."""
    operators = await session.scalars(
        select(User.id).where(User.id.in_(list(seen)), User.role == Role.OPERATOR)
    )
    rows = [{"operator_id": o, "seen_at": seen[o]} for o in operators]
    if not rows:
        return
    statement = insert(session, OperatorPresence).values(rows)
    later = (func.max if session.get_bind().dialect.name == "sqlite" else func.greatest)(
        OperatorPresence.seen_at, statement.excluded.seen_at
    )
    await session.execute(
        statement.on_conflict_do_update(index_elements=["operator_id"], set_={"seen_at": later})
    )
