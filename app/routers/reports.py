"""Reports: the timesheet, per operator per shift, as JSON or CSV for payroll."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.deps import AppSettings, Now, Session, Staff
from app.schemas import Day
from dialer.base.exports import csv_text
from dialer.reports.timesheet import TimesheetRow, timesheet

router = APIRouter(tags=["reports"])


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


class TimesheetLine(BaseModel):
    operator_id: uuid.UUID
    login: str
    name: str
    shift_id: uuid.UUID
    shift: str
    starts_at: datetime
    ends_at: datetime
    minutes_clocked: float
    minutes_paused: float
    minutes_unpaid: float
    minutes_paid: float
    calls: int
    talk_minutes: float
    warm_questionnaires: int
    hours_paid: Decimal
    hourly_rate: Decimal | None
    pay: Decimal | None

    @classmethod
    def of(cls, row: TimesheetRow) -> "TimesheetLine":
        zone = ZoneInfo(row.shift.timezone)
        return cls(
            operator_id=row.operator.id,
            login=row.operator.login,
            name=row.operator.name,
            shift_id=row.shift.shift.id,
            shift=row.shift.shift.name,
            starts_at=row.shift.shift.starts_at.astimezone(zone),
            ends_at=row.shift.shift.ends_at.astimezone(zone),
            minutes_clocked=_minutes(row.minutes.clocked.total_seconds()),
            minutes_paused=_minutes(row.minutes.paused.total_seconds()),
            minutes_unpaid=_minutes(row.minutes.unpaid.total_seconds()),
            minutes_paid=_minutes(row.minutes.paid.total_seconds()),
            calls=row.calls.count,
            talk_minutes=_minutes(row.calls.talk.total_seconds()),
            warm_questionnaires=row.calls.warm,
            hours_paid=row.hours_paid,
            hourly_rate=row.operator.hourly_rate,
            pay=row.pay,
        )


def as_csv(lines: list[TimesheetLine]) -> str:
    """The lines as CSV with a header, in the JSON's field order."""
    return csv_text(
        TimesheetLine.model_fields, (line.model_dump(mode="json").values() for line in lines)
    )


@router.get("/reports/timesheet", response_model=list[TimesheetLine])
async def timesheet_report(
    session: Session,
    now: Now,
    settings: AppSettings,
    _staff: Staff,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response:
    """Per operator per shift: minutes clocked, paused and paid, calls, talk time, warm, pay."""
    rows = await timesheet(session, first, last, now, settings.self_pause_paid)
    lines = [TimesheetLine.of(r) for r in rows]
    if fmt == "csv":
        name = f"timesheet-{first}-{last}.csv"
        return Response(
            as_csv(lines),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    body = "[" + ",".join(line.model_dump_json() for line in lines) + "]"
    return Response(body, media_type="application/json")
