"""Quality control: the review queue, scoring a call, the report, an operator's reviews."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.deps import AppSettings, Now, Operator, Session, Staff
from app.listing import Page, Total
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.models import Attempt, Campaign, Contact, QcReview, Recording
from dialer.calls.qc import QueuedCall, form_of, review, review_queue, reviews_of
from dialer.calls.recordings import consent_evidence, listen_access
from dialer.contacts.campaigns import check_timezone
from dialer.reports.qc import OperatorQc, qc_report

router = APIRouter(tags=["quality control"])


class RecordingLink(BaseModel):
    content_type: str
    size_bytes: int
    # Plays in an audio element (Range included) for the user it was made for, for two hours.
    url: str


def _link(
    recording: Recording | None, secret: str, user_id: uuid.UUID, now: datetime
) -> RecordingLink | None:
    if recording is None:
        return None
    access = listen_access(secret, recording.attempt_id, user_id, now)
    return RecordingLink(
        content_type=recording.content_type,
        size_bytes=recording.size_bytes,
        url=f"/api/v1/attempts/{recording.attempt_id}/recording?access={access}",
    )


def _talk_seconds(attempt: Attempt) -> float | None:
    if attempt.answered_at is None or attempt.hangup_at is None:
        return None
    return round((attempt.hangup_at - attempt.answered_at).total_seconds(), 1)


class CalledContact(BaseModel):
    """Whom a call was to: nulls once the contact is erased."""

    name: str | None
    company: str | None
    phone: str | None

    @classmethod
    def of(cls, contact: Contact) -> "CalledContact":
        return cls(name=contact.name, company=contact.company, phone=contact.phone)


class QueuedOut(BaseModel):
    attempt_id: uuid.UUID
    at: datetime
    operator: dict[str, Any]
    campaign: dict[str, Any]
    contact: CalledContact
    disposition: str
    objection: str | None
    notes: str | None
    talk_seconds: float | None
    recording: RecordingLink | None
    qc_form: list[dict[str, Any]]


@router.get("/qc/queue")
async def queue(
    total_count: Total,
    session: Session,
    settings: AppSettings,
    now: Now,
    staff: Staff,
    page: Page,
) -> list[QueuedOut]:
    """Calls sampled for review and not yet reviewed, oldest first, each with its recording."""
    calls, total = await review_queue(session, page.limit, page.offset)
    total_count.set(total)
    return [_queued(call, settings.secret_key, staff.id, now) for call in calls]


def _queued(call: QueuedCall, secret: str, user_id: uuid.UUID, now: datetime) -> QueuedOut:
    attempt, campaign = call.attempt, call.campaign
    return QueuedOut(
        attempt_id=attempt.id,
        at=attempt.created_at,
        operator={"id": call.operator.id, "login": call.operator.login, "name": call.operator.name},
        campaign={"id": campaign.id, "name": campaign.name},
        contact=CalledContact.of(call.contact),
        disposition=attempt.disposition.value,
        objection=attempt.objection,
        notes=attempt.notes,
        talk_seconds=_talk_seconds(attempt),
        recording=_link(call.recording, secret, user_id, now),
        qc_form=form_of(campaign),
    )


class ReviewIn(Model):
    scores: dict[str, float] = Field(max_length=50)
    comment: str = Field(default="", max_length=4000)


class ReviewOut(BaseModel):
    id: uuid.UUID
    attempt_id: uuid.UUID
    operator_id: uuid.UUID
    reviewer_id: uuid.UUID
    scores: dict[str, Any]
    score: Decimal
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, row: QcReview) -> "ReviewOut":
        return cls.model_validate(row, from_attributes=True)


@router.post("/attempts/{attempt_id}/qc", status_code=201)
async def score(
    attempt_id: uuid.UUID, body: ReviewIn, session: Session, now: Now, staff: Staff
) -> ReviewOut:
    """Score a call against its campaign's QC form; a call is reviewed once."""
    made = await review(session, attempt_id, staff.id, body.scores, body.comment, now)
    await record(session, staff, "qc.review", "attempt", attempt_id, f"{made.score} %", now)
    return ReviewOut.of(made)


class ObjectionHandling(BaseModel):
    handled_well: int
    handled_badly: int


class QcLine(BaseModel):
    operator_id: uuid.UUID
    login: str
    name: str
    reviews: int
    score: Decimal
    criteria: dict[str, float]
    objections: dict[str, ObjectionHandling]

    @classmethod
    def of(cls, line: OperatorQc) -> "QcLine":
        return cls(
            operator_id=line.operator_id,
            login=line.login,
            name=line.name,
            reviews=line.reviews,
            score=line.score,
            criteria=line.averages(),
            objections={
                code: ObjectionHandling(handled_well=h.well, handled_badly=h.badly)
                for code, h in sorted(line.objections.items())
            },
        )


@router.get("/reports/qc")
async def report(
    session: Session,
    _staff: Staff,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    tz: str = "UTC",
) -> list[QcLine]:
    """Per operator, the reviews made on the days from–to (inclusive, in tz)."""
    zone = ZoneInfo(check_timezone(tz, "tz"))
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return [QcLine.of(line) for line in await qc_report(session, start, end)]


class MyReviewOut(BaseModel):
    attempt_id: uuid.UUID
    at: datetime
    campaign: str
    # The operator called this number itself: the lease showed it the same.
    contact: CalledContact
    disposition: str
    objection: str | None
    score: Decimal
    scores: dict[str, Any]
    qc_form: list[dict[str, Any]]
    comment: str
    reviewed_at: datetime
    recording: RecordingLink | None


@router.get("/me/reviews")
async def my_reviews(
    session: Session,
    settings: AppSettings,
    now: Now,
    operator: Operator,
    page: Page,
) -> list[MyReviewOut]:
    """The caller's reviewed calls, newest review first, with scores, comments and the audio."""
    rows = await reviews_of(session, operator.id, page.limit, page.offset)
    return [_mine(*row, settings.secret_key, operator.id, now) for row in rows]


def _mine(
    row: QcReview,
    attempt: Attempt,
    recording: Recording | None,
    campaign: Campaign,
    contact: Contact,
    secret: str,
    user_id: uuid.UUID,
    now: datetime,
) -> MyReviewOut:
    return MyReviewOut(
        attempt_id=attempt.id,
        at=attempt.created_at,
        campaign=campaign.name,
        contact=CalledContact.of(contact),
        disposition=attempt.disposition.value,
        objection=attempt.objection,
        score=row.score,
        scores=row.scores,
        qc_form=form_of(campaign),
        comment=row.comment,
        reviewed_at=row.created_at,
        recording=_link(recording, secret, user_id, now),
    )


class ConsentEvidence(BaseModel):
    attempt_id: uuid.UUID
    at: datetime
    given: bool
    scope: str | None
    operator: dict[str, Any]
    campaign: dict[str, Any]
    disposition: str
    answered_at: datetime | None
    hangup_at: datetime | None
    recording: RecordingLink | None


class ConsentOut(BaseModel):
    contact_id: uuid.UUID
    phone: str | None
    # The latest word on it: true, false, or null when no call recorded any.
    given: bool | None
    scope: str | None
    evidence: list[ConsentEvidence]


@router.get("/contacts/{contact_id}/consent", tags=["consent"])
async def consent(
    contact_id: uuid.UUID, session: Session, settings: AppSettings, now: Now, staff: Staff
) -> ConsentOut:
    """The consent said on calls to the contact's number, each with its call and recording."""
    contact, rows = await consent_evidence(session, contact_id)
    evidence = [
        ConsentEvidence(
            attempt_id=attempt.id,
            at=attempt.created_at,
            given=bool(attempt.consent_given),
            scope=attempt.consent_scope,
            operator={"id": user.id, "login": user.login, "name": user.name},
            campaign={"id": campaign.id, "name": campaign.name},
            disposition=attempt.disposition.value,
            answered_at=attempt.answered_at,
            hangup_at=attempt.hangup_at,
            recording=_link(recording, settings.secret_key, staff.id, now),
        )
        for attempt, user, campaign, recording in rows
    ]
    latest = evidence[0] if evidence else None
    return ConsentOut(
        contact_id=contact.id,
        phone=contact.phone,
        given=latest.given if latest else None,
        scope=latest.scope if latest else None,
        evidence=evidence,
    )
