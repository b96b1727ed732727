"""The audit log: every change a person made through the API, newest first."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import Session, Staff
from app.listing import Page, Total
from app.schemas import Text
from dialer.base.audit import AuditFilter, entries
from dialer.base.clock import require_aware
from dialer.base.errors import InvalidInput

router = APIRouter(tags=["audit"])


def _instant(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A date (a whole day in UTC, `to` inclusive) or an instant with its offset."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), time(), UTC)
            return day + timedelta(days=1) if end else day
        instant = require_aware(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        # Not a date or an instant, one without an offset, or one past the calendar.
        instant = None
    if instant is None:
        raise InvalidInput(
            f"{name} must be a date or an instant with its offset.",
            fields=[{"loc": ["query", name], "msg": "a date or an instant with its offset"}],
        )
    return instant


@router.get("/audit")
async def audit(
    session: Session,
    page: Page,
    total: Total,
    _staff: Staff,
    actor_id: uuid.UUID | None = None,
    action: Text | None = None,
    target_id: Text | None = None,
    # `from` is a keyword in Python.
    from_: Annotated[Text | None, Query(alias="from")] = None,
    to: Text | None = None,
) -> list[dict[str, Any]]:
    """Entries matching every filter given, newest first."""
    found, count = await entries(
        session,
        AuditFilter(
            actor_id, action, target_id, _instant(from_, "from"), _instant(to, "to", end=True)
        ),
        page.limit,
        page.offset,
    )
    total.set(count)
    return [
        {
            "at": e.at.isoformat(),
            "actor_id": str(e.actor_id) if e.actor_id else None,
            "actor": login,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "summary": e.summary,
        }
        for e, login in found
    ]
