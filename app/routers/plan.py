"""The shift planner for supervisors: how many operators each shift ahead needs."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import ManagersPolicy, Now, Session, Staff
from dialer.reports.plan_data import plan_report

router = APIRouter(tags=["reports"])


@router.get("/reports/plan")
async def shift_plan(
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    _staff: Staff,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 28,
) -> dict[str, Any]:
    """Per shift of [from, to] (default two weeks from today): the roster, the operators
    recommended, the warm questionnaires and MPK load expected, and when a saturation
    pause is expected if the roster stays; measured over the last `days` days."""
    first = first or now.date()
    last = last or first + timedelta(days=13)
    return await plan_report(session, first, last, days, now, policy)
