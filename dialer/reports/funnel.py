"""The funnel: from the numbers called to the clients won, per campaign, operator and shift.

Everything is counted from the calls made in the period: the contacts called, the
attempts, the conversations (reached), the warm questionnaires those calls produced,
and how far each has gone since — first order, account, regular desk, key account.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.exports import csv_text
from dialer.base.models import (
    Account,
    AccountStage,
    Attempt,
    Campaign,
    Disposition,
    Questionnaire,
    QuestionnaireStatus,
    Shift,
    User,
)

STAGES = (
    "contacts",
    "attempts",
    "reached",
    "warm",
    "first_order",
    "working",
    "regular",
    "key_account",
)
# Dispositions that say nobody was talked to; any other means a conversation.
UNREACHED = frozenset({Disposition.NO_ANSWER, Disposition.BUSY, Disposition.VOICEMAIL})


class Call(NamedTuple):
    """One attempt of the period, with what became of it."""

    campaign_id: uuid.UUID
    campaign: str
    operator_id: uuid.UUID
    operator: str
    shift_id: uuid.UUID | None
    shift: str | None
    shift_start: datetime | None
    contact_id: uuid.UUID
    disposition: Disposition
    answered: bool
    objection: str | None
    at: datetime
    questionnaire: QuestionnaireStatus | None
    stage: AccountStage | None

    @property
    def reached(self) -> bool:
        return self.answered or self.disposition not in UNREACHED


def hour_of_shift(call: Call) -> int | None:
    """The hour of its shift the call was made in, counting from 1."""
    if call.shift_start is None:
        return None
    return int((call.at - call.shift_start) // timedelta(hours=1)) + 1


@dataclass
class Funnel:
    """The stages counted for one group of calls."""

    contacts: set[uuid.UUID] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    objections: Counter[str] = field(default_factory=Counter)

    def add(self, call: Call) -> None:
        """Count one call in every stage it reached."""
        self.contacts.add(call.contact_id)
        self.counts["attempts"] += 1
        self.counts["reached"] += call.reached
        self.counts["warm"] += call.questionnaire is not None
        self.counts["first_order"] += call.questionnaire is QuestionnaireStatus.FIRST_ORDER
        self.counts["working"] += call.stage is not None
        self.counts["regular"] += call.stage is AccountStage.REGULAR
        self.counts["key_account"] += call.stage is AccountStage.KEY_ACCOUNT
        if call.objection:
            self.objections[call.objection] += 1

    def stages(self) -> dict[str, int]:
        """Each stage's count, in funnel order."""
        return {"contacts": len(self.contacts)} | {s: self.counts[s] for s in STAGES[1:]}

    def conversion(self) -> float | None:
        """Warm questionnaires per attempt."""
        attempts = self.counts["attempts"]
        return round(self.counts["warm"] / attempts, 4) if attempts else None


@dataclass
class Group:
    key: str
    name: str
    funnel: Funnel = field(default_factory=Funnel)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, key_name: str) -> dict[str, Any]:
        return {
            key_name: self.key or None,
            "name": self.name,
            **self.extra,
            **self.funnel.stages(),
            "conversion": self.funnel.conversion(),
            "objections": dict(self.funnel.objections.most_common()),
        }


@dataclass
class Report:
    start: datetime
    end: datetime
    total: Funnel = field(default_factory=Funnel)
    campaigns: dict[str, Group] = field(default_factory=dict)
    operators: dict[str, Group] = field(default_factory=dict)
    shifts: dict[str, Group] = field(default_factory=dict)
    hours: dict[int, Funnel] = field(default_factory=dict)


def _group(groups: dict[str, Group], key: str, name: str, **extra: Any) -> Funnel:
    return groups.setdefault(key, Group(key, name, extra=extra)).funnel


def build_report(calls: list[Call], start: datetime, end: datetime) -> Report:
    """Count the calls into the whole funnel and each of its cuts."""
    report = Report(start, end)
    for call in calls:
        report.total.add(call)
        _group(report.campaigns, str(call.campaign_id), call.campaign).add(call)
        _group(report.operators, str(call.operator_id), call.operator).add(call)
        shift_key = str(call.shift_id) if call.shift_id else ""
        start_at = call.shift_start.isoformat() if call.shift_start else None
        _group(report.shifts, shift_key, call.shift or "no shift", starts_at=start_at).add(call)
        hour = hour_of_shift(call)
        if hour is not None:
            report.hours.setdefault(hour, Funnel()).add(call)
    return report


def report_json(report: Report) -> dict[str, Any]:
    """The report as the JSON answer."""
    total = report.total
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "stages": list(STAGES),
        "total": total.stages() | {"conversion": total.conversion()},
        "by_campaign": [g.as_dict("campaign_id") for g in report.campaigns.values()],
        "by_operator": [g.as_dict("operator_id") for g in report.operators.values()],
        "by_shift": [g.as_dict("shift_id") for g in report.shifts.values()],
        "objections": [{"code": code, "count": n} for code, n in total.objections.most_common()],
        "by_hour_of_shift": [
            {"hour": hour, **f.stages(), "conversion": f.conversion()}
            for hour, f in sorted(report.hours.items())
        ],
    }


CSV_COLUMNS = ("section", "key", "name", *STAGES, "conversion")


def report_csv(report: Report) -> str:
    """The report as one CSV table: a section column says which cut a row belongs to."""

    def row(section: str, key: str, name: str, funnel: Funnel) -> list[object]:
        stages = funnel.stages()
        return [section, key, name, *(stages[s] for s in STAGES), funnel.conversion()]

    rows = [row("total", "", "all calls", report.total)]
    for section, groups in (
        ("campaign", report.campaigns),
        ("operator", report.operators),
        ("shift", report.shifts),
    ):
        for group in groups.values():
            name = group.name
            if group.extra.get("starts_at"):
                name = f"{name} {group.extra['starts_at']}"
            rows.append(row(section, group.key, name, group.funnel))
    for hour, funnel in sorted(report.hours.items()):
        rows.append(row("hour_of_shift", str(hour), f"hour {hour}", funnel))
    for code, count in report.total.objections.most_common():
        # An objection row counts the times it was heard in the attempts column.
        rows.append(["objection", code, code, "", count, *[""] * (len(STAGES) - 1)])
    return csv_text(CSV_COLUMNS, rows)


async def calls_between(session: AsyncSession, start: datetime, end: datetime) -> list[Call]:
    """The attempts made in [start, end) with what became of them."""
    rows = await session.execute(
        select(
            Attempt.campaign_id,
            Campaign.name,
            Attempt.operator_id,
            User.name,
            Attempt.shift_id,
            Shift.name,
            Shift.starts_at,
            Attempt.contact_id,
            Attempt.disposition,
            Attempt.answered_at.is_not(None),
            Attempt.objection,
            Attempt.created_at,
            Questionnaire.status,
            Account.stage,
        )
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(User, User.id == Attempt.operator_id)
        .outerjoin(Shift, Shift.id == Attempt.shift_id)
        .outerjoin(Questionnaire, Questionnaire.attempt_id == Attempt.id)
        .outerjoin(Account, Account.questionnaire_id == Questionnaire.id)
        .where(Attempt.created_at >= start, Attempt.created_at < end)
        .order_by(Attempt.created_at)
    )
    return [Call._make(row) for row in rows]


async def funnel_report(session: AsyncSession, start: datetime, end: datetime) -> Report:
    """The funnel of the calls made in [start, end)."""
    return build_report(await calls_between(session, start, end), start, end)
