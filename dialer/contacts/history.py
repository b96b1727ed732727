"""A contact's last attempts, newest first: the operator's card and the manager's page."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, ScalarSelect, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from dialer.base.models import Attempt

HISTORY_SIZE = 5
attempt = cast(Table, Attempt.__table__)


@dataclass(frozen=True)
class Past:
    """One earlier attempt as the operator sees it."""

    at: datetime
    disposition: str
    objection: str | None
    notes: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "disposition": self.disposition,
            "objection": self.objection,
            "notes": self.notes,
        }


async def history(session: AsyncSession, contact_id: uuid.UUID, attempts: int) -> tuple[Past, ...]:
    """The contact's last attempts, newest first (none read when it has had none)."""
    if attempts == 0:
        return ()
    rows = await session.execute(
        select(attempt.c.created_at, attempt.c.disposition, attempt.c.objection, attempt.c.notes)
        .where(attempt.c.contact_id == contact_id)
        .order_by(attempt.c.created_at.desc())
        .limit(HISTORY_SIZE)
    )
    return tuple(Past(at, str(d), o, n) for at, d, o, n in rows)


def last_attempts(contact_id: QueryableAttribute[uuid.UUID], dialect: str) -> ScalarSelect[Any]:
    """The contact's last attempts as one JSON column of another statement's row (`pasts`
    reads it): a manager's page reads them with its questionnaire, not in a statement of
    their own."""
    last = (
        select(attempt.c.created_at, attempt.c.disposition, attempt.c.objection, attempt.c.notes)
        .where(attempt.c.contact_id == contact_id)
        .order_by(attempt.c.created_at.desc())
        .limit(HISTORY_SIZE)
        .correlate_except(attempt)
        .subquery()
    )
    if dialect == "postgresql":
        rows = func.json_agg(func.json_build_array(*last.c), type_=JSON)
    else:
        rows = func.json_group_array(func.json_array(*last.c), type_=JSON)
    return select(rows).scalar_subquery()


def pasts(rows: list[list[Any]] | None) -> tuple[Past, ...]:
    """`last_attempts`' column as its attempts, newest first (PostgreSQL has none as null)."""
    found = [Past(_instant(at), d, objection, notes) for at, d, objection, notes in rows or ()]
    return tuple(sorted(found, key=lambda past: past.at, reverse=True))


def _instant(text: str) -> datetime:
    # PostgreSQL writes the instant with its offset; SQLite keeps UTC without one.
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
