"""The funnel report: calls down to clients, per campaign, operator, shift and hour of shift."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.exports import csv_text
from dialer.base.models import (
    AccountStage,
    Campaign,
    Desk,
    Disposition,
    QuestionnaireStatus,
    Role,
    User,
)
from dialer.reports.funnel import Call, build_report, hour_of_shift, report_json
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import StatusChange, change_status, file_questionnaire
from tests.builders import actor, on_shift
from tests.builders_managers import add_contact, call, floor, user_row

Maker = async_sessionmaker[AsyncSession]
SHIFT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


def _call(
    disposition: Disposition,
    minutes: int,
    *,
    contact: uuid.UUID | None = None,
    answered: bool = False,
    objection: str | None = None,
    questionnaire: QuestionnaireStatus | None = None,
    stage: AccountStage | None = None,
) -> Call:
    return Call(
        campaign_id=uuid.UUID(int=1),
        campaign="Paper",
        operator_id=uuid.UUID(int=2),
        operator="Student",
        shift_id=uuid.UUID(int=3),
        shift="Morning",
        shift_start=SHIFT,
        contact_id=contact or uuid.uuid4(),
        disposition=disposition,
        answered=answered,
        objection=objection,
        at=SHIFT + timedelta(minutes=minutes),
        questionnaire=questionnaire,
        stage=stage,
    )


def test_each_call_counts_in_every_stage_it_reached() -> None:
    again = uuid.uuid4()
    calls = [
        _call(Disposition.NO_ANSWER, 5, contact=again),
        _call(Disposition.NO_ANSWER, 65, contact=again, answered=True),  # a human hung up
        _call(Disposition.BUSY, 10),
        _call(Disposition.NOT_INTERESTED, 20, objection="need_nothing"),
        _call(Disposition.NOT_INTERESTED, 70, objection="need_nothing"),
        _call(Disposition.NOT_INTERESTED, 130, objection="busy"),
        _call(Disposition.WARM, 30, questionnaire=QuestionnaireStatus.NEW),
        _call(
            Disposition.WARM,
            200,
            questionnaire=QuestionnaireStatus.FIRST_ORDER,
            stage=AccountStage.REGULAR,
        ),
    ]
    shown = report_json(build_report(calls, SHIFT, SHIFT + timedelta(days=1)))
    assert shown["total"] == {
        "contacts": 7,
        "attempts": 8,
        "reached": 6,
        "warm": 2,
        "first_order": 1,
        "working": 1,
        "regular": 1,
        "key_account": 0,
        "conversion": 0.25,
    }
    assert shown["objections"] == [
        {"code": "need_nothing", "count": 2},
        {"code": "busy", "count": 1},
    ]
    hours = {h["hour"]: (h["attempts"], h["warm"]) for h in shown["by_hour_of_shift"]}
    assert hours == {1: (4, 1), 2: (2, 0), 3: (1, 0), 4: (1, 1)}
    assert shown["by_operator"][0]["objections"] == {"need_nothing": 2, "busy": 1}


def test_the_hour_of_shift_counts_from_one_at_the_start() -> None:
    assert hour_of_shift(_call(Disposition.BUSY, 0)) == 1
    assert hour_of_shift(_call(Disposition.BUSY, 59)) == 1
    assert hour_of_shift(_call(Disposition.BUSY, 60)) == 2
    assert hour_of_shift(_call(Disposition.BUSY, 239)) == 4


async def _floor_day(sessionmaker: Maker) -> tuple[uuid.UUID, uuid.UUID]:
    """A shift with four calls: busy, an objection, a warm lead won, a warm lead new."""
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    where = await floor(sessionmaker)
    shift_id = await on_shift(sessionmaker, [where.operator_id])
    now = datetime.now(UTC).replace(microsecond=0)
    async with sessionmaker.begin() as session:
        for disposition, objection in (
            (Disposition.BUSY, None),
            (Disposition.NOT_INTERESTED, "busy"),
        ):
            contact = await add_contact(session, where.campaign_id, now=now)
            await call(
                session, where, contact, disposition, now, shift_id=shift_id, objection=objection
            )
        filed = []
        for company in ("Won", "Pending"):
            contact = await add_contact(session, where.campaign_id, company=company, now=now)
            attempt = await call(
                session, where, contact, Disposition.WARM, now, shift_id=shift_id, answered=True
            )
            filed.append(await file_questionnaire(session, attempt, {}, company, now))
        supervisor = await session.get(User, supervisor_id)
        assert supervisor is not None
        for change in (
            StatusChange(QuestionnaireStatus.IN_PROGRESS),
            StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(50)),
        ):
            await change_status(session, filed[0].id, change, supervisor, now, Policy())
    return where.campaign_id, shift_id


async def test_supervisors_get_the_funnel_as_json_and_csv(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    campaign_id, shift_id = await _floor_day(sessionmaker)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    today = datetime.now(UTC).date()
    period = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    answer = await client.get("/api/v1/reports/funnel", params=period, headers=supervisor.headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    expected = {"contacts": 4, "attempts": 4, "reached": 3, "warm": 2, "first_order": 1}
    assert {k: report["total"][k] for k in expected} == expected
    assert report["total"]["working"] == 1
    [campaign] = report["by_campaign"]
    assert campaign["campaign_id"] == str(campaign_id)
    [shift] = report["by_shift"]
    assert shift["shift_id"] == str(shift_id)
    assert shift["objections"] == {"busy": 1}

    as_csv = await client.get(
        "/api/v1/reports/funnel", params={**period, "format": "csv"}, headers=supervisor.headers
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    total = next(r for r in rows if r["section"] == "total")
    assert (total["attempts"], total["warm"], total["first_order"]) == ("4", "2", "1")
    assert {r["section"] for r in rows} >= {"campaign", "operator", "shift", "objection"}


async def test_the_funnel_is_for_supervisors_and_a_sane_period(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    period = {"from": "2026-11-27", "to": "2026-11-27"}
    refused = await client.get("/api/v1/reports/funnel", params=period, headers=operator.headers)
    assert refused.status_code == 403
    empty = await client.get("/api/v1/reports/funnel", params=period, headers=supervisor.headers)
    assert empty.json()["total"]["attempts"] == 0
    backwards = await client.get(
        "/api/v1/reports/funnel",
        params={"from": "2026-11-28", "to": "2026-11-27"},
        headers=supervisor.headers,
    )
    assert backwards.status_code == 422
    zone = await client.get(
        "/api/v1/reports/funnel",
        params={**period, "tz": "Mars/Olympus"},
        headers=supervisor.headers,
    )
    assert zone.status_code == 422


async def test_the_funnel_csv_writes_formulas_as_text(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    campaign_id, _ = await _floor_day(sessionmaker)
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(name="+cmd|' /C calc'!A0")
        )
        await session.execute(
            update(User).where(User.role == Role.OPERATOR).values(name="-2+3\tand tab")
        )
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    today = datetime.now(UTC).date()
    period = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    as_csv = await client.get(
        "/api/v1/reports/funnel", params={**period, "format": "csv"}, headers=supervisor.headers
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    names = {r["section"]: r["name"] for r in rows if r["section"] in ("campaign", "operator")}
    assert names == {"campaign": "'+cmd|' /C calc'!A0", "operator": "'-2+3\tand tab"}
    total = next(r for r in rows if r["section"] == "total")
    assert (total["attempts"], total["warm"]) == ("4", "2")


def test_every_cell_that_could_start_a_formula_is_quoted() -> None:
    text = csv_text(
        ["=title", "plain"],
        [["\tx", "\rx", "-1.5", -2, "a=b", None], ["@x", "+7 495", "-", 3.5, "", "+74951234567"]],
    )
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=title", "plain"],
        ["'\tx", "'\rx", "-1.5", "-2", "a=b", ""],
        ["'@x", "'+7 495", "'-", "3.5", "", "+74951234567"],
    ]
