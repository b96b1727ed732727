"""The funnel report for supervisors: JSON or CSV."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.deps import Session, Staff
from app.schemas import Day
from dialer.base.errors import InvalidInput
from dialer.contacts.campaigns import check_timezone
from dialer.reports.funnel import funnel_report, report_csv, report_json

router = APIRouter(tags=["reports"])

MAX_DAYS = 366


def _period(start: date, end: date, zone: str) -> tuple[datetime, datetime]:
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidInput(
            f"The period runs from a day to the same or a later one, at most {MAX_DAYS} days.",
            fields=[{"loc": ["query", "to"], "msg": "before from, or too far"}],
        )
    tz = ZoneInfo(check_timezone(zone, "tz"))
    return (
        datetime.combine(start, time(), tz),
        datetime.combine(end + timedelta(days=1), time(), tz),
    )


@router.get("/reports/funnel", response_model=None)
async def funnel(
    session: Session,
    _staff: Staff,
    start: Annotated[Day, Query(alias="from")],
    end: Annotated[Day, Query(alias="to")],
    format: Literal["json", "csv"] = "json",
    tz: str = "UTC",
) -> dict[str, Any] | Response:
    """Calls of the days from–to (inclusive, in tz) down to the clients they won."""
    report = await funnel_report(session, *_period(start, end, tz))
    if format == "json":
        return report_json(report)
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="funnel-{start}-{end}.csv"'},
    )
